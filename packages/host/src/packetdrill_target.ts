// The stack under test for the packetdrill runner (tooling/packetdrill): one Host on its own
// virtual clock with an Ethernet device "tun0" whose wire is the script. What the stack sends
// leaves through ipQueueXmit, the neighbour layer and the qdisc into tun0's ndoStartXmit, where
// the IP packet is handed to the runner; what the script sends arrives as a frame through
// netifRx and ipRcv, like any received traffic.
import type { NetDevice, NetDeviceOps, SkBuff } from '@knet/include';
import {
  CHECKSUM_PARTIAL, ETH_ALEN, ETH_HLEN, ETH_P_IP, IPPROTO_TCP, NETDEV_TX_OK, NETIF_F_GRO, NETIF_F_GSO, NETIF_F_HW_CSUM, NETIF_F_SG,
  NETIF_F_TSO, SKB_GSO_TCPV4, SOL_TCP, TCP_INFO, inetNtoa,
} from '@knet/include';
import { consumeSkb, netdevAllocSkb, skbChecksumHelp, skbCopyBits, skbPutData } from '@knet/skbuff';
import { allocEtherdev, ethTypeTrans, netifRx, registerNetdev } from '@knet/netdevice';
import { createVirtualClock } from '@knet/softirq';
import { Host } from './host.js';
import { ModuleParams } from './packetdrill_module_params.js';
import { PacketdrillSyscalls, type PdSysValue, type PdSyscallStart } from './packetdrill_syscalls.js';

export type { PdSysValue, PdSyscallOutcome, PdSyscallStart } from './packetdrill_syscalls.js';

/** tooling/packetdrill's TargetConfig (the tooling depends on this package, not the reverse). */
export interface PacketdrillTargetConfig {
  localIp: number;
  remoteIp: number;
  /** packetdrill's gateway on tun0; the peer is routed through it. */
  gatewayIp?: number;
  mtu: number;
  mss?: number;
  sysctls: ReadonlyMap<string, string>;
}

/** tooling/packetdrill's Target, structurally, and the host behind it. */
export interface PacketdrillTarget {
  readonly host: Host;
  now(): number;
  advance(untilUsecs: number): void;
  sysctl(name: string, value: string): boolean;
  qdisc(dev: string, kind: string | null, params: Readonly<Record<string, number>>): boolean;
  ethtool(dev: string, features: Readonly<Record<string, boolean>>): boolean;
  route(op: 'add' | 'change' | 'replace', route: PacketdrillRoute): boolean;
  syscall(name: string, args: readonly PdSysValue[]): PdSyscallStart;
  inject(packet: Uint8Array): void;
  onOutbound(cb: (packet: Uint8Array, usecs: number) => void): void;
  tcpInfo(fd: number): Readonly<Record<string, number>> | null;
  destroy(): void;
}

/** tooling/packetdrill's TargetRoute, structurally. */
export interface PacketdrillRoute {
  dst: number;
  gateway?: number;
  dev?: string;
  mtu?: number;
  mtuLock?: boolean;
  advmss?: number;
  initcwnd?: number;
}

/** ethtool -K names of the features tun0 lets a script switch. */
const ETHTOOL_FEATURES: Readonly<Record<string, number>> = {
  tso: NETIF_F_TSO, gso: NETIF_F_GSO, gro: NETIF_F_GRO, sg: NETIF_F_SG,
};

/** TCP payload bytes of an IPv4 packet, or -1 when it is not TCP. */
function tcpPayloadLen(p: Uint8Array): number {
  if (p.length < 20 || p[9] !== IPPROTO_TCP) return -1;
  const ihl = (p[0]! & 0x0f) * 4;
  if (p.length < ihl + 20) return -1;
  return ((p[2]! << 8) | p[3]!) - ihl - (p[ihl + 12]! >> 4) * 4;
}

const LOCAL_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const REMOTE_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

/** A sysctl value from a script ("4096 87380 6291456", "cubic", "0x70403") in the entry's type. */
function sysctlValue(current: number | string | number[], text: string): number | string | number[] | null {
  if (Array.isArray(current)) {
    const v = text.trim().split(/\s+/).map(Number);
    return v.every(Number.isFinite) ? v : null;
  }
  if (typeof current === 'number') {
    const v = Number(text.trim());
    return Number.isFinite(v) ? v : null;
  }
  return text;
}

export function createPacketdrillTarget(config: PacketdrillTargetConfig): PacketdrillTarget {
  const clock = createVirtualClock({ seed: 1 });
  const host = new Host({ name: 'packetdrill', cpus: 1, clock });
  const usecs = (): number => Math.round(clock.now() * 1000);

  let listener: (packet: Uint8Array, at: number) => void = () => {};
  /** Set when a packet has left since advance() started: advance returns then. */
  let sent = false;

  const ops: NetDeviceOps = {
    name: 'packetdrill-tun',
    ndoStartXmit(skb: SkBuff, dev: NetDevice): number {
      const frame = new Uint8Array(skb.len);
      // Like a NIC: fill in a pending checksum. A TSO packet stays whole, as packetdrill
      // sees it on its tun0.
      if (skb.ipSummed === CHECKSUM_PARTIAL && skb.shinfo.gsoSize === 0) skbChecksumHelp(skb);
      skbCopyBits(skb, 0, frame, 0, skb.len);
      consumeSkb(skb);
      // Only IPv4 goes on the scripted wire; the peer's address is resolved statically.
      if (frame.length > ETH_HLEN && ((frame[12]! << 8) | frame[13]!) === ETH_P_IP) {
        sent = true;
        listener(frame.subarray(ETH_HLEN), usecs());
      }
      return NETDEV_TX_OK;
    },
  };
  const dev = allocEtherdev(host.net, 'tun0');
  dev.netdevOps = ops;
  // packetdrill's tun0 takes TSO packets whole (scripts write them as one large segment).
  dev.features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO;
  dev.hwFeatures = dev.features;
  dev.maxMtu = 65535;
  dev.devAddr.set(LOCAL_MAC);
  if (registerNetdev(dev) < 0) throw new Error('tun0: register failed');
  const check = (what: string, rc: number): void => {
    if (rc < 0) throw new Error(`tun0: ${what} failed: ${rc}`);
  };
  check('mtu', host.ip.link.set('tun0', { mtu: config.mtu }));
  check('up', host.ip.link.set('tun0', { up: true }));
  check('address', host.ip.addr.add('tun0', `${inetNtoa(config.localIp)}/24`));
  check('neighbour', host.ip.neigh.add(inetNtoa(config.remoteIp), macString(REMOTE_MAC), 'tun0'));
  // As packetdrill sets tun0 up: the peer is reached through the gateway (the same wire, so
  // the same MAC), by a /32 route a script may change (`ip route change ... mtu lock 640`).
  if (config.gatewayIp !== undefined) {
    const gw = inetNtoa(config.gatewayIp);
    check('gateway neighbour', host.ip.neigh.add(gw, macString(REMOTE_MAC), 'tun0'));
    check('peer route', host.ip.route.add({ dst: inetNtoa(config.remoteIp), gw, dev: 'tun0' }));
  }
  // The test device is a plain FIFO, as packetdrill's defaults.sh makes tun0.
  const DEFAULT_QDISC = 'pfifo';
  check('qdisc', host.tc.qdisc.replace('tun0', DEFAULT_QDISC));

  const moduleParams = new ModuleParams();
  const setSysctl = (name: string, value: string): boolean => {
    if (name.startsWith('module.')) return moduleParams.set(name, value);
    const cur = host.sysctl.get(name);
    if (cur === undefined) return false;
    const v = sysctlValue(cur, value);
    return v !== null && host.sysctl.set(name, v) === 0;
  };
  // defaults.sysctl names some settings Linux has since dropped (tcp_fack): those are skipped,
  // as `sysctl -q` in packetdrill's defaults.sh skips them; the runner re-checks the ones a
  // script sets itself.
  for (const [name, value] of config.sysctls) setSysctl(name, value);

  const task = host.task();
  const calls = new PacketdrillSyscalls(task);
  /** Work due at this instant (softirqs, wakeups) runs before control returns to the script. */
  const settle = (): void => {
    clock.run(clock.now());
  };

  return {
    host,
    now: usecs,
    advance(untilUsecs) {
      sent = false;
      const until = untilUsecs / 1000;
      if (until <= clock.now()) return;
      // run(until, 1) jumps to `until` once nothing is left before it; a marker event there
      // keeps the clock on the event just run when we stop early.
      let reached = false;
      const marker = clock.schedule(until - clock.now(), () => {
        reached = true;
      });
      try {
        for (;;) {
          const n = clock.run(until, 1);
          // A blocking call may have finished in that event: the runner looks after each one.
          if (n === 0 || reached || sent || calls.outstanding > 0) return;
        }
      } finally {
        if (!reached) clock.cancel(marker);
      }
    },
    sysctl: setSysctl,
    qdisc(devName, kind, params) {
      if (devName !== dev.name) return false;
      return host.tc.qdisc.replace(devName, kind ?? DEFAULT_QDISC, kind === null ? {} : { ...params }) === 0;
    },
    ethtool(devName, features) {
      if (devName !== dev.name) return false;
      let on = 0, off = 0;
      for (const [name, want] of Object.entries(features)) {
        const bit = ETHTOOL_FEATURES[name];
        if (bit === undefined) return false;
        if (want) on |= bit;
        else off |= bit;
      }
      // Sockets pick the new capabilities up with their next route (sk_route_caps).
      // GSO and GRO are software features: always available to turn back on.
      dev.features = (dev.features & ~off) | (on & (dev.hwFeatures | NETIF_F_GSO | NETIF_F_GRO));
      return true;
    },
    route(op, r) {
      const spec = {
        dst: inetNtoa(r.dst), dev: r.dev ?? 'tun0', ...(r.gateway === undefined ? {} : { gw: inetNtoa(r.gateway) }),
        ...(r.mtu === undefined ? {} : { mtu: r.mtu }), ...(r.mtuLock ? { mtuLock: true } : {}),
        ...(r.advmss === undefined ? {} : { advmss: r.advmss }), ...(r.initcwnd === undefined ? {} : { initcwnd: r.initcwnd }),
      };
      const rc = op === 'add' ? host.ip.route.add(spec) : op === 'change' ? host.ip.route.change(spec) : host.ip.route.replace(spec);
      settle();
      return rc === 0;
    },
    syscall(name, args) {
      const r = calls.call(name, args);
      settle();
      return r;
    },
    inject(packet) {
      const skb = netdevAllocSkb(dev, ETH_HLEN + packet.length);
      const frame = new Uint8Array(ETH_HLEN + packet.length);
      frame.set(LOCAL_MAC, 0);
      frame.set(REMOTE_MAC, ETH_ALEN);
      frame[12] = ETH_P_IP >> 8;
      frame[13] = ETH_P_IP & 0xff;
      frame.set(packet, ETH_HLEN);
      skbPutData(skb, frame, 0, frame.length);
      // --mss: a larger segment arrives as one GSO packet, as from a tun with a virtio_net_hdr.
      const mss = config.mss ?? 0;
      const payload = mss > 0 ? tcpPayloadLen(packet) : -1;
      if (payload > mss) {
        skb.shinfo.gsoSize = mss;
        skb.shinfo.gsoSegs = Math.ceil(payload / mss);
        skb.shinfo.gsoType = SKB_GSO_TCPV4;
      }
      dev.stats.rxPackets++;
      dev.stats.rxBytes += frame.length;
      ethTypeTrans(skb, dev);
      netifRx(skb);
      settle();
    },
    onOutbound(cb) {
      listener = cb;
    },
    tcpInfo(fd) {
      const v = task.getsockopt(fd, SOL_TCP, TCP_INFO);
      if (typeof v !== 'object' || v instanceof Uint8Array) return null;
      const out: Record<string, number> = {};
      for (const [k, x] of Object.entries(v)) if (typeof x === 'number') out[k] = x;
      return out;
    },
    destroy() {
      listener = () => {};
      calls.abandon();
      moduleParams.restore();
    },
  };
}

function macString(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
