// TCP options: the receive-side parser (tcp_parse_options) into one reused struct, and the
// writer (tcp_options_write) for the layouts Linux sends.
import {
  TCPOPT_EOL, TCPOPT_NOP, TCPOPT_MSS, TCPOPT_WINDOW, TCPOPT_SACK_PERM, TCPOPT_SACK, TCPOPT_TIMESTAMP,
  TCPOLEN_MSS, TCPOLEN_WINDOW, TCPOLEN_SACK_PERM, TCPOLEN_TIMESTAMP, TCPOLEN_SACK_BASE, TCPOLEN_SACK_PERBLOCK,
  TCPHDR_SYN, TCPOPT_FASTOPEN, TCPOPT_EXP, TCPOLEN_FASTOPEN_BASE, TCPOLEN_EXP_FASTOPEN_BASE, TCPOPT_FASTOPEN_MAGIC,
  TCP_FASTOPEN_COOKIE_MIN, TCP_FASTOPEN_COOKIE_MAX,
} from '@knet/include';
import type { TcpFastopenCookie } from './tcp_fastopen_cookie.js';

/** RFC 7323 §2.3: shift counts above 14 are treated as 14. */
export const TCP_MAX_WSCALE = 14;
export const TCP_NUM_SACKS = 4;
/** NOP NOP TS: the aligned timestamp block. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
export const TCPOLEN_WSCALE_ALIGNED = 4;
export const TCPOLEN_SACKPERM_ALIGNED = 4;
export const TCPOLEN_MSS_ALIGNED = 4;
export const MAX_TCP_OPTION_SPACE = 40;

/** A SACK block [startSeq, endSeq). */
export class TcpSackBlock {
  startSeq = 0;
  endSeq = 0;
}

/** struct tcp_options_received (tp->rx_opt). */
export class TcpOptionsReceived {
  tsRecentStamp = 0;
  tsRecent = 0;
  rcvTsval = 0;
  rcvTsecr = 0;
  sawTstamp = false;
  tstampOk = false;
  /** D-SACK is scheduled in the next ACK. */
  dsack = false;
  wscaleOk = false;
  /** SACK negotiated (TCP_SACK_SEEN). */
  sackOk = false;
  sndWscale = 0;
  rcvWscale = 0;
  numSacks = 0;
  userMss = 0;
  mssClamp = 0;
  // Per-packet results of the parse (kept here so nothing is allocated):
  /** Offset in the buffer of the SACK option of this segment, or 0. */
  sackOff = 0;
  /** MSS option value seen in this SYN, 0 if none. */
  synMss = 0;
  /**
   * The Fast Open option of this SYN or SYN-ACK: -1 none (or malformed), 0 empty, else the
   * cookie's length, its bytes at fastopenOff; fastopenExp for the experimental kind.
   */
  fastopenLen = -1;
  fastopenOff = 0;
  fastopenExp = false;

  reset(): void {
    this.tsRecentStamp = 0;
    this.tsRecent = 0;
    this.rcvTsval = 0;
    this.rcvTsecr = 0;
    this.sawTstamp = false;
    this.tstampOk = false;
    this.dsack = false;
    this.wscaleOk = false;
    this.sackOk = false;
    this.sndWscale = 0;
    this.rcvWscale = 0;
    this.numSacks = 0;
    this.userMss = 0;
    this.mssClamp = 0;
    this.sackOff = 0;
    this.synMss = 0;
    this.fastopenLen = -1;
    this.fastopenOff = 0;
    this.fastopenExp = false;
  }
}

/** What the parser may accept (the net's sysctls), so the parser needs no Net. */
export interface TcpOptSysctls {
  windowScaling: boolean;
  timestamps: boolean;
  sack: boolean;
}

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/**
 * tcp_parse_options: the options of the header at `th` (length from doff, already checked
 * against the packet). `estab`: the connection is synchronised, so only TS and SACK count.
 * Parsing stops at EOL, at a length below 2, or at an option running past the end; each kind
 * is taken only with its exact length, as Linux does.
 */
export function tcpParseOptions(b: Uint8Array, th: number, flags: number, opt: TcpOptionsReceived, estab: boolean, sc: TcpOptSysctls): void {
  const doff = (b[th + 12] >>> 4) * 4;
  let p = th + 20;
  let length = doff - 20;
  const syn = (flags & TCPHDR_SYN) !== 0;
  opt.sawTstamp = false;
  opt.sackOff = 0;
  opt.synMss = 0;
  opt.fastopenLen = -1;
  while (length > 0) {
    const opcode = b[p++];
    if (opcode === TCPOPT_EOL) return;
    if (opcode === TCPOPT_NOP) {
      length--;
      continue;
    }
    if (length < 2) return;
    const opsize = b[p++];
    if (opsize < 2 || opsize > length) return;
    switch (opcode) {
      case TCPOPT_MSS:
        if (opsize === TCPOLEN_MSS && syn && !estab) {
          let inMss = u16(b, p);
          if (inMss) {
            opt.synMss = inMss;
            if (opt.userMss && opt.userMss < inMss) inMss = opt.userMss;
            opt.mssClamp = inMss;
          }
        }
        break;
      case TCPOPT_WINDOW:
        if (opsize === TCPOLEN_WINDOW && syn && !estab && sc.windowScaling) {
          opt.wscaleOk = true;
          opt.sndWscale = Math.min(b[p], TCP_MAX_WSCALE);
        }
        break;
      case TCPOPT_TIMESTAMP:
        if (opsize === TCPOLEN_TIMESTAMP && ((estab && opt.tstampOk) || (!estab && sc.timestamps))) {
          opt.sawTstamp = true;
          opt.rcvTsval = u32(b, p);
          opt.rcvTsecr = u32(b, p + 4);
        }
        break;
      case TCPOPT_SACK_PERM:
        if (opsize === TCPOLEN_SACK_PERM && syn && !estab && sc.sack) {
          opt.sackOk = true;
        }
        break;
      case TCPOPT_SACK:
        if (opsize >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK && (opsize - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK === 0 && opt.sackOk) {
          opt.sackOff = p - 2;
        }
        break;
      case TCPOPT_FASTOPEN:
        tcpParseFastopenOption(opt, opsize - TCPOLEN_FASTOPEN_BASE, p, syn, false);
        break;
      case TCPOPT_EXP:
        // The pre-RFC Fast Open option shares kind 254, told apart by its 16-bit magic.
        if (opsize >= TCPOLEN_EXP_FASTOPEN_BASE && u16(b, p) === TCPOPT_FASTOPEN_MAGIC) {
          tcpParseFastopenOption(opt, opsize - TCPOLEN_EXP_FASTOPEN_BASE, p + 2, syn, true);
        }
        break;
      default:
        break;
    }
    p += opsize - 2;
    length -= opsize;
  }
}

/**
 * tcp_parse_fastopen_option: only in a SYN or SYN-ACK, and only of even length (RFC 7413
 * §4.1.1); a cookie of 4 to 16 bytes, an empty option, or (anything else) none.
 */
function tcpParseFastopenOption(opt: TcpOptionsReceived, len: number, p: number, syn: boolean, exp: boolean): void {
  if (!syn || len < 0 || (len & 1)) return;
  if (len !== 0 && (len < TCP_FASTOPEN_COOKIE_MIN || len > TCP_FASTOPEN_COOKIE_MAX)) len = -1;
  opt.fastopenLen = len;
  opt.fastopenOff = p;
  opt.fastopenExp = exp;
}

/** The parsed Fast Open option of a segment into `foc` (len -1 when it had none). */
export function tcpFastopenOptionGet(b: Uint8Array, opt: TcpOptionsReceived, foc: TcpFastopenCookie): void {
  foc.len = opt.fastopenLen;
  foc.exp = opt.fastopenExp;
  if (foc.len > 0) foc.val.set(b.subarray(opt.fastopenOff, opt.fastopenOff + foc.len));
}

/**
 * tcp_fast_parse_options: a header with no options, or exactly NOP NOP TS (what an established
 * Linux peer sends), is read without the full parser. Returns false when the parse was partial
 * only in the sense that it found nothing; callers use opt.sawTstamp.
 */
export function tcpFastParseOptions(b: Uint8Array, th: number, flags: number, opt: TcpOptionsReceived, sc: TcpOptSysctls): void {
  const doff = b[th + 12] >>> 4;
  if (doff === 5) {
    opt.sawTstamp = false;
    opt.sackOff = 0;
    return;
  }
  if (opt.tstampOk && doff === 8 && b[th + 20] === TCPOPT_NOP && b[th + 21] === TCPOPT_NOP &&
    b[th + 22] === TCPOPT_TIMESTAMP && b[th + 23] === TCPOLEN_TIMESTAMP) {
    opt.sawTstamp = true;
    opt.sackOff = 0;
    opt.rcvTsval = u32(b, th + 24);
    opt.rcvTsecr = u32(b, th + 28);
    return;
  }
  tcpParseOptions(b, th, flags, opt, true, sc);
}

// struct tcp_out_options
export const OPTION_SACK_ADVERTISE = 1 << 0, OPTION_TS = 1 << 1, OPTION_MSS = 1 << 2, OPTION_WSCALE = 1 << 3,
  OPTION_FAST_OPEN_COOKIE = 1 << 8;

export class TcpOutOptions {
  options = 0;
  ws = 0;
  numSackBlocks = 0;
  mss = 0;
  tsval = 0;
  tsecr = 0;
  /** The cookie (or empty request) of OPTION_FAST_OPEN_COOKIE. */
  fastopenCookie: TcpFastopenCookie | null = null;
  clear(): void {
    this.options = 0;
    this.ws = 0;
    this.numSackBlocks = 0;
    this.mss = 0;
    this.tsval = 0;
    this.tsecr = 0;
    this.fastopenCookie = null;
  }
}

/** Bytes a Fast Open option with this cookie takes, padded to 32 bits. */
export function tcpFastopenOptionSize(foc: TcpFastopenCookie): number {
  const len = (foc.exp ? TCPOLEN_EXP_FASTOPEN_BASE : TCPOLEN_FASTOPEN_BASE) + Math.max(foc.len, 0);
  return (len + 3) & ~3;
}

/** Bytes the options will take (always a multiple of 4). */
export function tcpOptionsSize(o: TcpOutOptions): number {
  let n = 0;
  if (o.options & OPTION_MSS) n += TCPOLEN_MSS_ALIGNED;
  if (o.options & OPTION_TS) n += TCPOLEN_TSTAMP_ALIGNED;
  else if (o.options & OPTION_SACK_ADVERTISE) n += TCPOLEN_SACKPERM_ALIGNED;
  if (o.options & OPTION_WSCALE) n += TCPOLEN_WSCALE_ALIGNED;
  if (o.numSackBlocks) n += 4 + o.numSackBlocks * TCPOLEN_SACK_PERBLOCK;
  if ((o.options & OPTION_FAST_OPEN_COOKIE) && o.fastopenCookie !== null) n += tcpFastopenOptionSize(o.fastopenCookie);
  return n;
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * tcp_options_write in Linux's order: MSS; SACK_PERM folded into the TS block's NOPs;
 * NOP+WSCALE; NOP NOP SACK with up to four blocks (D-SACK first, RFC 2883 §4); Fast Open
 * (RFC 7413 §4.1.1), NOP-padded to 32 bits. Returns the offset after the options.
 */
export function tcpOptionsWrite(b: Uint8Array, p: number, o: TcpOutOptions, dsack: TcpSackBlock | null, sacks: TcpSackBlock[]): number {
  if (o.options & OPTION_MSS) {
    b[p] = TCPOPT_MSS;
    b[p + 1] = TCPOLEN_MSS;
    b[p + 2] = o.mss >>> 8;
    b[p + 3] = o.mss & 0xff;
    p += 4;
  }
  if (o.options & OPTION_TS) {
    if (o.options & OPTION_SACK_ADVERTISE) {
      b[p] = TCPOPT_SACK_PERM;
      b[p + 1] = TCPOLEN_SACK_PERM;
    } else {
      b[p] = TCPOPT_NOP;
      b[p + 1] = TCPOPT_NOP;
    }
    b[p + 2] = TCPOPT_TIMESTAMP;
    b[p + 3] = TCPOLEN_TIMESTAMP;
    w32(b, p + 4, o.tsval);
    w32(b, p + 8, o.tsecr);
    p += 12;
  } else if (o.options & OPTION_SACK_ADVERTISE) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_NOP;
    b[p + 2] = TCPOPT_SACK_PERM;
    b[p + 3] = TCPOLEN_SACK_PERM;
    p += 4;
  }
  if (o.options & OPTION_WSCALE) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_WINDOW;
    b[p + 2] = TCPOLEN_WINDOW;
    b[p + 3] = o.ws;
    p += 4;
  }
  if (o.numSackBlocks) {
    b[p] = TCPOPT_NOP;
    b[p + 1] = TCPOPT_NOP;
    b[p + 2] = TCPOPT_SACK;
    b[p + 3] = TCPOLEN_SACK_BASE + o.numSackBlocks * TCPOLEN_SACK_PERBLOCK;
    p += 4;
    let n = o.numSackBlocks;
    if (dsack !== null) {
      w32(b, p, dsack.startSeq);
      w32(b, p + 4, dsack.endSeq);
      p += 8;
      n--;
    }
    for (let i = 0; i < n; i++) {
      w32(b, p, sacks[i].startSeq);
      w32(b, p + 4, sacks[i].endSeq);
      p += 8;
    }
  }
  const foc = o.fastopenCookie;
  if ((o.options & OPTION_FAST_OPEN_COOKIE) && foc !== null) {
    const n = Math.max(foc.len, 0);
    let q = p;
    if (foc.exp) {
      b[q++] = TCPOPT_EXP;
      b[q++] = TCPOLEN_EXP_FASTOPEN_BASE + n;
      b[q++] = TCPOPT_FASTOPEN_MAGIC >>> 8;
      b[q++] = TCPOPT_FASTOPEN_MAGIC & 0xff;
    } else {
      b[q++] = TCPOPT_FASTOPEN;
      b[q++] = TCPOLEN_FASTOPEN_BASE + n;
    }
    b.set(foc.val.subarray(0, n), q);
    q += n;
    const end = p + tcpFastopenOptionSize(foc);
    while (q < end) b[q++] = TCPOPT_NOP;
    p = end;
  }
  return p;
}
