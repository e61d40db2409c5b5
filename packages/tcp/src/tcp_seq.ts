// Sequence-space arithmetic (include/net/tcp.h before/after/between): mod 2^32 comparisons.

/** seq1 is before seq2 in modular sequence space. */
export function before(seq1: number, seq2: number): boolean {
  return ((seq1 - seq2) | 0) < 0;
}
export function after(seq2: number, seq1: number): boolean {
  return ((seq1 - seq2) | 0) < 0;
}
/** low <= seq <= high, modulo 2^32. */
export function between(seq: number, low: number, high: number): boolean {
  return ((high - low) >>> 0) >= ((seq - low) >>> 0);
}
/** (a + b) as an unsigned 32-bit sequence number. */
export function seqAdd(a: number, b: number): number {
  return (a + b) >>> 0;
}
/** a - b as a signed distance. */
export function seqSub(a: number, b: number): number {
  return (a - b) | 0;
}
export function seqMax(a: number, b: number): number {
  return after(a, b) ? a : b;
}
export function seqMin(a: number, b: number): number {
  return before(a, b) ? a : b;
}
