// net/ipv4/icmp.c: ICMP (RFC 792) with the RFC 1122 §3.2.2 rules for errors, Linux's two
// rate limiters, echo replies and the delivery of errors to transports. Ping sockets and
// raw sockets are out of scope; `icmpEchoSend` and `icmpEchoReplyHook` serve the CLI's ping.
import type { Net, NetProtocol, SkBuff } from '@knet/include';
import {
  CHECKSUM_UNNECESSARY, IFF_LOOPBACK, IPPROTO_ICMP, NET_RX_DROP, NET_RX_SUCCESS, PACKET_HOST, RTCF_BROADCAST,
  RTCF_LOCAL, RTCF_MULTICAST, SKB_DROP_REASON,
} from '@knet/include';
import {
  allocSkb, consumeSkb, csumFold, csumPartial, getUint16, kfreeSkbReason, memcpy, pskbMayPull, putUint16,
  putUint32, skbChecksum, skbCopyBits, skbPull, skbPush, skbPut, skbReserve,
} from '@knet/skbuff';
import { jiffies } from '@knet/softirq';
import { traceEvent } from '@knet/netdevice';
import {
  IPTOS_PREC_INTERNETCONTROL, IPTOS_TOS_MASK, IPV4_HLEN, IP_OFFSET, ipHdrBuild, ipHdrDaddr, ipHdrFragOff,
  ipHdrLen, ipHdrProtocol, ipHdrSaddr, ipHdrTos, ipHdrTtl, ipHdrIhl,
} from './ip_hdr.js';
import { ipv4Net, newFlowi4 } from './netns_ipv4.js';
import { dstMtu, ipRouteOutputKey, ipv4UpdatePmtu } from './route.js';
import { ipIdentsReserve, ipLocalOut } from './ip_output.js';
import { icmpMsgInInc, icmpMsgOutInc } from './proc.js';

// include/uapi/linux/icmp.h
export const ICMP_ECHOREPLY = 0, ICMP_DEST_UNREACH = 3, ICMP_SOURCE_QUENCH = 4, ICMP_REDIRECT = 5,
  ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11, ICMP_PARAMETERPROB = 12, ICMP_TIMESTAMP = 13,
  ICMP_TIMESTAMPREPLY = 14, ICMP_INFO_REQUEST = 15, ICMP_INFO_REPLY = 16, ICMP_ADDRESS = 17,
  ICMP_ADDRESSREPLY = 18, NR_ICMP_TYPES = 18;
export const ICMP_NET_UNREACH = 0, ICMP_HOST_UNREACH = 1, ICMP_PROT_UNREACH = 2, ICMP_PORT_UNREACH = 3,
  ICMP_FRAG_NEEDED = 4, ICMP_SR_FAILED = 5, ICMP_NET_UNKNOWN = 6, ICMP_HOST_UNKNOWN = 7,
  ICMP_HOST_ISOLATED = 8, ICMP_NET_ANO = 9, ICMP_HOST_ANO = 10, ICMP_NET_UNR_TOS = 11,
  ICMP_HOST_UNR_TOS = 12, ICMP_PKT_FILTERED = 13, ICMP_PREC_VIOLATION = 14, ICMP_PREC_CUTOFF = 15,
  NR_ICMP_UNREACH = 15;
export const ICMP_EXC_TTL = 0, ICMP_EXC_FRAGTIME = 1;
export const ICMP_HLEN = 8;

/** icmp_pointers[].error: the types that are error messages (never answered with errors). */
function icmpIsError(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB;
}

// ---- wire view (offsets from the ICMP header) ----
export const icmpType = (b: Uint8Array, o: number) => b[o];
export const icmpCode = (b: Uint8Array, o: number) => b[o + 1];
export const icmpChecksum = (b: Uint8Array, o: number) => getUint16(b, o + 2);
export const icmpEchoId = (b: Uint8Array, o: number) => getUint16(b, o + 4);
export const icmpEchoSeq = (b: Uint8Array, o: number) => getUint16(b, o + 6);
/** un.frag.mtu of a fragmentation-needed message (RFC 1191 §4). */
export const icmpFragMtu = (b: Uint8Array, o: number) => getUint16(b, o + 6);

/** Fill the checksum of `len` bytes of ICMP at `o`. */
export function icmpSetChecksum(b: Uint8Array, o: number, len: number): void {
  b[o + 2] = 0;
  b[o + 3] = 0;
  putUint16(b, o + 2, csumFold(csumPartial(b, o, len, 0)));
}

export interface EchoReply {
  saddr: number;
  daddr: number;
  id: number;
  seq: number;
  ttl: number;
  /** ICMP payload bytes after the 8-byte header. */
  len: number;
}

interface Peer {
  tokens: number;
  last: number;
}

export interface IcmpState {
  /** inet_peer rate_tokens / rate_last per destination. */
  peers: Map<number, Peer>;
  /** icmp_global: credit and stamp. */
  credit: number;
  stamp: number;
  echoHooks: ((r: EchoReply) => void)[];
  fl4: ReturnType<typeof newFlowi4>;
}

export function icmpStateInit(burst: number): IcmpState {
  return { peers: new Map(), credit: burst, stamp: 0, echoHooks: [], fl4: newFlowi4() };
}

const XRLIM_BURST_FACTOR = 6;
const PEERS_MAX = 4096;

/** icmpv4_mask_allow: types outside icmp_ratemask, and PMTU messages, are never limited. */
function icmpv4MaskAllow(net: Net, type: number, code: number): boolean {
  if (type > NR_ICMP_TYPES) return true;
  if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) return true;
  return ((1 << type) & ipv4Net(net).sysctl.icmpRatemask) === 0;
}

/** icmp_global_allow: a token bucket of icmp_msgs_per_sec, depth icmp_msgs_burst. */
function icmpv4GlobalAllow(net: Net, type: number, code: number): boolean {
  if (icmpv4MaskAllow(net, type, code)) return true;
  const ip = ipv4Net(net);
  const st = ip.icmp;
  const now = jiffies(net);
  const delta = Math.min(now - st.stamp, 1000);
  if (delta >= 20) {
    const incr = Math.floor((ip.sysctl.icmpMsgsPerSec * delta) / 1000);
    if (incr > 0) {
      st.credit = Math.min(st.credit + incr, ip.sysctl.icmpMsgsBurst);
      st.stamp = now;
    }
  }
  if (st.credit > 0) {
    st.credit--;
    return true;
  }
  ip.mib.icmp.OutRateLimitGlobal++;
  return false;
}

/** icmpv4_xrlim_allow + inet_peer_xrlim_allow: per destination, one per icmp_ratelimit ms, burst 6. */
function icmpv4XrlimAllow(net: Net, daddr: number, loopback: boolean, type: number, code: number): boolean {
  if (icmpv4MaskAllow(net, type, code) || loopback) return true;
  const ip = ipv4Net(net);
  const timeout = ip.sysctl.icmpRatelimit;
  const now = jiffies(net);
  let p = ip.icmp.peers.get(daddr);
  if (p === undefined) {
    if (ip.icmp.peers.size >= PEERS_MAX) ip.icmp.peers.delete(ip.icmp.peers.keys().next().value as number);
    p = { tokens: 0, last: now - 60_000 };
    ip.icmp.peers.set(daddr, p);
  }
  let token = p.tokens + (now - p.last);
  p.last = now;
  if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
  let ok = false;
  if (token >= timeout) {
    token -= timeout;
    ok = true;
  }
  p.tokens = token;
  if (!ok) ip.mib.icmp.OutRateLimitHost++;
  return ok;
}

/** Copy `len` bytes starting at the network header (which may lie before skb.data). */
function copyFromNh(skb: SkBuff, to: Uint8Array, toOff: number, len: number): boolean {
  const nh = skb.networkHeader;
  const linear = skb.tail - nh;
  const first = len < linear ? len : linear;
  memcpy(to, toOff, skb.head, nh, first);
  if (first === len) return true;
  return skbCopyBits(skb, skb.tail - skb.data, to, toOff + first, len - first) === 0;
}

/**
 * icmp_send (__icmp_send): an error about `skbIn`, whose networkHeader is the offending IP
 * header. RFC 1122 §3.2.2: never about an ICMP error, a non-first fragment, or a packet sent
 * to a broadcast or multicast address; the reply quotes at most 576 bytes in total.
 * `info` fills the 32-bit field after the checksum (the MTU for ICMP_FRAG_NEEDED).
 */
export function icmpSend(skbIn: SkBuff, type: number, code: number, info: number): void {
  const rt = skbIn.dst;
  if (rt === null) return;
  const net = rt.dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'icmpSend');
  const ip = ipv4Net(net);
  const b = skbIn.head;
  const nh = skbIn.networkHeader;
  if (nh < 0 || nh + IPV4_HLEN > skbIn.tail) return;
  if (skbIn.pktType !== PACKET_HOST) return;
  if (rt.flags & (RTCF_BROADCAST | RTCF_MULTICAST)) return;
  if (ipHdrFragOff(b, nh) & IP_OFFSET) return;
  const ihl = ipHdrLen(b, nh);
  if (icmpIsError(type) && ipHdrProtocol(b, nh) === IPPROTO_ICMP) {
    if (nh + ihl + 1 > skbIn.tail) return;
    const inner = b[nh + ihl];
    if (inner > NR_ICMP_TYPES || icmpIsError(inner)) return;
  }
  if (!icmpv4GlobalAllow(net, type, code)) return;
  const fl4 = ip.icmp.fl4;
  fl4.daddr = ipHdrSaddr(b, nh);
  fl4.saddr = rt.flags & RTCF_LOCAL ? ipHdrDaddr(b, nh) : 0;
  fl4.tos = icmpIsError(type) ? (ipHdrTos(b, nh) & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL : ipHdrTos(b, nh);
  fl4.proto = IPPROTO_ICMP;
  fl4.oif = 0;
  fl4.sport = fl4.dport = 0;
  let rt2 = ipRouteOutputKey(net, fl4);
  if (typeof rt2 === 'number' && fl4.saddr !== 0) {
    // Our address on the offending packet may be unusable as a source (a broadcast): let routing pick.
    fl4.saddr = 0;
    rt2 = ipRouteOutputKey(net, fl4);
  }
  if (typeof rt2 === 'number') return;
  if (!icmpv4XrlimAllow(net, fl4.daddr, (rt2.dev.flags & IFF_LOOPBACK) !== 0, type, code)) return;
  let room = dstMtu(rt2);
  if (room > 576) room = 576;
  room -= IPV4_HLEN + ICMP_HLEN;
  let dataLen = skbIn.len + (skbIn.data - nh);
  if (dataLen > room) dataLen = room;
  if (dataLen < 0) return;
  const skb = allocSkb(128 + IPV4_HLEN + ICMP_HLEN + dataLen);
  skbReserve(skb, 128 + IPV4_HLEN);
  const th = skbPut(skb, ICMP_HLEN + dataLen);
  const ob = skb.head;
  ob[th] = type;
  ob[th + 1] = code;
  putUint32(ob, th + 4, info >>> 0);
  if (!copyFromNh(skbIn, ob, th + ICMP_HLEN, dataLen)) {
    kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
    return;
  }
  icmpSetChecksum(ob, th, ICMP_HLEN + dataLen);
  icmpPushReply(net, skb, th, fl4.tos, fl4.saddr, fl4.daddr, rt2, type, ip.sysctl.ipDefaultTtl);
}

/** icmp_push_reply: IP header (no DF, as the ICMP socket's IP_PMTUDISC_DONT), stats, out. */
function icmpPushReply(
  net: Net, skb: SkBuff, th: number, tos: number, saddr: number, daddr: number,
  rt: NonNullable<SkBuff['dst']>, type: number, ttl: number,
): number {
  const ip = ipv4Net(net);
  skb.transportHeader = th;
  const o = skbPush(skb, IPV4_HLEN);
  skb.networkHeader = o;
  ipHdrBuild(skb.head, o, 0, tos, skb.len, ipIdentsReserve(net, daddr, saddr, IPPROTO_ICMP, 1), 0, ttl, IPPROTO_ICMP, saddr, daddr);
  skb.dst = rt;
  ip.mib.icmp.OutMsgs++;
  icmpMsgOutInc(ip.mib, type);
  return ipLocalOut(net, null, skb);
}

/** icmp_rcv: checksum, type sanity, broadcast policy, then the per-type handler. */
export function icmpRcv(skb: SkBuff): number {
  const net = (skb.dev ?? skb.dst!.dev).ndNet;
  if (net.trace !== null) traceEvent(net, 'icmpRcv');
  const ip = ipv4Net(net);
  const mib = ip.mib;
  mib.icmp.InMsgs++;
  if (skb.len < ICMP_HLEN || !pskbMayPull(skb, ICMP_HLEN)) return icmpError(skb, mib, SKB_DROP_REASON.PKT_TOO_SMALL);
  if (skb.ipSummed !== CHECKSUM_UNNECESSARY && csumFold(skbChecksum(skb, 0, skb.len, 0)) !== 0) {
    mib.icmp.InCsumErrors++;
    return icmpError(skb, mib, SKB_DROP_REASON.ICMP_CSUM);
  }
  const th = skb.data;
  skb.transportHeader = th;
  const type = skb.head[th];
  icmpMsgInInc(mib, type);
  if (type > NR_ICMP_TYPES) return icmpError(skb, mib, SKB_DROP_REASON.UNHANDLED_PROTO);
  const rt = skb.dst!;
  if (rt.flags & (RTCF_BROADCAST | RTCF_MULTICAST)) {
    // RFC 1122 §3.2.2.6: echo to a broadcast may be ignored; Linux does by default.
    if (type === ICMP_ECHO || type === ICMP_TIMESTAMP) {
      if (ip.sysctl.icmpEchoIgnoreBroadcasts) return icmpError(skb, mib, SKB_DROP_REASON.INVALID_PROTO);
    } else if (type !== ICMP_ADDRESS && type !== ICMP_ADDRESSREPLY) {
      return icmpError(skb, mib, SKB_DROP_REASON.INVALID_PROTO);
    }
  }
  switch (type) {
    case ICMP_ECHOREPLY:
      icmpEchoReplyRcv(net, skb);
      break;
    case ICMP_ECHO:
      icmpEcho(net, skb);
      break;
    case ICMP_DEST_UNREACH:
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAMETERPROB:
    case ICMP_SOURCE_QUENCH:
      if (!icmpUnreach(net, skb)) return icmpError(skb, mib, SKB_DROP_REASON.ICMP_INVALID);
      break;
    default:
      // Redirects, timestamps and the obsolete types are accepted and ignored here.
      break;
  }
  consumeSkb(skb);
  return NET_RX_SUCCESS;
}

function icmpError(skb: SkBuff, mib: ReturnType<typeof ipv4Net>['mib'], reason: number): number {
  mib.icmp.InErrors++;
  kfreeSkbReason(skb, reason);
  return NET_RX_DROP;
}

/**
 * icmp_unreach: hand an error to the protocol that sent the quoted packet. skb.data moves to
 * the quoted IP header; transportHeader stays on the ICMP header. False on a malformed quote.
 */
function icmpUnreach(net: Net, skb: SkBuff): boolean {
  const ip = ipv4Net(net);
  if (!pskbMayPull(skb, ICMP_HLEN + IPV4_HLEN)) return false;
  const b = skb.head;
  const th = skb.transportHeader;
  const type = b[th];
  const code = b[th + 1];
  const qh = th + ICMP_HLEN;
  if (ipHdrIhl(b, qh) < 5) return false;
  let info = 0;
  if (type === ICMP_DEST_UNREACH) {
    if (code > NR_ICMP_UNREACH) return true;
    if (code === ICMP_FRAG_NEEDED && !ip.sysctl.ipNoPmtuDisc) info = icmpFragMtu(b, th);
  } else if (type === ICMP_PARAMETERPROB) {
    info = b[th + 4];
  } else if (type === ICMP_TIME_EXCEEDED && code === ICMP_EXC_FRAGTIME) {
    // As Linux: reassembly timeouts are not passed to the transports.
    return true;
  }
  const qhl = ipHdrLen(b, qh);
  // The transport needs its ports: the quoted header plus 8 bytes (RFC 792).
  if (!pskbMayPull(skb, ICMP_HLEN + qhl + 8)) return false;
  const b2 = skb.head;
  const qh2 = skb.transportHeader + ICMP_HLEN;
  if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED && info !== 0) ipv4UpdatePmtu(net, ipHdrDaddr(b2, qh2), info);
  skbPull(skb, ICMP_HLEN);
  const prot = ip.protos[ipHdrProtocol(b2, qh2)];
  if (prot !== undefined && prot.errHandler !== undefined) prot.errHandler(skb, info);
  return true;
}

/** icmp_echo → icmp_reply: the same identifier, sequence and data back (RFC 792). */
function icmpEcho(net: Net, skb: SkBuff): void {
  const ip = ipv4Net(net);
  if (ip.sysctl.icmpEchoIgnoreAll) return;
  const b = skb.head;
  const nh = skb.networkHeader;
  const rt = skb.dst!;
  const fl4 = ip.icmp.fl4;
  fl4.daddr = ipHdrSaddr(b, nh);
  fl4.saddr = rt.flags & RTCF_BROADCAST ? 0 : ipHdrDaddr(b, nh);
  fl4.tos = ipHdrTos(b, nh);
  fl4.proto = IPPROTO_ICMP;
  fl4.oif = 0;
  const rt2 = ipRouteOutputKey(net, fl4);
  if (typeof rt2 === 'number') return;
  if (!icmpv4GlobalAllow(net, ICMP_ECHOREPLY, 0)) return;
  if (!icmpv4XrlimAllow(net, fl4.daddr, (rt2.dev.flags & IFF_LOOPBACK) !== 0, ICMP_ECHOREPLY, 0)) return;
  const len = skb.len;
  const r = allocSkb(128 + IPV4_HLEN + len);
  skbReserve(r, 128 + IPV4_HLEN);
  const th = skbPut(r, len);
  if (skbCopyBits(skb, 0, r.head, th, len) !== 0) {
    kfreeSkbReason(r, SKB_DROP_REASON.NOT_SPECIFIED);
    return;
  }
  r.head[th] = ICMP_ECHOREPLY;
  r.head[th + 1] = 0;
  icmpSetChecksum(r.head, th, len);
  icmpPushReply(net, r, th, fl4.tos, fl4.saddr, fl4.daddr, rt2, ICMP_ECHOREPLY, ip.sysctl.ipDefaultTtl);
}

function icmpEchoReplyRcv(net: Net, skb: SkBuff): void {
  const hooks = ipv4Net(net).icmp.echoHooks;
  if (hooks.length === 0) return;
  const b = skb.head;
  const th = skb.transportHeader;
  const nh = skb.networkHeader;
  const r: EchoReply = {
    saddr: ipHdrSaddr(b, nh), daddr: ipHdrDaddr(b, nh), id: icmpEchoId(b, th), seq: icmpEchoSeq(b, th),
    ttl: ipHdrTtl(b, nh), len: skb.len - ICMP_HLEN,
  };
  for (const h of hooks) h(r);
}

/** Receive echo replies on `net` (what a ping socket would get). Returns the unhook function. */
export function icmpEchoReplyHook(net: Net, cb: (r: EchoReply) => void): () => void {
  const hooks = ipv4Net(net).icmp.echoHooks;
  hooks.push(cb);
  return () => {
    const i = hooks.indexOf(cb);
    if (i >= 0) hooks.splice(i, 1);
  };
}

/**
 * Send one echo request (what `ping` does through a ping socket). No DF, so large pings are
 * fragmented, as Linux ping with its default pmtudisc on an unknown path. 0 or -errno.
 */
export function icmpEchoSend(net: Net, daddr: number, id: number, seq: number, payloadLen: number, opts: { saddr?: number; ttl?: number; tos?: number } = {}): number {
  const ip = ipv4Net(net);
  if (net.trace !== null) traceEvent(net, 'icmpEchoSend');
  const fl4 = newFlowi4();
  fl4.daddr = daddr >>> 0;
  fl4.saddr = opts.saddr ?? 0;
  fl4.tos = opts.tos ?? 0;
  fl4.proto = IPPROTO_ICMP;
  const rt = ipRouteOutputKey(net, fl4);
  if (typeof rt === 'number') {
    ip.mib.ip.OutNoRoutes++;
    return rt;
  }
  if (payloadLen < 0 || payloadLen > 65507) return -22;
  const skb = allocSkb(128 + IPV4_HLEN + ICMP_HLEN + payloadLen);
  skbReserve(skb, 128 + IPV4_HLEN);
  const th = skbPut(skb, ICMP_HLEN + payloadLen);
  const b = skb.head;
  b[th] = ICMP_ECHO;
  b[th + 1] = 0;
  putUint16(b, th + 4, id & 0xffff);
  putUint16(b, th + 6, seq & 0xffff);
  for (let i = 0; i < payloadLen; i++) b[th + ICMP_HLEN + i] = (i + 0x10) & 0xff;
  icmpSetChecksum(b, th, ICMP_HLEN + payloadLen);
  return icmpPushReply(net, skb, th, fl4.tos, fl4.saddr, fl4.daddr, rt, ICMP_ECHO, opts.ttl ?? ip.sysctl.ipDefaultTtl);
}

export const icmpProtocol: NetProtocol = Object.freeze({ name: 'icmp', handler: icmpRcv });
