// net/core/secure_seq.c: keyed hashes for ISNs (RFC 6528) and timestamp offsets, and the
// syncookie hash. HalfSipHash-2-4 (Linux's hsiphash) keeps everything in 32-bit words.

const rotl = (x: number, b: number) => ((x << b) | (x >>> (32 - b))) >>> 0;

/** A 64-bit HalfSipHash key. */
export class HsipKey {
  constructor(public k0: number, public k1: number) {}
}

let v0 = 0, v1 = 0, v2 = 0, v3 = 0;
function round(): void {
  v0 = (v0 + v1) >>> 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
  v2 = (v2 + v3) >>> 0; v3 = rotl(v3, 8); v3 ^= v2;
  v0 = (v0 + v3) >>> 0; v3 = rotl(v3, 7); v3 ^= v0;
  v2 = (v2 + v1) >>> 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
}
function absorb(m: number): void {
  v3 ^= m;
  round();
  round();
  v0 ^= m;
}

/** hsiphash of `n` (1..4) 32-bit words. */
export function hsiphash(key: HsipKey, n: number, a: number, b = 0, c = 0, d = 0): number {
  v0 = key.k0 >>> 0;
  v1 = key.k1 >>> 0;
  v2 = (0x6c796765 ^ key.k0) >>> 0;
  v3 = (0x74656462 ^ key.k1) >>> 0;
  absorb(a >>> 0);
  if (n > 1) absorb(b >>> 0);
  if (n > 2) absorb(c >>> 0);
  if (n > 3) absorb(d >>> 0);
  const last = ((n * 4) << 24) >>> 0;
  absorb(last);
  v2 ^= 0xff;
  round(); round(); round(); round();
  return (v1 ^ v3) >>> 0;
}

/**
 * secure_tcp_seq: RFC 6528 §3, ISN = M + F(localip, localport, remoteip, remoteport, secret),
 * with M a clock ticking every 64 ns as Linux does.
 */
export function secureTcpSeq(key: HsipKey, saddr: number, daddr: number, sport: number, dport: number, nowMs: number): number {
  const h = hsiphash(key, 3, saddr, daddr, ((sport << 16) | dport) >>> 0);
  const m = Math.floor((nowMs * 1e6) / 64);
  return (h + m) >>> 0;
}

/** secure_tcp_ts_off: a per-(saddr, daddr) offset so timestamps do not leak uptime. */
export function secureTcpTsOff(key: HsipKey, saddr: number, daddr: number): number {
  return hsiphash(key, 2, saddr, daddr);
}
