// net/ipv4/ip_sockglue.c: the SOL_IP options every inet socket has.
import type { Sock, Socket, SockoptVal } from '@knet/include';
import {
  EINVAL, ENOPROTOOPT, ENOTCONN, IP_BIND_ADDRESS_NO_PORT, IP_MTU, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_RECVERR,
  IP_TOS, IP_TTL, SOCK_STREAM, TCP_ESTABLISHED,
} from '@knet/include';
import { skbQueuePurge } from '@knet/skbuff';
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
      if (v === 0) skbQueuePurge(sk.skErrorQueue);
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
