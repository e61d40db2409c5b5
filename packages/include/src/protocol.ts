import type { SkBuff } from './skbuff.js';
import type { Net } from './net.js';
import type { Proto, ProtoOps, Socket } from './sock.js';

/** struct net_protocol: an entry of inetProtos[256]. */
export interface NetProtocol {
  readonly name: string;
  /** NET_RX_SUCCESS or NET_RX_DROP; owns the skb. skb.data is at the transport header. */
  handler(skb: SkBuff): number;
  /**
   * An ICMP error about a packet this protocol sent. skb.data points at the quoted IP header,
   * skb.transportHeader at the ICMP header (type/code); `info` is the ICMP info field (MTU).
   */
  errHandler?(skb: SkBuff, info: number): number;
}

/** struct inet_protosw: (type, protocol) → proto + proto_ops, as inetsw[]. */
export interface InetProtosw {
  readonly name: string;
  readonly type: number;
  readonly protocol: number;
  readonly prot: Proto;
  readonly ops: ProtoOps;
  readonly flags: number;
}
export const INET_PROTOSW_REUSE = 0x1, INET_PROTOSW_PERMANENT = 0x2, INET_PROTOSW_ICSK = 0x4;

/** struct net_proto_family: socket(family, ...) goes to create(). */
export interface NetProtoFamily {
  readonly name: string;
  readonly family: number;
  /** Fill in sock.ops and sock.sk; 0 or -errno. */
  create(net: Net, sock: Socket, protocol: number, kern: boolean): number;
}

/**
 * struct net_offload: a transport's GRO/GSO callbacks in inetOffloads[256], called by the IPv4
 * offload (inet_gro_receive / inet_gso_segment) with skb.transportHeader set.
 */
export interface NetOffload {
  readonly name: string;
  /**
   * tcp4_gro_receive: try to merge `skb` into one of the `held` packets of the same flow.
   * Returns the index of the held packet it merged into, -1 if it should be held as a new
   * flow, or -2 if it must be delivered at once (flush) after the held flow it matched.
   */
  groReceive?(held: SkBuff[], skb: SkBuff): number;
  /** tcp4_gro_complete: fix up a merged packet before delivery. */
  groComplete?(skb: SkBuff): void;
  /** tcp4_gso_segment: split a GSO skb into MSS-sized skbs linked through `next`. */
  gsoSegment?(skb: SkBuff, features: number): SkBuff | null;
}
