// net/ipv4/ip_sockglue.c ip_icmp_error / ip_local_error: errors that go to a socket's error
// queue, reached by the transports through ipv4AfOps (icmpError, localError).
import type { SkBuff, Sock } from '@knet/include';
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL } from '@knet/include';
import { allocSkb, kfreeSkb, putUint32, skbClone, skbPull, skbPut } from '@knet/skbuff';
import { sockExtendedErr, sockQueueErrSkb } from '@knet/netdevice';
import { IPV4_HLEN } from './ip_hdr.js';

/** Offset of daddr in an IPv4 header; the quoted header follows the 8-byte ICMP header. */
const IPH_DADDR = 16, ICMP_HLEN = 8;

/**
 * ip_icmp_error: queue a clone of the ICMP packet whose data is the quoted packet's payload. The
 * reader learns the quoted destination (address and `port`) as msg_name and the ICMP sender as
 * the offender; type and code come from the ICMP header at skb.transportHeader.
 */
export function ipIcmpError(sk: Sock, skb: SkBuff, err: number, port: number, info: number, payload: number): void {
  const th = skb.transportHeader;
  if (th < 0 || payload < skb.data || payload > skb.tail) return;
  const c = skbClone(skb);
  const ee = sockExtendedErr();
  ee.eeErrno = err;
  ee.eeOrigin = SO_EE_ORIGIN_ICMP;
  ee.eeType = c.head[th]!;
  ee.eeCode = c.head[th + 1]!;
  ee.eeInfo = info;
  const addrOffset = th + ICMP_HLEN + IPH_DADDR - c.networkHeader;
  if (skbPull(c, payload - c.data) < 0) {
    kfreeSkb(c);
    return;
  }
  c.transportHeader = c.data;
  if (sockQueueErrSkb(sk, c, { ee, addrOffset, port }) !== 0) kfreeSkb(c);
}

/**
 * ip_local_error: with IP_RECVERR, queue an error this host raised for a send (EMSGSIZE above
 * the path MTU). It has no payload, only a bare IP header naming the destination.
 */
export function ipLocalError(sk: Sock, err: number, daddr: number, port: number, info: number): void {
  if (!sk.recverr) return;
  const skb = allocSkb(IPV4_HLEN);
  const nh = skbPut(skb, IPV4_HLEN);
  skb.head.fill(0, nh, nh + IPV4_HLEN);
  skb.networkHeader = nh;
  putUint32(skb.head, nh + IPH_DADDR, daddr);
  const ee = sockExtendedErr();
  ee.eeErrno = err;
  ee.eeOrigin = SO_EE_ORIGIN_LOCAL;
  ee.eeInfo = info;
  skbPull(skb, IPV4_HLEN);
  skb.transportHeader = skb.data;
  if (sockQueueErrSkb(sk, skb, { ee, addrOffset: IPH_DADDR, port }) !== 0) kfreeSkb(skb);
}
