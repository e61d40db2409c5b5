// Transmit offloads (82576 datasheet 7.2.4-7.2.5). The context descriptor says where the headers
// are (MACLEN, IPLEN, L4LEN), what they are (TUCMD) and the segment size (MSS).
//
// Checksum insertion: software seeds the L4 checksum field with the pseudo-header sum (the
// CHECKSUM_PARTIAL contract) and the device sums from the L4 header to the end.
// TSO: software seeds the field with the pseudo-header sum *without* the length, because each
// segment's length differs; the device adds it per segment. IP total length, IP id (incremented
// per segment), TCP sequence and flags (FIN/PSH only on the last, CWR only on the first) are
// rewritten in every segment's copy of the header.
import { csumFinish, onesSum, onesSumBytes, onesSumEngine } from './csum.js';
import { GATHER_ADDR, gatherBuffer } from './csum_simd.js';
import type { Igb82576 } from './igb82576.js';
import * as R from './regs.js';
import { WIRE_FRAME_LEN, takeWireFrame, takenFrameAddr } from './wire.js';

/** The largest segment (headers and MSS) the engine builds. */
const MAX_SEGMENT = 16384;
/** Data descriptors one packet may use; more is a malformed chain. */
const MAX_BUFFERS = 4096;
/** The packet's headers as software wrote them, the template of every segment's header. */
const tmpl = new Uint8Array(1024);
let tmplView = tmpl.subarray(0, 0);
const TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;
const NO_BUF = new Uint8Array(0);

/**
 * The host-memory buffers of one packet, in descriptor order, read by the DMA engine as the
 * MAC needs them. Sequential reads (TSO walks the payload front to back) resume where the
 * last one stopped.
 */
export class TxGather {
  readonly buf: Uint8Array[] = [];
  readonly off: number[] = [];
  readonly len: number[] = [];
  n = 0;
  private at = 0;
  private atPos = 0;

  reset(): void {
    for (let i = 0; i < this.n; i++) this.buf[i] = NO_BUF;
    this.n = this.at = this.atPos = 0;
  }

  /** Append a buffer; false when the packet has too many. */
  add(b: Uint8Array, off: number, len: number): boolean {
    const i = this.n;
    if (i === MAX_BUFFERS) return false;
    if (i === this.buf.length) {
      this.buf.push(b);
      this.off.push(off);
      this.len.push(len);
    } else {
      this.buf[i] = b;
      this.off[i] = off;
      this.len[i] = len;
    }
    this.n = i + 1;
    return true;
  }

  /** Copy packet bytes [from, from+len) to dst[dstOff...]; the caller keeps within the packet. */
  copy(from: number, dst: Uint8Array, dstOff: number, len: number): void {
    if (from < this.atPos) this.at = this.atPos = 0;
    let i = this.at, pos = this.atPos;
    while (len > 0 && i < this.n) {
      const bl = this.len[i];
      if (from >= pos + bl) {
        pos += bl;
        i++;
        continue;
      }
      const inner = from - pos;
      const k = bl - inner < len ? bl - inner : len;
      const so = this.off[i] + inner;
      const src = this.buf[i];
      // A fresh view rather than subarray(), which costs several times more here.
      dst.set(new Uint8Array(src.buffer, src.byteOffset + so, k), dstOff);
      dstOff += k;
      from += k;
      len -= k;
    }
    this.at = i;
    this.atPos = pos;
  }
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function ipHeaderCsum(b: Uint8Array, ip: number, iplen: number): void {
  put16(b, ip + 10, 0);
  put16(b, ip + 10, csumFinish(onesSumBytes(b, ip, iplen, 0)));
}

/** onesSum of b[off, off+len), in place when b starts at engine address `addr` (-1: it does not). */
function l4Sum(b: Uint8Array, addr: number, off: number, len: number, sum: number): number {
  return addr >= 0 ? onesSumEngine(addr + off, len, sum) : onesSum(b, off, len, sum);
}

/** Checksum insertion for one packet in b (engine address `addr` or -1); a context that does not fit is ignored. */
export function txChecksum(d: Igb82576, b: Uint8Array, addr: number, len: number, ctx: number, popts: number): void {
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
    let c = csumFinish(l4Sum(b, addr, css, len - css, 0));
    // RFC 768: a computed UDP checksum of zero goes out as all ones.
    if (!tcp && c === 0) c = 0xffff;
    put16(b, field, c);
  }
}

/**
 * Segment a TSO packet into MSS-sized frames and send each; malformed contexts send nothing.
 * Each segment is built in a wire frame buffer: the header template, then its payload read
 * from host memory, then the per-segment fields and checksums, summed where the frame lies.
 */
export function tsoSegment(d: Igb82576, g: TxGather, len: number, ctx: number, popts: number): void {
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
  if (tmplView.length !== hdr) tmplView = tmpl.subarray(0, hdr);
  g.copy(0, tmpl, 0, hdr);
  const b0 = tmpl;
  const id0 = (b0[ip + 4] << 8) | b0[ip + 5];
  const seq0 = ((b0[l4 + 4] << 24) | (b0[l4 + 5] << 16) | (b0[l4 + 6] << 8) | b0[l4 + 7]) >>> 0;
  const flags0 = b0[l4 + 13];
  const seed = (b0[l4 + 16] << 8) | b0[l4 + 17];
  // Segments' IP headers differ only in total length and id: sum the rest once, add those per segment.
  const ipsum = ipv4 && (popts & R.TXD_POPTS_IXSM) !== 0;
  let ipBase = 0;
  if (ipv4) {
    put16(b0, ip + 2, 0);
    put16(b0, ip + 4, 0);
    if (ipsum) {
      put16(b0, ip + 10, 0);
      ipBase = onesSumBytes(b0, ip, iplen, 0);
    }
  }
  d.count(R.TSCTC, 1);
  for (let off = 0, k = 0; off < payload; off += mss, k++) {
    const n = payload - off < mss ? payload - off : mss;
    const flen = hdr + n;
    // A segment larger than a wire buffer (jumbo MSS) is built in the gather buffer and copied.
    const own = flen <= WIRE_FRAME_LEN;
    const b = own ? takeWireFrame() : gatherBuffer;
    const addr = own ? takenFrameAddr() : GATHER_ADDR;
    b.set(tmplView);
    g.copy(hdr + off, b, hdr, n);
    if (ipv4) {
      const tot = iplen + l4len + n, id = (id0 + k) & 0xffff;
      put16(b, ip + 2, tot);
      put16(b, ip + 4, id);
      if (ipsum) put16(b, ip + 10, csumFinish(ipBase + tot + id));
    }
    const seq = (seq0 + off) >>> 0;
    b[l4 + 4] = seq >>> 24;
    b[l4 + 5] = (seq >>> 16) & 0xff;
    b[l4 + 6] = (seq >>> 8) & 0xff;
    b[l4 + 7] = seq & 0xff;
    let f = flags0;
    if (off + n < payload) f &= ~(TCP_FIN | TCP_PSH);
    if (k > 0) f &= ~TCP_CWR;
    b[l4 + 13] = f;
    if (popts & R.TXD_POPTS_TXSM) {
      put16(b, l4 + 16, seed);
      put16(b, l4 + 16, csumFinish(l4Sum(b, addr, l4, l4len + n, l4len + n)));
    }
    if (own) d.sendOwnedFrame(b, flen, addr);
    else d.sendFrame(b, 0, flen);
  }
}
