// net/ipv4/ip_output.c: ip_queue_xmit → ip_local_out → ip_output → ip_finish_output
// (ip_fragment above the MTU) → ip_finish_output2 → the neighbour.
import type { DstEntry, Flowi4, InetConnectionSockAfOps, Net, SkBuff, Sock } from '@knet/include';
import {
  EHOSTUNREACH, EINVAL, EMSGSIZE, ETH_P_IP, IPPROTO_TCP, IP_PMTUDISC_DO, IP_PMTUDISC_WANT,
  NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, RTN_LOCAL, SKB_DROP_REASON,
  RTAX_MTU, dstMetricLocked,
} from '@knet/include';
import {
  allocSkb, consumeSkb, kfreeSkbReason, memcpy, pskbExpandHead, skbCopyBits, skbHeadroom, skbPush, skbPut,
  skbReserve,
} from '@knet/skbuff';
import { traceEvent } from '@knet/netdevice';
import { dstOutput } from './dst.js';
import {
  IPV4_HLEN, IP_DF, IP_MF, IP_OFFSET, ipHdrBuild, ipHdrDaddr, ipHdrFragOff, ipHdrLen, ipHdrSetFragOff,
  ipHdrSetTotLen, ipOptionsFragment, ipSendCheck,
} from './ip_hdr.js';
import { NF_HOOK, nfHook } from './netfilter.js';
import { ipIcmpError, ipLocalError } from './ip_sockglue.js';
import { ipv4Net, newFlowi4 } from './netns_ipv4.js';
import { dstCheck, dstMtu, ipRouteOutputKey, ipRouteOutputPorts } from './route.js';
import { inetAddrType } from './fib_frontend.js';
import { icmpSend, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED } from './icmp.js';

export type IpOutputFn = (net: Net, sk: Sock | null, skb: SkBuff) => number;

// ---- IP ID (ip_idents) ----

export const IP_IDENTS_SZ = 2048;

/**
 * ip_idents_reserve: IDs come from one of 2048 counters picked by a keyed hash of
 * (daddr, saddr, protocol), so a destination cannot learn another's sequence (RFC 6864 §4.1).
 */
export function ipIdentsReserve(net: Net, daddr: number, saddr: number, proto: number, segs: number): number {
  const ip = ipv4Net(net);
  let h = Math.imul(daddr ^ ip.identSeed, 0x9e3779b1);
  h = Math.imul(h ^ saddr ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ proto ^ (h >>> 13), 0xc2b2ae35);
  const i = ((h ^ (h >>> 16)) >>> 0) % IP_IDENTS_SZ;
  const id = ip.ipIdents[i];
  ip.ipIdents[i] = (id + segs) >>> 0;
  return id & 0xffff;
}

/**
 * ip_select_ident_segs: a connected socket numbers its DF packets itself; other DF packets
 * carry 0 (RFC 6864: the ID only matters for fragments); the rest use ip_idents.
 */
export function ipSelectIdentSegs(net: Net, skb: SkBuff, sk: Sock | null, segs: number): void {
  const b = skb.head;
  const o = skb.networkHeader;
  let id: number;
  if (ipHdrFragOff(b, o) & IP_DF) {
    if (sk !== null && sk.inetDaddr !== 0) {
      id = sk.inetId & 0xffff;
      sk.inetId = (sk.inetId + segs) & 0xffff;
    } else {
      id = 0;
    }
  } else {
    id = ipIdentsReserve(net, ipHdrDaddr(b, o), (b[o + 12] << 24 | b[o + 13] << 16 | b[o + 14] << 8 | b[o + 15]) >>> 0, b[o + 9], segs);
  }
  b[o + 4] = id >>> 8;
  b[o + 5] = id & 0xff;
}

/**
 * ip_dont_fragment: DF unless the socket turned PMTU discovery off, or the route's MTU is
 * locked (`mtu lock`: the administrator fixed it, so there is nothing to discover).
 */
export function ipDontFragment(net: Net, sk: Sock | null, dst: DstEntry): boolean {
  if (sk === null) return false;
  if (sk.pmtudisc === IP_PMTUDISC_DO) return true;
  return sk.pmtudisc === IP_PMTUDISC_WANT && !ipv4Net(net).sysctl.ipNoPmtuDisc && !dstMetricLocked(dst, RTAX_MTU);
}

/** ip_select_ttl: the socket's IP_TTL, else ip_default_ttl. */
export function ipSelectTtl(net: Net, sk: Sock | null): number {
  if (sk !== null && sk.ucTtl > 0) return sk.ucTtl;
  return ipv4Net(net).sysctl.ipDefaultTtl;
}

/** Make room for `len` bytes in front of skb.data (skb_cow_head before a push). */
function ensureHeadroom(skb: SkBuff, len: number): boolean {
  const h = skbHeadroom(skb);
  return h >= len || pskbExpandHead(skb, len - h + 16, 0) === 0;
}

/** Push and fill a 20-byte header in front of the transport header at skb.data. */
function pushIpHeader(
  net: Net, skb: SkBuff, sk: Sock | null, tos: number, df: boolean, ttl: number, proto: number,
  saddr: number, daddr: number, fixedId: number,
): boolean {
  if (skb.transportHeader < 0 || skb.transportHeader !== skb.data) skb.transportHeader = skb.data;
  const rel = skb.transportHeader - skb.data;
  if (!ensureHeadroom(skb, IPV4_HLEN + 64)) return false;
  skb.transportHeader = skb.data + rel;
  const o = skbPush(skb, IPV4_HLEN);
  skb.networkHeader = o;
  ipHdrBuild(skb.head, o, 0, tos, skb.len, 0, df ? IP_DF : 0, ttl, proto, saddr, daddr);
  if (fixedId < 0) ipSelectIdentSegs(net, skb, sk, skb.shinfo.gsoSegs > 1 ? skb.shinfo.gsoSegs : 1);
  return true;
}

/**
 * ip_queue_xmit (__ip_queue_xmit): route by the skb's or the socket's cached dst (looked up
 * again if it went stale), push the header, ip_local_out.
 */
export function ipQueueXmit(sk: Sock, skb: SkBuff, fl: Flowi4 | null): number {
  const net = sk.skNet;
  if (net.trace !== null) traceEvent(net, 'ipQueueXmit');
  const ip = ipv4Net(net);
  let daddr = fl !== null ? fl.daddr : sk.inetDaddr;
  let saddr = fl !== null ? fl.saddr : sk.inetSaddr;
  let rt = skb.dst;
  if (rt === null) {
    let cached = sk.skDst;
    if (cached === null || !dstCheck(cached)) {
      sk.skDst = null;
      const fl4 = fl ?? ip.fl4;
      const r = ipRouteOutputPorts(net, fl4, sk, daddr, saddr, sk.inetDport, sk.inetSport, sk.skProtocol, sk.tos, sk.skBoundDevIf);
      if (typeof r === 'number') {
        ip.mib.ip.OutNoRoutes++;
        kfreeSkbReason(skb, SKB_DROP_REASON.IP_OUTNOROUTES);
        return -EHOSTUNREACH;
      }
      cached = r;
      sk.skDst = r;
      saddr = fl4.saddr;
      daddr = fl4.daddr;
    }
    rt = cached;
    skb.dst = rt;
  }
  if (saddr === 0) saddr = rt.prefSrc;
  if (!pushIpHeader(net, skb, sk, sk.tos, ipDontFragment(net, sk, rt), ipSelectTtl(net, sk), sk.skProtocol, saddr, daddr, -1)) {
    ip.mib.ip.OutDiscards++;
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return -EINVAL;
  }
  skb.priority = sk.skPriority;
  skb.mark = sk.skMark;
  return ipLocalOut(net, sk, skb);
}

/**
 * ip_build_and_send_pkt: the SYN-ACK path. The listener `sk` gives TTL, TOS and protocol;
 * without one the packet is taken to be TCP, its only user.
 */
export function ipBuildAndSendPkt(skb: SkBuff, sk: Sock | null, saddr: number, daddr: number, dst: DstEntry): number {
  const net = dst.dev.ndNet;
  const proto = sk !== null ? sk.skProtocol : IPPROTO_TCP;
  skb.dst = dst;
  if (!pushIpHeader(net, skb, sk, sk?.tos ?? 0, ipDontFragment(net, sk, dst), ipSelectTtl(net, sk), proto, saddr, daddr, -1)) {
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return -EINVAL;
  }
  if (sk !== null) {
    skb.priority = sk.skPriority;
    skb.mark = sk.skMark;
  }
  return ipLocalOut(net, sk, skb);
}

/**
 * ip_send_unicast_reply: a sockless reply (RST, TIME_WAIT ACK) whose L4 header is at
 * skb.data. Like Linux's per-net control socket it sets DF and ID 0.
 */
export function ipSendUnicastReply(
  net: Net, skb: SkBuff, saddr: number, daddr: number, protocol: number, tos: number, ttl: number, oif: number,
): number {
  const ip = ipv4Net(net);
  const fl4 = ip.fl4;
  const r = ipRouteOutputPorts(net, fl4, null, daddr, saddr, 0, 0, protocol, tos, oif);
  if (typeof r === 'number') {
    ip.mib.ip.OutNoRoutes++;
    kfreeSkbReason(skb, SKB_DROP_REASON.IP_OUTNOROUTES);
    return r;
  }
  skb.dst = r;
  if (!pushIpHeader(net, skb, null, tos, true, ttl > 0 ? ttl : ip.sysctl.ipDefaultTtl, protocol, fl4.saddr, daddr, 0)) {
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return -EINVAL;
  }
  return ipLocalOut(net, null, skb);
}

/** ip_local_out (__ip_local_out + dst_output): final length and checksum, NF LOCAL_OUT, dst.output. */
export function ipLocalOut(net: Net, sk: Sock | null, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'ipLocalOut');
  const ip = ipv4Net(net);
  const o = skb.networkHeader;
  ipHdrSetTotLen(skb.head, o, skb.len > 0xffff ? 0 : skb.len);
  ipSendCheck(skb.head, o);
  skb.protocol = ETH_P_IP;
  ip.mib.ip.OutRequests++;
  const r = nfHook(NF_INET_LOCAL_OUT, net, sk, skb, null, skb.dst!.dev);
  if (r !== 1) return r;
  return dstOutput(skb);
}

/** ip_output: NF POST_ROUTING, then ip_finish_output. */
export function ipOutput(net: Net, sk: Sock | null, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'ipOutput');
  const dev = skb.dst!.dev;
  skb.dev = dev;
  skb.protocol = ETH_P_IP;
  ipv4Net(net).mib.ipExt.OutOctets += skb.len;
  return NF_HOOK(NF_INET_POST_ROUTING, net, sk, skb, null, dev, ipFinishOutput);
}

/** ip_finish_output: fragment above the MTU; GSO packets are segmented later by the device layer. */
export function ipFinishOutput(net: Net, sk: Sock | null, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'ipFinishOutput');
  const mtu = dstMtu(skb.dst!);
  if (skb.shinfo.gsoSize !== 0) return ipFinishOutput2(net, sk, skb);
  if (skb.len > mtu || (skb.cb.fragMaxSize !== 0 && skb.len > skb.cb.fragMaxSize)) {
    return ipFragment(net, sk, skb, mtu, ipFinishOutput2);
  }
  return ipFinishOutput2(net, sk, skb);
}

/** ip_finish_output2: find or create the next hop's neighbour and let it send. */
export function ipFinishOutput2(net: Net, _sk: Sock | null, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'ipFinishOutput2');
  const ip = ipv4Net(net);
  const rt = skb.dst!;
  const dev = rt.dev;
  ip.mib.ip.OutTransmits++;
  const hh = dev.hardHeaderLen + dev.neededHeadroom;
  if (skbHeadroom(skb) < hh && !ensureHeadroom(skb, hh)) {
    ip.mib.ip.OutDiscards++;
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return -EINVAL;
  }
  const nexthop = rt.gateway !== 0 ? rt.gateway : ipHdrDaddr(skb.head, skb.networkHeader);
  const tbl = ip.neighTable;
  let n = tbl.lookup(nexthop, dev);
  if (n === null) {
    const c = tbl.create(nexthop, dev);
    if (typeof c === 'number') {
      kfreeSkbReason(skb, SKB_DROP_REASON.NEIGH_CREATEFAIL);
      return -EINVAL;
    }
    n = c;
  }
  return n.output(n, skb);
}

/**
 * ip_fragment: DF packets that do not fit are refused with ICMP fragmentation needed
 * (RFC 1191), the rest are cut up.
 */
export function ipFragment(net: Net, sk: Sock | null, skb: SkBuff, mtu: number, output: IpOutputFn): number {
  if (!(ipHdrFragOff(skb.head, skb.networkHeader) & IP_DF)) return ipDoFragment(net, sk, skb, mtu, output);
  ipv4Net(net).mib.ip.FragFails++;
  icmpSend(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
  kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_BIG);
  return -EMSGSIZE;
}

/**
 * ip_do_fragment (the slow path): fragments of at most `mtu` bytes, data lengths a multiple
 * of 8 except the last (RFC 791 §3.2). Options without the copied flag go only in the first.
 */
export function ipDoFragment(net: Net, sk: Sock | null, skb: SkBuff, mtu: number, output: IpOutputFn): number {
  const ip = ipv4Net(net);
  const b = skb.head;
  const o = skb.networkHeader;
  const hlen = ipHdrLen(b, o);
  const room = (mtu - hlen) & ~7;
  if (room < 8) {
    ip.mib.ip.FragFails++;
    kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_BIG);
    return -EINVAL;
  }
  const dev = skb.dst!.dev;
  const llRs = ((dev.hardHeaderLen + dev.neededHeadroom + 15) & ~15) + 16;
  const start = o - skb.data;
  let ptr = start + hlen;
  let left = skb.len - ptr;
  const origFrag = ipHdrFragOff(b, o);
  let offset = (origFrag & IP_OFFSET) << 3;
  const notLast = (origFrag & IP_MF) !== 0;
  let err = 0;
  let first = true;
  while (left > 0) {
    let len = left;
    if (len > mtu - hlen) len = room;
    const f = allocSkb(llRs + hlen + len);
    skbReserve(f, llRs);
    const fo = skbPut(f, hlen + len);
    f.networkHeader = fo;
    f.transportHeader = fo + hlen;
    f.dev = skb.dev;
    f.dst = skb.dst;
    f.protocol = skb.protocol;
    f.priority = skb.priority;
    f.mark = skb.mark;
    f.tstamp = skb.tstamp;
    memcpy(f.head, fo, b, o, hlen);
    skbCopyBits(skb, ptr, f.head, fo + hlen, len);
    left -= len;
    ipHdrSetFragOff(f.head, fo, (offset >> 3) | (left > 0 || notLast ? IP_MF : 0));
    ipHdrSetTotLen(f.head, fo, hlen + len);
    ipSendCheck(f.head, fo);
    if (first && hlen > IPV4_HLEN) ipOptionsFragment(b, o);
    first = false;
    ptr += len;
    offset += len;
    ip.mib.ip.FragCreates++;
    err = output(net, sk, f);
    if (err < 0) break;
  }
  if (err < 0) {
    ip.mib.ip.FragFails++;
    kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
    return err;
  }
  ip.mib.ip.FragOKs++;
  consumeSkb(skb);
  return 0;
}

/** The IPv4 half of inet_connection_sock_af_ops (ipv4_specific), and UDP's output calls. */
export const ipv4AfOps: InetConnectionSockAfOps = Object.freeze({
  name: 'ipv4_specific',
  netHeaderLen: IPV4_HLEN,
  queueXmit: ipQueueXmit,
  routeOutput: (net: Net, fl: Flowi4) => ipRouteOutputKey(net, fl),
  buildAndSendPkt: ipBuildAndSendPkt,
  sendUnicastReply: ipSendUnicastReply,
  isLocalAddr: (net: Net, addr: number) => inetAddrType(net, addr) === RTN_LOCAL,
  icmpError: ipIcmpError,
  localError: ipLocalError,
});

export { newFlowi4 };
