import { describe, expect, test } from 'vitest';
import {
  SOL_TCP, SOL_SOCKET, TCP_NODELAY, TCP_CORK, SO_KEEPALIVE, SO_RCVBUF, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
  TCP_CLOSE, TCP_ESTABLISHED, TCPHDR_ACK, TCPHDR_RST, TCPHDR_SYN, ETIMEDOUT,
} from '@knet/include';
import { createTcpTestbench, type TcpTestbench } from './index.js';
import { pattern, tcpFrame, wscaleOpt } from './test/scenario_helpers.js';

const payload = (tb: TcpTestbench, from: 'a' | 'b', n0 = 0) => tb.log.slice(n0).filter((x) => x.from === from && x.len > 0);

describe('window scaling (RFC 7323 §2)', () => {
  test('SO_RCVBUF 4 MiB: wscale 7 offered, windows above 64 KiB advertised and more than 64 KiB kept in flight', () => {
    const tb = createTcpTestbench({ delayMs: 20, rateBytesPerMs: 12_500 });
    // net.core.rmem_max = 4 MiB, as a host tuned for large windows would set it.
    tb.b.net.sysctls.set('net.core.rmem_max', { get: () => 4 << 20, set: () => 0 });
    const l = tb.listen(tb.b, 80);
    expect(tb.setsockopt(l, SOL_SOCKET, SO_RCVBUF, 4 << 20)).toBe(0);
    expect(l.skRcvbuf).toBe(8 << 20); // Linux doubles the request for bookkeeping overhead
    const c = tb.connect(tb.a, 80);
    tb.runUntil(() => (l.acceptQueue?.length ?? 0) > 0, 1000);
    const s = tb.accept(l)!;
    const synack = tb.log.find((x) => x.flags === (TCPHDR_SYN | TCPHDR_ACK))!;
    // Windows in SYN segments are never scaled (§2.2); the shift is offered in the option.
    expect(wscaleOpt(synack)).toBe(7);
    expect(synack.win).toBeLessThanOrEqual(65535);
    expect(c.rxOpt.sndWscale).toBe(7);
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    const d = pattern(4 << 20, 3);
    let maxInFlight = 0;
    let off = 0;
    let gotLen = 0;
    while (gotLen < d.length && tb.clock.now() < 60_000) {
      while (off < d.length) {
        const n = tb.send(c, d.subarray(off, Math.min(off + 65536, d.length)));
        if (n <= 0) break;
        off += n;
      }
      maxInFlight = Math.max(maxInFlight, (c.sndNxt - c.sndUna) >>> 0);
      const r = tb.drain(s);
      gotLen += r.length;
      tb.run(1);
    }
    expect(gotLen).toBe(d.length);
    // ACKs carried windows > 64 KiB: the 16-bit field shifted left by 7.
    const maxAdv = Math.max(...tb.log.filter((x) => x.from === 'b' && !(x.flags & TCPHDR_SYN)).map((x) => x.win << 7));
    expect(maxAdv).toBeGreaterThan(65535);
    expect(c.sndWnd).toBeGreaterThan(65535);
    // BDP is 12.5 MB/s × 40 ms = 500 kB: the sender used the large window.
    expect(maxInFlight).toBeGreaterThan(65535 * 3);
  });
});

describe('zero window and persist (RFC 9293 §3.8.6.1, Linux tcp_probe_timer)', () => {
  test('probes at base·2^k after each zero-window answer; the window reopening resumes sending at once', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    tb.a.tn.sysctl.tcp_timestamps = 0; // scripted peer segments carry no options
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    tb.transfer(c, s, pattern(30_000));
    tb.run(500);
    // From here the peer is scripted: b's own stack is silenced.
    const wscale = c.rxOpt.sndWscale;
    const ack = (win: number) =>
      tcpFrame({ saddr: tb.b.addr, daddr: tb.a.addr, sport: c.inetDport, dport: c.inetSport, seq: c.rcvNxt, ack: c.sndNxt, flags: TCPHDR_ACK, win: win >> wscale });
    const probes: number[] = [];
    tb.dropIf = (x) => {
      if (x.from === 'b') return true;
      if (x.len === 0 && x.seq === ((c.sndUna - 1) >>> 0)) {
        probes.push(x.t);
        // Answer each probe with a zero window, 5 ms after it arrives.
        tb.clock.schedule(10, () => tb.deliver(tb.a, ack(0)));
      }
      return false;
    };
    tb.send(c, pattern(3 * c.mssCache));
    tb.run(20);
    expect(c.packetsOut).toBe(3);
    const base = Math.max(c.icskRto, 200);
    const tz = tb.clock.now();
    tb.deliver(tb.a, ack(0)); // everything acked, window closed
    expect(c.packetsOut).toBe(0);
    expect(c.sndWnd).toBe(0);
    tb.send(c, pattern(2 * c.mssCache));
    tb.run(16_000);
    expect(payload(tb, 'a').filter((x) => x.t > tz).length).toBe(0);
    expect(probes.length).toBeGreaterThanOrEqual(5);
    // First probe one base interval after the zero window; then each answer re-arms base·2^k.
    const slack = (w: number) => w / 8 + 1;
    expect(probes[0] - tz).toBeGreaterThanOrEqual(base);
    expect(probes[0] - tz).toBeLessThanOrEqual(base + slack(base));
    for (let k = 1; k < probes.length; k++) {
      const want = Math.min(base * 2 ** k, 120_000) + 10;
      expect(probes[k] - probes[k - 1]).toBeGreaterThanOrEqual(want);
      expect(probes[k] - probes[k - 1]).toBeLessThanOrEqual(want + slack(want));
    }
    expect(tb.a.tn.ext.TCPWinProbe).toBe(probes.length);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    // The window opens: the queued data leaves on that ACK, and the backoff is reset.
    const n0 = tb.log.length;
    const t1 = tb.clock.now();
    tb.deliver(tb.a, ack(65536));
    const out = payload(tb, 'a', n0);
    expect(out.length).toBe(2);
    expect(out[0].t).toBe(t1);
    expect(c.icskBackoff).toBe(0);
  });
});

describe('persist timer limits (RFC 1122 §4.2.2.17, Linux tcp_probe_timer)', () => {
  test('answered probes keep the connection open indefinitely at intervals capped at 120 s; unanswered, it aborts after tcp_retries2 probes', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    tb.a.tn.sysctl.tcp_timestamps = 0;
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    tb.transfer(c, s, pattern(30_000));
    tb.run(500);
    const zeroAck = () =>
      tcpFrame({ saddr: tb.b.addr, daddr: tb.a.addr, sport: c.inetDport, dport: c.inetSport, seq: c.rcvNxt, ack: c.sndNxt, flags: TCPHDR_ACK, win: 0 });
    let answer = true;
    const probes: number[] = [];
    tb.dropIf = (x) => {
      if (x.from === 'b') return true;
      if (x.len === 0 && x.seq === ((c.sndUna - 1) >>> 0)) {
        probes.push(x.t);
        if (answer) tb.clock.schedule(10, () => tb.deliver(tb.a, zeroAck()));
      }
      return false;
    };
    tb.deliver(tb.a, zeroAck());
    tb.send(c, pattern(1000));
    // Half an hour of a closed window with an answering peer.
    tb.run(1_800_000);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    expect(probes.length).toBeGreaterThan(18);
    const gaps = probes.slice(1).map((t, i) => t - probes[i]);
    // TCP_RTO_MAX bounds the interval (plus the 10 ms answer time and the wheel's slack).
    expect(Math.max(...gaps)).toBeLessThanOrEqual(120_000 + 10 + 120_000 / 8);
    expect(gaps.filter((g) => g >= 120_000).length).toBeGreaterThanOrEqual(5);
    // The peer goes silent: probes_out is no longer reset, and after tcp_retries2 (15) the socket dies.
    answer = false;
    const n = probes.length;
    tb.runUntil(() => c.skState === TCP_CLOSE, 4_000_000, 1000);
    expect(c.skState).toBe(TCP_CLOSE);
    expect(c.skErr).toBe(ETIMEDOUT);
    expect(probes.length - n).toBe(15);
  });
});

describe('delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2, Linux tcp_send_delayed_ack)', () => {
  test('quick ACKs at the start, one ACK per two full segments, and a lone segment ACKed after the 40 ms ATO', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    // A fixed receive buffer, so the window stops growing (tcp_grow_window forces quick ACKs while it grows).
    const l = tb.listen(tb.b, 80);
    tb.setsockopt(l, SOL_SOCKET, SO_RCVBUF, 65536);
    const c = tb.connect(tb.a, 80);
    tb.run(50);
    const s = tb.accept(l)!;
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    // Quickack mode right after the handshake: the first data is ACKed at once.
    let n0 = tb.log.length;
    tb.send(c, pattern(100));
    tb.run(100);
    let seg = payload(tb, 'a', n0)[0];
    let ack = tb.log.slice(n0).find((x) => x.from === 'b' && x.ack === ((seg.seq + 100) >>> 0))!;
    expect(ack.t - seg.t).toBe(10);
    // Leave quickack mode with bulk data, then pause (less than the RTO).
    tb.transfer(c, s, pattern(100_000));
    tb.run(100);
    tb.drain(s);
    expect(s.icskAck.quick).toBe(0);
    // From here a reader consumes data as soon as it is readable (an application blocked in recv).
    const ready = s.skDataReady;
    s.skDataReady = (sk) => {
      ready(sk);
      tb.clock.schedule(0, () => tb.drain(s));
    };
    const mss = c.mssCache;
    // Two full segments: one ACK, sent as the second arrives (RFC 5681 §4.2 "every second full-sized segment").
    n0 = tb.log.length;
    tb.send(c, pattern(2 * mss));
    tb.run(100);
    const two = payload(tb, 'a', n0);
    expect(two.length).toBe(2);
    const acks2 = tb.log.slice(n0).filter((x) => x.from === 'b' && x.len === 0);
    expect(acks2.length).toBe(1);
    expect(acks2[0].ack).toBe((two[1].seq + mss) >>> 0);
    expect(acks2[0].t).toBe(two[1].t + 10);
    // One full segment alone: ACKed after the ATO, TCP_ATO_MIN = 40 ms (srtt is below it); the
    // wheel fires a level-0 timer one jiffy after its expiry, as Linux's calc_index does.
    const delayed0 = tb.b.tn.ext.DelayedACKs;
    n0 = tb.log.length;
    tb.send(c, pattern(mss));
    tb.run(300);
    seg = payload(tb, 'a', n0)[0];
    ack = tb.log.slice(n0).find((x) => x.from === 'b')!;
    expect(ack.ack).toBe((seg.seq + mss) >>> 0);
    expect(ack.t - (seg.t + 10)).toBeGreaterThanOrEqual(40);
    expect(ack.t - (seg.t + 10)).toBeLessThanOrEqual(41);
    expect(tb.b.tn.ext.DelayedACKs).toBe(delayed0 + 1);
  });

  test('the delayed-ACK timeout never exceeds 200 ms (TCP_DELACK_MAX), even when the ATO estimate is larger', () => {
    const tb = createTcpTestbench({ delayMs: 400 });
    const { c } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    const n0 = tb.log.length;
    for (let i = 0; i < 40; i++) {
      tb.send(c, pattern(100));
      tb.run(300);
    }
    tb.run(2000);
    const delays = payload(tb, 'a', n0).map((seg) => {
      const ack = tb.log.slice(n0).find((x) => x.from === 'b' && x.ack === ((seg.seq + 100) >>> 0))!;
      return ack.t - (seg.t + 400);
    });
    // Segments 300 ms apart push the ATO estimate to ato/2 + 300 ms; the timer is capped at 200 ms.
    const tail = delays.slice(-10);
    expect(tail.length).toBe(10);
    for (const d of tail) {
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(200 + 200 / 8 + 1);
    }
    // The first ones were quick ACKs.
    expect(delays[0]).toBe(0);
    expect(c.skState).toBe(TCP_ESTABLISHED);
  });
});

describe('Nagle (RFC 896, RFC 1122 §4.2.3.4) and TCP_CORK', () => {
  test('small writes are held while data is unacked and leave as one segment when the ACK arrives', () => {
    const tb = createTcpTestbench({ delayMs: 20 });
    const { c, s } = tb.pair();
    const n0 = tb.log.length;
    tb.send(c, pattern(100));
    for (let i = 0; i < 10; i++) tb.send(c, pattern(50));
    expect(payload(tb, 'a', n0).length).toBe(1);
    tb.run(200);
    const segs = payload(tb, 'a', n0);
    expect(segs.map((x) => x.len)).toEqual([100, 500]);
    // The held bytes left when the ACK of the first segment arrived (one RTT later).
    const ack = tb.log.slice(n0).find((x) => x.from === 'b' && x.ack === ((segs[0].seq + 100) >>> 0))!;
    expect(segs[1].t).toBe(ack.t + 20);
    expect(tb.drain(s).length).toBe(600);
  });

  test('setting TCP_NODELAY sends what Nagle was holding at once (Linux tcp_push_pending_frames on setsockopt)', () => {
    const tb = createTcpTestbench({ delayMs: 20 });
    const { c } = tb.pair();
    const n0 = tb.log.length;
    tb.send(c, pattern(100));
    tb.send(c, pattern(100));
    expect(payload(tb, 'a', n0).length).toBe(1);
    tb.run(5);
    const t = tb.clock.now();
    expect(tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1)).toBe(0);
    const segs = payload(tb, 'a', n0);
    expect(segs.map((x) => x.len)).toEqual([100, 100]);
    expect(segs[1].t).toBe(t);
  });

  test('TCP_CORK holds partial segments, sends full ones, and flushes the rest on uncork', () => {
    const tb = createTcpTestbench({ delayMs: 20 });
    const { c, s } = tb.pair();
    tb.run(100);
    const mss = c.mssCache;
    expect(tb.setsockopt(c, SOL_TCP, TCP_CORK, 1)).toBe(0);
    const n0 = tb.log.length;
    for (let i = 0; i < 3; i++) tb.send(c, pattern(100));
    tb.run(50);
    // Nothing unacked, Nagle alone would send: the cork holds it.
    expect(payload(tb, 'a', n0).length).toBe(0);
    tb.send(c, pattern(mss));
    tb.run(1);
    expect(payload(tb, 'a', n0).map((x) => x.len)).toEqual([mss]);
    const t = tb.clock.now();
    expect(tb.setsockopt(c, SOL_TCP, TCP_CORK, 0)).toBe(0);
    const segs = payload(tb, 'a', n0);
    expect(segs.map((x) => x.len)).toEqual([mss, 300]);
    expect(segs[1].t).toBe(t);
    tb.run(100);
    expect(tb.drain(s).length).toBe(mss + 300);
  });
});

describe('keepalive (RFC 1122 §4.2.3.6, Linux tcp_keepalive_timer)', () => {
  test('probes at KEEPIDLE then every KEEPINTVL; after KEEPCNT unanswered, RST and ETIMEDOUT', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const { c } = tb.pair();
    tb.run(100);
    tb.dropIf = (x) => x.from === 'b';
    tb.setsockopt(c, SOL_TCP, TCP_KEEPIDLE, 10);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPINTVL, 2);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPCNT, 3);
    const t0 = tb.clock.now();
    tb.setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1);
    const n0 = tb.log.length;
    tb.runUntil(() => c.skState === TCP_CLOSE, 60_000, 50);
    const out = tb.log.slice(n0).filter((x) => x.from === 'a');
    const probes = out.filter((x) => !(x.flags & TCPHDR_RST));
    // A keepalive probe is a bare ACK with seq = snd_una − 1 (RFC 1122 garbage-octet-free form).
    expect(probes.length).toBe(3);
    for (const p of probes) {
      expect(p.flags).toBe(TCPHDR_ACK);
      expect(p.len).toBe(0);
      expect(p.seq).toBe((c.sndUna - 1) >>> 0);
    }
    const rel = out.map((x) => x.t - t0);
    // 10 s idle, then every 2 s (the wheel may be one bucket late).
    const want = [10_000, 12_000, 14_000, 16_000];
    expect(rel.length).toBe(4);
    rel.forEach((r, i) => {
      expect(r).toBeGreaterThanOrEqual(want[i] - 1);
      expect(r).toBeLessThanOrEqual(want[i] + 300);
    });
    expect(out[3].flags & TCPHDR_RST).toBeTruthy();
    expect(c.skErr).toBe(ETIMEDOUT);
    expect(tb.a.tn.ext.TCPKeepAlive).toBe(3);
  });

  test('an answered probe keeps the connection up and the next probe waits a full KEEPIDLE', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const { c } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_KEEPIDLE, 5);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPINTVL, 1);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPCNT, 2);
    const t0 = tb.clock.now();
    tb.setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1);
    const n0 = tb.log.length;
    tb.run(16_000);
    const probes = tb.log.slice(n0).filter((x) => x.from === 'a').map((x) => x.t - t0);
    expect(probes.length).toBe(3);
    expect(probes[0]).toBeGreaterThanOrEqual(5_000);
    expect(probes[1] - probes[0]).toBeGreaterThanOrEqual(5_000);
    expect(probes[1] - probes[0]).toBeLessThan(5_700);
    expect(c.skState).toBe(TCP_ESTABLISHED);
  });
});
