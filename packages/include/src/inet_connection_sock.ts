import type { SkBuff } from './skbuff.js';
import type { Net } from './net.js';
import type { Sock } from './sock.js';
import type { DstEntry } from './dst.js';

/** struct flowi4: what an IPv4 output route lookup is keyed on. Host order. */
export interface Flowi4 {
  daddr: number;
  saddr: number;
  oif: number;
  tos: number;
  proto: number;
  sport: number;
  dport: number;
  mark: number;
}

/**
 * struct inet_connection_sock_af_ops, plus the IPv4 output calls UDP uses. ipv4 implements it;
 * @knet/host hands it to the transports at init, so they never import ipv4.
 */
export interface InetConnectionSockAfOps {
  readonly name: string;
  /** sizeof(struct iphdr) without options. */
  readonly netHeaderLen: number;
  /** ip_queue_xmit: route by the sock's cached dst (looked up if stale), push the IP header, send. */
  queueXmit(sk: Sock, skb: SkBuff, fl: Flowi4 | null): number;
  /** ip_route_output_key: a route, or -ENETUNREACH/-EHOSTUNREACH/-EINVAL. Fills fl.saddr. */
  routeOutput(net: Net, fl: Flowi4): DstEntry | number;
  /** ip_build_and_send_pkt: send an skb holding its L4 header (SYN-ACK, UDP) from saddr to daddr. */
  buildAndSendPkt(skb: SkBuff, sk: Sock | null, saddr: number, daddr: number, dst: DstEntry): number;
  /** ip_send_unicast_reply: a sockless reply (RST, TIME_WAIT ACK) to the sender of `inSkb`. */
  sendUnicastReply(net: Net, skb: SkBuff, saddr: number, daddr: number, protocol: number, tos: number, ttl: number, oif: number): number;
  /** Is `addr` one of this host's addresses (inet_addr_type == RTN_LOCAL)? */
  isLocalAddr(net: Net, addr: number): boolean;
  /** tcp_v4_send_check and similar: fill the L4 checksum or mark it CHECKSUM_PARTIAL. */
  sendCheck?(sk: Sock, skb: SkBuff): void;
  rebuildHeader?(sk: Sock): number;
  mtuReduced?(sk: Sock): void;
  /**
   * ip_icmp_error: queue an ICMP error on the sock's error queue. `skb` is the ICMP packet as
   * the protocol's errHandler got it; `payload` is the offset in skb.head where the quoted
   * packet's own payload starts, `port` the quoted destination port.
   */
  icmpError?(sk: Sock, skb: SkBuff, err: number, port: number, info: number, payload: number): void;
  /** ip_local_error: with IP_RECVERR, queue an error the host raised itself (EMSGSIZE). */
  localError?(sk: Sock, err: number, daddr: number, port: number, info: number): void;
}
