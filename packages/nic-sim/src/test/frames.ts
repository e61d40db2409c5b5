// Frame builders and checkers for the tests: IPv4/TCP/UDP with correct checksums.
import { csumFinish, onesSum, pseudoSum } from '../csum.js';

export const MAC_A = new Uint8Array([0x02, 0, 0, 0, 0, 0xa]);
export const MAC_B = new Uint8Array([0x02, 0, 0, 0, 0, 0xb]);
export const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v >>> 16);
  put16(b, o + 2, v & 0xffff);
}
export const get16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export const get32 = (b: Uint8Array, o: number): number => ((get16(b, o) << 16) | get16(b, o + 2)) >>> 0;

export interface FrameSpec {
  dst?: Uint8Array;
  src?: Uint8Array;
  saddr?: number;
  daddr?: number;
  sport?: number;
  dport?: number;
  proto?: 6 | 17;
  payload?: number;
  seq?: number;
  flags?: number;
  id?: number;
  /** Leave the checksums zero. */
  noCsum?: boolean;
}

/** An Ethernet + IPv4 + TCP (20-byte header) or UDP frame with a patterned payload. */
export function buildFrame(s: FrameSpec = {}): Uint8Array {
  const proto = s.proto ?? 6;
  const l4h = proto === 6 ? 20 : 8;
  const pay = s.payload ?? 100;
  const b = new Uint8Array(14 + 20 + l4h + pay);
  b.set(s.dst ?? MAC_B, 0);
  b.set(s.src ?? MAC_A, 6);
  put16(b, 12, 0x0800);
  b[14] = 0x45;
  put16(b, 16, 20 + l4h + pay);
  put16(b, 18, s.id ?? 1);
  b[22] = 64;
  b[23] = proto;
  put32(b, 26, s.saddr ?? 0xc6120001);
  put32(b, 30, s.daddr ?? 0xc6120002);
  const l4 = 34;
  put16(b, l4, s.sport ?? 1000);
  put16(b, l4 + 2, s.dport ?? 80);
  if (proto === 6) {
    put32(b, l4 + 4, s.seq ?? 1);
    b[l4 + 12] = 5 << 4;
    b[l4 + 13] = s.flags ?? 0x10;
    put16(b, l4 + 14, 65535);
  } else put16(b, l4 + 4, 8 + pay);
  for (let i = 0; i < pay; i++) b[l4 + l4h + i] = (i * 7 + 3) & 0xff;
  if (!s.noCsum) {
    put16(b, 24, csumFinish(onesSum(b, 14, 20, 0)));
    const len = l4h + pay;
    const c = csumFinish(onesSum(b, l4, len, pseudoSum(b, 14, proto, len)));
    put16(b, l4 + (proto === 6 ? 16 : 6), proto === 17 && c === 0 ? 0xffff : c);
  }
  return b;
}

/** True when the IPv4 header and TCP/UDP checksums of an Ethernet frame verify. */
export function checksumsOk(b: Uint8Array, len: number): boolean {
  if (get16(b, 12) !== 0x0800) return false;
  const ihl = (b[14] & 0xf) * 4;
  if (csumFinish(onesSum(b, 14, ihl, 0)) !== 0) return false;
  const tot = get16(b, 16);
  if (14 + tot > len) return false;
  const l4len = tot - ihl;
  return csumFinish(onesSum(b, 14 + ihl, l4len, pseudoSum(b, 14, b[23], l4len))) === 0;
}

/** A FrameSink that keeps copies of what arrives, with arrival times. */
export class Capture {
  frames: Uint8Array[] = [];
  times: number[] = [];
  constructor(private readonly now: () => number = () => 0) {}
  receiveFrame(b: Uint8Array, len: number): void {
    this.frames.push(b.slice(0, len));
    this.times.push(this.now());
  }
}
