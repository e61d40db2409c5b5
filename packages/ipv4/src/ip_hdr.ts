// include/uapi/linux/ip.h: struct iphdr as an in-place view (RFC 791 §3.1). Offsets are
// absolute indexes into skb.head; addresses are host-order numbers. `ipHdrChecked` is for bytes
// from the wire; the accessors trust a header that passed it.
import { csumFold, csumPartial, getUint16, getUint32, putUint16, putUint32 } from '@knet/skbuff';

const VER_IHL = 0, TOS = 1, TOT_LEN = 2, ID = 4, FRAG_OFF = 6, TTL = 8, PROTO = 9, CHECK = 10,
  SADDR = 12, DADDR = 16;
export const IPV4_HLEN = 20;
export const IPV4_MAX_HLEN = 60;
export const IP_CE = 0x8000, IP_DF = 0x4000, IP_MF = 0x2000, IP_OFFSET = 0x1fff;
export const IPTOS_TOS_MASK = 0x1e, IPTOS_PREC_INTERNETCONTROL = 0xc0;
// IP options (RFC 791 §3.1): the copied flag is the top bit of the type.
export const IPOPT_END = 0, IPOPT_NOOP = 1, IPOPT_COPY = 0x80;

export const ipHdrVersion = (b: Uint8Array, o: number) => b[o + VER_IHL] >> 4;
export const ipHdrIhl = (b: Uint8Array, o: number) => b[o + VER_IHL] & 0x0f;
/** Header length in bytes (ihl * 4). */
export const ipHdrLen = (b: Uint8Array, o: number) => (b[o + VER_IHL] & 0x0f) << 2;
export const ipHdrTos = (b: Uint8Array, o: number) => b[o + TOS];
export const ipHdrTotLen = (b: Uint8Array, o: number) => getUint16(b, o + TOT_LEN);
export const ipHdrId = (b: Uint8Array, o: number) => getUint16(b, o + ID);
export const ipHdrFragOff = (b: Uint8Array, o: number) => getUint16(b, o + FRAG_OFF);
export const ipHdrTtl = (b: Uint8Array, o: number) => b[o + TTL];
export const ipHdrProtocol = (b: Uint8Array, o: number) => b[o + PROTO];
export const ipHdrCheck = (b: Uint8Array, o: number) => getUint16(b, o + CHECK);
export const ipHdrSaddr = (b: Uint8Array, o: number) => getUint32(b, o + SADDR);
export const ipHdrDaddr = (b: Uint8Array, o: number) => getUint32(b, o + DADDR);

export function ipHdrSetVerIhl(b: Uint8Array, o: number, ihl: number): void {
  b[o + VER_IHL] = 0x40 | (ihl & 0x0f);
}
export const ipHdrSetTos = (b: Uint8Array, o: number, v: number) => { b[o + TOS] = v; };
export const ipHdrSetTotLen = (b: Uint8Array, o: number, v: number) => putUint16(b, o + TOT_LEN, v);
export const ipHdrSetId = (b: Uint8Array, o: number, v: number) => putUint16(b, o + ID, v);
export const ipHdrSetFragOff = (b: Uint8Array, o: number, v: number) => putUint16(b, o + FRAG_OFF, v);
export const ipHdrSetTtl = (b: Uint8Array, o: number, v: number) => { b[o + TTL] = v; };
export const ipHdrSetProtocol = (b: Uint8Array, o: number, v: number) => { b[o + PROTO] = v; };
export const ipHdrSetSaddr = (b: Uint8Array, o: number, v: number) => putUint32(b, o + SADDR, v);
export const ipHdrSetDaddr = (b: Uint8Array, o: number, v: number) => putUint32(b, o + DADDR, v);

/** ip_is_fragment: MF set or a non-zero offset. */
export function ipIsFragment(b: Uint8Array, o: number): boolean {
  return (getUint16(b, o + FRAG_OFF) & (IP_MF | IP_OFFSET)) !== 0;
}

/** ip_fast_csum over the header: 0 when the stored checksum is right. */
export function ipHdrCsum(b: Uint8Array, o: number, hlen: number): number {
  return csumFold(csumPartial(b, o, hlen, 0));
}

/** ip_send_check: fill the header checksum in place. */
export function ipSendCheck(b: Uint8Array, o: number): void {
  b[o + CHECK] = 0;
  b[o + CHECK + 1] = 0;
  putUint16(b, o + CHECK, csumFold(csumPartial(b, o, ipHdrLen(b, o), 0)));
}

/** ip_decrease_ttl: RFC 1624 incremental update of the checksum; returns the new TTL. */
export function ipDecreaseTtl(b: Uint8Array, o: number): number {
  let check = getUint16(b, o + CHECK) + 0x0100;
  check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
  putUint16(b, o + CHECK, check);
  return --b[o + TTL];
}

/**
 * Fill a 20-byte header (plus `optLen` option bytes already in place after it) and its
 * checksum. `fragOff` carries the DF/MF flags and the offset in 8-byte units.
 */
export function ipHdrBuild(
  b: Uint8Array, o: number, optLen: number, tos: number, totLen: number, id: number, fragOff: number,
  ttl: number, proto: number, saddr: number, daddr: number,
): void {
  ipHdrSetVerIhl(b, o, (IPV4_HLEN + optLen) >> 2);
  b[o + TOS] = tos;
  putUint16(b, o + TOT_LEN, totLen);
  putUint16(b, o + ID, id);
  putUint16(b, o + FRAG_OFF, fragOff);
  b[o + TTL] = ttl;
  b[o + PROTO] = proto;
  putUint32(b, o + SADDR, saddr);
  putUint32(b, o + DADDR, daddr);
  ipSendCheck(b, o);
}

/**
 * ip_options_fragment: later fragments keep only options with the copied flag; the others
 * become NOPs so the header length does not change (RFC 791 §3.1, "copied flag").
 * Walks at most the option bytes and stops on a malformed length.
 */
export function ipOptionsFragment(b: Uint8Array, o: number): void {
  const end = o + ipHdrLen(b, o);
  let p = o + IPV4_HLEN;
  while (p < end) {
    const t = b[p];
    if (t === IPOPT_END) return;
    if (t === IPOPT_NOOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) return;
    const len = b[p + 1];
    if (len < 2 || p + len > end) return;
    if (!(t & IPOPT_COPY)) b.fill(IPOPT_NOOP, p, p + len);
    p += len;
  }
}

// ---- addresses (include/linux/in.h) ----
export const ipv4IsLoopback = (a: number) => (a >>> 24) === 127;
export const ipv4IsMulticast = (a: number) => (a >>> 28) === 0xe;
export const ipv4IsLbcast = (a: number) => a === 0xffffffff;
export const ipv4IsZeronet = (a: number) => (a >>> 24) === 0;
export function inetMakeMask(plen: number): number {
  return plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
}
