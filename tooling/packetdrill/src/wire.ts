// IPv4 + TCP on the wire: building injected packets and reading the stack's output.
// Addresses are host-order numbers, as elsewhere in knet.
import type { TcpOption } from './ast.js';

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;
export const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17;

const FLAG_LETTERS: Array<[string, number]> = [['F', FIN], ['S', SYN], ['R', RST], ['P', PSH], ['.', ACK], ['U', URG], ['E', ECE], ['W', CWR]];

/** "P." → PSH|ACK. Unknown letters throw. */
export function flagsFromString(s: string): number {
  let bits = 0;
  for (const ch of s) {
    const f = FLAG_LETTERS.find(([l]) => l === ch);
    if (!f) throw new Error(`unknown TCP flag '${ch}'`);
    bits |= f[1];
  }
  return bits;
}

/** Bits → packetdrill's spelling, "." (ACK) last: SYN|ACK → "S.". */
export function flagsToString(bits: number): string {
  let s = '';
  for (const [l, b] of FLAG_LETTERS) if (l !== '.' && bits & b) s += l;
  return bits & ACK ? `${s}.` : s;
}

export interface TcpSegment {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  urg: number;
  /** Raw option bytes, a multiple of 4 long. */
  options: Uint8Array;
  payload: Uint8Array;
  /** Whole TOS byte (DSCP and ECN). */
  tos: number;
  ttl: number;
  id: number;
}

export const ECN_NOT_ECT = 0, ECN_ECT1 = 1, ECN_ECT0 = 2, ECN_CE = 3;

/** RFC 1071 sum of 16-bit words, not yet folded or complemented. */
export function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, (v >>> 16) & 0xffff);
  put16(b, o + 2, v & 0xffff);
}
const get16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const get32 = (b: Uint8Array, o: number): number => ((get16(b, o) << 16) >>> 0) + get16(b, o + 2);

/** An IPv4 datagram carrying the segment, with both checksums filled in. */
export function encodeTcp(seg: TcpSegment): Uint8Array {
  if (seg.options.length % 4 !== 0) throw new Error('TCP options must be padded to 4 bytes');
  const tcpLen = 20 + seg.options.length + seg.payload.length;
  const b = new Uint8Array(20 + tcpLen);
  b[0] = 0x45;
  b[1] = seg.tos & 0xff;
  put16(b, 2, b.length);
  put16(b, 4, seg.id & 0xffff);
  put16(b, 6, 0x4000); // DF
  b[8] = seg.ttl;
  b[9] = IPPROTO_TCP;
  put32(b, 12, seg.src);
  put32(b, 16, seg.dst);
  put16(b, 10, fold(sum16(b, 0, 20)));
  const t = 20;
  put16(b, t, seg.sport);
  put16(b, t + 2, seg.dport);
  put32(b, t + 4, seg.seq >>> 0);
  put32(b, t + 8, seg.ack >>> 0);
  b[t + 12] = ((20 + seg.options.length) / 4) << 4;
  b[t + 13] = seg.flags & 0xff;
  put16(b, t + 14, seg.win);
  put16(b, t + 18, seg.urg);
  b.set(seg.options, t + 20);
  b.set(seg.payload, t + 20 + seg.options.length);
  put16(b, t + 16, fold(pseudoSum(seg.src, seg.dst, IPPROTO_TCP, tcpLen) + sum16(b, t, b.length)));
  return b;
}

function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

export interface DecodedTcp extends TcpSegment {
  ipChecksumOk: boolean;
  tcpChecksumOk: boolean;
}

/** Read an IPv4/TCP datagram; throws on anything else or on a truncated packet. */
export function decodeTcp(b: Uint8Array): DecodedTcp {
  if (b.length < 20 || b[0]! >> 4 !== 4) throw new Error('not an IPv4 packet');
  const ihl = (b[0]! & 0xf) * 4;
  const total = get16(b, 2);
  if (total > b.length || ihl < 20 || total < ihl + 20) throw new Error('truncated IPv4 packet');
  if (b[9] !== IPPROTO_TCP) throw new Error(`not a TCP packet (protocol ${b[9]})`);
  const src = get32(b, 12);
  const dst = get32(b, 16);
  const t = ihl;
  const doff = (b[t + 12]! >> 4) * 4;
  if (doff < 20 || t + doff > total) throw new Error('bad TCP data offset');
  return {
    src,
    dst,
    sport: get16(b, t),
    dport: get16(b, t + 2),
    seq: get32(b, t + 4),
    ack: get32(b, t + 8),
    flags: b[t + 13]!,
    win: get16(b, t + 14),
    urg: get16(b, t + 18),
    options: b.slice(t + 20, t + doff),
    payload: b.slice(t + doff, total),
    tos: b[1]!,
    ttl: b[8]!,
    id: get16(b, 4),
    ipChecksumOk: fold(sum16(b, 0, ihl)) === 0,
    tcpChecksumOk: fold(pseudoSum(src, dst, IPPROTO_TCP, total - ihl) + sum16(b, t, total)) === 0,
  };
}

// ---- TCP options -----------------------------------------------------------------------

const FASTOPEN_EXP_MAGIC = 0xf989;

function hexBytes(s: string, what: string): number[] {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`${what} is not a hex string: ${s}`);
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) out.push(Number.parseInt(s.slice(i, i + 2), 16));
  return out;
}

/** Option bytes, padded with EOL to a multiple of 4 as the kernel does. */
export function encodeTcpOptions(opts: readonly TcpOption[]): Uint8Array {
  const out: number[] = [];
  const p16 = (v: number): void => void out.push((v >>> 8) & 0xff, v & 0xff);
  const p32 = (v: number): void => { p16((v >>> 16) & 0xffff); p16(v & 0xffff); };
  for (const o of opts) {
    switch (o.kind) {
      case 'nop': out.push(1); break;
      case 'eol': out.push(0); break;
      case 'mss': out.push(2, 4); p16(o.value); break;
      case 'wscale': out.push(3, 3, o.value & 0xff); break;
      case 'sackOK': out.push(4, 2); break;
      case 'sack':
        out.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) { p32(l >>> 0); p32(r >>> 0); }
        break;
      case 'ts': out.push(8, 10); p32(o.val >>> 0); p32(o.ecr >>> 0); break;
      case 'md5': {
        const d = hexBytes(o.digest, 'MD5 digest');
        out.push(19, 18, ...d, ...new Array<number>(16 - d.length).fill(0));
        break;
      }
      case 'fastopen': {
        const c = hexBytes(o.cookie, 'Fast Open cookie');
        if (o.experimental) { out.push(254, 4 + c.length); p16(FASTOPEN_EXP_MAGIC); }
        else out.push(34, 2 + c.length);
        out.push(...c);
        break;
      }
    }
  }
  while (out.length % 4 !== 0) out.push(0);
  if (out.length > 40) throw new Error(`TCP options too long (${out.length} bytes)`);
  return Uint8Array.from(out);
}

/** Option bytes → options, for reports. Unknown kinds are skipped; a bad length ends the walk. */
export function decodeTcpOptions(b: Uint8Array): TcpOption[] {
  const out: TcpOption[] = [];
  let i = 0;
  while (i < b.length) {
    const kind = b[i]!;
    if (kind === 0) {
      // Trailing EOL padding is not an option worth printing unless something follows it.
      if (b.subarray(i).some((x) => x !== 0)) out.push({ kind: 'eol' });
      break;
    }
    if (kind === 1) { out.push({ kind: 'nop' }); i++; continue; }
    const len = b[i + 1];
    if (len === undefined || len < 2 || i + len > b.length) break;
    const body = b.subarray(i + 2, i + len);
    const hex = Array.from(kind === 254 ? body.subarray(2) : body, (x) => x.toString(16).padStart(2, '0')).join('');
    if (kind === 2 && len === 4) out.push({ kind: 'mss', value: get16(b, i + 2) });
    else if (kind === 3 && len === 3) out.push({ kind: 'wscale', value: b[i + 2]! });
    else if (kind === 4 && len === 2) out.push({ kind: 'sackOK' });
    else if (kind === 5 && (len - 2) % 8 === 0) {
      const blocks: Array<[number, number]> = [];
      for (let k = i + 2; k < i + len; k += 8) blocks.push([get32(b, k), get32(b, k + 4)]);
      out.push({ kind: 'sack', blocks });
    } else if (kind === 8 && len === 10) out.push({ kind: 'ts', val: get32(b, i + 2), ecr: get32(b, i + 6) });
    else if (kind === 19 && len === 18) out.push({ kind: 'md5', digest: hex });
    else if (kind === 34) out.push({ kind: 'fastopen', cookie: hex, experimental: false });
    else if (kind === 254 && len >= 4 && get16(b, i + 2) === FASTOPEN_EXP_MAGIC) out.push({ kind: 'fastopen', cookie: hex, experimental: true });
    i += len;
  }
  return out;
}

/** Offset of the TS option's val field inside option bytes, or -1. */
export function findTimestamp(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const kind = b[i]!;
    if (kind === 0) return -1;
    if (kind === 1) { i++; continue; }
    const len = b[i + 1];
    if (len === undefined || len < 2) return -1;
    if (kind === 8 && len === 10) return i + 2;
    i += len;
  }
  return -1;
}

export const readU32 = get32;
export const writeU32 = put32;

export function optionsToString(opts: readonly TcpOption[]): string {
  return opts.map((o) => {
    switch (o.kind) {
      case 'nop': case 'eol': case 'sackOK': return o.kind;
      case 'mss': return `mss ${o.value}`;
      case 'wscale': return `wscale ${o.value}`;
      case 'sack': return `sack ${o.blocks.map(([l, r]) => `${l >>> 0}:${r >>> 0}`).join(' ')}`;
      case 'ts': return `TS val ${o.val >>> 0} ecr ${o.ecr >>> 0}`;
      case 'md5': return `md5 ${o.digest}`;
      case 'fastopen': return `${o.experimental ? 'FOEXP' : 'FO'}${o.cookie ? ` ${o.cookie}` : ''}`;
    }
  }).join(',');
}

/** IPv4 dotted quad → host-order number. */
export function ipv4(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address ${s}`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}
