// net/ipv4/ip_sockglue.c: the SOL_IP options every inet socket has.
import type { Msghdr, Sock, Socket, SockaddrIn, SockoptVal } from '@knet/include';
import {
  AF_INET, AF_UNSPEC, EAGAIN, EINVAL, ENOPROTOOPT, ENOTCONN, IP_BIND_ADDRESS_NO_PORT, IP_MTU, IP_MTU_DISCOVER,
  IP_PMTUDISC_DONT, IP_RECVERR, IP_TOS, IP_TTL, MSG_CTRUNC, MSG_ERRQUEUE, MSG_TRUNC, SOCK_STREAM, SOL_IP,
  SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL, TCP_ESTABLISHED,
} from '@knet/include';
import { consumeSkb, getUint32 } from '@knet/skbuff';
import { iovLength, skbCopyDatagramIter, skbErrqueuePurge, skbExtErr, sockDequeueErrSkb } from '@knet/netdevice';
import { KSocket } from './socket.js';

/** IP_PMTUDISC_OMIT: the highest IP_MTU_DISCOVER value. */
const IP_PMTUDISC_OMIT = 5;
/** net.ipv4.ip_default_ttl */
const IPDEFTTL = 64;
const INET_ECN_MASK = 3;

/** rt_tos2priority: the TOS precedence bits choose the queueing priority. */
function rtTos2priority(tos: number): number {
  const map = [0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4];
  return map[(tos >> 1) & 0xf]!;
}

/** do_ip_setsockopt for the options handled here; -ENOPROTOOPT for the rest. */
export function ipSetsockopt(sock: Socket, sk: Sock, optname: number, val: SockoptVal): number {
  if (typeof val !== 'number') return optname === IP_TTL || optname === IP_TOS || optname === IP_RECVERR ||
    optname === IP_MTU_DISCOVER || optname === IP_BIND_ADDRESS_NO_PORT ? -EINVAL : -ENOPROTOOPT;
  const v = val | 0;
  switch (optname) {
    case IP_TTL:
      if (v !== -1 && (v < 1 || v > 255)) return -EINVAL;
      sk.ucTtl = v;
      return 0;
    case IP_TOS: {
      let tos = v & 0xff;
      // A stream socket's ECN bits belong to TCP.
      if (sk.skType === SOCK_STREAM) tos = (tos & ~INET_ECN_MASK) | (sk.tos & INET_ECN_MASK);
      if (sk.tos !== tos) {
        sk.tos = tos;
        sk.skPriority = rtTos2priority(tos);
        sk.skDst = null;
      }
      return 0;
    }
    case IP_RECVERR:
      sk.recverr = v !== 0;
      if (v === 0) skbErrqueuePurge(sk);
      return 0;
    case IP_MTU_DISCOVER:
      if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return -EINVAL;
      sk.pmtudisc = v;
      return 0;
    case IP_BIND_ADDRESS_NO_PORT:
      if (sock instanceof KSocket) sock.bindAddressNoPort = v !== 0;
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

/** do_ip_getsockopt for the options handled here. */
export function ipGetsockopt(sock: Socket, sk: Sock, optname: number): SockoptVal | number {
  switch (optname) {
    case IP_TTL:
      return sk.ucTtl < 0 ? IPDEFTTL : sk.ucTtl;
    case IP_TOS:
      return sk.tos;
    case IP_RECVERR:
      return sk.recverr ? 1 : 0;
    case IP_MTU_DISCOVER:
      return sk.pmtudisc;
    case IP_BIND_ADDRESS_NO_PORT:
      return sock instanceof KSocket && sock.bindAddressNoPort ? 1 : 0;
    case IP_MTU: {
      const dst = sk.skDst;
      if (sk.skState !== TCP_ESTABLISHED || dst === null) return -ENOTCONN;
      return dst.pmtu !== 0 ? dst.pmtu : dst.dev.mtu;
    }
    default:
      return -ENOPROTOOPT;
  }
}

/**
 * ip_recv_error: recvmsg(MSG_ERRQUEUE) on an IPv4 socket. The oldest notification's data (the
 * quoted payload of an ICMP error; nothing for local errors and zerocopy completions) goes to
 * msg.iov, the address it was about to msg.name, and the error itself to a SOL_IP/IP_RECVERR
 * control message. -EAGAIN when nothing is queued: this never waits.
 */
export function ipRecvError(sk: Sock, msg: Msghdr): number {
  msg.flags = 0;
  const skb = sockDequeueErrSkb(sk);
  if (skb === null) return -EAGAIN;
  const serr = skbExtErr(skb);
  if (serr === undefined) {
    consumeSkb(skb);
    return -EAGAIN;
  }
  let copied = skb.len;
  const len = iovLength(msg.iov);
  if (copied > len) {
    msg.flags |= MSG_TRUNC;
    copied = len;
  }
  const err = skbCopyDatagramIter(skb, 0, msg.iov, copied);
  if (err !== 0) {
    consumeSkb(skb);
    return err;
  }
  const origin = serr.ee.eeOrigin;
  // ipv4_datagram_support_addr: ICMP and local errors name the destination they were about.
  if ((origin === SO_EE_ORIGIN_ICMP || origin === SO_EE_ORIGIN_LOCAL) && serr.addrOffset >= 0) {
    const name: SockaddrIn = { family: AF_INET, addr: getUint32(skb.head, skb.networkHeader + serr.addrOffset), port: serr.port };
    if (msg.name !== null) Object.assign(msg.name, name);
    else msg.name = name;
  }
  // ipv4_datagram_support_cmsg: only an ICMP error has an offender, the ICMP packet's sender.
  const offender: SockaddrIn = origin === SO_EE_ORIGIN_ICMP
    ? { family: AF_INET, addr: getUint32(skb.head, skb.networkHeader + 12), port: 0 }
    : { family: AF_UNSPEC, addr: 0, port: 0 };
  // put_cmsg: without a control buffer the message is cut off (MSG_CTRUNC).
  if (msg.control !== undefined) msg.control.push({ level: SOL_IP, type: IP_RECVERR, data: { ee: { ...serr.ee }, offender } });
  else msg.flags |= MSG_CTRUNC;
  msg.flags |= MSG_ERRQUEUE;
  consumeSkb(skb);
  return copied;
}
