import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import {
  TCP_ESTABLISHED, TCP_SYN_SENT, TCP_FIN_WAIT1, TCP_CLOSING, TCP_LAST_ACK, TCP_CLOSE_WAIT, TCP_CLOSE,
  TCPHDR_SYN, TCPHDR_ACK, TCPHDR_RST, TCPHDR_FIN, SEND_SHUTDOWN, SOL_TCP, TCP_NODELAY, ECONNREFUSED,
} from '@knet/include';
import { createTcpTestbench, TcpTimewaitSock, TcpRequestSock, tcpBind, type TcpTestbench } from './index.js';
import type { TcpSock } from './tcp_sock.js';
import { BENCH_NET, pattern, tcpFrame } from './test/scenario_helpers.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const timewaits = (tb: TcpTestbench, h: 'a' | 'b') =>
  [...tb[h].tn.ehash.values()].filter((e) => e instanceof TcpTimewaitSock) as TcpTimewaitSock[];

/** A segment from b to a on the connection of client sock c (a's view). */
function toA(tb: TcpTestbench, c: TcpSock, seq: number, flags: number, ack = 0): Uint8Array {
  return tcpFrame({ saddr: tb.b.addr, daddr: tb.a.addr, sport: c.inetDport, dport: c.inetSport, seq, ack, flags, win: 1000 });
}
/** A segment from a to b on the connection of server sock s (b's view). */
function toB(tb: TcpTestbench, s: TcpSock, seq: number, flags: number, ack = 0): Uint8Array {
  return tcpFrame({ saddr: tb.a.addr, daddr: tb.b.addr, sport: s.inetDport, dport: s.inetSport, seq, ack, flags, win: 1000 });
}

describe('handshake variants', () => {
  test('lost final ACK: the first data segment completes the handshake on the server (RFC 9293 §3.5)', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80);
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'a' && x.flags === TCPHDR_ACK && x.len === 0 && !dropped ? (dropped = true) : false);
    const c = tb.connect(tb.a, 80);
    tb.run(20);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    expect(l.acceptQueue?.length ?? 0).toBe(0);
    expect([...tb.b.tn.ehash.values()].some((e) => e instanceof TcpRequestSock)).toBe(true);
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    tb.send(c, new TextEncoder().encode('hello'));
    tb.run(20);
    expect(l.acceptQueue?.length ?? 0).toBe(1);
    const s = tb.accept(l)!;
    expect(s.skState).toBe(TCP_ESTABLISHED);
    expect(new TextDecoder().decode(tb.drain(s))).toBe('hello');
    // No SYN-ACK retransmission was needed.
    expect(tb.log.filter((x) => x.flags === (TCPHDR_SYN | TCPHDR_ACK)).length).toBe(1);
  });

  test('lost SYN-ACK: the SYN is retransmitted after the 1 s initial RTO and the handshake completes', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const l = tb.listen(tb.b, 80);
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'b' && x.flags === (TCPHDR_SYN | TCPHDR_ACK) && !dropped ? (dropped = true) : false);
    const c = tb.connect(tb.a, 80);
    tb.runUntil(() => c.skState === TCP_ESTABLISHED, 5000);
    const syns = tb.log.filter((x) => x.flags === TCPHDR_SYN);
    expect(syns.length).toBe(2);
    expect(syns[1].t - syns[0].t).toBeGreaterThanOrEqual(1000);
    expect(syns[1].t - syns[0].t).toBeLessThanOrEqual(1000 + 1000 / 8 + 1);
    // Both SYNs carry the same ISN.
    expect(syns[1].seq).toBe(syns[0].seq);
    const synacks = tb.log.filter((x) => x.flags === (TCPHDR_SYN | TCPHDR_ACK));
    expect(synacks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(synacks.map((x) => x.seq)).size).toBe(1);
    expect(tb.clock.now()).toBeLessThan(syns[1].t + 100);
    tb.run(20);
    expect(l.acceptQueue?.length ?? 0).toBe(1);
    expect(tb.a.tn.ext.TCPSynRetrans).toBe(1);
  });
});

describe('handshake option negotiation (RFC 7323 §1.3, RFC 2018 §2, RFC 9293 §3.7.1)', () => {
  test('a SYN without options gets a SYN-ACK with only MSS; the connection runs unscaled, without SACK or timestamps', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80);
    const peer = BENCH_NET(40);
    // The scripted peer plays the client.
    const n0 = tb.log.length;
    tb.deliver(tb.b, tcpFrame({ saddr: peer, daddr: tb.b.addr, sport: 3333, dport: 80, seq: 5000, flags: TCPHDR_SYN, win: 8192 }));
    const synack = tb.log.slice(n0).find((x) => x.flags === (TCPHDR_SYN | TCPHDR_ACK))!;
    expect(synack.ack).toBe(5001);
    // Only the MSS option: kind 2, length 4.
    expect([...synack.opts].filter((b) => b !== 1)).toEqual([2, 4, 0x05, 0xb4]);
    tb.deliver(tb.b, tcpFrame({ saddr: peer, daddr: tb.b.addr, sport: 3333, dport: 80, seq: 5001, ack: (synack.seq + 1) >>> 0, flags: TCPHDR_ACK, win: 8192, payload: new TextEncoder().encode('hi') }));
    expect(l.acceptQueue?.length ?? 0).toBe(1);
    const s = tb.accept(l)!;
    expect(s.rxOpt.wscaleOk).toBe(false);
    expect(s.rxOpt.sackOk).toBe(false);
    expect(s.rxOpt.tstampOk).toBe(false);
    // No MSS option from the peer means 536 (RFC 9293 §3.7.1; RFC 1122 default).
    expect(s.mssCache).toBe(536);
    expect(s.sndWnd).toBe(8192);
    expect(new TextDecoder().decode(tb.drain(s))).toBe('hi');
    // Its segments carry no options at all, and the window field is the real window (≤ 65535).
    const n1 = tb.log.length;
    tb.send(s, pattern(2000));
    const out = tb.log.slice(n1).filter((x) => x.from === 'b' && x.len > 0);
    expect(out.map((x) => x.len)).toEqual([536, 536, 536, 392]);
    for (const x of out) expect(x.opts.length).toBe(0);
  });
});

describe('RFC 5961 §4: SYN in a synchronised state', () => {
  test('a SYN on an established connection draws a challenge ACK and the connection survives', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    tb.run(100);
    const n0 = tb.log.length;
    tb.deliver(tb.b, toB(tb, s, (s.rcvNxt + 100) >>> 0, TCPHDR_SYN));
    expect(s.skState).toBe(TCP_ESTABLISHED);
    expect(tb.b.tn.ext.TCPSYNChallenge).toBe(1);
    expect(tb.b.tn.ext.TCPChallengeACK).toBe(1);
    const ack = tb.log.slice(n0).find((x) => x.from === 'b')!;
    expect(ack.flags).toBe(TCPHDR_ACK);
    expect(ack.ack).toBe(s.rcvNxt);
    expect(ack.seq).toBe(s.sndNxt);
    tb.run(50);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    tb.send(c, pattern(10));
    tb.run(50);
    expect(tb.drain(s).length).toBe(10);
  });
});

describe('TIME_WAIT reuse by a new SYN (RFC 6191, Linux TCP_TW_SYN)', () => {
  test('a SYN from the same port with newer timestamps replaces the TIME_WAIT and connects', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const l = tb.listen(tb.b, 80);
    const c1 = tb.socket(tb.a);
    tb.setsockopt(c1, 1, 2, 1); // SO_REUSEADDR
    expect(tcpBind(c1, { family: 2, addr: 0, port: 45000 })).toBe(0);
    tb.connect(tb.a, 80, c1);
    tb.runUntil(() => (l.acceptQueue?.length ?? 0) > 0, 1000);
    const s1 = tb.accept(l)!;
    // The server closes first, so the TIME_WAIT is on the server.
    tb.close(s1);
    tb.run(20);
    tb.close(c1);
    tb.run(20);
    expect(timewaits(tb, 'b').length).toBe(1);
    tb.run(1000);
    const c2 = tb.socket(tb.a);
    tb.setsockopt(c2, 1, 2, 1);
    expect(tcpBind(c2, { family: 2, addr: 0, port: 45000 })).toBe(0);
    tb.connect(tb.a, 80, c2);
    tb.runUntil(() => (l.acceptQueue?.length ?? 0) > 0, 1000);
    expect(c2.skState).toBe(TCP_ESTABLISHED);
    expect(timewaits(tb, 'b').length).toBe(0);
    const s2 = tb.accept(l)!;
    tb.send(c2, pattern(100));
    tb.run(20);
    expect(tb.drain(s2).length).toBe(100);
  });
});

describe('RTT after a lost SYN-ACK (RFC 6298 §3 Karn, §5.7)', () => {
  test('without timestamps the retransmitted SYN yields no RTT sample and the RTO falls back to 3 s', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    tb.a.tn.sysctl.tcp_timestamps = 0;
    tb.listen(tb.b, 80);
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'b' && x.flags === (TCPHDR_SYN | TCPHDR_ACK) && !dropped ? (dropped = true) : false);
    const c = tb.connect(tb.a, 80);
    tb.runUntil(() => c.skState === TCP_ESTABLISHED, 5000);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    expect(tb.log.filter((x) => x.flags === TCPHDR_SYN).length).toBe(2);
    expect(c.rxOpt.tstampOk).toBe(false);
    // Linux tcp_init_metrics: srtt_us == 0 after the handshake → icsk_rto = TCP_TIMEOUT_FALLBACK.
    expect(c.srttUs).toBe(0);
    expect(c.icskRto).toBe(3000);
  });
});

describe('RST in each state (RFC 9293 §3.10.7, RFC 5961 §3)', () => {
  test('SYN_SENT: an RST acking our SYN refuses the connection; one with a wrong ACK is ignored', () => {
    const tb = createTcpTestbench();
    tb.listen(tb.b, 80);
    tb.dropIf = (x) => x.from === 'b';
    const c = tb.connect(tb.a, 80);
    tb.run(10);
    expect(c.skState).toBe(TCP_SYN_SENT);
    tb.deliver(tb.a, toA(tb, c, 0, TCPHDR_RST | TCPHDR_ACK, (c.sndNxt + 5) >>> 0));
    expect(c.skState).toBe(TCP_SYN_SENT);
    tb.deliver(tb.a, toA(tb, c, 0, TCPHDR_RST | TCPHDR_ACK, c.sndNxt));
    expect(c.skState).toBe(TCP_CLOSE);
    expect(c.skErr).toBe(ECONNREFUSED);
  });

  test('SYN_RECV: an RST in window removes the request sock (EmbryonicRsts)', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80);
    const peer = BENCH_NET(7);
    const syn = tcpFrame({ saddr: peer, daddr: tb.b.addr, sport: 4000, dport: 80, seq: 1000, flags: TCPHDR_SYN, opts: [2, 4, 5, 0xb4] });
    tb.dropIf = () => true;
    tb.deliver(tb.b, syn);
    expect(l.synQlen).toBe(1);
    const rst = tcpFrame({ saddr: peer, daddr: tb.b.addr, sport: 4000, dport: 80, seq: 1001, flags: TCPHDR_RST });
    tb.deliver(tb.b, rst);
    expect(l.synQlen).toBe(0);
    expect([...tb.b.tn.ehash.values()].some((e) => e instanceof TcpRequestSock)).toBe(false);
    expect(tb.b.tn.ext.EmbryonicRsts).toBe(1);
    expect(tb.b.tn.mib.AttemptFails).toBe(1);
  });

  test('FIN_WAIT1, CLOSING and LAST_ACK: an exact RST closes the socket and frees it', () => {
    for (const want of [TCP_FIN_WAIT1, TCP_CLOSING, TCP_LAST_ACK]) {
      const tb = createTcpTestbench();
      const { c, s } = tb.pair();
      let victim: TcpSock;
      let host: 'a' | 'b';
      if (want === TCP_FIN_WAIT1) {
        tb.dropIf = (x) => x.from === 'b';
        tb.shutdown(c, SEND_SHUTDOWN);
        tb.run(20);
        victim = c;
        host = 'a';
      } else if (want === TCP_CLOSING) {
        // The FINs cross; b's ACK of a's FIN is lost, so a stays in CLOSING.
        tb.dropIf = (x) => x.from === 'b' && !(x.flags & TCPHDR_FIN);
        tb.shutdown(c, SEND_SHUTDOWN);
        tb.shutdown(s, SEND_SHUTDOWN);
        tb.run(20);
        tb.dropIf = (x) => x.from === 'b';
        victim = c;
        host = 'a';
      } else {
        tb.shutdown(c, SEND_SHUTDOWN);
        tb.run(20);
        expect(s.skState).toBe(TCP_CLOSE_WAIT);
        tb.dropIf = (x) => x.from === 'a';
        tb.shutdown(s, SEND_SHUTDOWN);
        tb.run(20);
        victim = s;
        host = 'b';
      }
      expect(victim.skState).toBe(want);
      const frame = host === 'a' ? toA(tb, c, c.rcvNxt, TCPHDR_RST) : toB(tb, s, s.rcvNxt, TCPHDR_RST);
      // An in-window RST that is not exact only draws a challenge ACK (RFC 5961 §3.2).
      const off = host === 'a' ? toA(tb, c, (c.rcvNxt + 1) >>> 0, TCPHDR_RST) : toB(tb, s, (s.rcvNxt + 1) >>> 0, TCPHDR_RST);
      const ch0 = tb[host].tn.ext.TCPChallengeACK;
      tb.deliver(tb[host], off);
      expect(victim.skState).toBe(want);
      expect(tb[host].tn.ext.TCPChallengeACK).toBe(ch0 + 1);
      tb.deliver(tb[host], frame);
      expect(victim.skState).toBe(TCP_CLOSE);
      expect([...tb[host].tn.ehash.values()].includes(victim as never)).toBe(false);
    }
  });

  test('TIME_WAIT: an RST kills it (Linux default, tcp_rfc1337 = 0); with tcp_rfc1337 = 1 it is ignored', () => {
    for (const rfc1337 of [0, 1]) {
      const tb = createTcpTestbench();
      tb.a.tn.sysctl.tcp_rfc1337 = rfc1337;
      const { c, s } = tb.pair();
      tb.close(c);
      tb.run(20);
      tb.close(s);
      tb.run(20);
      const tw = timewaits(tb, 'a');
      expect(tw.length).toBe(1);
      expect(tw[0].substate).toBe(6);
      tb.deliver(tb.a, tcpFrame({ saddr: tb.b.addr, daddr: tb.a.addr, sport: tw[0].inetDport, dport: tw[0].inetNum, seq: tw[0].rcvNxt, flags: TCPHDR_RST }));
      expect(timewaits(tb, 'a').length).toBe(rfc1337 ? 1 : 0);
    }
  });
});

describe('TIME_WAIT (RFC 9293 §3.6, Linux tcp_timewait_state_process)', () => {
  test('a retransmitted FIN is ACKed and restarts the 60 s timer; afterwards the 4-tuple is answered by RST', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const { c, s } = tb.pair();
    tb.close(c);
    tb.run(20);
    // a's ACK of b's FIN is lost once: b retransmits its FIN after an RTO.
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'a' && x.flags === TCPHDR_ACK && !dropped ? (dropped = true) : false);
    tb.close(s);
    expect(s.skState).toBe(TCP_LAST_ACK);
    tb.runUntil(() => s.skState === TCP_CLOSE, 5000);
    const fins = tb.log.filter((x) => x.from === 'b' && (x.flags & TCPHDR_FIN));
    expect(fins.length).toBe(2);
    expect(fins[1].seq).toBe(fins[0].seq);
    const acks = tb.log.filter((x) => x.from === 'a' && x.t >= fins[0].t && x.flags === TCPHDR_ACK && x.ack === ((fins[0].seq + 1) >>> 0));
    expect(acks.length).toBe(2);
    expect(acks[1].t).toBe(fins[1].t + 5);
    // The TIME_WAIT lasts 60 s from the retransmitted FIN, not from the first.
    const tFin2 = fins[1].t + 5;
    tb.runUntil(() => tb.a.tn.ehashCount === 0, 70_000, 100);
    expect(tb.clock.now() - tFin2).toBeGreaterThanOrEqual(60_000);
    expect(tb.clock.now() - tFin2).toBeLessThan(60_000 + 60_000 / 8 + 200);
    expect(tb.clock.now() - (fins[0].t + 5)).toBeGreaterThan(60_000 + 100);
    // Gone: the same FIN now finds no socket and gets an RST (tcp_v4_send_reset).
    const n0 = tb.log.length;
    tb.deliver(tb.a, tcpFrame({ saddr: tb.b.addr, daddr: tb.a.addr, sport: c.inetDport, dport: c.inetSport, seq: fins[0].seq, ack: fins[0].ack, flags: TCPHDR_FIN | TCPHDR_ACK }));
    const rst = tb.log.slice(n0).filter((x) => x.from === 'a');
    expect(rst.length).toBe(1);
    expect(rst[0].flags & TCPHDR_RST).toBeTruthy();
    expect(rst[0].seq).toBe(fins[0].ack);
  });
});

describe('SYN flood (RFC 4987 §3.6, Linux syncookies)', () => {
  test('cookies answer the flood, forged cookie ACKs are refused, and a real client transfers data both ways', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80, 8);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      frames.push(tcpFrame({ saddr: BENCH_NET(256 + i), daddr: tb.b.addr, sport: 10_000 + i, dport: 80, seq: i * 7777, flags: TCPHDR_SYN, opts: [2, 4, 5, 0xb4] }));
    }
    // Spoofed sources never answer: drop what b sends them.
    tb.dropIf = (x) => x.from === 'b' && x.daddr !== tb.a.addr;
    let c: TcpSock | null = null;
    for (let i = 0; i < frames.length; i++) {
      tb.deliver(tb.b, frames[i]);
      // The real client connects in the middle of the flood.
      if (i === 150) c = tb.connect(tb.a, 80);
      if (i % 10 === 0) tb.run(1);
    }
    expect(l.synQlen).toBe(8);
    expect(tb.b.tn.ext.SyncookiesSent).toBeGreaterThanOrEqual(280);
    // A bare ACK with a made-up cookie is refused: no socket, an RST.
    const forged = tcpFrame({ saddr: BENCH_NET(9), daddr: tb.b.addr, sport: 5555, dport: 80, seq: 4242, ack: 0x12345678, flags: TCPHDR_ACK });
    const n0 = tb.log.length;
    tb.deliver(tb.b, forged);
    expect(tb.b.tn.ext.SyncookiesFailed).toBe(1);
    expect(tb.log.slice(n0).some((x) => x.from === 'b' && (x.flags & TCPHDR_RST) && x.seq === 0x12345678)).toBe(true);
    tb.runUntil(() => (l.acceptQueue?.length ?? 0) > 0, 5000);
    expect(c!.skState).toBe(TCP_ESTABLISHED);
    const s = tb.accept(l)!;
    expect(l.acceptQueue?.length ?? 0).toBe(0);
    const up = pattern(50_000, 1);
    const down = pattern(30_000, 2);
    expect(sha(tb.transfer(c!, s, up))).toBe(sha(up));
    expect(sha(tb.transfer(s, c!, down))).toBe(sha(down));
  });
});

describe('bulk transfers on an impaired link', () => {
  for (const [loss, seed] of [[0.01, 21], [0.1, 22]] as const) {
    test(`both directions at once stay byte-exact under ${loss * 100}% loss, 3% reordering and 2% duplication`, () => {
      const tb = createTcpTestbench({ loss, reorder: 0.03, reorderExtraMs: 6, duplicate: 0.02, seed, delayMs: 5, rateBytesPerMs: 2500 });
      tb.logging = false;
      const { c, s } = tb.pair();
      const n = loss > 0.05 ? 150_000 : 400_000;
      const up = pattern(n, seed);
      const down = pattern(n, seed + 100);
      const got = { up: [] as Uint8Array[], down: [] as Uint8Array[] };
      let upOff = 0, downOff = 0, upLen = 0, downLen = 0;
      while ((upLen < n || downLen < n) && tb.clock.now() < 1_200_000) {
        while (upOff < n) {
          const k = tb.send(c, up.subarray(upOff, Math.min(upOff + 65536, n)));
          if (k <= 0) break;
          upOff += k;
        }
        while (downOff < n) {
          const k = tb.send(s, down.subarray(downOff, Math.min(downOff + 65536, n)));
          if (k <= 0) break;
          downOff += k;
        }
        const a = tb.drain(s);
        const b = tb.drain(c);
        if (a.length) got.up.push(a), (upLen += a.length);
        if (b.length) got.down.push(b), (downLen += b.length);
        tb.run(1);
      }
      const cat = (p: Uint8Array[]) => Buffer.concat(p);
      expect(upLen).toBe(n);
      expect(downLen).toBe(n);
      expect(sha(cat(got.up))).toBe(sha(up));
      expect(sha(cat(got.down))).toBe(sha(down));
      expect(c.totalRetrans).toBeGreaterThan(0);
      expect(s.totalRetrans).toBeGreaterThan(0);
      expect(c.skState).toBe(TCP_ESTABLISHED);
      expect(s.skState).toBe(TCP_ESTABLISHED);
      expect(tb.lost).toBeGreaterThan(0);
    });
  }
});
