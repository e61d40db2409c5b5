// Script packets ↔ live packets, as packetdrill maps them. Sequence numbers in a script are
// relative to the ISN the script gives (usually 0): the remote side's ISN is used as written,
// the local side's is learned from the first SYN or SYN-ACK the stack sends. TS ecr values in
// injected packets name a TS val the script expected the stack to send; they are mapped back
// to the value the stack actually sent.
import type { TcpOption, TcpPacket } from './ast.js';
import {
  CWR, decodeTcpOptions, encodeTcpOptions, FIN, findTimestamp, flagsFromString, flagsToString, optionsToString,
  PSH, readU32, RST, SYN, writeU32, type DecodedTcp,
} from './wire.js';

export interface SeqState {
  /** live local ISN − script local ISN (mod 2^32), once the stack's SYN/SYN-ACK was seen. */
  localOffset: number | null;
  /** Script TS val → TS val the stack really sent, from matched outbound packets. */
  tsValMap: Map<number, number>;
  /** First matched TS pair: later live TS vals are compared as first.script + (live − first.live). */
  firstTs: { script: number; live: number } | null;
  /**
   * The remote ISN, from the script's first inbound SYN or SYN-ACK (written absolute there);
   * the remote's later sequence numbers, and acks of them, are written relative to it.
   */
  remoteIsn: number;
}

export function newSeqState(): SeqState {
  return { localOffset: null, tsValMap: new Map(), firstTs: null, remoteIsn: 0 };
}

/** The seq to put on the wire for an inbound script packet (learning the remote ISN from a SYN). */
export function inboundSeq(pkt: TcpPacket, st: SeqState): number {
  if (pkt.flags.includes('S')) {
    st.remoteIsn = u32(pkt.seq);
    return u32(pkt.seq);
  }
  return u32(pkt.seq + st.remoteIsn);
}

/** Offset from script to live space for the remote's sequence numbers in a packet we send. */
function remoteOffset(liveFlags: number, st: SeqState): number {
  return liveFlags & SYN ? 0 : st.remoteIsn;
}

export interface OutboundRules {
  /** --tcp_ts_tick_usecs: 0 disables TS val checks (packetdrill's default). */
  tsTickUsecs: number;
  toleranceUsecs: number;
}

const u32 = (x: number): number => x >>> 0;

/** Script option list with ack/SACK/ecr mapped into live space, for an injected packet. */
export function inboundOptions(pkt: TcpPacket, st: SeqState): { options: TcpOption[]; error: string | null } {
  const opts = pkt.options === null || pkt.options === 'any' ? [] : pkt.options;
  const hasAck = pkt.flags.includes('.');
  const off = st.localOffset ?? 0;
  const out: TcpOption[] = [];
  for (const o of opts) {
    if (o.kind === 'sack') out.push({ kind: 'sack', blocks: o.blocks.map(([l, r]) => [u32(l + off), u32(r + off)]) });
    else if (o.kind === 'ts' && hasAck) {
      const live = st.tsValMap.get(u32(o.ecr));
      if (live === undefined) return { options: out, error: `unable to find mapping for timestamp ecr ${u32(o.ecr)}` };
      out.push({ kind: 'ts', val: o.val, ecr: live });
    } else out.push(o);
  }
  return { options: out, error: null };
}

/** The ack number to put on the wire for an inbound script packet. */
export function inboundAck(pkt: TcpPacket, st: SeqState): number {
  if (!pkt.flags.includes('.')) return u32(pkt.ack ?? 0);
  return u32((pkt.ack ?? 0) + (st.localOffset ?? 0));
}

/** Learn the local ISN from the stack's SYN or SYN-ACK (the script packet gives its script ISN). */
export function learnLocalIsn(expected: TcpPacket, live: DecodedTcp, st: SeqState): void {
  if (st.localOffset === null && live.flags & SYN) st.localOffset = u32(live.seq - expected.seq);
}

/**
 * Merge consecutive segments into one, as TSO would have sent them, until `expectedLen` payload
 * bytes: contiguous sequence, same ack, window and options, no SYN/RST, FIN only on the last.
 * Returns the merged segment and how many inputs it used (1 when nothing merged).
 */
export function mergeSegments(segs: readonly DecodedTcp[], expectedLen: number): { merged: DecodedTcp; used: number } {
  const first = segs[0];
  if (!first) throw new Error('mergeSegments: no segments');
  if (first.payload.length >= expectedLen || first.flags & (SYN | RST | FIN)) return { merged: first, used: 1 };
  const parts: Uint8Array[] = [first.payload];
  let len = first.payload.length;
  let last = first;
  let used = 1;
  for (let i = 1; i < segs.length && len < expectedLen; i++) {
    const s = segs[i]!;
    const contiguous = s.seq === u32(last.seq + last.payload.length);
    const sameFlags = (s.flags & ~(PSH | FIN | CWR)) === (first.flags & ~(PSH | FIN | CWR)) && !(last.flags & FIN);
    if (!contiguous || !sameFlags || s.ack !== first.ack || s.win !== first.win || !sameBytes(s.options, first.options)) break;
    if (len + s.payload.length > expectedLen) break;
    parts.push(s.payload);
    len += s.payload.length;
    last = s;
    used++;
  }
  if (used === 1) return { merged: first, used };
  const payload = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { payload.set(p, o); o += p.length; }
  const flags = (first.flags & ~(PSH | FIN)) | (last.flags & (PSH | FIN));
  return { merged: { ...first, payload, flags }, used };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const ECN_BITS: Record<string, number> = { noecn: 0, ect1: 1, ect0: 2, ce: 3 };

/** A live packet seen in script space: what packetdrill prints as "actual". */
export interface ActualPacket {
  flags: string;
  seq: number;
  len: number;
  ack: number;
  win: number;
  urg: number;
  ecn: number;
  options: TcpOption[];
}

export function toActual(live: DecodedTcp, st: SeqState): ActualPacket {
  const ts = findTimestamp(live.options);
  const opts = decodeTcpOptions(live.options);
  if (ts >= 0 && st.firstTs) {
    const val = u32(st.firstTs.script + (readU32(live.options, ts) - st.firstTs.live));
    for (const o of opts) if (o.kind === 'ts') o.val = val;
  }
  return {
    flags: flagsToString(live.flags),
    seq: u32(live.seq - (st.localOffset ?? 0)),
    len: live.payload.length,
    ack: u32(live.ack - remoteOffset(live.flags, st)),
    win: live.win,
    urg: live.urg,
    ecn: live.tos & 3,
    options: opts,
  };
}

export function describePacket(p: { flags: string; seq: number; len: number; ack: number | null; win: number | null; urg?: number | null; options: TcpOption[] | 'any' | null }): string {
  let s = `${p.flags || '-'} ${p.seq}:${u32(p.seq + p.len)}(${p.len})`;
  if (p.flags.includes('.') && p.ack !== null) s += ` ack ${p.ack}`;
  if (p.win !== null) s += ` win ${p.win}`;
  if (p.urg) s += ` urg ${p.urg}`;
  if (p.options === 'any') s += ' <...>';
  else if (p.options && p.options.length) s += ` <${optionsToString(p.options)}>`;
  return s;
}

/**
 * Compare a live outbound packet with the script's. Records the TS val mapping on the way
 * (also when other fields mismatch, as packetdrill does). Returns null or an error message.
 */
export function verifyOutbound(expected: TcpPacket, live: DecodedTcp, st: SeqState, rules: OutboundRules): string | null {
  learnLocalIsn(expected, live, st);
  const off = st.localOffset ?? 0;
  const check = (name: string, want: number, got: number): string | null =>
    want === got ? null : `live packet field ${name}: expected: ${want} (0x${want.toString(16)}) vs actual: ${got} (0x${got.toString(16)})`;

  // TS mapping first: it holds regardless of other mismatches.
  const liveTs = findTimestamp(live.options);
  const scriptTs = expected.options !== null && expected.options !== 'any' ? expected.options.find((o) => o.kind === 'ts') : undefined;
  let mappedTsVal: number | null = null;
  if (liveTs >= 0 && scriptTs) {
    const liveVal = readU32(live.options, liveTs);
    st.tsValMap.set(u32(scriptTs.val), liveVal);
    if (!st.firstTs) st.firstTs = { script: u32(scriptTs.val), live: liveVal };
    mappedTsVal = u32(st.firstTs.script + (liveVal - st.firstTs.live));
  }

  const want = flagsFromString(expected.flags);
  const flagErr = check('tcp_flags', want, live.flags);
  if (flagErr) return `${flagErr} (${expected.flags || '-'} vs ${flagsToString(live.flags) || '-'})`;
  const errs = [
    check('tcp_seq', u32(expected.seq), u32(live.seq - off)),
    check('tcp_ack_seq', u32(expected.ack ?? 0), u32(live.ack - remoteOffset(live.flags, st))),
    check('tcp_payload_len', expected.len, live.payload.length),
    expected.win === null ? null : check('tcp_window', expected.win, live.win),
    check('tcp_urg_ptr', expected.urg ?? 0, live.urg),
  ];
  const e = errs.find((x) => x !== null);
  if (e) return e;

  const ecn = expected.ip.ecn;
  if (ecn === 'ect01') {
    if ((live.tos & 3) !== 1 && (live.tos & 3) !== 2) return `live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x${(live.tos & 3).toString(16)}`;
  } else if (ecn !== undefined) {
    const err = check('ip_ecn', ECN_BITS[ecn]!, live.tos & 3);
    if (err) return err;
  }

  if (expected.options === 'any') return null;
  const roff = remoteOffset(live.flags, st);
  const wantOpts = roff === 0 ? expected.options ?? [] : (expected.options ?? []).map((o) =>
    o.kind === 'sack' ? { kind: 'sack' as const, blocks: o.blocks.map(([l, r]): [number, number] => [u32(l + roff), u32(r + roff)]) } : o);
  const want0 = encodeTcpOptions(wantOpts);
  if (sameBytes(want0, live.options)) return null;
  if (liveTs >= 0 && scriptTs && mappedTsVal !== null) {
    if (rules.tsTickUsecs > 0 && Math.abs((mappedTsVal - u32(scriptTs.val)) | 0) * rules.tsTickUsecs > rules.toleranceUsecs) {
      return 'bad outbound TCP timestamp value';
    }
    const copy = live.options.slice();
    writeU32(copy, liveTs, u32(scriptTs.val));
    if (sameBytes(want0, copy)) return null;
  }
  return 'bad outbound TCP options';
}
