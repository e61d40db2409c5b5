import type { NetDevice } from './netdevice.js';
import type { SkBuff } from './skbuff.js';
import type { Neighbour } from './neighbour.js';

/** struct dst_entry plus the rtable fields IPv4 needs. */
export interface DstEntry {
  dev: NetDevice;
  /** dst->input: ipLocalDeliver, ipForward, ipError ... */
  input(skb: SkBuff): number;
  /** dst->output: ipOutput, ipMcOutput, dstDiscard ... */
  output(skb: SkBuff): number;
  /** RTN_* type of the route. */
  rtType: number;
  /** Next hop (rt_gateway), 0 when on-link. */
  gateway: number;
  /** RTCF_* flags (local, broadcast ...). */
  flags: number;
  /** Path MTU, or 0 to use the device MTU. */
  pmtu: number;
  /** Preferred source address for this route. */
  prefSrc: number;
  /** Cached neighbour for the next hop. */
  neighbour: Neighbour | null;
  /** Set when the route is no longer valid (dst->obsolete). */
  obsolete: boolean;
  error: number;
  /** RTAX_* metrics: mtu, advmss, rtt ... */
  metrics: { mtu: number; advmss: number; initcwnd: number; rtoMin: number };
}
