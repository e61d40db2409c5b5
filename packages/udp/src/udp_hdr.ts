// struct udphdr (RFC 768) read and written in place in an skb's head. `udpHdrChecked` is for
// bytes from the wire; the accessors trust that the check passed (or that we built the header).
//
//  0      7 8     15 16    23 24    31
// +--------+--------+--------+--------+
// |     Source      |   Destination   |
// |      Port       |      Port       |
// +--------+--------+--------+--------+
// |     Length      |    Checksum     |
// +--------+--------+--------+--------+

const SRC = 0, DST = 2, LEN = 4, CSUM = 6;
export const UDP_HLEN = 8;
/** Largest UDP payload in one IPv4 datagram: 65535 - 20 (IP) - 8 (UDP). */
export const UDP_MAX_PAYLOAD = 0xffff - 20 - UDP_HLEN;
/** Offset of the checksum field, for CHECKSUM_PARTIAL (csum_offset). */
export const UDP_CSUM_OFFSET = CSUM;

/** Does `avail` bytes at `off` hold a header whose length field fits in them? */
export function udpHdrChecked(b: Uint8Array, off: number, avail: number): boolean {
  if (avail < UDP_HLEN) return false;
  const len = (b[off + LEN]! << 8) | b[off + LEN + 1]!;
  return len >= UDP_HLEN && len <= avail;
}

export function udpSource(b: Uint8Array, o: number): number {
  return (b[o + SRC]! << 8) | b[o + SRC + 1]!;
}
export function udpDest(b: Uint8Array, o: number): number {
  return (b[o + DST]! << 8) | b[o + DST + 1]!;
}
export function udpLen(b: Uint8Array, o: number): number {
  return (b[o + LEN]! << 8) | b[o + LEN + 1]!;
}
export function udpCheck(b: Uint8Array, o: number): number {
  return (b[o + CSUM]! << 8) | b[o + CSUM + 1]!;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function udpSetSource(b: Uint8Array, o: number, v: number): void {
  put16(b, o + SRC, v);
}
export function udpSetDest(b: Uint8Array, o: number, v: number): void {
  put16(b, o + DST, v);
}
export function udpSetLen(b: Uint8Array, o: number, v: number): void {
  put16(b, o + LEN, v);
}
export function udpSetCheck(b: Uint8Array, o: number, v: number): void {
  put16(b, o + CSUM, v);
}

/** Write a whole header with a zero checksum (filled in later, or left 0 = none). */
export function udpHdrWrite(b: Uint8Array, o: number, sport: number, dport: number, len: number): void {
  put16(b, o + SRC, sport);
  put16(b, o + DST, dport);
  put16(b, o + LEN, len);
  put16(b, o + CSUM, 0);
}
