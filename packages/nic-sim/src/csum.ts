// The Internet checksum (RFC 1071) as the MAC's offload engine computes it. The device has its
// own copy: hardware cannot call into the stack it serves.
//
// Like a real checksum engine it sums wide words: 128-bit vectors in a small WebAssembly SIMD
// kernel (csum_simd.ts), or 32-bit loads through a Uint32Array view where that is missing.
// Ones'-complement sums do not depend on byte order (RFC 1071 §2(B)), so little-endian totals
// are folded and byte-swapped once at the end; an odd start address shifts the word
// boundaries, which is one more swap.
import { SIMD_SCRATCH, SIMD_SCRATCH_LEN, simd } from './csum_simd.js';

/** Below this many bytes the plain byte loop is cheaper than finding a word view. */
const WIDE_MIN = 64;

// Uint32 views of the ArrayBuffers summed lately, so a hot buffer costs no lookup.
const CACHE = 4;
const cacheBuf: (ArrayBufferLike | null)[] = new Array<ArrayBufferLike | null>(CACHE).fill(null);
const cacheView: Uint32Array[] = new Array<Uint32Array>(CACHE).fill(new Uint32Array(0));
let cacheNext = 0;
const views = new WeakMap<ArrayBufferLike, Uint32Array>();

function wordsOf(ab: ArrayBufferLike): Uint32Array {
  for (let i = 0; i < CACHE; i++) if (cacheBuf[i] === ab) return cacheView[i];
  let v = views.get(ab);
  if (v === undefined) {
    v = new Uint32Array(ab, 0, ab.byteLength >>> 2);
    views.set(ab, v);
  }
  cacheBuf[cacheNext] = ab;
  cacheView[cacheNext] = v;
  cacheNext = (cacheNext + 1) & (CACHE - 1);
  return v;
}

/** Fold a non-negative sum below 2^53 to 16 bits with end-around carry. */
function fold16(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >>> 8);
}

/** Byte-at-a-time reference: the sum of big-endian words of buf[off, off+len), unfolded. */
export function onesSumBytes(buf: Uint8Array, off: number, len: number, sum: number): number {
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === end) sum += buf[i] << 8;
  return sum;
}

/** onesSum through 32-bit loads in JavaScript: the engine when WebAssembly SIMD is missing. */
export function onesSumWords(buf: Uint8Array, off: number, len: number, sum: number): number {
  if (len < WIDE_MIN) {
    const s = onesSumBytes(buf, off, len, sum);
    return (s & 0xffff) + Math.floor(s / 0x10000);
  }
  let i = off;
  const end = off + len;
  let addr = buf.byteOffset + i;
  // An odd start: the first byte is a high half; everything after it is one byte out of step.
  let lead = 0;
  const odd = (addr & 1) !== 0;
  if (odd) {
    lead = buf[i] << 8;
    i++;
    addr++;
  }
  // Big-endian words until the address is 4-aligned, and after the last whole word.
  let be = 0;
  if (addr & 2) {
    be += (buf[i] << 8) | buf[i + 1];
    i += 2;
    addr += 2;
  }
  const words = (end - i) >>> 2;
  const w = wordsOf(buf.buffer);
  // Four accumulators keep the additions from waiting on each other.
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let k = addr >>> 2;
  const kend = k + words, k4 = k + (words & ~3);
  for (; k < k4; k += 4) {
    a0 += w[k];
    a1 += w[k + 1];
    a2 += w[k + 2];
    a3 += w[k + 3];
  }
  for (; k < kend; k++) a0 += w[k];
  const le = a0 + a1 + a2 + a3;
  i += words << 2;
  if (end - i >= 2) {
    be += (buf[i] << 8) | buf[i + 1];
    i += 2;
  }
  if (i < end) be += buf[i] << 8;
  let rest = fold16(be + swap16(fold16(le)));
  if (odd) rest = swap16(rest);
  const s = sum + lead + rest;
  return (s & 0xffff) + Math.floor(s / 0x10000);
}

/** Below this many bytes the SIMD kernel's call and staging cost more than they save. */
const SIMD_MIN = 128;

/**
 * 32-bit accumulator of 16-bit big-endian words over buf[off, off+len), added to `sum`.
 * Memory outside the engine is staged into its scratch area for the kernel.
 */
export function onesSum(buf: Uint8Array, off: number, len: number, sum: number): number {
  if (len < SIMD_MIN || simd === null || len > SIMD_SCRATCH_LEN) return onesSumWords(buf, off, len, sum);
  simd.mem.set(new Uint8Array(buf.buffer, buf.byteOffset + off, len), SIMD_SCRATCH);
  return onesSumEngine(SIMD_SCRATCH, len, sum);
}

/** onesSum of engine memory (csum_simd.ts) at bus-independent address `addr`, in place, by the kernel. */
export function onesSumEngine(addr: number, len: number, sum: number): number {
  const s = sum + swap16(simd!.sum(addr, len));
  return (s & 0xffff) + Math.floor(s / 0x10000);
}

/** Fold to 16 bits and complement: the value that goes in a checksum field. */
export function csumFinish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** IPv4 pseudo-header sum (RFC 793 §3.1) for an L4 segment of `len` bytes. */
export function pseudoSum(buf: Uint8Array, ipOff: number, proto: number, len: number): number {
  return onesSum(buf, ipOff + 12, 8, proto + len);
}
