// net/ipv4/udp.c: udp_rcv, udp_err, udp_sendmsg (with corking), udp_recvmsg and udp_prot.
// IPv4 is reached only through the InetConnectionSockAfOps and hooks given to udpInit.
import type { DstEntry, Flowi4, Msghdr, Net, NetProtocol, Proto, SkBuff, Sock, SockaddrIn, SockoptVal } from '@knet/include';
import {
  AF_INET, AF_UNSPEC, CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, EACCES,
  EAFNOSUPPORT, EAGAIN, EDESTADDRREQ, EHOSTDOWN, EHOSTUNREACH, EINVAL, EMSGSIZE, ENETUNREACH, ENOBUFS,
  ENOENT, ENOMEM, ENOPROTOOPT, EOPNOTSUPP, ECONNREFUSED, EPROTO, INADDR_BROADCAST, IPPROTO_UDP,
  IP_PMTUDISC_DO, IP_PMTUDISC_DONT, MSG_ERRQUEUE, MSG_MORE, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_ZEROCOPY, NETIF_F_CSUM_MASK,
  NET_RX_DROP, NET_RX_SUCCESS, NET_XMIT_CN, RTCF_BROADCAST, RTCF_MULTICAST, SKB_DROP_REASON, SOCK_BROADCAST,
  SOCK_NOSPACE, SOL_UDP, TCP_CLOSE, TCP_ESTABLISHED, UDP_CORK, SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK, SOCK_ZEROCOPY,
} from '@knet/include';
import {
  allocSkbWithHeadroom, consumeSkb, csumPartial, csumTcpudpMagic, getUint32, kfreeSkbReason, pskbMayPull,
  pskbTrimRcsum, skbChecksum, skbClone, skbPull, skbPush, skbPut, skbQueuePurge, skbTailroom,
} from '@knet/skbuff';
import {
  __skbRecvDatagram, datagramPoll, iovLength, msgZerocopyAlloc, msgZerocopyPut, msgZerocopyRealloc, skSetOwnerW,
  skbConsumeUdp, skbCopyDatagramIter, skbZcopySet, sockOrphan, sockQueueRcvSkb, traceEvent,
} from '@knet/netdevice';
import {
  UDP_CSUM_OFFSET, UDP_HLEN, UDP_MAX_PAYLOAD, udpCheck, udpDest, udpHdrWrite, udpLen, udpSetCheck, udpSource,
} from './udp_hdr.js';
import {
  __udp4LibLookup, udpHash4, udpIsMcastSock, udpLibRehash, udpLibUnhash, udpPortSocks, udpUnhash4, udpV4GetPort,
} from './udp_hash.js';
import { type UdpNet, UdpSock, udpNet } from './udp_sock.js';

// include/uapi/linux/icmp.h
const ICMP_DEST_UNREACH = 3, ICMP_SOURCE_QUENCH = 4, ICMP_REDIRECT = 5, ICMP_TIME_EXCEEDED = 11,
  ICMP_PARAMETERPROB = 12;
const ICMP_PORT_UNREACH = 3, ICMP_FRAG_NEEDED = 4, NR_ICMP_UNREACH = 15;
const ENONET = 64;
/** Room for the link and IP headers in front of the UDP header (MAX_HEADER + options). */
const UDP_HEADROOM = 128;
/** A computed checksum of 0 goes out as 0xffff: 0 means "no checksum" (RFC 768). */
const CSUM_MANGLED_0 = 0xffff;
const IP_HLEN = 20;

/** icmp_err_convert: errno and whether it is fatal (hard), for each destination-unreachable code. */
const ICMP_UNREACH_ERR: readonly (readonly [number, boolean])[] = [
  [ENETUNREACH, true], [EHOSTUNREACH, true], [ENOPROTOOPT, true], [ECONNREFUSED, true], [EMSGSIZE, false],
  [EOPNOTSUPP, false], [ENETUNREACH, true], [EHOSTDOWN, true], [ENONET, true], [ENETUNREACH, true],
  [EHOSTUNREACH, true], [ENETUNREACH, false], [EHOSTUNREACH, false], [EHOSTUNREACH, true],
  [EHOSTUNREACH, true], [EHOSTUNREACH, true],
];

function isMulticast(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

function mibInc(u: UdpNet, f: keyof UdpNet['mib']): void {
  u.mib[f]++;
}

// ---------------------------------------------------------------------------------------------
// Receive

/** udp_rcv: the IPPROTO_UDP handler in inet_protos. */
export function udpRcv(skb: SkBuff): number {
  return __udp4LibRcv(skb, IPPROTO_UDP);
}

/**
 * udp4_csum_init plus the full check: a zero checksum means none was sent (allowed for IPv4);
 * otherwise the pseudo-header sum over the datagram must fold to zero. Linux defers the full
 * sum to recvmsg for unicast; here it is checked once on arrival so every error is counted.
 */
function udp4CsumOk(skb: SkBuff, th: number, ulen: number, saddr: number, daddr: number, proto: number): boolean {
  if (udpCheck(skb.head, th) === 0) {
    skb.ipSummed = CHECKSUM_UNNECESSARY;
    return true;
  }
  // skb_csum_unnecessary: a local or veth peer's CHECKSUM_PARTIAL packet was never on a wire.
  if (skb.ipSummed === CHECKSUM_UNNECESSARY || skb.ipSummed === CHECKSUM_PARTIAL) return true;
  if (skb.ipSummed === CHECKSUM_COMPLETE && csumTcpudpMagic(saddr, daddr, ulen, proto, skb.csum) === 0) {
    skb.ipSummed = CHECKSUM_UNNECESSARY;
    return true;
  }
  if (csumTcpudpMagic(saddr, daddr, ulen, proto, skbChecksum(skb, 0, ulen, 0)) !== 0) return false;
  skb.ipSummed = CHECKSUM_UNNECESSARY;
  return true;
}

/** __udp4_lib_rcv: validate, then deliver to one sock, to every member for broadcast/multicast, or refuse. */
export function __udp4LibRcv(skb: SkBuff, proto: number): number {
  const dev = skb.dev;
  const net = dev !== null ? dev.ndNet : skb.dst !== null ? skb.dst.dev.ndNet : null;
  const u = net !== null ? udpNet(net) : undefined;
  if (net === null || u === undefined) {
    kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
    return NET_RX_DROP;
  }
  traceEvent(net, 'udpRcv');
  if (!pskbMayPull(skb, UDP_HLEN)) return udpDrop(u, skb, SKB_DROP_REASON.PKT_TOO_SMALL);
  skb.transportHeader = skb.data;
  const b = skb.head;
  const th = skb.data;
  const ulen = udpLen(b, th);
  if (ulen > skb.len || ulen < UDP_HLEN || pskbTrimRcsum(skb, ulen) !== 0) {
    return udpDrop(u, skb, SKB_DROP_REASON.PKT_TOO_SMALL);
  }
  const nh = skb.networkHeader;
  const saddr = getUint32(skb.head, nh + 12);
  const daddr = getUint32(skb.head, nh + 16);
  if (!udp4CsumOk(skb, skb.transportHeader, ulen, saddr, daddr, proto)) {
    mibInc(u, 'InCsumErrors');
    return udpDrop(u, skb, SKB_DROP_REASON.UDP_CSUM);
  }
  const sport = udpSource(skb.head, skb.transportHeader);
  const dport = udpDest(skb.head, skb.transportHeader);
  const dif = dev !== null ? dev.ifindex : 0;
  const rtFlags = skb.dst !== null ? skb.dst.flags : 0;
  if ((rtFlags & (RTCF_BROADCAST | RTCF_MULTICAST)) !== 0 || daddr === INADDR_BROADCAST || isMulticast(daddr)) {
    return __udp4LibMcastDeliver(u, skb, saddr, sport, daddr, dport, dif);
  }
  const sk = __udp4LibLookup(net, saddr, sport, daddr, dport, dif);
  if (sk !== null) return udpQueueRcvSkb(sk, skb);
  mibInc(u, 'NoPorts');
  if (u.icmpSend !== null) u.icmpSend(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
  kfreeSkbReason(skb, SKB_DROP_REASON.NO_SOCKET);
  return NET_RX_DROP;
}

function udpDrop(u: UdpNet, skb: SkBuff, reason: number): number {
  mibInc(u, 'InErrors');
  kfreeSkbReason(skb, reason);
  return NET_RX_DROP;
}

/**
 * __udp4_lib_mcast_deliver: a copy to every matching sock; the last one gets the original.
 * Nobody bound: counted as IgnoredMulti, never answered with ICMP.
 */
function __udp4LibMcastDeliver(u: UdpNet, skb: SkBuff, saddr: number, sport: number, daddr: number, dport: number, dif: number): number {
  const list = udpPortSocks(u, dport);
  const hits = u.mcastScratch;
  hits.length = 0;
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const sk = list[i]!;
      if (udpIsMcastSock(sk, daddr, dport, saddr, sport, dif)) hits.push(sk);
    }
  }
  const n = hits.length;
  if (n === 0) {
    mibInc(u, 'IgnoredMulti');
    kfreeSkbReason(skb, SKB_DROP_REASON.NO_SOCKET);
    return NET_RX_SUCCESS;
  }
  for (let i = 0; i < n - 1; i++) {
    const sk = hits[i]!;
    const c = skbClone(skb);
    udpQueueRcvSkb(sk, c);
  }
  const last = hits[n - 1]!;
  hits.length = 0;
  return udpQueueRcvSkb(last, skb);
}

/**
 * udp_queue_rcv_skb: strip the header and queue for the reader. A full sk_rcvbuf is a counted
 * drop (RcvbufErrors, InErrors) with reason SOCKET_RCVBUFF.
 */
export function udpQueueRcvSkb(sk: Sock, skb: SkBuff): number {
  const u = udpNet(sk.skNet)!;
  traceEvent(sk.skNet, 'udpQueueRcvSkb');
  skbPull(skb, UDP_HLEN);
  const rc = sockQueueRcvSkb(sk, skb);
  if (rc === 0) return NET_RX_SUCCESS;
  let reason: number = SKB_DROP_REASON.PROTO_MEM;
  if (rc === -ENOMEM) {
    mibInc(u, 'RcvbufErrors');
    reason = SKB_DROP_REASON.SOCKET_RCVBUFF;
  } else {
    mibInc(u, 'MemErrors');
  }
  mibInc(u, 'InErrors');
  kfreeSkbReason(skb, reason);
  return NET_RX_DROP;
}

// ---------------------------------------------------------------------------------------------
// ICMP errors

/**
 * __udp4_lib_err: an ICMP error about a datagram we sent. skb.data is at the quoted IP header,
 * skb.transportHeader at the ICMP header. As Linux, without IP_RECVERR only a connected sock
 * hears of a hard error, through sk_err; with it, every error is reported and also queued on
 * the error queue (ip_icmp_error) with the quoted payload.
 */
export function udpErr(skb: SkBuff, info: number): number {
  const dev = skb.dev;
  const net = dev !== null ? dev.ndNet : null;
  if (net === null) return -ENOENT;
  if (skb.len < IP_HLEN) return -EINVAL;
  const ihl = (skb.head[skb.data]! & 0xf) * 4;
  if (ihl < IP_HLEN || !pskbMayPull(skb, ihl + UDP_HLEN)) return -EINVAL;
  // The pull may have moved the data: read the header where it is now.
  const b = skb.head;
  const iph = skb.data;
  const locAddr = getUint32(b, iph + 12);
  const rmtAddr = getUint32(b, iph + 16);
  const uh = iph + ihl;
  const sk = __udp4LibLookup(net, rmtAddr, udpDest(b, uh), locAddr, udpSource(b, uh), dev!.ifindex);
  if (sk === null) return -ENOENT;
  const type = b[skb.transportHeader]!;
  const code = b[skb.transportHeader + 1]!;
  let err = 0;
  let harderr = false;
  switch (type) {
    case ICMP_TIME_EXCEEDED:
      err = EHOSTUNREACH;
      break;
    case ICMP_SOURCE_QUENCH:
    case ICMP_REDIRECT:
      return 0;
    case ICMP_PARAMETERPROB:
      err = EPROTO;
      harderr = true;
      break;
    case ICMP_DEST_UNREACH:
      if (code === ICMP_FRAG_NEEDED) {
        // The route's PMTU is IPv4's to update; the sender hears EMSGSIZE unless it allows fragments.
        if (sk.pmtudisc === IP_PMTUDISC_DONT) return 0;
        err = EMSGSIZE;
        harderr = true;
        break;
      }
      err = EHOSTUNREACH;
      if (code <= NR_ICMP_UNREACH) {
        const e = ICMP_UNREACH_ERR[code]!;
        err = e[0];
        harderr = e[1];
      }
      break;
    default:
      return 0;
  }
  if (!sk.recverr) {
    if (!harderr || sk.skState !== TCP_ESTABLISHED) return 0;
  } else {
    const icmpError = udpNet(net)?.afOps.icmpError;
    if (icmpError !== undefined) icmpError(sk, skb, err, udpDest(b, uh), info, uh + UDP_HLEN);
  }
  sk.skErr = err;
  sk.skErrorReport(sk);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Send

/** The flowi4 of a datagram: one literal shape, so routeOutput stays monomorphic. */
function makeFlow(sk: Sock, daddr: number, saddr: number, dport: number): Flowi4 {
  return { daddr, saddr, oif: sk.skBoundDevIf, tos: sk.tos, proto: IPPROTO_UDP, sport: sk.inetSport, dport, mark: sk.skMark };
}

function dstMtu(dst: DstEntry): number {
  return dst.pmtu !== 0 ? dst.pmtu : dst.dev.mtu;
}

/** ip_sk_ignore_df: may this sock's datagrams be fragmented? */
function mayFragment(sk: Sock): boolean {
  return sk.pmtudisc < IP_PMTUDISC_DO || sk.pmtudisc === 5;
}

/** The largest payload this sock may send on `dst` (the EMSGSIZE limit of __ip_append_data). */
function maxPayload(sk: Sock, dst: DstEntry): number {
  return mayFragment(sk) ? UDP_MAX_PAYLOAD : dstMtu(dst) - IP_HLEN - UDP_HLEN;
}

/** sock_alloc_send_skb's admission: below sk_sndbuf, or -EAGAIN with SOCK_NOSPACE set. */
function sndbufFull(sk: Sock): boolean {
  if (sk.skWmemAlloc < sk.skSndbuf) return false;
  sk.skFlags |= SOCK_NOSPACE;
  return true;
}

/** Copy the iov into `skb`'s tail. */
function copyFromIov(skb: SkBuff, iov: Uint8Array[]): void {
  for (let i = 0; i < iov.length; i++) {
    const seg = iov[i]!;
    if (seg.length === 0) continue;
    const at = skbPut(skb, seg.length);
    skb.head.set(seg, at);
  }
}

/**
 * udp_send_skb: push the header, fill the checksum (CHECKSUM_PARTIAL when the device offloads it
 * and the datagram is not fragmented, else computed), and hand it to IPv4.
 */
export function udpSendSkb(sk: UdpSock, skb: SkBuff, saddr: number, daddr: number, dport: number, dst: DstEntry): number {
  const u = udpNet(sk.skNet)!;
  const len = skb.len + UDP_HLEN;
  const th = skbPush(skb, UDP_HLEN);
  skb.transportHeader = th;
  const b = skb.head;
  udpHdrWrite(b, th, sk.inetSport, dport, len);
  if (sk.noCheckTx) {
    skb.ipSummed = CHECKSUM_NONE;
  } else if ((dst.dev.features & NETIF_F_CSUM_MASK) !== 0 && len + IP_HLEN <= dstMtu(dst)) {
    // udp4_hwcsum: the field holds the pseudo-header sum; the device adds the rest.
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = th;
    skb.csumOffset = UDP_CSUM_OFFSET;
    udpSetCheck(b, th, ~csumTcpudpMagic(saddr, daddr, len, IPPROTO_UDP, 0) & 0xffff);
  } else {
    skb.ipSummed = CHECKSUM_NONE;
    const c = csumTcpudpMagic(saddr, daddr, len, IPPROTO_UDP, csumPartial(b, th, len, 0));
    udpSetCheck(b, th, c === 0 ? CSUM_MANGLED_0 : c);
  }
  traceEvent(sk.skNet, 'udpSendSkb');
  let err = u.afOps.buildAndSendPkt(skb, sk, saddr, daddr, dst);
  // net_xmit_errno: congestion notification is not an error for the sender.
  if (err > 0) err = err === NET_XMIT_CN ? 0 : -ENOBUFS;
  if (err !== 0) {
    if (err === -ENOBUFS && !sk.recverr) {
      mibInc(u, 'SndbufErrors');
      err = 0;
    }
  } else {
    mibInc(u, 'OutDatagrams');
  }
  return err;
}

/** udp_flush_pending_frames: drop a corked datagram. */
export function udpFlushPendingFrames(sk: UdpSock): void {
  const skb = sk.pendingSkb;
  const zc = sk.pendingZc;
  sk.pendingSkb = null;
  sk.pendingZc = null;
  sk.pending = 0;
  sk.pendingLen = 0;
  sk.corkDst = null;
  if (skb !== null) consumeSkb(skb);
  // The queued data is freed, so its sends complete (ip_flush_pending_frames frees their skbs).
  if (zc !== null) msgZerocopyPut(zc);
}

/** udp_push_pending_frames: send the corked datagram as one. */
export function udpPushPendingFrames(sk: UdpSock): number {
  const skb = sk.pendingSkb;
  const dst = sk.corkDst;
  const zc = sk.pendingZc;
  sk.pendingSkb = null;
  sk.pendingZc = null;
  sk.pending = 0;
  sk.pendingLen = 0;
  sk.corkDst = null;
  if (skb === null || dst === null) {
    if (skb !== null) consumeSkb(skb);
    if (zc !== null) msgZerocopyPut(zc);
    return 0;
  }
  if (zc !== null) skbZcopySet(skb, zc);
  return udpSendSkb(sk, skb, sk.corkSaddr, sk.corkDaddr, sk.corkDport, dst);
}

/** ip_append_data for the cork: grow the pending datagram, reallocating when it runs out of room. */
function udpAppendPending(sk: UdpSock, u: UdpNet, iov: Uint8Array[], len: number, zerocopy: boolean): number {
  const dst = sk.corkDst!;
  if (sk.pendingLen + len > maxPayload(sk, dst)) return udpLocalEmsgsize(sk, u, sk.corkDaddr, dst);
  let skb = sk.pendingSkb;
  if (skb === null || skbTailroom(skb) < len) {
    if (sndbufFull(sk)) return -EAGAIN;
    const want = Math.min(UDP_MAX_PAYLOAD, Math.max(1024, (sk.pendingLen + len) * 2));
    const n = allocSkbWithHeadroom(UDP_HEADROOM, want);
    if (skb !== null) {
      const at = skbPut(n, skb.len);
      n.head.set(skb.head.subarray(skb.data, skb.data + skb.len), at);
      consumeSkb(skb);
    }
    skSetOwnerW(n, sk);
    skb = n;
    sk.pendingSkb = n;
  }
  copyFromIov(skb, iov);
  sk.pendingLen += len;
  if (zerocopy) {
    // More ids for the same datagram extend its completion; should a new one start, the data
    // of the old one is copied already, so it completes now rather than being lost.
    const old = sk.pendingZc;
    const zc = msgZerocopyRealloc(sk, len, old);
    if (old !== null && zc !== old) msgZerocopyPut(old);
    sk.pendingZc = zc;
  }
  return 0;
}

/**
 * __ip_append_data's EMSGSIZE: the datagram does not fit what the sock may send. With
 * IP_RECVERR the error is also queued (ip_local_error) with the MTU.
 */
function udpLocalEmsgsize(sk: Sock, u: UdpNet, daddr: number, dst: DstEntry): number {
  const localError = u.afOps.localError;
  if (localError !== undefined) localError(sk, EMSGSIZE, daddr, sk.inetDport, dstMtu(dst));
  return -EMSGSIZE;
}

/**
 * udp_sendmsg: to msg.name or the connected peer; autobinds; routes through afOps.routeOutput
 * (the connected route is cached on the sock); EACCES for broadcast without SO_BROADCAST;
 * EMSGSIZE above 65507 bytes (or the path MTU with IP_PMTUDISC_DO). UDP_CORK and MSG_MORE
 * collect the data of several calls into one datagram.
 */
export function udpSendmsg(sk: Sock, msg: Msghdr, flags: number): number {
  const up = sk as UdpSock;
  const net = sk.skNet;
  const u = udpNet(net);
  if (u === undefined) return -ENOBUFS;
  traceEvent(net, 'udpSendmsg');
  const len = iovLength(msg.iov);
  if (len > 0xffff) return -EMSGSIZE;
  if ((flags & MSG_OOB) !== 0) return -EOPNOTSUPP;
  const corkreq = up.corkflag || (flags & MSG_MORE) !== 0;
  if (up.pending !== 0) return udpDoAppend(up, u, msg.iov, len, corkreq, zerocopyWanted(sk, flags, len));

  let daddr: number;
  let dport: number;
  let connected = false;
  const name = msg.name;
  if (name !== null) {
    if (name.family !== AF_INET && name.family !== AF_UNSPEC) return -EAFNOSUPPORT;
    daddr = name.addr >>> 0;
    dport = name.port;
    if (dport === 0) return -EINVAL;
  } else {
    if (sk.skState !== TCP_ESTABLISHED) return -EDESTADDRREQ;
    daddr = sk.inetDaddr;
    dport = sk.inetDport;
    connected = true;
  }
  if (sk.inetNum === 0) {
    if (udpV4GetPort(sk, 0) !== 0) return -EAGAIN;
    sk.inetSport = sk.inetNum;
  }
  let saddr = sk.inetSaddr;
  let dst: DstEntry | null = null;
  if (connected && sk.skDst !== null && !sk.skDst.obsolete) dst = sk.skDst;
  if (dst === null) {
    const fl = makeFlow(sk, daddr, saddr, dport);
    const r = u.afOps.routeOutput(net, fl);
    if (typeof r === 'number') return r;
    dst = r;
    if (saddr === 0) saddr = fl.saddr;
    if (connected) sk.skDst = r;
  }
  if (((dst.flags & RTCF_BROADCAST) !== 0 || daddr === INADDR_BROADCAST) && (sk.skFlags & SOCK_BROADCAST) === 0) {
    return -EACCES;
  }
  if (saddr === 0) saddr = dst.prefSrc;
  if (len > maxPayload(sk, dst)) return udpLocalEmsgsize(sk, u, daddr, dst);

  if (!corkreq) {
    if (sndbufFull(sk)) {
      mibInc(u, 'SndbufErrors');
      return -EAGAIN;
    }
    const skb = allocSkbWithHeadroom(UDP_HEADROOM, len);
    copyFromIov(skb, msg.iov);
    skSetOwnerW(skb, sk);
    // The completion goes with the skb: it fires when the skb is freed after transmit.
    if (zerocopyWanted(sk, flags, len)) skbZcopySet(skb, msgZerocopyAlloc(sk, len));
    const err = udpSendSkb(up, skb, saddr, daddr, dport, dst);
    return err !== 0 ? err : len;
  }
  up.pending = AF_INET;
  up.corkDaddr = daddr;
  up.corkDport = dport;
  up.corkSaddr = saddr;
  up.corkDst = dst;
  return udpDoAppend(up, u, msg.iov, len, corkreq, zerocopyWanted(sk, flags, len));
}

/**
 * A MSG_ZEROCOPY send of data on a SO_ZEROCOPY socket takes a completion id; without
 * SO_ZEROCOPY the flag is ignored, and an empty send takes none.
 */
function zerocopyWanted(sk: Sock, flags: number, len: number): boolean {
  return (flags & MSG_ZEROCOPY) !== 0 && len > 0 && (sk.skFlags & SOCK_ZEROCOPY) !== 0;
}

/** The do_append_data tail of udp_sendmsg. */
function udpDoAppend(up: UdpSock, u: UdpNet, iov: Uint8Array[], len: number, corkreq: boolean, zerocopy: boolean): number {
  let err = len > 0 ? udpAppendPending(up, u, iov, len, zerocopy) : 0;
  if (err !== 0) {
    if (err === -EAGAIN) mibInc(u, 'SndbufErrors');
    else udpFlushPendingFrames(up);
    return err;
  }
  if (!corkreq) err = udpPushPendingFrames(up);
  return err !== 0 ? err : len;
}

// ---------------------------------------------------------------------------------------------
// Receive to the user

/**
 * udp_recvmsg: one datagram into msg.iov. A short buffer truncates it and sets MSG_TRUNC in
 * msg.flags; with MSG_TRUNC in `flags` the datagram's real length is returned. msg.name gets
 * the sender. MSG_PEEK leaves it queued.
 */
export function udpRecvmsg(sk: Sock, msg: Msghdr, flags: number): number {
  const u = udpNet(sk.skNet);
  // The socket layer answers MSG_ERRQUEUE (inet_recvmsg → ip_recv_error) before asking UDP.
  if ((flags & MSG_ERRQUEUE) !== 0) return -EAGAIN;
  const r = __skbRecvDatagram(sk, flags, null);
  if (typeof r === 'number') return r;
  const skb = r;
  const ulen = skb.len;
  const len = iovLength(msg.iov);
  let copied = len;
  msg.flags = 0;
  if (copied > ulen) copied = ulen;
  else if (copied < ulen) msg.flags |= MSG_TRUNC;
  const err = skbCopyDatagramIter(skb, 0, msg.iov, copied);
  if (err !== 0) {
    skbConsumeUdp(sk, skb, 0);
    return err;
  }
  if ((flags & MSG_PEEK) === 0 && u !== undefined) mibInc(u, 'InDatagrams');
  const b = skb.head;
  const saddr = getUint32(b, skb.networkHeader + 12);
  const sport = udpSource(b, skb.transportHeader);
  if (msg.name !== null) {
    msg.name.family = AF_INET;
    msg.name.addr = saddr;
    msg.name.port = sport;
  } else {
    msg.name = { family: AF_INET, port: sport, addr: saddr };
  }
  traceEvent(sk.skNet, 'udpRecvmsg');
  skbConsumeUdp(sk, skb, copied);
  return (flags & MSG_TRUNC) !== 0 ? ulen : copied;
}

// ---------------------------------------------------------------------------------------------
// Connect, disconnect, options, close

/**
 * ip4_datagram_connect + udp4 hash4: fix the peer. The route picks the source address, which
 * also becomes the receive address if the sock was bound to the wildcard.
 */
export function udpConnect(sk: Sock, addr: SockaddrIn): number {
  const up = sk as UdpSock;
  const u = udpNet(sk.skNet);
  if (u === undefined) return -ENETUNREACH;
  if (addr.family !== AF_INET) return -EAFNOSUPPORT;
  sk.skDst = null;
  const fl = makeFlow(sk, addr.addr >>> 0, sk.inetSaddr, addr.port);
  const r = u.afOps.routeOutput(sk.skNet, fl);
  if (typeof r === 'number') return r;
  if (((r.flags & RTCF_BROADCAST) !== 0 || fl.daddr === INADDR_BROADCAST) && (sk.skFlags & SOCK_BROADCAST) === 0) {
    return -EACCES;
  }
  const src = fl.saddr !== 0 ? fl.saddr : r.prefSrc;
  if (sk.inetSaddr === 0) sk.inetSaddr = src;
  if (sk.inetRcvSaddr === 0) {
    sk.inetRcvSaddr = src;
    udpLibRehash(sk);
  }
  sk.inetDaddr = fl.daddr;
  sk.inetDport = addr.port;
  sk.skState = TCP_ESTABLISHED;
  sk.inetId = Math.floor(sk.skNet.clock.random() * 65536);
  sk.skDst = r;
  udpHash4(up);
  return 0;
}

/** __udp_disconnect: forget the peer; an address or port the user bound explicitly stays. */
export function udpDisconnect(sk: Sock, _flags: number): number {
  const up = sk as UdpSock;
  sk.skState = TCP_CLOSE;
  udpUnhash4(up);
  sk.inetDaddr = 0;
  sk.inetDport = 0;
  sk.skBoundDevIf = 0;
  if ((sk.skUserlocks & SOCK_BINDADDR_LOCK) === 0) {
    sk.inetSaddr = 0;
    sk.inetRcvSaddr = 0;
    if ((sk.skUserlocks & SOCK_BINDPORT_LOCK) !== 0) udpLibRehash(sk);
  }
  if ((sk.skUserlocks & SOCK_BINDPORT_LOCK) === 0) {
    udpLibUnhash(sk);
    sk.inetSport = 0;
  }
  sk.skDst = null;
  return 0;
}

/** udp_lib_setsockopt: UDP_CORK; clearing it sends what is pending. */
export function udpSetsockopt(sk: Sock, level: number, optname: number, val: SockoptVal): number {
  const up = sk as UdpSock;
  if (level !== SOL_UDP) return -ENOPROTOOPT;
  if (typeof val !== 'number') return -EINVAL;
  switch (optname) {
    case UDP_CORK:
      if (val !== 0) {
        up.corkflag = true;
      } else {
        up.corkflag = false;
        if (up.pending !== 0) return udpPushPendingFrames(up);
      }
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

export function udpGetsockopt(sk: Sock, level: number, optname: number): SockoptVal | number {
  if (level !== SOL_UDP) return -ENOPROTOOPT;
  if (optname === UDP_CORK) return (sk as UdpSock).corkflag ? 1 : 0;
  return -ENOPROTOOPT;
}

const SIOCOUTQ = 0x5411, SIOCINQ = 0x541b;

/** udp_ioctl: SIOCINQ is the first datagram's payload length, SIOCOUTQ the bytes not yet sent. */
export function udpIoctl(sk: Sock, cmd: number): number {
  switch (cmd) {
    case SIOCOUTQ:
      return sk.skWmemAlloc;
    case SIOCINQ: {
      const skb = sk.skReceiveQueue.first;
      return skb !== null ? skb.len : 0;
    }
    default:
      return -ENOPROTOOPT;
  }
}

/** udp_poll: datagram_poll (checksums were checked on arrival, so nothing queued is bad). */
export function udpPoll(sk: Sock): number {
  return datagramPoll(sk);
}

/** udp_destroy_sock: a corked datagram dies with the sock. */
export function udpDestroySock(sk: Sock): void {
  udpFlushPendingFrames(sk as UdpSock);
}

/** udp_lib_close → sk_common_release: unhash, drop what is queued, orphan. */
export function udpLibClose(sk: Sock, _timeoutMs: number): void {
  udpDestroySock(sk);
  udpLibUnhash(sk);
  sk.skState = TCP_CLOSE;
  skbQueuePurge(sk.skReceiveQueue);
  skbQueuePurge(sk.skErrorQueue);
  sk.skDst = null;
  sockOrphan(sk);
}

/** udp_prot */
export const udpProt: Proto = Object.freeze({
  name: 'UDP',
  alloc: (net: Net) => new UdpSock(net, udpProt),
  close: udpLibClose,
  connect: udpConnect,
  disconnect: udpDisconnect,
  ioctl: udpIoctl,
  destroy: udpDestroySock,
  setsockopt: udpSetsockopt,
  getsockopt: udpGetsockopt,
  sendmsg: udpSendmsg,
  recvmsg: udpRecvmsg,
  hash: () => 0,
  unhash: udpLibUnhash,
  getPort: udpV4GetPort,
  poll: udpPoll,
});

/** udp_protocol: what ipv4 calls for IPPROTO_UDP. */
export const udpProtocol: NetProtocol = Object.freeze({
  name: 'udp',
  handler: udpRcv,
  errHandler: udpErr,
});

