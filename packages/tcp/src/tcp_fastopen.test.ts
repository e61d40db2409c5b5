import { describe, expect, test } from 'vitest';
import { TCPHDR_ACK, TCPHDR_SYN } from '@knet/include';
import {
  TcpOptionsReceived, TcpOutOptions, OPTION_FAST_OPEN_COOKIE, OPTION_MSS, tcpOptionsSize, tcpOptionsWrite,
  tcpParseOptions, tcpFastopenOptionGet,
} from './tcp_options.js';
import { TcpFastopenCookie } from './tcp_fastopen_cookie.js';
import { TcpMetricsCache } from './tcp_metrics.js';

const sc = { windowScaling: true, timestamps: true, sack: true };

function cookie(bytes: number[], exp = false): TcpFastopenCookie {
  const c = new TcpFastopenCookie();
  c.val.set(bytes);
  c.len = bytes.length;
  c.exp = exp;
  return c;
}

function write(c: TcpFastopenCookie): number[] {
  const o = new TcpOutOptions();
  o.options = OPTION_FAST_OPEN_COOKIE;
  o.fastopenCookie = c;
  const b = new Uint8Array(40);
  const end = tcpOptionsWrite(b, 0, o, null, []);
  expect(end).toBe(tcpOptionsSize(o));
  return [...b.subarray(0, end)];
}

/** A TCP header with `opts` (padded with NOPs) and the given flags. */
function header(opts: number[], flags: number): Uint8Array {
  const o = [...opts];
  while (o.length % 4) o.push(1);
  const b = new Uint8Array(20 + o.length);
  b[12] = ((20 + o.length) / 4) << 4;
  b[13] = flags;
  b.set(o, 20);
  return b;
}

function parse(opts: number[], flags = TCPHDR_SYN | TCPHDR_ACK): TcpFastopenCookie {
  const b = header(opts, flags);
  const rx = new TcpOptionsReceived();
  tcpParseOptions(b, 0, flags, rx, false, sc);
  const foc = new TcpFastopenCookie();
  tcpFastopenOptionGet(b, rx, foc);
  return foc;
}

describe('Fast Open option encoding (RFC 7413 §4.1.1, golden bytes)', () => {
  test('a cookie request is kind 34 length 2, padded with two NOPs', () => {
    expect(write(cookie([]))).toEqual([34, 2, 1, 1]);
  });

  test('an 8-byte cookie is kind 34 length 10 and the bytes, then two NOPs', () => {
    expect(write(cookie([0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]))).toEqual(
      [34, 10, 0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 1, 1]);
  });

  test('a 4-byte cookie needs no padding', () => {
    expect(write(cookie([0xab, 0xcd, 0x12, 0x34]))).toEqual([34, 6, 0xab, 0xcd, 0x12, 0x34, 1, 1]);
  });

  test('the experimental format is kind 254 with magic 0xF989', () => {
    expect(write(cookie([], true))).toEqual([254, 4, 0xf9, 0x89]);
    expect(write(cookie([1, 2, 3, 4], true))).toEqual([254, 8, 0xf9, 0x89, 1, 2, 3, 4]);
  });

  test('it follows the other SYN options, as Linux writes them', () => {
    const o = new TcpOutOptions();
    o.options = OPTION_MSS | OPTION_FAST_OPEN_COOKIE;
    o.mss = 1460;
    o.fastopenCookie = cookie([]);
    const b = new Uint8Array(40);
    const end = tcpOptionsWrite(b, 0, o, null, []);
    expect([...b.subarray(0, end)]).toEqual([2, 4, 0x05, 0xb4, 34, 2, 1, 1]);
  });
});

describe('Fast Open option parsing (tcp_parse_fastopen_option)', () => {
  test('a cookie of 4 to 16 bytes is taken with its bytes', () => {
    const c = parse([34, 10, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.len).toBe(8);
    expect(c.exp).toBe(false);
    expect([...c.bytes()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parse([34, 18, ...new Array<number>(16).fill(9)]).len).toBe(16);
  });

  test('an empty option is a cookie request (len 0); none at all is -1', () => {
    expect(parse([34, 2]).len).toBe(0);
    expect(parse([2, 4, 5, 180]).len).toBe(-1);
  });

  test('odd or out-of-range lengths are not a cookie', () => {
    expect(parse([34, 5, 1, 2, 3]).len).toBe(-1);
    expect(parse([34, 4, 1, 2]).len).toBe(-1);
    expect(parse([34, 20, ...new Array<number>(18).fill(1)]).len).toBe(-1);
  });

  test('only in a SYN or SYN-ACK', () => {
    expect(parse([34, 6, 1, 2, 3, 4], TCPHDR_ACK).len).toBe(-1);
  });

  test('the experimental option is recognised by its magic', () => {
    const c = parse([254, 8, 0xf9, 0x89, 5, 6, 7, 8]);
    expect(c.len).toBe(4);
    expect(c.exp).toBe(true);
    expect(parse([254, 8, 0x12, 0x34, 5, 6, 7, 8]).len).toBe(-1);
  });

  test('an option running past the header stops the parse without reading beyond it', () => {
    expect(parse([1, 1, 34, 12, 1, 2]).len).toBe(-1);
  });
});

describe('the per-destination cache (tcp_metrics)', () => {
  test('entries are per (saddr, daddr), and the least recently used goes when full', () => {
    const m = new TcpMetricsCache(2);
    m.lookup(1, 10, true)!.mss = 1000;
    m.lookup(1, 20, true)!.mss = 2000;
    expect(m.lookup(2, 10, false)).toBeNull();
    expect(m.lookup(1, 10, false)!.mss).toBe(1000);
    m.lookup(1, 30, true);
    expect(m.size).toBe(2);
    expect(m.lookup(1, 20, false)).toBeNull();
    expect(m.lookup(1, 10, false)).not.toBeNull();
  });
});
