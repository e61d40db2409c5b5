// struct tcphdr as a wire view over skb.head: offsets named once, read and written in place.
const SRC = 0, DST = 2, SEQ = 4, ACK = 8, DOFF = 12, FLAGS = 13, WIN = 14, CSUM = 16, URG = 18;
export const TCP_HLEN = 20;
/** Largest header: doff = 15 words. */
export const TCP_MAX_HLEN = 60;

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
function p16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function p32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Bytes from the wire: enough for a header, and doff within [5, 15] and within `avail`. */
export function tcpHdrChecked(b: Uint8Array, off: number, avail: number): boolean {
  if (avail < TCP_HLEN) return false;
  const doff = b[off + DOFF] >>> 4;
  return doff >= 5 && doff * 4 <= avail;
}

export const tcpSource = (b: Uint8Array, o: number) => u16(b, o + SRC);
export const tcpDest = (b: Uint8Array, o: number) => u16(b, o + DST);
export const tcpSeq = (b: Uint8Array, o: number) => u32(b, o + SEQ);
export const tcpAckSeq = (b: Uint8Array, o: number) => u32(b, o + ACK);
/** Header length in bytes (doff * 4). */
export const tcpHdrLen = (b: Uint8Array, o: number) => (b[o + DOFF] >>> 4) * 4;
/** The flag byte: FIN SYN RST PSH ACK URG ECE CWR (TCPHDR_*). */
export const tcpFlags = (b: Uint8Array, o: number) => b[o + FLAGS];
export const tcpWindow = (b: Uint8Array, o: number) => u16(b, o + WIN);
export const tcpCheck = (b: Uint8Array, o: number) => u16(b, o + CSUM);
export const tcpUrgPtr = (b: Uint8Array, o: number) => u16(b, o + URG);

export const tcpSetSource = (b: Uint8Array, o: number, v: number) => p16(b, o + SRC, v);
export const tcpSetDest = (b: Uint8Array, o: number, v: number) => p16(b, o + DST, v);
export const tcpSetSeq = (b: Uint8Array, o: number, v: number) => p32(b, o + SEQ, v);
export const tcpSetAckSeq = (b: Uint8Array, o: number, v: number) => p32(b, o + ACK, v);
export function tcpSetHdrLen(b: Uint8Array, o: number, bytes: number): void {
  b[o + DOFF] = (bytes >>> 2) << 4;
}
export function tcpSetFlags(b: Uint8Array, o: number, f: number): void {
  b[o + FLAGS] = f & 0xff;
}
export const tcpSetWindow = (b: Uint8Array, o: number, v: number) => p16(b, o + WIN, v);
export const tcpSetCheck = (b: Uint8Array, o: number, v: number) => p16(b, o + CSUM, v);
export const tcpSetUrgPtr = (b: Uint8Array, o: number, v: number) => p16(b, o + URG, v);
/** Offset of the checksum field within the header (for csumOffset). */
export const TCP_CSUM_OFFSET = CSUM;
