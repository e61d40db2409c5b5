// net/core/flow_dissector.c, reduced to IPv4: a flow hash for RPS and TX queue selection.
import type { SkBuff } from '@knet/include';
import { ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP } from '@knet/include';

function mix(h: number, v: number): number {
  // One round of a murmur3-style mix: cheap, and spreads neighbouring ports well.
  v = Math.imul(v, 0xcc9e2d51);
  v = (v << 15) | (v >>> 17);
  v = Math.imul(v, 0x1b873593);
  h ^= v;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The 4-tuple hash of the IPv4 packet at `off` (0 when it is not one we can read). */
export function flowHashIpv4(b: Uint8Array, off: number, avail: number, seed: number): number {
  if (avail < 20 || b[off]! >> 4 !== 4) return 0;
  const ihl = (b[off]! & 15) * 4;
  if (ihl < 20 || ihl > avail) return 0;
  const proto = b[off + 9]!;
  let h = seed | 0;
  h = mix(h, (b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!);
  h = mix(h, (b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!);
  h = mix(h, proto);
  const fragOff = ((b[off + 6]! << 8) | b[off + 7]!) & 0x3fff;
  if (fragOff === 0 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && ihl + 4 <= avail) {
    const p = off + ihl;
    h = mix(h, (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) || 1;
}

/**
 * skb_get_hash: skb.hash from the NIC (RSS) or computed once from the IPv4 header at `nh`
 * (skb.data on receive, the network header on transmit).
 */
export function skbGetHash(skb: SkBuff, nh: number): number {
  if (skb.hash !== 0) return skb.hash;
  if (skb.protocol !== ETH_P_IP || nh < 0) return 0;
  const h = flowHashIpv4(skb.head, nh, skb.tail - nh, 0x6b6e6574);
  skb.hash = h;
  return h;
}

/** reciprocal_scale: map a 32-bit hash onto [0, n). */
export function reciprocalScale(hash: number, n: number): number {
  return Math.floor(((hash >>> 0) * n) / 4294967296);
}
