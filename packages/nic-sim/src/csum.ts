// The Internet checksum (RFC 1071) as the MAC's offload engine computes it. The device has its
// own copy: hardware cannot call into the stack it serves.

/** 32-bit accumulator of 16-bit big-endian words over buf[off, off+len), added to `sum`. */
export function onesSum(buf: Uint8Array, off: number, len: number, sum: number): number {
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === end) sum += buf[i] << 8;
  // Fold often enough that the accumulator stays an exact small integer.
  return (sum & 0xffff) + Math.floor(sum / 0x10000);
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
