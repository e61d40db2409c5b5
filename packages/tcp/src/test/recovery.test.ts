import { describe, expect, test } from 'vitest';
import type { TcpCaSock, TcpCongestionOps } from '@knet/include';
import { TCP_ESTABLISHED, TCP_CLOSE, TCPHDR_RST, TCPHDR_ACK, TCPHDR_SYN, SOL_TCP, TCP_CONGESTION, SOL_SOCKET, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_NODELAY, ETIMEDOUT, EEXIST } from '@knet/include';
import { createTcpTestbench, tcpRegisterCongestionControl, tcpUnregisterCongestionControl, tcpRenoOps } from '../index.js';

const fill = (n: number) => new Uint8Array(n).map((_, i) => i & 0xff);

describe('loss recovery', () => {
  test('RTO backs off exponentially (RFC 6298 §5.5) and tcp_retries2 ends with ETIMEDOUT', () => {
    const tb = createTcpTestbench();
    const { c } = tb.pair();
    const rto0 = c.icskRto;
    expect(rto0).toBeGreaterThanOrEqual(200);
    tb.dropIf = (x) => x.from === 'a';
    tb.send(c, fill(100));
    tb.runUntil(() => c.skState === TCP_CLOSE, 2_000_000, 100);
    const tx = tb.log.filter((x) => x.from === 'a' && x.len === 100).map((x) => x.t);
    const gaps = tx.slice(1).map((t, i) => t - tx[i]);
    // The first retransmission is the tail loss probe; from then on each RTO doubles until
    // TCP_RTO_MAX (120 s).
    expect(tb.a.tn.ext.TCPLossProbes).toBe(1);
    for (let i = 2; i < gaps.length; i++) {
      const want = Math.min(gaps[i - 1] * 2, 120_000);
      expect(gaps[i]).toBeGreaterThanOrEqual(want * 0.9);
      expect(gaps[i]).toBeLessThanOrEqual(want * 1.2);
    }
    expect(c.skErr).toBe(ETIMEDOUT);
    // retries2 = 15 is a time budget: about 924.6 s for a 200 ms base.
    const total = tx[tx.length - 1] - tx[0];
    expect(total).toBeGreaterThan(700_000);
    expect(total).toBeLessThan(1_100_000);
    expect(tb.a.tn.ext.TCPAbortOnTimeout).toBe(1);
  });

  test('SACK recovery retransmits exactly the lost segments', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    // Grow cwnd first.
    tb.transfer(c, s, fill(100_000));
    const base = c.sndNxt;
    const mss = c.mssCache;
    const lostSeqs = new Set([(base + 2 * mss) >>> 0, (base + 5 * mss) >>> 0]);
    const dropped = new Set<number>();
    tb.dropIf = (x) => {
      if (x.from === 'a' && lostSeqs.has(x.seq) && !dropped.has(x.seq)) {
        dropped.add(x.seq);
        return true;
      }
      return false;
    };
    const n0 = tb.log.length;
    const got = tb.transfer(c, s, fill(20 * mss));
    expect(got.length).toBe(20 * mss);
    const sent = tb.log.slice(n0).filter((x) => x.from === 'a' && x.len > 0);
    const seen = new Map<number, number>();
    for (const x of sent) seen.set(x.seq, (seen.get(x.seq) ?? 0) + 1);
    const retx = [...seen.entries()].filter(([, k]) => k > 1).map(([q]) => q).sort((a, b) => a - b);
    expect(retx).toEqual([...lostSeqs].sort((a, b) => a - b));
    expect(tb.a.tn.ext.TCPSackRecovery).toBeGreaterThanOrEqual(1);
    // SACK blocks were on the receiver's dupacks.
    expect(tb.log.slice(n0).some((x) => x.from === 'b' && Buffer.from(x.opts).includes(5))).toBe(true);
  });

  test('NewReno fast retransmit without SACK', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    tb.a.tn.sysctl.tcp_sack = 0;
    const { c, s } = tb.pair();
    expect(c.rxOpt.sackOk).toBe(false);
    tb.transfer(c, s, fill(60_000));
    const lost = (c.sndNxt + 3 * c.mssCache) >>> 0;
    let done = false;
    tb.dropIf = (x) => (x.from === 'a' && x.seq === lost && !done ? (done = true) : false);
    const got = tb.transfer(c, s, fill(30 * c.mssCache));
    expect(got.length).toBe(30 * c.mssCache);
    expect(tb.a.tn.ext.TCPRenoRecovery).toBe(1);
    expect(tb.a.tn.ext.TCPFastRetrans).toBeGreaterThanOrEqual(1);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
  });

  test('a tail loss is repaired by a loss probe, not an RTO', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    tb.transfer(c, s, fill(50_000));
    const last = (c.sndNxt + 4 * c.mssCache) >>> 0;
    let done = false;
    tb.dropIf = (x) => (x.from === 'a' && x.seq === last && !done ? (done = true) : false);
    const got = tb.transfer(c, s, fill(5 * c.mssCache));
    expect(got.length).toBe(5 * c.mssCache);
    expect(tb.a.tn.ext.TCPLossProbes).toBeGreaterThanOrEqual(1);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
  });

  test('a registered congestion module drives cwnd; duplicates are refused', () => {
    let acks = 0;
    const fixed: TcpCongestionOps = {
      name: 'fixed7',
      ssthresh: () => 7,
      undoCwnd: (tp: TcpCaSock) => tp.sndCwnd,
      congAvoid: (tp: TcpCaSock) => {
        acks++;
        tp.sndCwnd = 7;
      },
    };
    expect(tcpRegisterCongestionControl(fixed)).toBe(0);
    expect(tcpRegisterCongestionControl(fixed)).toBe(-EEXIST);
    try {
      const tb = createTcpTestbench({ delayMs: 20 });
      const { c, s } = tb.pair();
      expect(tb.setsockopt(c, SOL_TCP, TCP_CONGESTION, 'fixed7')).toBe(0);
      expect(c.skProt.getsockopt!(c, SOL_TCP, TCP_CONGESTION)).toBe('fixed7');
      tb.transfer(c, s, fill(200_000));
      expect(acks).toBeGreaterThan(10);
      expect(c.sndCwnd).toBe(7);
      // In flight never exceeded the module's cwnd.
      expect(c.maxPacketsOut).toBeLessThanOrEqual(7);
      tb.setsockopt(c, SOL_TCP, TCP_CONGESTION, 'reno');
    } finally {
      expect(tcpUnregisterCongestionControl(fixed)).toBe(0);
    }
    expect(tcpRenoOps.ssthresh({ sndCwnd: 20 } as TcpCaSock)).toBe(10);
  });
});

describe('timers', () => {
  test('delayed ACK: a lone segment is ACKed after the ATO, every second full segment at once', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    // Leave quick-ack mode first.
    tb.transfer(c, s, fill(40_000));
    tb.run(500);
    s.icskAck.pingpong = 1;
    const n0 = tb.log.length;
    tb.send(c, fill(10));
    tb.run(300);
    const seg = tb.log.slice(n0).find((x) => x.from === 'a' && x.len === 10)!;
    const ack = tb.log.slice(n0).find((x) => x.from === 'b' && x.t > seg.t)!;
    const delay = ack.t - seg.t - 10;
    expect(delay).toBeGreaterThanOrEqual(35);
    expect(delay).toBeLessThanOrEqual(205);
    expect(tb.b.tn.ext.DelayedACKs).toBeGreaterThanOrEqual(1);
  });

  test('keepalive probes after TCP_KEEPIDLE, every TCP_KEEPINTVL, reset after TCP_KEEPCNT unanswered', () => {
    const tb = createTcpTestbench();
    const { c } = tb.pair();
    tb.setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPIDLE, 10);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPINTVL, 2);
    tb.setsockopt(c, SOL_TCP, TCP_KEEPCNT, 3);
    const n0 = tb.log.length;
    tb.run(10_500);
    // One probe: an ACK with seq = snd_una - 1, answered by the peer.
    const p = tb.log.slice(n0).filter((x) => x.from === 'a' && x.seq === ((c.sndUna - 1) >>> 0));
    expect(p.length).toBe(1);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    tb.dropIf = (x) => x.from === 'b';
    tb.runUntil(() => c.skState === TCP_CLOSE, 60_000, 50);
    expect(c.skErr).toBe(ETIMEDOUT);
    const probes = tb.log.slice(n0).filter((x) => x.from === 'a' && x.seq === ((c.sndUna - 1) >>> 0));
    expect(probes.length).toBeGreaterThanOrEqual(4);
    expect(tb.log.some((x) => x.from === 'a' && (x.flags & TCPHDR_RST))).toBe(true);
  });

  test('zero window: the sender probes with backoff and resumes when the window opens', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const l = tb.listen(tb.b, 81);
    l.skRcvbuf = 40_000;
    l.skUserlocks |= 2; // SO_RCVBUF set: no autotuning
    const c = tb.connect(tb.a, 81);
    tb.run(50);
    const s = tb.accept(l)!;
    // Fill the receiver without reading.
    let sent = 0;
    for (let i = 0; i < 40; i++) sent += Math.max(0, tb.send(c, fill(4000)));
    tb.run(3_000);
    expect(sent).toBeGreaterThan(40_000);
    // What is left of the window is less than one segment: the sender waits (SWS avoidance).
    expect(c.sndWnd).toBeLessThan(c.mssCache);
    const n0 = tb.log.length;
    tb.run(20_000);
    const probes = tb.log.slice(n0).filter((x) => x.from === 'a');
    expect(probes.length).toBeGreaterThanOrEqual(3);
    const gaps = probes.slice(1).map((x, i) => x.t - probes[i].t);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0]);
    const got = tb.drain(s).length;
    expect(got).toBeGreaterThan(0);
    let total = got;
    tb.runUntil(() => (total += tb.drain(s).length) >= sent, 60_000);
    expect(total).toBe(sent);
    expect(tb.b.tn.ext.TCPWantZeroWindowAdv).toBeGreaterThanOrEqual(1);
  });

  test('Nagle holds a small segment while data is unacknowledged; TCP_NODELAY does not', () => {
    const tb = createTcpTestbench({ delayMs: 20 });
    const { c } = tb.pair();
    tb.send(c, fill(100));
    tb.send(c, fill(100));
    const first = tb.log.filter((x) => x.from === 'a' && x.len > 0);
    expect(first.length).toBe(1);
    tb.run(100);
    expect(tb.log.filter((x) => x.from === 'a' && x.len > 0).length).toBe(2);
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    const n0 = tb.log.length;
    tb.send(c, fill(100));
    tb.send(c, fill(100));
    expect(tb.log.slice(n0).filter((x) => x.from === 'a' && x.len > 0).length).toBe(2);
  });
});

void TCPHDR_ACK;
void TCPHDR_SYN;
