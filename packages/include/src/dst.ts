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
  /** RTAX_* metrics: mtu, advmss, rtt ...; `lock` holds 1 << RTAX_* for each locked one. */
  metrics: { mtu: number; advmss: number; initcwnd: number; rtoMin: number; lock: number };
}

/** RTAX_*: route metric indices (rtnetlink.h); a locked metric is not changed by the stack. */
export const RTAX_LOCK = 1, RTAX_MTU = 2, RTAX_ADVMSS = 8, RTAX_INITCWND = 11, RTAX_RTO_MIN = 13;

/** dst_metric_locked */
export function dstMetricLocked(dst: DstEntry, metric: number): boolean {
  return (dst.metrics.lock & (1 << metric)) !== 0;
}

/** dst_mtu: the learnt path MTU, else the route's mtu metric, else the device's. */
export function dstMtu(dst: DstEntry): number {
  if (dst.pmtu !== 0) return dst.pmtu;
  if (dst.metrics.mtu !== 0) return dst.metrics.mtu;
  return dst.dev.mtu;
}

/** ip_rt_min_advmss and IPV4_MAX_PMTU less the 40 bytes of IPv4 and TCP headers. */
const MIN_ADVMSS = 256, MAX_ADVMSS = 65535 - 40;

/** dst_metric_advmss: the route's advmss, else ipv4_default_advmss (the MTU less 40 bytes). */
export function dstMetricAdvmss(dst: DstEntry): number {
  if (dst.metrics.advmss !== 0) return dst.metrics.advmss;
  return Math.min(Math.max(dstMtu(dst) - 40, MIN_ADVMSS), MAX_ADVMSS);
}
