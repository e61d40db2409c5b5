// net/ipv4/arp.c: ARP (RFC 826) on top of the generic neighbour table, and `ip neigh`.
import type { Net, NetDevice, Neighbour as INeighbour, NeighOps, PacketType, SkBuff } from '@knet/include';
import {
  AF_INET, EINVAL, ENODEV, ENOENT, ETH_P_ARP, ETH_P_IP, IFF_LOOPBACK, IFF_NOARP, IFF_POINTOPOINT,
  NET_RX_DROP, NET_RX_SUCCESS, NUD_FAILED, NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE, NUD_STALE, NUD_VALID,
  PACKET_HOST, PACKET_LOOPBACK, PACKET_OTHERHOST, RTN_BROADCAST, RTN_MULTICAST, RTN_UNICAST, SKB_DROP_REASON,
  ARPHRD_ETHER, inetAton, inetNtoa,
} from '@knet/include';
import {
  allocSkb, consumeSkb, kfreeSkbReason, pskbExpandHead, pskbMayPull, skbHeadroom, skbPull, skbPut, skbReserve,
  getUint32,
} from '@knet/skbuff';
import { jiffies } from '@knet/softirq';
import { devAddPack, devQueueXmit, traceEvent } from '@knet/netdevice';
import {
  ARPHRD_IEEE802, ARPOP_REPLY, ARPOP_REQUEST, arpHdrChecked, arpHdrLen, arpHdrWrite, arpHrd, arpOp, arpPro,
  arpShaOff, arpSip, arpTip,
} from './arp_hdr.js';
import {
  NEIGH_UPDATE_F_ADMIN, NEIGH_UPDATE_F_OVERRIDE, NUD_STATE_NAMES, Neighbour, NeighTableImpl, createNeighTable,
  neighEventNs, neighEventSend, neighForEach, neighIfdown, neighRemove, neighUpdate,
} from './neighbour.js';

/** What ARP needs from IPv4, wired in by the host (ARP cannot import ipv4). */
export interface ArpHooks {
  /** Is `addr` one of our addresses, as seen from `dev` (inet_addr_type == RTN_LOCAL)? */
  isLocal(net: Net, addr: number, dev: NetDevice): boolean;
  /** Source address for a request about `daddr` out of `dev` (inet_select_addr). */
  selectSource(net: Net, dev: NetDevice, daddr: number): number;
  /** RTN_* of `addr` on `dev`; defaults to broadcast for 255.255.255.255 and unicast otherwise. */
  addrType?(net: Net, addr: number, dev: NetDevice): number;
  /** A queued packet could not be resolved (ipv4_link_failure: ICMP host unreachable). */
  errorReport?(n: INeighbour, skb: SkBuff): void;
}

/** Per-net ARP state. */
export interface NeighbourNet {
  arpTbl: NeighTableImpl;
  hooks: ArpHooks;
  /** net.ipv4.conf.all.arp_accept: create entries from gratuitous ARP. */
  arpAccept: number;
  /** ARP frames by fate, for `ip -s neigh`-style inspection. */
  stats: { rcvRequests: number; rcvReplies: number; sentRequests: number; sentReplies: number; invalid: number };
}

declare module '@knet/include' {
  interface NetGeneric {
    neighbour?: NeighbourNet;
  }
}

function arpNet(net: Net): NeighbourNet {
  const a = net.gen.neighbour;
  if (a === undefined) throw new Error('arpInit() has not run on this net');
  return a;
}

/** ip_eth_mc_map: 01:00:5e + the low 23 bits of the group (RFC 1112 §6.4). */
export function ipEthMcMap(addr: number, buf: Uint8Array): void {
  buf[0] = 0x01;
  buf[1] = 0x00;
  buf[2] = 0x5e;
  buf[3] = (addr >>> 16) & 0x7f;
  buf[4] = (addr >>> 8) & 0xff;
  buf[5] = addr & 0xff;
}

/** The link-layer header for the neighbour's address (dev_hard_header), then the driver. */
function neighFillAndXmit(n: INeighbour, skb: SkBuff): number {
  const dev = n.dev;
  // Linux transmits from the network header; anything before it is stale.
  if (skb.networkHeader >= 0 && skb.networkHeader > skb.data) skbPull(skb, skb.networkHeader - skb.data);
  const hops = dev.headerOps;
  if (hops !== null) {
    const need = dev.hardHeaderLen + dev.neededHeadroom;
    if (skbHeadroom(skb) < need && pskbExpandHead(skb, need - skbHeadroom(skb), 0) !== 0) {
      kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
      return -EINVAL;
    }
    if (hops.create(skb, dev, skb.protocol, n.ha, null, skb.len) < 0) {
      kfreeSkbReason(skb, SKB_DROP_REASON.DEV_HDR);
      return -EINVAL;
    }
  }
  return devQueueXmit(skb);
}

/** neigh_resolve_output: resolve first; send at once if the entry is usable. */
export function neighResolveOutput(n: INeighbour, skb: SkBuff): number {
  const net = n.dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'neighResolveOutput');
  if (!neighEventSend(n as Neighbour, skb)) return neighFillAndXmit(n, skb);
  return 0;
}

/** neigh_connected_output: the entry is known good; fill the header and go. */
export function neighConnectedOutput(n: INeighbour, skb: SkBuff): number {
  const net = n.dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'neighOutput');
  return neighFillAndXmit(n, skb);
}

/** neigh_direct_output: devices without a link header. */
export function neighDirectOutput(_n: INeighbour, skb: SkBuff): number {
  return devQueueXmit(skb);
}

/** arp_error_report: report through the table's hook, then drop. */
function arpErrorReport(n: INeighbour, skb: SkBuff): void {
  const fn = (n as Neighbour).tbl.errorReportFn;
  if (fn !== null) fn(n as Neighbour, skb);
  kfreeSkbReason(skb, SKB_DROP_REASON.NEIGH_FAILED);
}

export const arpGenericOps: NeighOps = Object.freeze({
  name: 'arp_generic_ops',
  family: AF_INET,
  solicit: arpSolicit,
  errorReport: arpErrorReport,
  output: neighResolveOutput,
  connectedOutput: neighConnectedOutput,
});

export const arpDirectOps: NeighOps = Object.freeze({
  name: 'arp_direct_ops',
  family: AF_INET,
  solicit: arpSolicit,
  errorReport: arpErrorReport,
  output: neighDirectOutput,
  connectedOutput: neighDirectOutput,
});

/** arp_constructor: NOARP for loopback, point-to-point, broadcast and multicast keys. */
export function arpConstructor(n: Neighbour): number {
  const dev = n.dev;
  const net = dev.ndNet;
  const hooks = arpNet(net).hooks;
  const key = n.primaryKey;
  n.type = hooks.addrType ? hooks.addrType(net, key, dev) : key === 0xffffffff ? RTN_BROADCAST : RTN_UNICAST;
  if (dev.headerOps === null) {
    n.nudState = NUD_NOARP;
    n.ops = arpDirectOps;
    n.output = neighDirectOutput;
    return 0;
  }
  if (n.type === RTN_MULTICAST || (key >>> 28) === 0xe) {
    n.nudState = NUD_NOARP;
    ipEthMcMap(key, n.ha);
  } else if (dev.flags & (IFF_NOARP | IFF_LOOPBACK)) {
    n.nudState = NUD_NOARP;
    n.ha.set(dev.devAddr.subarray(0, n.ha.length));
  } else if (n.type === RTN_BROADCAST || dev.flags & IFF_POINTOPOINT) {
    n.nudState = NUD_NOARP;
    n.ha.set(dev.broadcast.subarray(0, n.ha.length));
  }
  n.ops = arpGenericOps;
  n.output = n.nudState & NUD_VALID ? arpGenericOps.connectedOutput : arpGenericOps.output;
  return 0;
}

/** arp_create: a complete ARP frame for `dev`, or null if the link header cannot be built. */
export function arpCreate(
  op: number, ptype: number, dip: number, dev: NetDevice, sip: number,
  destHw: Uint8Array | null, srcHw: Uint8Array | null, targetHw: Uint8Array | null,
): SkBuff | null {
  const hlen = dev.hardHeaderLen + dev.neededHeadroom;
  const alen = arpHdrLen(dev.addrLen);
  const skb = allocSkb(hlen + alen + 16);
  skbReserve(skb, hlen);
  const o = skb.data;
  skb.networkHeader = o;
  skbPut(skb, alen);
  skb.dev = dev;
  skb.protocol = ETH_P_ARP;
  const sha = srcHw ?? dev.devAddr;
  const dha = destHw ?? dev.broadcast;
  if (dev.headerOps !== null && dev.headerOps.create(skb, dev, ptype, dha, sha, skb.len) < 0) {
    kfreeSkbReason(skb, SKB_DROP_REASON.DEV_HDR);
    return null;
  }
  // RFC 826 hardware type follows the device; Ethernet-like devices say ARPHRD_ETHER.
  const hrd = dev.type === ARPHRD_ETHER || dev.type === 772 ? ARPHRD_ETHER : dev.type;
  arpHdrWrite(skb.head, o, hrd, op, sha.subarray(0, dev.addrLen || 6), sip, targetHw, dip);
  return skb;
}

/** arp_xmit: no ARP netfilter tables here, so straight to the device queue. */
export function arpXmit(skb: SkBuff): number {
  return devQueueXmit(skb);
}

/** arp_send: create and transmit one ARP frame. */
export function arpSend(
  op: number, ptype: number, dip: number, dev: NetDevice, sip: number,
  dhw: Uint8Array | null, shw: Uint8Array | null, thw: Uint8Array | null,
): number {
  if (dev.flags & IFF_NOARP) return 0;
  const skb = arpCreate(op, ptype, dip, dev, sip, dhw, shw, thw);
  if (skb === null) return -EINVAL;
  const st = dev.ndNet.gen.neighbour?.stats;
  if (st) {
    if (op === ARPOP_REQUEST) st.sentRequests++;
    else if (op === ARPOP_REPLY) st.sentReplies++;
  }
  return arpXmit(skb);
}

/**
 * arp_solicit: who-has for n's key. The first ucast_probes of a PROBE go unicast to the known
 * address (RFC 1122 §2.3.2.1); INCOMPLETE starts past them and broadcasts.
 */
export function arpSolicit(n: INeighbour, skb: SkBuff | null): void {
  const nn = n as Neighbour;
  const dev = n.dev;
  const net = dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'arpSolicit');
  const hooks = arpNet(net).hooks;
  let saddr = 0;
  // arp_announce 0: use the packet's own source if it is ours.
  if (skb !== null && skb.networkHeader >= 0 && skb.networkHeader + 20 <= skb.tail) {
    const s = getUint32(skb.head, skb.networkHeader + 12);
    if (hooks.isLocal(net, s, dev)) saddr = s;
  }
  if (saddr === 0) saddr = hooks.selectSource(net, dev, n.primaryKey);
  let probes = nn.probes - nn.parms.ucastProbes;
  let dstHw: Uint8Array | null = null;
  if (probes < 0) {
    dstHw = n.ha;
  } else {
    probes -= nn.parms.appProbes;
    if (probes < 0) return;
  }
  arpSend(ARPOP_REQUEST, ETH_P_ARP, n.primaryKey, dev, saddr, dstHw, dev.devAddr, null);
}

/** arp_rcv: sanity checks before arp_process. */
export function arpRcv(skb: SkBuff, dev: NetDevice, _pt: PacketType, _orig: NetDevice): number {
  const net = dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'arpRcv');
  if (dev.flags & IFF_NOARP || skb.pktType === PACKET_OTHERHOST || skb.pktType === PACKET_LOOPBACK) {
    consumeSkb(skb);
    return NET_RX_SUCCESS;
  }
  const alen = arpHdrLen(dev.addrLen);
  if (!pskbMayPull(skb, alen)) {
    arpNet(net).stats.invalid++;
    kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_SMALL);
    return NET_RX_DROP;
  }
  if (!arpHdrChecked(skb.head, skb.data, skb.tail - skb.data, dev.addrLen)) {
    arpNet(net).stats.invalid++;
    kfreeSkbReason(skb, SKB_DROP_REASON.ARP_INVALID);
    return NET_RX_DROP;
  }
  skb.networkHeader = skb.data;
  return arpProcess(net, null, skb);
}

function arpDrop(net: Net, skb: SkBuff): number {
  arpNet(net).stats.invalid++;
  kfreeSkbReason(skb, SKB_DROP_REASON.ARP_INVALID);
  return NET_RX_DROP;
}

/** arp_process: answer requests for our addresses and learn from what we hear. */
export function arpProcess(net: Net, _sk: unknown, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'arpProcess');
  const dev = skb.dev!;
  const an = arpNet(net);
  const b = skb.head;
  const o = skb.networkHeader;
  const hln = dev.addrLen;
  const hrd = arpHrd(b, o);
  if (dev.type === ARPHRD_ETHER) {
    if ((hrd !== ARPHRD_ETHER && hrd !== ARPHRD_IEEE802) || arpPro(b, o) !== ETH_P_IP) return arpDrop(net, skb);
  } else if (arpPro(b, o) !== ETH_P_IP) {
    return arpDrop(net, skb);
  }
  const op = arpOp(b, o);
  if (op !== ARPOP_REQUEST && op !== ARPOP_REPLY) return arpDrop(net, skb);
  const sha = b.subarray(arpShaOff(o), arpShaOff(o) + hln);
  const sip = arpSip(b, o, hln);
  const tip = arpTip(b, o, hln);
  // No ARP about multicast or loopback targets (RFC 1122 §3.2.1.3 martians).
  if ((tip >>> 28) === 0xe || (tip >>> 24) === 127) return arpDrop(net, skb);
  if (op === ARPOP_REQUEST) an.stats.rcvRequests++;
  else an.stats.rcvReplies++;
  const hooks = an.hooks;
  const tbl = an.arpTbl;
  // RFC 5227 address probe: sender 0.0.0.0; answer it, learn nothing.
  if (sip === 0) {
    if (op === ARPOP_REQUEST && hooks.isLocal(net, tip, dev)) {
      arpSend(ARPOP_REPLY, ETH_P_ARP, sip, dev, tip, sha, dev.devAddr, sha);
    }
    consumeSkb(skb);
    return NET_RX_SUCCESS;
  }
  if (op === ARPOP_REQUEST && hooks.isLocal(net, tip, dev)) {
    if (skb.pktType === PACKET_HOST) tbl.stats.rcvProbesUcast++;
    else tbl.stats.rcvProbesMcast++;
    const n = neighEventNs(tbl, sha, sip, dev);
    if (n !== null) arpSend(ARPOP_REPLY, ETH_P_ARP, sip, dev, tip, sha, dev.devAddr, sha);
    consumeSkb(skb);
    return NET_RX_SUCCESS;
  }
  let n = tbl.lookup(sip, dev);
  // Gratuitous ARP: sender and target are the same foreign unicast address.
  const isGarp = tip === sip && !hooks.isLocal(net, sip, dev);
  if (n === null && an.arpAccept && (isGarp || op === ARPOP_REPLY)) {
    const c = tbl.create(sip, dev);
    n = typeof c === 'number' ? null : c;
  }
  if (n !== null) {
    // Only a unicast reply proves two-way reachability; all else leaves the entry STALE.
    const state = op === ARPOP_REPLY && skb.pktType === PACKET_HOST ? NUD_REACHABLE : NUD_STALE;
    const override = jiffies(net) > n.updated + n.parms.locktime || isGarp;
    neighUpdate(n, sha, state, override ? NEIGH_UPDATE_F_OVERRIDE : 0);
  }
  consumeSkb(skb);
  return NET_RX_SUCCESS;
}

export const arpPacketType: PacketType = Object.freeze({
  name: 'arp',
  type: ETH_P_ARP,
  dev: null,
  func: arpRcv,
});

/**
 * arp_init: the ARP table (arp_tbl) for `net`, its sysctls, and the ETH_P_ARP handler. The
 * returned table is what ipv4 takes as its `neighTable`.
 */
export function arpInit(net: Net, hooks: ArpHooks): NeighTableImpl {
  const tbl = createNeighTable(net, {
    name: 'arp_cache',
    family: AF_INET,
    constructor: arpConstructor,
    errorReport: (n, skb) => hooks.errorReport?.(n, skb),
    sysctlPrefix: 'net.ipv4.neigh.default',
  });
  const an: NeighbourNet = {
    arpTbl: tbl, hooks, arpAccept: 0,
    stats: { rcvRequests: 0, rcvReplies: 0, sentRequests: 0, sentReplies: 0, invalid: 0 },
  };
  net.gen.neighbour = an;
  net.sysctls.set('net.ipv4.conf.all.arp_accept', {
    get: () => an.arpAccept,
    set: (v) => {
      const x = Number(v);
      if (x !== 0 && x !== 1) return -EINVAL;
      an.arpAccept = x;
      return 0;
    },
  });
  devAddPack(net, arpPacketType);
  return tbl;
}

/** The ARP table of `net` (arp_tbl). */
export function arpTable(net: Net): NeighTableImpl {
  return arpNet(net).arpTbl;
}

// ---- ip neigh ----

export interface NeighRow {
  dst: string;
  dev: string;
  lladdr: string | null;
  state: string;
}

export function formatLladdr(ha: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ha.length; i++) s += (i ? ':' : '') + ha[i].toString(16).padStart(2, '0');
  return s;
}

export function parseLladdr(s: string): Uint8Array | null {
  const p = s.split(':');
  if (p.length !== 6 || p.some((x) => !/^[0-9a-fA-F]{1,2}$/.test(x))) return null;
  return Uint8Array.from(p.map((x) => parseInt(x, 16)));
}

/** `ip neigh show` */
export function neighShow(net: Net, dev?: NetDevice): NeighRow[] {
  const rows: NeighRow[] = [];
  neighForEach(arpNet(net).arpTbl, (n) => {
    if (dev !== undefined && n.dev !== dev) return;
    rows.push({
      dst: inetNtoa(n.primaryKey),
      dev: n.dev.name,
      lladdr: n.nudState & NUD_VALID ? formatLladdr(n.ha.subarray(0, n.dev.addrLen || 6)) : null,
      state: NUD_STATE_NAMES[n.nudState] ?? String(n.nudState),
    });
  });
  rows.sort((a, b) => inetAton(a.dst) - inetAton(b.dst) || a.dev.localeCompare(b.dev));
  return rows;
}

function toAddr(a: number | string): number {
  return typeof a === 'number' ? a >>> 0 : inetAton(a);
}

/** `ip neigh add|replace`: PERMANENT unless `permanent: false` (then REACHABLE). 0 or -errno. */
export function neighAdd(
  net: Net, dst: number | string, lladdr: Uint8Array | string, dev: NetDevice,
  opts: { permanent?: boolean; state?: 'permanent' | 'reachable' | 'stale' | 'noarp' } = {},
): number {
  const key = toAddr(dst);
  const ha = typeof lladdr === 'string' ? parseLladdr(lladdr) : lladdr;
  if (key < 0 || ha === null) return -EINVAL;
  if (!dev.registered) return -ENODEV;
  const tbl = arpNet(net).arpTbl;
  const n = tbl.create(key, dev);
  if (typeof n === 'number') return n;
  const state = opts.state === 'reachable' ? NUD_REACHABLE : opts.state === 'stale' ? NUD_STALE
    : opts.state === 'noarp' ? NUD_NOARP : opts.permanent === false ? NUD_REACHABLE : NUD_PERMANENT;
  return neighUpdate(n, ha, state, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN);
}

/** `ip neigh del` */
export function neighDel(net: Net, dst: number | string, dev: NetDevice): number {
  const tbl = arpNet(net).arpTbl;
  const n = tbl.lookup(toAddr(dst), dev);
  if (n === null) return -ENOENT;
  neighUpdate(n, null, NUD_FAILED, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN);
  neighRemove(tbl, n);
  return 0;
}

/** `ip neigh flush [dev]`: every entry but PERMANENT and NOARP ones. Returns how many went. */
export function neighFlush(net: Net, dev?: NetDevice): number {
  const tbl = arpNet(net).arpTbl;
  const victims: Neighbour[] = [];
  neighForEach(tbl, (n) => {
    if ((dev === undefined || n.dev === dev) && !(n.nudState & (NUD_PERMANENT | NUD_NOARP))) victims.push(n);
  });
  for (const n of victims) neighRemove(tbl, n);
  return victims.length;
}

/** Forget everything learnt on `dev` (NETDEV_DOWN, arp_ifdown). */
export function arpIfdown(net: Net, dev: NetDevice): void {
  neighIfdown(arpNet(net).arpTbl, dev);
}
