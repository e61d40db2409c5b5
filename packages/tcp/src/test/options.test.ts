import { describe, expect, test } from 'vitest';
import { test as ptest, fc } from '@fast-check/vitest';
import { TCPHDR_SYN, TCPHDR_ACK, TCPHDR_RST } from '@knet/include';
import { createTcpTestbench, tcpParseOptions, TcpOptionsReceived } from '../index.js';

const sc = { windowScaling: true, timestamps: true, sack: true };

describe('options', () => {
  test('golden SYN: MSS 1460, SACK_PERM + TS, NOP + WS 7 in Linux order', () => {
    const tb = createTcpTestbench();
    tb.connect(tb.a, 80);
    const syn = tb.log[0];
    const o = Buffer.from(syn.opts).toString('hex');
    // 02 04 05b4 | 04 02 08 0a <tsval> 00000000 | 01 03 03 07
    expect(o.slice(0, 8)).toBe('020405b4');
    expect(o.slice(8, 16)).toBe('0402080a');
    expect(o.slice(24, 32)).toBe('00000000');
    expect(o.slice(32)).toBe('01030307');
    expect(syn.win).toBe(64240);
    const opt = new TcpOptionsReceived();
    tcpParseOptions(syn.bytes, 0, TCPHDR_SYN, opt, false, sc);
    expect(opt.mssClamp).toBe(1460);
    expect(opt.sackOk).toBe(true);
    expect(opt.wscaleOk && opt.sndWscale).toBe(7);
    expect(opt.sawTstamp).toBe(true);
  });

  test('strict parsing: bad lengths stop the parse, wrong per-kind lengths are ignored', () => {
    const hdr = (opts: number[]) => {
      const n = 20 + Math.ceil(opts.length / 4) * 4;
      const b = new Uint8Array(n);
      b[12] = (n / 4) << 4;
      b.set(opts, 20);
      return b;
    };
    const o = new TcpOptionsReceived();
    tcpParseOptions(hdr([2, 3, 5, 0xb4, 3, 3, 7, 0]), 0, TCPHDR_SYN, o, false, sc); // MSS with length 3
    expect(o.mssClamp).toBe(0);
    o.reset();
    tcpParseOptions(hdr([1, 3, 1, 0x02, 4, 5, 0xb4, 0]), 0, TCPHDR_SYN, o, false, sc); // length 1 stops
    expect(o.wscaleOk).toBe(false);
    expect(o.mssClamp).toBe(0);
    o.reset();
    tcpParseOptions(hdr([3, 3, 20, 0]), 0, TCPHDR_SYN, o, false, sc); // shift > 14 is clamped (RFC 7323 §2.3)
    expect(o.sndWscale).toBe(14);
  });

  ptest.prop([fc.uint8Array({ minLength: 20, maxLength: 60 }), fc.boolean(), fc.integer({ min: 0, max: 255 })])(
    'random option bytes never throw nor read past the header', (bytes, estab, flags) => {
      const b = new Uint8Array(bytes.length + 8).fill(0);
      b.set(bytes);
      b[12] = Math.floor(bytes.length / 4) << 4;
      const view = new Proxy(b, {});
      const o = new TcpOptionsReceived();
      o.tstampOk = true;
      o.sackOk = true;
      // Guard bytes after the header must not influence the result.
      const b2 = b.slice();
      b2.fill(0xff, bytes.length);
      const o2 = new TcpOptionsReceived();
      o2.tstampOk = true;
      o2.sackOk = true;
      expect(() => tcpParseOptions(view, 0, flags, o, estab, sc)).not.toThrow();
      tcpParseOptions(b2, 0, flags, o2, estab, sc);
      expect({ ...o2 }).toEqual({ ...o });
    });
});

describe('RFC 5961', () => {
  test('an in-window RST with the wrong sequence gets a challenge ACK; the exact one resets', () => {
    const tb = createTcpTestbench();
    const { c } = tb.pair();
    const mk = (seq: number) => {
      const f = new Uint8Array(40);
      f[0] = 0x45; f[3] = 40; f[8] = 64; f[9] = 6;
      const w = (o: number, v: number) => { f[o] = v >>> 24; f[o + 1] = (v >>> 16) & 255; f[o + 2] = (v >>> 8) & 255; f[o + 3] = v & 255; };
      w(12, tb.b.addr); w(16, tb.a.addr);
      f[20] = c.inetDport >> 8; f[21] = c.inetDport & 255; f[22] = c.inetSport >> 8; f[23] = c.inetSport & 255;
      w(24, seq); f[32] = 5 << 4; f[33] = TCPHDR_RST;
      let sum = (tb.b.addr >>> 16) + (tb.b.addr & 0xffff) + (tb.a.addr >>> 16) + (tb.a.addr & 0xffff) + 6 + 20;
      for (let i = 20; i < 40; i += 2) sum += (f[i] << 8) | f[i + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const ck = ~sum & 0xffff;
      f[36] = ck >> 8; f[37] = ck & 255;
      return f;
    };
    const n0 = tb.log.length;
    tb.deliver(tb.a, mk((c.rcvNxt + 1000) >>> 0));
    expect(c.skState).toBe(1);
    expect(tb.a.tn.ext.TCPChallengeACK).toBe(1);
    const ack = tb.log.slice(n0).find((x) => x.from === 'a')!;
    expect(ack.flags).toBe(TCPHDR_ACK);
    expect(ack.ack).toBe(c.rcvNxt);
    // A second bad RST within tcp_invalid_ratelimit is not answered.
    tb.deliver(tb.a, mk((c.rcvNxt + 2000) >>> 0));
    expect(tb.a.tn.ext.TCPChallengeACK).toBe(1);
    expect(tb.a.tn.ext.TCPACKSkippedChallenge).toBe(1);
    tb.deliver(tb.a, mk(c.rcvNxt));
    expect(c.skState).toBe(7);
  });
});

describe('out-of-order queue', () => {
  test('a SegmentSmack-style flood of tiny out-of-order segments stays bounded by rcvbuf', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    const base = s.rcvNxt;
    const mk = (seq: number) => {
      const f = new Uint8Array(41);
      f[0] = 0x45; f[3] = 41; f[8] = 64; f[9] = 6;
      const w = (o: number, v: number) => { f[o] = v >>> 24; f[o + 1] = (v >>> 16) & 255; f[o + 2] = (v >>> 8) & 255; f[o + 3] = v & 255; };
      w(12, tb.a.addr); w(16, tb.b.addr);
      f[20] = c.inetSport >> 8; f[21] = c.inetSport & 255; f[22] = c.inetDport >> 8; f[23] = c.inetDport & 255;
      w(24, seq); w(28, c.rcvNxt); f[32] = 5 << 4; f[33] = TCPHDR_ACK; f[34] = 0xff; f[35] = 0xff; f[40] = 0x41;
      let sum = (tb.a.addr >>> 16) + (tb.a.addr & 0xffff) + (tb.b.addr >>> 16) + (tb.b.addr & 0xffff) + 6 + 21;
      for (let i = 20; i < 41; i += 2) sum += ((f[i] << 8) | (i + 1 < 41 ? f[i + 1] : 0));
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const ck = ~sum & 0xffff;
      f[36] = ck >> 8; f[37] = ck & 255;
      return f;
    };
    tb.dropIf = () => true; // nothing the host answers matters here
    let maxRmem = 0;
    for (let i = 0; i < 20_000; i++) {
      // Every other byte, in a shuffled order, inside the window.
      const k = (i * 7919) % 30_000;
      tb.deliver(tb.b, mk((base + 2 + 2 * k) >>> 0));
      maxRmem = Math.max(maxRmem, s.skRmemAlloc);
    }
    expect(maxRmem).toBeLessThanOrEqual(s.skRcvbuf + 8192);
    expect(s.ooo.length).toBeLessThan(200);
    expect(tb.b.tn.ext.PruneCalled).toBeGreaterThan(0);
    expect(s.skState).toBe(1);
  });
});
