// Transmit offloads (82576 datasheet 7.2.4-7.2.5). The context descriptor says where the headers
// are (MACLEN, IPLEN, L4LEN), what they are (TUCMD) and the segment size (MSS).
//
// Checksum insertion: software seeds the L4 checksum field with the pseudo-header sum (the
// CHECKSUM_PARTIAL contract) and the device sums from the L4 header to the end.
// TSO: software seeds the field with the pseudo-header sum *without* the length, because each
// segment's length differs; the device adds it per segment. IP total length, IP id (incremented
// per segment), TCP sequence and flags (FIN/PSH only on the last, CWR only on the first) are
// rewritten in every segment's copy of the header.
import { csumFinish, onesSum, onesSumEngine } from './csum.js';
import { GATHER_ADDR, gatherBuffer } from './csum_simd.js';
import type { Igb82576 } from './igb82576.js';
import * as R from './regs.js';

/** The largest segment (headers and MSS) the engine builds. */
const MAX_SEGMENT = 16384;
/** The packet's headers as software wrote them, the template of every segment's header. */
const tmpl = new Uint8Array(1024);
const TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function ipHeaderCsum(b: Uint8Array, ip: number, iplen: number): void {
  put16(b, ip + 10, 0);
  put16(b, ip + 10, csumFinish(onesSum(b, ip, iplen, 0)));
}

/** onesSum, in place when `b` is the gather buffer in engine memory. */
function l4Sum(b: Uint8Array, off: number, len: number, sum: number): number {
  return b === gatherBuffer && GATHER_ADDR >= 0 ? onesSumEngine(GATHER_ADDR + off, len, sum) : onesSum(b, off, len, sum);
}

/** Checksum insertion for one packet; a context that does not fit the packet is ignored. */
export function txChecksum(d: Igb82576, b: Uint8Array, len: number, ctx: number, popts: number): void {
  const vml = d.txCtx[ctx];
  const tucmd = d.txCtx[ctx + 2];
  const maclen = (vml >>> R.TXD_MACLEN_SHIFT) & 0x7f;
  const iplen = vml & 0x1ff;
  if (popts & R.TXD_POPTS_IXSM && tucmd & R.TXD_TUCMD_IPV4 && maclen + iplen <= len && iplen >= 20) {
    ipHeaderCsum(b, maclen, iplen);
  }
  if (popts & R.TXD_POPTS_TXSM) {
    const css = maclen + iplen;
    if (tucmd & R.TXD_TUCMD_L4T_SCTP) return;
    const tcp = (tucmd & R.TXD_TUCMD_L4T_TCP) !== 0;
    const field = css + (tcp ? 16 : 6);
    if (field + 2 > len) return;
    let c = csumFinish(l4Sum(b, css, len - css, 0));
    // RFC 768: a computed UDP checksum of zero goes out as all ones.
    if (!tcp && c === 0) c = 0xffff;
    put16(b, field, c);
  }
}

/**
 * Segment a TSO packet into MSS-sized frames and send each; malformed contexts send nothing.
 * The segments are built in the gather buffer itself: segment k's header is written just in
 * front of its payload, over the tail of segment k-1 that is already on the wire, so the
 * payload is never copied again before the PHY takes it.
 */
export function tsoSegment(d: Igb82576, b: Uint8Array, len: number, ctx: number, popts: number): void {
  const vml = d.txCtx[ctx];
  const tucmd = d.txCtx[ctx + 2];
  const ml = d.txCtx[ctx + 3];
  const maclen = (vml >>> R.TXD_MACLEN_SHIFT) & 0x7f;
  const iplen = vml & 0x1ff;
  const l4len = (ml >>> R.TXD_L4LEN_SHIFT) & 0xff;
  const mss = ml >>> R.TXD_MSS_SHIFT;
  const ip = maclen, l4 = maclen + iplen, hdr = l4 + l4len;
  if (!(tucmd & R.TXD_TUCMD_L4T_TCP) || mss === 0 || l4len < 20 || hdr >= len || hdr + mss > MAX_SEGMENT) {
    d.tsoErrors++;
    return;
  }
  const ipv4 = (tucmd & R.TXD_TUCMD_IPV4) !== 0;
  const payload = len - hdr;
  const id0 = (b[ip + 4] << 8) | b[ip + 5];
  const seq0 = ((b[l4 + 4] << 24) | (b[l4 + 5] << 16) | (b[l4 + 6] << 8) | b[l4 + 7]) >>> 0;
  const flags0 = b[l4 + 13];
  const seed = (b[l4 + 16] << 8) | b[l4 + 17];
  for (let i = 0; i < hdr; i++) tmpl[i] = b[i];
  d.count(R.TSCTC, 1);
  for (let off = 0, k = 0; off < payload; off += mss, k++) {
    const n = payload - off < mss ? payload - off : mss;
    // This frame is b[off, off + hdr + n): its payload already sits at off + hdr.
    if (k > 0) for (let i = 0; i < hdr; i++) b[off + i] = tmpl[i];
    const fip = off + ip, fl4 = off + l4;
    if (ipv4) {
      put16(b, fip + 2, iplen + l4len + n);
      put16(b, fip + 4, (id0 + k) & 0xffff);
      if (popts & R.TXD_POPTS_IXSM) ipHeaderCsum(b, fip, iplen);
    }
    const seq = (seq0 + off) >>> 0;
    b[fl4 + 4] = seq >>> 24;
    b[fl4 + 5] = (seq >>> 16) & 0xff;
    b[fl4 + 6] = (seq >>> 8) & 0xff;
    b[fl4 + 7] = seq & 0xff;
    let f = flags0;
    if (off + n < payload) f &= ~(TCP_FIN | TCP_PSH);
    if (k > 0) f &= ~TCP_CWR;
    b[fl4 + 13] = f;
    if (popts & R.TXD_POPTS_TXSM) {
      put16(b, fl4 + 16, seed);
      put16(b, fl4 + 16, csumFinish(l4Sum(b, fl4, l4len + n, l4len + n)));
    }
    d.sendFrame(b, off, hdr + n);
  }
}
