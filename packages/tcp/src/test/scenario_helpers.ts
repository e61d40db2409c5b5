// Helpers for the scenario tests: build raw segments, re-inject captured ones, hold a
// direction of the bench's wire for a while, and read SACK blocks off a captured segment.
import type { Msghdr } from '@knet/include';
import type { TcpTestbench, TestHost, WireSegment } from '../testbench.js';
import type { TcpSock } from '../tcp_sock.js';
import { tcpRecvmsg } from '../tcp.js';

const w32 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
};
const r32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Fold a one's-complement sum. */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** An IPv4 frame around TCP header + payload bytes, with both checksums filled in. */
export function ipFrame(saddr: number, daddr: number, tcp: Uint8Array): Uint8Array {
  const f = new Uint8Array(20 + tcp.length);
  f[0] = 0x45;
  f[2] = f.length >>> 8;
  f[3] = f.length & 0xff;
  f[6] = 0x40;
  f[8] = 64;
  f[9] = 6;
  w32(f, 12, saddr);
  w32(f, 16, daddr);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (f[i] << 8) | f[i + 1];
  const ic = ~fold(s) & 0xffff;
  f[10] = ic >>> 8;
  f[11] = ic & 0xff;
  f.set(tcp, 20);
  // TCP checksum over the pseudo-header.
  f[20 + 16] = f[20 + 17] = 0;
  let sum = (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + 6 + tcp.length;
  for (let i = 20; i < f.length; i += 2) sum += (f[i] << 8) | (i + 1 < f.length ? f[i + 1] : 0);
  const c = ~fold(sum) & 0xffff;
  f[36] = c >>> 8;
  f[37] = c & 0xff;
  return f;
}

export interface RawSegment {
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  payload?: Uint8Array;
  /** Option bytes (padded to 4 with NOPs). */
  opts?: number[];
}

/** A TCP segment as an IPv4 frame. */
export function tcpFrame(s: RawSegment): Uint8Array {
  const opts = [...(s.opts ?? [])];
  while (opts.length % 4) opts.push(1);
  const payload = s.payload ?? new Uint8Array(0);
  const t = new Uint8Array(20 + opts.length + payload.length);
  t[0] = s.sport >>> 8;
  t[1] = s.sport & 0xff;
  t[2] = s.dport >>> 8;
  t[3] = s.dport & 0xff;
  w32(t, 4, s.seq >>> 0);
  w32(t, 8, (s.ack ?? 0) >>> 0);
  t[12] = ((20 + opts.length) / 4) << 4;
  t[13] = s.flags;
  const win = s.win ?? 0xffff;
  t[14] = win >>> 8;
  t[15] = win & 0xff;
  t.set(opts, 20);
  t.set(payload, 20 + opts.length);
  return ipFrame(s.saddr, s.daddr, t);
}

/** The IPv4 frame of a segment captured on the bench's wire (to deliver it again later). */
export function frameOf(seg: WireSegment): Uint8Array {
  return ipFrame(seg.saddr, seg.daddr, seg.bytes);
}

/** The SACK blocks (RFC 2018) carried by a captured segment, in the order sent. */
export function sackBlocks(seg: WireSegment): Array<[number, number]> {
  const o = seg.opts;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < o.length; ) {
    const kind = o[i];
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = o[i + 1];
    if (len < 2) break;
    if (kind === 5) for (let j = i + 2; j + 8 <= i + len; j += 8) out.push([r32(o, j), r32(o, j + 4)]);
    i += len;
  }
  return out;
}

/** The TSval/TSecr of a captured segment, or null. */
export function timestamps(seg: WireSegment): { val: number; ecr: number } | null {
  const o = seg.opts;
  for (let i = 0; i < o.length; ) {
    const kind = o[i];
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = o[i + 1];
    if (len < 2) break;
    if (kind === 8 && len === 10) return { val: r32(o, i + 2), ecr: r32(o, i + 6) };
    i += len;
  }
  return null;
}

/** The window scale option of a SYN, or null. */
export function wscaleOpt(seg: WireSegment): number | null {
  const o = seg.opts;
  for (let i = 0; i < o.length; ) {
    const kind = o[i];
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = o[i + 1];
    if (len < 2) break;
    if (kind === 3 && len === 3) return o[i + 2];
    i += len;
  }
  return null;
}

/**
 * Intercept the wire: `decide` sees each segment after it is logged and returns 'pass',
 * 'drop', or a number of extra ms to hold it before it is delivered (after the bench's own
 * one-way delay). Returns a function that removes the hook.
 */
export function interceptWire(
  tb: TcpTestbench,
  decide: (s: WireSegment) => 'pass' | 'drop' | number,
): () => void {
  const prev = tb.dropIf;
  tb.dropIf = (s) => {
    const d = decide(s);
    if (d === 'pass') return false;
    if (d === 'drop') return true;
    const to: TestHost = s.from === 'a' ? tb.b : tb.a;
    const frame = frameOf(s);
    tb.clock.schedule(tb.opts.delayMs + d, () => tb.deliver(to, frame));
    tb.lost--; // held, not lost
    return true;
  };
  return () => {
    tb.dropIf = prev;
  };
}

/** Deterministic test payload. */
export function pattern(n: number, seed = 1): Uint8Array {
  const d = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    d[i] = x >>> 24;
  }
  return d;
}

/** Addresses for spoofed peers (benchmarking range, RFC 2544). */
export const BENCH_NET = (i: number): number => ((198 << 24) | (18 << 16) | (((i >>> 8) & 0xff) << 8) | (i & 0xff)) >>> 0;

/**
 * A lighter TcpTestbench.transfer: write `data` as the send buffer allows and read into one
 * reused buffer, advancing virtual time `stepMs` at a time, until everything arrived or
 * `maxMs` passed. Returns the bytes received.
 */
export function pump(tb: TcpTestbench, src: TcpSock, dst: TcpSock, data: Uint8Array, maxMs: number, stepMs = 2): Uint8Array {
  const out = new Uint8Array(data.length);
  const buf = new Uint8Array(256 * 1024);
  let off = 0;
  let got = 0;
  const end = tb.clock.now() + maxMs;
  while (got < data.length && tb.clock.now() < end) {
    while (off < data.length) {
      const n = tb.send(src, data.subarray(off, Math.min(off + 65536, data.length)));
      if (n <= 0) break;
      off += n;
    }
    for (;;) {
      const msg: Msghdr = { name: null, iov: [buf], flags: 0 };
      const n = tcpRecvmsg(dst, msg, 0);
      if (n <= 0) break;
      out.set(buf.subarray(0, Math.min(n, out.length - got)), got);
      got += n;
    }
    tb.clock.run(tb.clock.now() + stepMs);
  }
  return out.subarray(0, got);
}
