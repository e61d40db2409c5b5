// Internet checksum (RFC 1071) and incremental update (RFC 1624), as include/net/checksum.h
// and lib/checksum.c. Sums are of 16-bit big-endian words; an unfolded sum (__wsum) is a
// non-negative number below 2^32 with end-around carry, a folded one (__sum16) 16 bits.

const TWO32 = 4294967296;

/** Fold any non-negative sum below 2^53 into 32 bits with end-around carry. */
function fold32(s: number): number {
  while (s > 0xffffffff) {
    const hi = Math.floor(s / TWO32);
    s = s - hi * TWO32 + hi;
  }
  return s;
}

/**
 * csum_partial: add buf[off, off+len) to `sum`. The bytes start a word at `off` whatever its
 * alignment; an odd trailing byte is the high half of a zero-padded word (RFC 1071 §4.1).
 */
export function csumPartial(buf: Uint8Array, off: number, len: number, sum: number): number {
  if (len < CSUM_WORDS_MIN || !LITTLE_ENDIAN) return csumPartialBytes(buf, off, len, sum);
  // Sum aligned 32-bit little-endian words through a view, as lib/checksum.c does natively:
  // RFC 1071 §2(B), the sum is byte-order independent up to a final swap of its two bytes.
  let hi = 0;
  let lo = 0;
  const pre = (4 - ((buf.byteOffset + off) & 3)) & 3;
  for (let k = 0; k < pre; k++) {
    if (k & 1) lo += buf[off + k];
    else hi += buf[off + k];
  }
  const n32 = (len - pre) >>> 2;
  const w = new Uint32Array(buf.buffer, buf.byteOffset + off + pre, n32);
  let s = 0;
  let j = 0;
  const n4 = n32 & ~3;
  for (; j < n4; j += 4) s += w[j] + w[j + 1] + w[j + 2] + w[j + 3];
  for (; j < n32; j++) s += w[j];
  s = fold32(s);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  // Words that start at an even distance from `off` were summed byte-swapped.
  if (!(pre & 1)) s = ((s & 0xff) << 8) | (s >>> 8);
  for (let k = pre + n32 * 4; k < len; k++) {
    if (k & 1) lo += buf[off + k];
    else hi += buf[off + k];
  }
  return fold32(hi * 256 + lo + sum + s);
}

/** Below this many bytes the word view costs more than it saves. */
const CSUM_WORDS_MIN = 64;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** csum_partial one byte pair at a time (short buffers). */
function csumPartialBytes(buf: Uint8Array, off: number, len: number, sum: number): number {
  // High and low bytes are summed apart; a double holds 2^53 so no carry is lost on the way.
  let hi = 0;
  let lo = 0;
  let i = off;
  const end8 = off + (len & ~7);
  while (i < end8) {
    hi += buf[i] + buf[i + 2] + buf[i + 4] + buf[i + 6];
    lo += buf[i + 1] + buf[i + 3] + buf[i + 5] + buf[i + 7];
    i += 8;
  }
  const end2 = off + (len & ~1);
  while (i < end2) {
    hi += buf[i];
    lo += buf[i + 1];
    i += 2;
  }
  if (len & 1) hi += buf[i];
  return fold32(hi * 256 + lo + sum);
}

/** csum_add: ones'-complement 32-bit add. */
export function csumAdd(a: number, b: number): number {
  const r = a + b;
  return r > 0xffffffff ? r - 0xffffffff : r;
}

/** csum_sub */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** csum_fold: the 16-bit checksum to store, ones' complement of the folded sum. */
export function csumFold(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csum_unfold: a stored 16-bit checksum as a 32-bit accumulator. */
export function csumUnfold(n: number): number {
  return n & 0xffff;
}

/** Swap the bytes of each 16-bit half: the sum of the same bytes one position over. */
function csumShift(sum: number): number {
  return (((sum & 0x00ff00ff) << 8) | ((sum >>> 8) & 0x00ff00ff)) >>> 0;
}

/** csum_block_add: add `csum2`, the sum of a block that starts at byte `offset` of the whole. */
export function csumBlockAdd(csum: number, csum2: number, offset: number): number {
  return csumAdd(csum, offset & 1 ? csumShift(csum2) : csum2);
}

/** csum_block_sub */
export function csumBlockSub(csum: number, csum2: number, offset: number): number {
  return csumSub(csum, offset & 1 ? csumShift(csum2) : csum2);
}

/** ip_fast_csum: the IPv4 header checksum to store, or 0 when checking a correct header. */
export function ipFastCsum(buf: Uint8Array, off: number, ihlWords: number): number {
  return csumFold(csumPartial(buf, off, ihlWords * 4, 0));
}

/** ip_compute_csum: folded checksum of a whole block (ICMP). */
export function ipComputeCsum(buf: Uint8Array, off: number, len: number): number {
  return csumFold(csumPartial(buf, off, len, 0));
}

/** csum_tcpudp_nofold: add the RFC 793/768 pseudo-header; addresses are host-order numbers. */
export function csumTcpudpNofold(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  return fold32(
    sum + (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + (proto & 0xff) + (len & 0xffff),
  );
}

/** csum_tcpudp_magic: the TCP/UDP checksum to store given the sum of header and payload. */
export function csumTcpudpMagic(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  return csumFold(csumTcpudpNofold(saddr, daddr, len, proto, sum));
}

function get16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function fold16(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/** csum_replace2: a 16-bit field changed from `oldv` to `newv`; RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'). */
export function csumReplace2(buf: Uint8Array, csumOff: number, oldv: number, newv: number): void {
  const s = (~get16(buf, csumOff) & 0xffff) + (~oldv & 0xffff) + (newv & 0xffff);
  put16(buf, csumOff, ~fold16(s) & 0xffff);
}

/** csum_replace4: a 32-bit field (an address) changed; RFC 1624 eqn. 3 over both halves. */
export function csumReplace4(buf: Uint8Array, csumOff: number, from: number, to: number): void {
  const s = (~get16(buf, csumOff) & 0xffff) + (~(from >>> 16) & 0xffff) + (~from & 0xffff)
    + (to >>> 16) + (to & 0xffff);
  put16(buf, csumOff, ~fold16(s) & 0xffff);
}

/** Sum of the 16-bit halves of a 32-bit value, unfolded. */
export function csumOf32(v: number): number {
  return (v >>> 16) + (v & 0xffff);
}
