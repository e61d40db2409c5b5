// net/ipv4/syncookies.c: SYN cookies (RFC 4987 §3.6). The ISN of the SYN-ACK encodes an MSS
// table index and a minute counter under a keyed hash; with timestamps the TSval carries the
// window scale, SACK and ECN bits, so no state is kept until the final ACK proves the peer.
import { hsiphash } from './secure_seq.js';
import type { TcpNet } from './tcp_net.js';
import { MSSTAB } from './tcp_defs.js';

const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** A cookie is valid for two minutes of its counter (MAX_SYNCOOKIE_AGE). */
const MAX_SYNCOOKIE_AGE = 2;
const TSBITS = 6;
const TSMASK = (1 << TSBITS) - 1;
export const TS_OPT_WSCALE_MASK = 0xf, TS_OPT_SACK = 1 << 4, TS_OPT_ECN = 1 << 5;

/** tcp_cookie_time: minutes of the net's clock. */
export function tcpCookieTime(nowMs: number): number {
  return Math.floor(nowMs / 60_000) >>> 0;
}

function cookieHash(tn: TcpNet, saddr: number, daddr: number, sport: number, dport: number, count: number, c: 0 | 1): number {
  return hsiphash(tn.cookieKeys[c], 4, saddr, daddr, ((sport << 16) | dport) >>> 0, count);
}

/** secure_tcp_syn_cookie */
function secureTcpSynCookie(tn: TcpNet, saddr: number, daddr: number, sport: number, dport: number, sseq: number, data: number, nowMs: number): number {
  const count = tcpCookieTime(nowMs);
  return (cookieHash(tn, saddr, daddr, sport, dport, 0, 0) + sseq + ((count << COOKIEBITS) >>> 0) +
    ((cookieHash(tn, saddr, daddr, sport, dport, count, 1) + data) & COOKIEMASK)) >>> 0;
}

/** check_tcp_syn_cookie: the encoded data, or -1 when the cookie is forged or too old. */
function checkTcpSynCookie(tn: TcpNet, cookie: number, saddr: number, daddr: number, sport: number, dport: number, sseq: number, nowMs: number): number {
  const count = tcpCookieTime(nowMs);
  cookie = (cookie - cookieHash(tn, saddr, daddr, sport, dport, 0, 0) - sseq) >>> 0;
  const diff = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return -1;
  return (cookie - cookieHash(tn, saddr, daddr, sport, dport, (count - diff) >>> 0, 1)) & COOKIEMASK;
}

/**
 * __cookie_v4_init_sequence: the ISN for a SYN from saddr:sport to daddr:dport with sequence
 * `seq`; `mss` is rounded down to the table. Returns [isn, mss].
 */
export function cookieV4InitSequence(tn: TcpNet, saddr: number, daddr: number, sport: number, dport: number, seq: number, mss: number, nowMs: number): [number, number] {
  let mssind = MSSTAB.length - 1;
  while (mssind > 0 && mss < MSSTAB[mssind]) mssind--;
  return [secureTcpSynCookie(tn, saddr, daddr, sport, dport, seq, mssind, nowMs), MSSTAB[mssind]];
}

/** __cookie_v4_check: the MSS the cookie encodes, or 0 if it does not verify. */
export function cookieV4Check(tn: TcpNet, saddr: number, daddr: number, sport: number, dport: number, seq: number, cookie: number, nowMs: number): number {
  const mssind = checkTcpSynCookie(tn, cookie, saddr, daddr, sport, dport, seq, nowMs);
  return mssind >= 0 && mssind < MSSTAB.length ? MSSTAB[mssind] : 0;
}

/** cookie_init_timestamp: TSval with the option bits in its low 6 bits, never ahead of now. */
export function cookieInitTimestamp(tsNow: number, wscaleOk: boolean, sndWscale: number, sackOk: boolean, ecnOk = false): number {
  let options = wscaleOk ? sndWscale : TS_OPT_WSCALE_MASK;
  if (sackOk) options |= TS_OPT_SACK;
  if (ecnOk) options |= TS_OPT_ECN;
  let ts = ((tsNow >>> TSBITS) << TSBITS) >>> 0;
  ts = (ts | options) >>> 0;
  if (((ts - tsNow) | 0) > 0) ts = (ts - (1 << TSBITS)) >>> 0;
  return ts;
}

/** cookie_timestamp_decode: the options carried in the echoed TSval. */
export function cookieTimestampDecode(tsecr: number): { wscaleOk: boolean; sndWscale: number; sackOk: boolean; ecnOk: boolean } {
  const options = tsecr & TSMASK;
  const sackOk = (options & TS_OPT_SACK) !== 0;
  const ecnOk = (options & TS_OPT_ECN) !== 0;
  if ((options & TS_OPT_WSCALE_MASK) === TS_OPT_WSCALE_MASK) return { wscaleOk: false, sndWscale: 0, sackOk, ecnOk };
  return { wscaleOk: true, sndWscale: options & TS_OPT_WSCALE_MASK, sackOk, ecnOk };
}
