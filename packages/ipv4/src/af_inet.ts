// net/ipv4/af_inet.c (inet_init, inet_add_protocol, the IPv4 GRO/GSO offload) and
// net/ipv4/sysctl_net_ipv4.c: bring IPv4 up on a Net.
import type {
  Net, NetDevice, NeighTable, Neighbour, NetOffload, NetProtocol, PacketOffload, SkBuff, SysctlEntry,
} from '@knet/include';
import {
  EBUSY, EINVAL, ENOENT, ETH_P_IP, GRO_HELD, GRO_MERGED_FREE, GRO_NORMAL, IFF_LOOPBACK, IFF_UP, IPPROTO_ICMP,
  RTN_LOCAL,
} from '@knet/include';
import { pskbMayPull, skbPull, skbPush } from '@knet/skbuff';
import { devAddOffload, devAddPack } from '@knet/netdevice';
import {
  IP_MF, IP_OFFSET, ipHdrCsum, ipHdrDaddr, ipHdrFragOff, ipHdrId, ipHdrIhl, ipHdrLen, ipHdrProtocol,
  ipHdrSaddr, ipHdrSetId, ipHdrSetTotLen, ipHdrTos, ipHdrTtl, ipHdrVersion, ipSendCheck,
} from './ip_hdr.js';
import { ipv4MibsInit } from './proc.js';
import { ipv4Net, newFlowi4, type Ipv4Net, type Ipv4Sysctl } from './netns_ipv4.js';
import { fibTablesInit, fibNetdevUp, inetAddrType } from './fib_frontend.js';
import { ipFragStateInit } from './ip_fragment.js';
import { icmpProtocol, icmpStateInit } from './icmp.js';
import { ipPacketType } from './ip_input.js';
import { inetAddrAdd, inDevGet, inetSelectAddr } from './devinet.js';
import { RT_SCOPE_LINK } from './fib_trie.js';
import { ipv4LinkFailure, rtCacheFlush } from './route.js';
import { IP_IDENTS_SZ } from './ip_output.js';

export interface InetInitOpts {
  /** arp_tbl (from @knet/neighbour's arpInit), used by ip_finish_output2. */
  neighTable: NeighTable;
}

function defaultSysctl(): Ipv4Sysctl {
  return {
    ipForward: 0, ipDefaultTtl: 64, ipNoPmtuDisc: 0, ipfragTime: 30, ipfragHighThresh: 4 * 1024 * 1024,
    ipfragLowThresh: 3 * 1024 * 1024, icmpRatelimit: 1000, icmpRatemask: 0x1818, icmpMsgsPerSec: 1000,
    icmpMsgsBurst: 50, icmpEchoIgnoreBroadcasts: 1, icmpEchoIgnoreAll: 0, icmpIgnoreBogusErrorResponses: 1,
    icmpErrorsUseInboundIfaddr: 0, rpFilter: 0, ipRtMinPmtu: 552, ipRtMtuExpires: 600,
  };
}

function intSysctl(obj: Ipv4Sysctl, key: keyof Ipv4Sysctl, min: number, max: number, after?: () => void): SysctlEntry {
  return {
    get: () => obj[key],
    set: (v) => {
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) return -EINVAL;
      obj[key] = n;
      after?.();
      return 0;
    },
  };
}

function registerSysctls(net: Net, ip: Ipv4Net): void {
  const s = ip.sysctl;
  const reg = (name: string, e: SysctlEntry) => net.sysctls.set(`net.ipv4.${name}`, e);
  const MAX = 0x7fffffff;
  reg('ip_forward', intSysctl(s, 'ipForward', 0, 1, () => rtCacheFlush(net)));
  reg('conf.all.forwarding', intSysctl(s, 'ipForward', 0, 1, () => rtCacheFlush(net)));
  reg('ip_default_ttl', intSysctl(s, 'ipDefaultTtl', 1, 255));
  reg('ip_no_pmtu_disc', intSysctl(s, 'ipNoPmtuDisc', 0, 3));
  reg('ipfrag_time', intSysctl(s, 'ipfragTime', 1, MAX));
  reg('ipfrag_high_thresh', {
    get: () => s.ipfragHighThresh,
    set: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= s.ipfragLowThresh ? ((s.ipfragHighThresh = v), 0) : -EINVAL),
  });
  reg('ipfrag_low_thresh', {
    get: () => s.ipfragLowThresh,
    set: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= s.ipfragHighThresh ? ((s.ipfragLowThresh = v), 0) : -EINVAL),
  });
  reg('icmp_ratelimit', intSysctl(s, 'icmpRatelimit', 0, MAX));
  reg('icmp_ratemask', intSysctl(s, 'icmpRatemask', 0, MAX));
  reg('icmp_msgs_per_sec', intSysctl(s, 'icmpMsgsPerSec', 0, MAX));
  reg('icmp_msgs_burst', intSysctl(s, 'icmpMsgsBurst', 0, MAX));
  reg('icmp_echo_ignore_broadcasts', intSysctl(s, 'icmpEchoIgnoreBroadcasts', 0, 1));
  reg('icmp_echo_ignore_all', intSysctl(s, 'icmpEchoIgnoreAll', 0, 1));
  reg('icmp_ignore_bogus_error_responses', intSysctl(s, 'icmpIgnoreBogusErrorResponses', 0, 1));
  reg('icmp_errors_use_inbound_ifaddr', intSysctl(s, 'icmpErrorsUseInboundIfaddr', 0, 1));
  reg('conf.all.rp_filter', intSysctl(s, 'rpFilter', 0, 2, () => rtCacheFlush(net)));
  reg('route.min_pmtu', intSysctl(s, 'ipRtMinPmtu', 68, 65535));
  reg('route.mtu_expires', intSysctl(s, 'ipRtMtuExpires', 0, MAX));
}

/**
 * inet_init for one Net: per-net state, sysctls, MIBs, the ETH_P_IP handler and offload,
 * and ICMP. Transports register themselves afterwards with inetAddProtocol.
 */
export function inetInit(net: Net, opts: InetInitOpts): Ipv4Net {
  const fib = fibTablesInit();
  const sysctl = defaultSysctl();
  const idents = new Uint32Array(IP_IDENTS_SZ);
  for (let i = 0; i < IP_IDENTS_SZ; i++) idents[i] = Math.floor(net.clock.random() * 0x10000);
  const ip: Ipv4Net = {
    neighTable: opts.neighTable,
    protos: new Array<NetProtocol | undefined>(256).fill(undefined),
    offloads: new Array<NetOffload | undefined>(256).fill(undefined),
    mib: ipv4MibsInit(net),
    sysctl,
    nfHooks: [[], [], [], [], []],
    nfState: { hook: 0, pf: 2, in: null, out: null, net, sk: null },
    fibTables: fib.tables,
    fibLocal: fib.local,
    fibMain: fib.main,
    rtGenid: 0,
    rtCached: new Set(),
    fnhe: new Map(),
    ipIdents: idents,
    identSeed: Math.floor(net.clock.random() * 0x100000000) | 0,
    frags: ipFragStateInit(),
    icmp: icmpStateInit(sysctl.icmpMsgsBurst),
    loopbackDev: null,
    fl4: newFlowi4(),
  };
  net.gen.ipv4 = ip;
  ip.mib.ip.Forwarding = 2;
  ip.mib.ip.DefaultTTL = 64;
  registerSysctls(net, ip);
  inetAddProtocol(net, icmpProtocol, IPPROTO_ICMP);
  devAddPack(net, ipPacketType);
  devAddOffload(net, ipPacketOffload);
  for (const dev of net.devices) if (dev.flags & IFF_LOOPBACK && dev.flags & IFF_UP) inetDevUp(net, dev);
  return ip;
}

/**
 * NETDEV_UP for IPv4 (inetdev_event): loopback gets 127.0.0.1/8 as in Linux; any device's
 * addresses get their prefix and broadcast routes now that it is up.
 */
export function inetDevUp(net: Net, dev: NetDevice): void {
  if (dev.flags & IFF_LOOPBACK) {
    const ind = inDevGet(dev);
    if (ind === null || !ind.ifaList.some((i) => i.ifaLocal === 0x7f000001)) {
      inetAddrAdd(net, dev, '127.0.0.1/8');
      return;
    }
  }
  fibNetdevUp(net, dev);
}

/** inet_add_protocol: 0, or -EBUSY if the slot is taken. */
export function inetAddProtocol(net: Net, prot: NetProtocol, num: number): number {
  const p = ipv4Net(net).protos;
  if (!(num >= 0 && num < 256)) return -EINVAL;
  if (p[num] !== undefined) return -EBUSY;
  p[num] = prot;
  return 0;
}

/** inet_del_protocol: -ENOENT unless `prot` owns the slot. */
export function inetDelProtocol(net: Net, prot: NetProtocol, num: number): number {
  const p = ipv4Net(net).protos;
  if (p[num] !== prot) return -ENOENT;
  p[num] = undefined;
  return 0;
}

/** inet_add_offload */
export function inetAddOffload(net: Net, prot: NetOffload, num: number): number {
  const p = ipv4Net(net).offloads;
  if (!(num >= 0 && num < 256)) return -EINVAL;
  if (p[num] !== undefined) return -EBUSY;
  p[num] = prot;
  return 0;
}

/** inet_del_offload */
export function inetDelOffload(net: Net, prot: NetOffload, num: number): number {
  const p = ipv4Net(net).offloads;
  if (p[num] !== prot) return -ENOENT;
  p[num] = undefined;
  return 0;
}

/**
 * inet_gro_receive: only plain headers (ihl 5, valid checksum, not a fragment) are merged.
 * Held IPv4 packets of the same IP flow (addresses, protocol, TOS, TTL) get cb.layerPriv = 1,
 * the others 0, before the transport's groReceive sees the list; skb.data stays at the IP
 * header with transportHeader set. After a merge the core frees `skb`.
 */
export function inetGroReceive(list: SkBuff[], skb: SkBuff): number {
  const net = skb.dev!.ndNet;
  const ip = net.gen.ipv4;
  if (ip === undefined || !pskbMayPull(skb, 20)) return GRO_NORMAL;
  const b = skb.head;
  const o = skb.data;
  if (ipHdrVersion(b, o) !== 4 || ipHdrIhl(b, o) !== 5 || ipHdrCsum(b, o, 20) !== 0) return GRO_NORMAL;
  if (ipHdrFragOff(b, o) & (IP_MF | IP_OFFSET)) return GRO_NORMAL;
  const off = ip.offloads[ipHdrProtocol(b, o)];
  if (off === undefined || off.groReceive === undefined) return GRO_NORMAL;
  skb.networkHeader = o;
  skb.transportHeader = o + 20;
  const saddr = ipHdrSaddr(b, o), daddr = ipHdrDaddr(b, o);
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    const pb = p.head;
    const po = p.networkHeader;
    p.cb.layerPriv = p.protocol === ETH_P_IP && po >= 0 && ipHdrSaddr(pb, po) === saddr && ipHdrDaddr(pb, po) === daddr &&
      ipHdrProtocol(pb, po) === ipHdrProtocol(b, o) && ipHdrTos(pb, po) === ipHdrTos(b, o) &&
      ipHdrTtl(pb, po) === ipHdrTtl(b, o) ? 1 : 0;
  }
  const r = off.groReceive(list, skb);
  if (r >= 0) {
    list[r].cb.groCount++;
    return GRO_MERGED_FREE;
  }
  return r === -1 ? GRO_HELD : GRO_NORMAL;
}

/** inet_gro_complete: the merged packet's total length and checksum, then the transport's fix-up. */
export function inetGroComplete(skb: SkBuff): number {
  const net = skb.dev!.ndNet;
  const o = skb.networkHeader;
  const b = skb.head;
  ipHdrSetTotLen(b, o, skb.len - (o - skb.data));
  ipSendCheck(b, o);
  const off = net.gen.ipv4?.offloads[ipHdrProtocol(b, o)];
  if (off?.groComplete !== undefined) {
    skb.transportHeader = o + ipHdrLen(b, o);
    off.groComplete(skb);
  }
  return 0;
}

/**
 * inet_gso_segment: the transport cuts the payload (skb.data at its header while it runs);
 * each segment then gets its own total length, an incrementing IP ID and a fresh checksum.
 */
export function inetGsoSegment(skb: SkBuff, features: number): SkBuff | null {
  const net = (skb.dev ?? skb.dst?.dev)?.ndNet;
  const ip = net?.gen.ipv4;
  if (ip === undefined || !pskbMayPull(skb, 20)) return null;
  const b = skb.head;
  const o = skb.data;
  const ihl = ipHdrLen(b, o);
  if (ipHdrVersion(b, o) !== 4 || ihl < 20 || !pskbMayPull(skb, ihl)) return null;
  const off = ip.offloads[ipHdrProtocol(b, o)];
  if (off === undefined || off.gsoSegment === undefined) return null;
  skb.networkHeader = o;
  skbPull(skb, ihl);
  skb.transportHeader = skb.data;
  const segs = off.gsoSegment(skb, features);
  skbPush(skb, ihl);
  if (segs === null) return null;
  let id = ipHdrId(b, o);
  for (let s: SkBuff | null = segs; s !== null; s = s.next) {
    const so = s.networkHeader;
    if (s.data > so) skbPush(s, s.data - so);
    ipHdrSetId(s.head, so, id);
    id = (id + 1) & 0xffff;
    ipHdrSetTotLen(s.head, so, s.len - (so - s.data));
    ipSendCheck(s.head, so);
  }
  return segs;
}

export const ipPacketOffload: PacketOffload = Object.freeze({
  name: 'ipv4',
  type: ETH_P_IP,
  groReceive: inetGroReceive,
  groComplete: inetGroComplete,
  gsoSegment: inetGsoSegment,
});

/**
 * What ARP needs from IPv4, for @knet/neighbour's arpInit (host wiring):
 * `arpInit(net, ipv4ArpHooks)` then `inetInit(net, { neighTable })`.
 */
export const ipv4ArpHooks = Object.freeze({
  isLocal: (net: Net, addr: number, _dev: NetDevice): boolean => inetAddrType(net, addr) === RTN_LOCAL,
  selectSource: (_net: Net, dev: NetDevice, daddr: number): number => inetSelectAddr(dev, daddr, RT_SCOPE_LINK),
  addrType: (net: Net, addr: number, _dev: NetDevice): number => (net.gen.ipv4 ? inetAddrType(net, addr) : 1),
  errorReport: (_n: Neighbour, skb: SkBuff): void => ipv4LinkFailure(skb),
});
