// net/ipv4/route.c: input and output route resolution into cached dsts (struct rtable),
// invalidated by a generation counter, plus PMTU exceptions and `ip route get`.
import type { DstEntry, Flowi4, Net, NetDevice, Neighbour, SkBuff, Sock } from '@knet/include';
import {
  EINVAL, ENETUNREACH, EHOSTUNREACH, EACCES, ENODEV, ETH_P_IP, IFF_LOOPBACK, IFF_UP, INADDR_LOOPBACK,
  RTCF_BROADCAST, RTCF_LOCAL, RTCF_MULTICAST, RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, RTN_UNICAST,
  RTN_UNREACHABLE, SKB_DROP_REASON, inetAton, inetNtoa,
  RTAX_MTU, dstMetricLocked, dstMtu,
} from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import { jiffies } from '@knet/softirq';
import { traceEvent } from '@knet/netdevice';
import { RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, type FibInfo } from './fib_trie.js';
import {
  EXDEV, RTN_NAMES, fibLookup, fibValidateSource, inetAddrType, newFibResult, type FibResult,
} from './fib_frontend.js';
import { inDevGet, inetSelectAddr } from './devinet.js';
import {
  ipv4IsLbcast, ipv4IsLoopback, ipv4IsMulticast, ipv4IsZeronet,
} from './ip_hdr.js';
import { ipv4Net, newFlowi4 } from './netns_ipv4.js';
import { ipLocalDeliver } from './ip_input.js';
import { ipForward } from './ip_forward.js';
import { ipOutput } from './ip_output.js';
import { icmpSend, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, ICMP_NET_UNREACH, ICMP_PKT_FILTERED } from './icmp.js';

/** IPTOS_RT_MASK: the TOS bits routing looks at. */
export const IPTOS_RT_MASK = 0x1c;

/** struct rtable */
export class Rtable implements DstEntry {
  dev: NetDevice;
  input: (skb: SkBuff) => number;
  output: (skb: SkBuff) => number;
  rtType: number;
  gateway = 0;
  flags = 0;
  pmtu = 0;
  prefSrc = 0;
  neighbour: Neighbour | null = null;
  obsolete = false;
  error = 0;
  metrics = { mtu: 0, advmss: 0, initcwnd: 0, rtoMin: 0, lock: 0 };
  /** rt_genid at creation. */
  genid: number;
  /** rt_is_input_route */
  isInput: boolean;
  /** Time (jiffies) after which a learnt pmtu lapses; 0 for none. */
  pmtuExpires = 0;

  constructor(net: Net, dev: NetDevice, type: number, flags: number, isInput: boolean) {
    this.dev = dev;
    this.rtType = type;
    this.flags = flags;
    this.isInput = isInput;
    this.genid = ipv4Net(net).rtGenid;
    this.input = dstDiscard;
    this.output = ipOutputDst;
  }
}

/** A struct fib_nh_exception: a learnt path MTU for one destination. */
export interface FibNhException {
  daddr: number;
  pmtu: number;
  expires: number;
  fi: FibInfo | null;
  rth: Rtable | null;
}

/** dst_discard: a route that can only drop (input on an output-only route and vice versa). */
export function dstDiscard(skb: SkBuff): number {
  kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
  return 0;
}

/** dst->output for IPv4 routes: ip_output with the net and socket of the skb. */
export function ipOutputDst(skb: SkBuff): number {
  return ipOutput(skb.dst!.dev.ndNet, skb.sk, skb);
}

export { dstMtu };

/** __sk_dst_check: a dst still valid after all the route changes since it was made. */
export function dstCheck(dst: DstEntry | null): boolean {
  if (dst === null || dst.obsolete) return false;
  const r = dst as Rtable;
  if (r.genid !== undefined && r.genid !== ipv4Net(dst.dev.ndNet).rtGenid) {
    dst.obsolete = true;
    return false;
  }
  if (r.pmtuExpires !== 0 && jiffies(dst.dev.ndNet) > r.pmtuExpires) {
    dst.obsolete = true;
    return false;
  }
  return true;
}

/** rt_cache_flush: every cached dst becomes obsolete (rt_genid_bump_ipv4). */
export function rtCacheFlush(net: Net): void {
  const ip = net.gen.ipv4;
  if (ip === undefined) return;
  ip.rtGenid++;
  for (const rt of ip.rtCached) rt.obsolete = true;
  ip.rtCached.clear();
  miscCache.delete(net);
  for (const f of ip.fnhe.values()) f.rth = null;
}

// Per-net caches of the routes that have no fib_info to hang on (broadcast, errors, on-link).
const miscCache = new WeakMap<Net, Map<number, Rtable>>();

function cacheMisc(net: Net, key: number, rt: Rtable): Rtable {
  let m = miscCache.get(net);
  if (m === undefined) {
    m = new Map();
    miscCache.set(net, m);
  }
  m.set(key, rt);
  ipv4Net(net).rtCached.add(rt);
  return rt;
}

function getMisc(net: Net, key: number): Rtable | null {
  const rt = miscCache.get(net)?.get(key);
  return rt !== undefined && !rt.obsolete ? rt : null;
}

function loopbackDev(net: Net): NetDevice | null {
  const ip = ipv4Net(net);
  if (ip.loopbackDev === null || !ip.loopbackDev.registered) {
    ip.loopbackDev = net.devices.find((d) => (d.flags & IFF_LOOPBACK) !== 0 && d.registered) ?? null;
  }
  return ip.loopbackDev;
}

function fiMetrics(rt: Rtable, fi: FibInfo | null): void {
  if (fi === null) return;
  rt.metrics.mtu = fi.metrics.mtu;
  rt.metrics.advmss = fi.metrics.advmss;
  rt.metrics.initcwnd = fi.metrics.initcwnd;
  rt.metrics.lock = fi.metrics.lock;
  rt.prefSrc = fi.prefsrc;
  // rt_set_nexthop: a gateway only when the next hop is not on-link.
  if (fi.nhScope === RT_SCOPE_UNIVERSE) rt.gateway = fi.gw;
}

// ---- input ----

/** Why the last failed input lookup failed, for ip_rcv_finish's drop reason. */
export let rtInputDropReason: number = SKB_DROP_REASON.NOT_SPECIFIED;

const resIn: FibResult = newFibResult();

function martian(reason: number): number {
  rtInputDropReason = reason;
  return -EINVAL;
}

/**
 * ip_route_input_noref / ip_route_input_slow: attach skb.dst with input = ipLocalDeliver,
 * ipForward or ipError. 0, or -errno and the packet should be dropped (rtInputDropReason).
 */
export function ipRouteInputNoref(skb: SkBuff, daddr: number, saddr: number, tos: number, dev: NetDevice): number {
  const net = dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'ipRouteInputNoref');
  const ip = ipv4Net(net);
  if (inDevGet(dev) === null) return martian(SKB_DROP_REASON.NOT_SPECIFIED);
  if (ipv4IsMulticast(daddr)) return martian(SKB_DROP_REASON.IP_INADDRERRORS);
  if (ipv4IsLbcast(daddr) || (saddr === 0 && daddr === 0)) return brdInput(skb, net, saddr, dev);
  // RFC 1812 §5.3.7: martian sources and destinations are never routed.
  if (ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr) || ipv4IsZeronet(saddr)) return martian(SKB_DROP_REASON.IP_INADDRERRORS);
  if (ipv4IsZeronet(daddr)) return martian(SKB_DROP_REASON.IP_INADDRERRORS);
  if (!(dev.flags & IFF_LOOPBACK) && (ipv4IsLoopback(daddr) || ipv4IsLoopback(saddr))) {
    return martian(SKB_DROP_REASON.IP_INADDRERRORS);
  }
  let err = fibLookup(net, daddr, tos & IPTOS_RT_MASK, 0, RT_SCOPE_UNIVERSE, resIn);
  if (err !== 0) {
    if (!ip.sysctl.ipForward) err = -EHOSTUNREACH;
    return noRoute(skb, net, err);
  }
  if (resIn.type === RTN_BROADCAST) return brdInput(skb, net, saddr, dev);
  if (resIn.type === RTN_LOCAL) {
    // accept_local 0: a packet from the wire claiming one of our addresses is spoofed.
    if (!(dev.flags & IFF_LOOPBACK) && inetAddrType(net, saddr) === RTN_LOCAL) return martian(SKB_DROP_REASON.IP_INADDRERRORS);
    if (fibValidateSource(net, saddr, dev, ip.sysctl.rpFilter) !== 0) return rpFail();
    const fi = resIn.fi!;
    let rt = fi.rthInput;
    if (rt === null || rt.obsolete) {
      rt = new Rtable(net, loopbackDev(net) ?? dev, RTN_LOCAL, RTCF_LOCAL, true);
      rt.input = ipLocalDeliver;
      rt.prefSrc = fi.prefsrc;
      fi.rthInput = rt;
      ip.rtCached.add(rt);
    }
    skb.dst = rt;
    return 0;
  }
  if (!ip.sysctl.ipForward) return noRoute(skb, net, -EHOSTUNREACH);
  if (resIn.type !== RTN_UNICAST) return martian(SKB_DROP_REASON.IP_INADDRERRORS);
  if (fibValidateSource(net, saddr, dev, ip.sysctl.rpFilter) !== 0) return rpFail();
  const fi = resIn.fi!;
  let rt = fi.rthInput;
  if (rt === null || rt.obsolete) {
    rt = new Rtable(net, fi.dev!, RTN_UNICAST, 0, true);
    rt.input = ipForward;
    rt.output = ipOutputDst;
    fiMetrics(rt, fi);
    fi.rthInput = rt;
    ip.rtCached.add(rt);
  }
  skb.dst = rt;
  return 0;
}

function rpFail(): number {
  rtInputDropReason = SKB_DROP_REASON.IP_RPFILTER;
  return -EXDEV;
}

function brdInput(skb: SkBuff, net: Net, saddr: number, dev: NetDevice): number {
  if (skb.protocol !== ETH_P_IP) return martian(SKB_DROP_REASON.NOT_SPECIFIED);
  if (saddr !== 0 && (ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr) || ipv4IsZeronet(saddr))) {
    return martian(SKB_DROP_REASON.IP_INADDRERRORS);
  }
  const ip = ipv4Net(net);
  let rt = getMisc(net, 1 << 20);
  if (rt === null) {
    rt = new Rtable(net, loopbackDev(net) ?? dev, RTN_BROADCAST, RTCF_BROADCAST | RTCF_LOCAL, true);
    rt.input = ipLocalDeliver;
    cacheMisc(net, 1 << 20, rt);
  }
  ip.mib.ipExt.InBcastPkts++;
  skb.dst = rt;
  return 0;
}

/** no_route: a dst whose input is ip_error, carrying the (positive) errno. */
function noRoute(skb: SkBuff, net: Net, err: number): number {
  const key = (2 << 20) | -err;
  let rt = getMisc(net, key);
  if (rt === null) {
    rt = new Rtable(net, loopbackDev(net) ?? skb.dev!, RTN_UNREACHABLE, 0, true);
    rt.input = ipError;
    rt.error = -err;
    cacheMisc(net, key, rt);
  }
  skb.dst = rt;
  return 0;
}

/**
 * ip_error: a packet for which there is no route. A host (forwarding off) only counts and
 * drops; a router answers with ICMP (blackhole routes stay silent).
 */
export function ipError(skb: SkBuff): number {
  const rt = skb.dst!;
  const net = (skb.dev ?? rt.dev).ndNet;
  const ip = ipv4Net(net);
  if (!ip.sysctl.ipForward) {
    if (rt.error === EHOSTUNREACH) {
      ip.mib.ip.InAddrErrors++;
      kfreeSkbReason(skb, SKB_DROP_REASON.IP_INADDRERRORS);
    } else if (rt.error === ENETUNREACH) {
      ip.mib.ipExt.InNoRoutes++;
      kfreeSkbReason(skb, SKB_DROP_REASON.IP_INNOROUTES);
    } else {
      kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
    }
    return 0;
  }
  let code: number;
  switch (rt.error) {
    case EHOSTUNREACH:
      code = ICMP_HOST_UNREACH;
      ip.mib.ip.InAddrErrors++;
      break;
    case ENETUNREACH:
      code = ICMP_NET_UNREACH;
      ip.mib.ipExt.InNoRoutes++;
      break;
    case EACCES:
      code = ICMP_PKT_FILTERED;
      break;
    default:
      kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
      return 0;
  }
  icmpSend(skb, ICMP_DEST_UNREACH, code, 0);
  kfreeSkbReason(skb, rt.error === ENETUNREACH ? SKB_DROP_REASON.IP_INNOROUTES : SKB_DROP_REASON.IP_INADDRERRORS);
  return 0;
}

// ---- output ----

const resOut: FibResult = newFibResult();

/**
 * ip_route_output_key (ip_route_output_key_hash_rcu + __mkroute_output): a dst for `fl4`, or
 * -errno. Fills fl4.saddr (and fl4.daddr for a wildcard destination).
 */
export function ipRouteOutputKey(net: Net, fl4: Flowi4): Rtable | number {
  const tos = fl4.tos & IPTOS_RT_MASK;
  let saddr = fl4.saddr;
  let daddr = fl4.daddr;
  let devOut: NetDevice | null = null;
  let type = RTN_UNICAST;
  let fi: FibInfo | null = null;
  if (saddr !== 0) {
    if (ipv4IsMulticast(saddr) || ipv4IsLbcast(saddr) || ipv4IsZeronet(saddr)) return -EINVAL;
    if (inetAddrType(net, saddr) !== RTN_LOCAL) return -EINVAL;
  }
  if (fl4.oif !== 0) {
    devOut = net.devByIndex[fl4.oif] ?? null;
    if (devOut === null) return -ENODEV;
    if (!(devOut.flags & IFF_UP)) return -ENETUNREACH;
    if (ipv4IsLbcast(daddr) || ipv4IsMulticast(daddr)) {
      if (saddr === 0) saddr = inetSelectAddr(devOut, 0, RT_SCOPE_LINK);
      return makeRoute(net, fl4, daddr, saddr, devOut, null, ipv4IsLbcast(daddr) ? RTN_BROADCAST : RTN_MULTICAST);
    }
    if (saddr === 0 && daddr === 0) saddr = inetSelectAddr(devOut, 0, RT_SCOPE_HOST);
  }
  if (daddr === 0) {
    daddr = saddr !== 0 ? saddr : (saddr = INADDR_LOOPBACK);
    devOut = loopbackDev(net);
    if (devOut === null) return -ENETUNREACH;
    return makeRoute(net, fl4, daddr, saddr, devOut, null, RTN_LOCAL);
  }
  const err = fibLookup(net, daddr, tos, fl4.oif, RT_SCOPE_UNIVERSE, resOut);
  if (err !== 0) {
    if (fl4.oif !== 0 && devOut !== null) {
      // No route but an explicit device: assume the destination is on that link.
      if (saddr === 0) saddr = inetSelectAddr(devOut, 0, RT_SCOPE_LINK);
      return makeRoute(net, fl4, daddr, saddr, devOut, null, RTN_UNICAST);
    }
    return err;
  }
  type = resOut.type;
  fi = resOut.fi;
  if (type === RTN_LOCAL) {
    if (saddr === 0) saddr = fi!.prefsrc !== 0 ? fi!.prefsrc : daddr;
    devOut = loopbackDev(net) ?? fi!.dev;
    if (devOut === null) return -ENETUNREACH;
    return makeRoute(net, fl4, daddr, saddr, devOut, fi, RTN_LOCAL);
  }
  devOut = fi!.dev!;
  if (saddr === 0) saddr = fi!.prefsrc !== 0 ? fi!.prefsrc : inetSelectAddr(devOut, fi!.gw, resOut.scope);
  return makeRoute(net, fl4, daddr, saddr, devOut, fi, type);
}

function makeRoute(net: Net, fl4: Flowi4, daddr: number, saddr: number, devOut: NetDevice, fi: FibInfo | null, type: number): Rtable | number {
  const ip = ipv4Net(net);
  if (ipv4IsLbcast(daddr)) type = RTN_BROADCAST;
  else if (ipv4IsMulticast(daddr)) type = RTN_MULTICAST;
  else if (ipv4IsZeronet(daddr)) return -EINVAL;
  let flags = 0;
  if (devOut.flags & IFF_LOOPBACK) flags |= RTCF_LOCAL;
  if (type === RTN_LOCAL) flags |= RTCF_LOCAL;
  if (type === RTN_BROADCAST) {
    flags |= RTCF_BROADCAST | RTCF_LOCAL;
    fi = null;
  } else if (type === RTN_MULTICAST) {
    flags |= RTCF_MULTICAST;
    fi = null;
  }
  fl4.saddr = saddr;
  fl4.daddr = daddr;
  if (fi !== null) {
    const ex = ip.fnhe.get(daddr);
    if (ex !== undefined && ex.fi === fi) {
      if (jiffies(net) > ex.expires) ip.fnhe.delete(daddr);
      else {
        if (ex.rth === null || ex.rth.obsolete) {
          const r = newOutputRt(net, devOut, type, flags, fi);
          r.pmtu = ex.pmtu;
          r.pmtuExpires = ex.expires;
          ex.rth = r;
          ip.rtCached.add(r);
        }
        return ex.rth;
      }
    }
    let rt = fi.rthOutput;
    if (rt === null || rt.obsolete || rt.dev !== devOut) {
      rt = newOutputRt(net, devOut, type, flags, fi);
      fi.rthOutput = rt;
      ip.rtCached.add(rt);
    }
    return rt;
  }
  const key = (3 << 20) | (type << 16) | devOut.ifindex;
  let rt = getMisc(net, key);
  if (rt === null) rt = cacheMisc(net, key, newOutputRt(net, devOut, type, flags, null));
  return rt;
}

function newOutputRt(net: Net, dev: NetDevice, type: number, flags: number, fi: FibInfo | null): Rtable {
  const rt = new Rtable(net, dev, type, flags, false);
  rt.output = ipOutputDst;
  if (flags & RTCF_LOCAL) rt.input = ipLocalDeliver;
  fiMetrics(rt, fi);
  return rt;
}

/** ip_route_output_flow: the same for a socket's flow (no xfrm here). */
export function ipRouteOutputFlow(net: Net, fl4: Flowi4, _sk: Sock | null): Rtable | number {
  return ipRouteOutputKey(net, fl4);
}

/** ip_route_output_ports: fill the flow from its parts, then route it. */
export function ipRouteOutputPorts(
  net: Net, fl4: Flowi4, sk: Sock | null, daddr: number, saddr: number, dport: number, sport: number,
  proto: number, tos: number, oif: number,
): Rtable | number {
  fl4.daddr = daddr;
  fl4.saddr = saddr;
  fl4.dport = dport;
  fl4.sport = sport;
  fl4.proto = proto;
  fl4.tos = tos;
  fl4.oif = oif;
  fl4.mark = sk !== null ? sk.skMark : 0;
  return ipRouteOutputFlow(net, fl4, sk);
}

// ---- PMTU ----

/**
 * __ip_rt_update_pmtu: remember a smaller path MTU for `daddr` for route.mtu_expires, never
 * below route.min_pmtu (RFC 1191 §3; Linux clamps rather than trusting tiny values).
 */
export function ipv4UpdatePmtu(net: Net, daddr: number, mtu: number): void {
  const ip = ipv4Net(net);
  const fl4 = newFlowi4();
  fl4.daddr = daddr;
  const rt = ipRouteOutputKey(net, fl4);
  if (typeof rt === 'number' || rt.flags & RTCF_LOCAL) return;
  // A locked MTU is the administrator's: ICMP "fragmentation needed" does not lower it.
  if (dstMetricLocked(rt, RTAX_MTU)) return;
  if (mtu < ip.sysctl.ipRtMinPmtu) mtu = ip.sysctl.ipRtMinPmtu;
  if (dstMtu(rt) <= mtu) return;
  const fi = resOut.fi;
  const expires = jiffies(net) + ip.sysctl.ipRtMtuExpires * 1000;
  ip.fnhe.set(daddr, { daddr, pmtu: mtu, expires, fi, rth: null });
  // Sockets holding the shared next-hop dst must look up again to find the exception.
  rt.obsolete = true;
  if (fi !== null && fi.rthOutput === rt) fi.rthOutput = null;
}

/** ipv4_link_failure: tell the sender the next hop could not be resolved. */
export function ipv4LinkFailure(skb: SkBuff): void {
  if (skb.dst === null) return;
  icmpSend(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
}

// ---- ip route get ----

export interface RouteGetResult {
  type: string;
  dst: string;
  dev: string;
  gateway: string | null;
  prefsrc: string;
  mtu: number;
  flags: string[];
}

/** `ip route get daddr [from saddr] [oif dev]`: the output route, or -errno. */
export function ipRouteGet(net: Net, daddr: number | string, opts: { saddr?: number | string; oif?: NetDevice | number } = {}): RouteGetResult | number {
  const fl4 = newFlowi4();
  fl4.daddr = typeof daddr === 'number' ? daddr >>> 0 : inetAton(daddr);
  fl4.saddr = opts.saddr === undefined ? 0 : typeof opts.saddr === 'number' ? opts.saddr >>> 0 : inetAton(opts.saddr);
  fl4.oif = opts.oif === undefined ? 0 : typeof opts.oif === 'number' ? opts.oif : opts.oif.ifindex;
  if (fl4.daddr < 0 || fl4.saddr < 0) return -EINVAL;
  const rt = ipRouteOutputKey(net, fl4);
  if (typeof rt === 'number') return rt;
  const flags: string[] = [];
  if (rt.flags & RTCF_LOCAL) flags.push('local');
  if (rt.flags & RTCF_BROADCAST) flags.push('broadcast');
  return {
    type: RTN_NAMES[rt.rtType] ?? String(rt.rtType),
    dst: inetNtoa(fl4.daddr),
    dev: rt.dev.name,
    gateway: rt.gateway ? inetNtoa(rt.gateway) : null,
    prefsrc: inetNtoa(fl4.saddr),
    mtu: dstMtu(rt),
    flags,
  };
}
