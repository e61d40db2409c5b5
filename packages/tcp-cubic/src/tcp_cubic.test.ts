import { describe, expect, test } from 'vitest';
import type { TcpCaSock } from '@knet/include';
import { TCP_CA_Open, TCP_CA_Loss } from '@knet/include';
import { cubicOps } from './index.js';

function caSock(): TcpCaSock {
  return {
    sndCwnd: 10, sndSsthresh: 0x7fffffff, sndCwndCnt: 0, sndCwndClamp: 0xffff, sndCwndStamp: 0,
    priorCwnd: 0, priorSsthresh: 0, sndUna: 1000, sndNxt: 1000, mssCache: 1448, srttUs: 0,
    minRttUs: 0, tcpMstamp: 1_000_000, isCwndLimited: true, packetsOut: 0, delivered: 0,
    icskCaState: TCP_CA_Open, icskCaPriv: null, jiffies: 1000, lsndtime: 1000,
  };
}

/** CUBIC's state (struct bictcp) as the module keeps it. */
const priv = (tp: TcpCaSock) => tp.icskCaPriv as Record<string, number>;

/** Drive one RTT worth of ACKs (one per packet in cwnd) every `rttMs`, return cwnd per RTT. */
function run(tp: TcpCaSock, rtts: number, rttMs: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rtts; r++) {
    const n = tp.sndCwnd;
    for (let i = 0; i < n; i++) {
      tp.jiffies += rttMs / n;
      tp.jiffies = Math.floor(tp.jiffies * 1000) / 1000;
      tp.tcpMstamp = Math.floor(tp.jiffies * 1000);
      const j = tp.jiffies;
      tp.jiffies = Math.floor(j);
      cubicOps.pktsAcked!(tp, { pktsAcked: 1, rttUs: rttMs * 1000, inFlight: n });
      cubicOps.congAvoid(tp, 0, 1);
      tp.jiffies = j;
    }
    out.push(tp.sndCwnd);
  }
  return out;
}

describe('cubic', () => {
  test('ssthresh after loss is beta = 0.7 of cwnd, and fast convergence lowers W_max', () => {
    const tp = caSock();
    cubicOps.init!(tp);
    tp.sndCwnd = 100;
    expect(cubicOps.ssthresh(tp)).toBe(70); // floor(100 * 717 / 1024)
    expect(priv(tp).lastMaxCwnd).toBe(100);
    tp.sndCwnd = 80; // lost again below the previous max
    expect(cubicOps.ssthresh(tp)).toBe(56); // floor(80 * 717 / 1024)
    expect(priv(tp).lastMaxCwnd).toBe(Math.floor((80 * (1024 + 717)) / 2048));
    tp.sndCwnd = 1;
    expect(cubicOps.ssthresh(tp)).toBe(2);
  });

  test('growth after a loss is concave up to W_max, flat near it, then convex', () => {
    const tp = caSock();
    cubicOps.init!(tp);
    tp.sndCwnd = 200;
    tp.sndSsthresh = cubicOps.ssthresh(tp);
    tp.sndCwnd = tp.sndSsthresh;
    cubicOps.setState!(tp, TCP_CA_Open);
    // A long RTT so the Reno-friendly region does not dominate.
    const w = run(tp, 120, 100);
    const inc = w.slice(1).map((v, i) => v - w[i]);
    const kRtt = w.findIndex((v) => v >= 195);
    expect(kRtt).toBeGreaterThan(5);
    // Concave: increments shrink while approaching W_max.
    const early = inc.slice(0, 5).reduce((a, b) => a + b, 0);
    const nearK = inc.slice(kRtt - 2, kRtt + 3).reduce((a, b) => a + b, 0);
    expect(early).toBeGreaterThan(nearK);
    // Convex: once past W_max, increments grow again.
    const late = inc.slice(-5).reduce((a, b) => a + b, 0);
    expect(late).toBeGreaterThan(nearK);
    expect(w[w.length - 1]).toBeGreaterThan(200);
    // K (in seconds) = cbrt(W_max * (1 - beta) / C) with C = 0.4: cbrt(60 / 0.4) ≈ 5.3 s for W_max = 200.
    const K = priv(tp).bicK / 1024;
    expect(K).toBeGreaterThan(5.2);
    expect(K).toBeLessThan(5.4);
  });

  test('HyStart leaves slow start when the RTT rises by the delay threshold', () => {
    const tp = caSock();
    cubicOps.init!(tp);
    tp.sndCwnd = 32;
    // Eight samples establish the minimum at 20 ms.
    for (let i = 0; i < 10; i++) {
      tp.tcpMstamp += 10_000; // spaced out: no ACK train
      tp.jiffies += 10;
      cubicOps.pktsAcked!(tp, { pktsAcked: 1, rttUs: 20_000, inFlight: 32 });
    }
    expect(tp.sndSsthresh).toBe(0x7fffffff);
    // A new round (snd_una past end_seq) with RTTs 20 ms + 8 ms (above delay_min/8 = 2.5 ms, clamped to 4..16 ms).
    tp.sndNxt += 50_000;
    tp.sndUna += 10;
    for (let i = 0; i < 9; i++) {
      tp.tcpMstamp += 10_000;
      tp.jiffies += 10;
      cubicOps.pktsAcked!(tp, { pktsAcked: 1, rttUs: 28_000, inFlight: 32 });
    }
    expect(priv(tp).found).toBe(1);
    expect(tp.sndSsthresh).toBe(32);
  });

  test('HyStart ignores small windows and a steady RTT', () => {
    const tp = caSock();
    cubicOps.init!(tp);
    tp.sndCwnd = 8;
    for (let i = 0; i < 20; i++) {
      tp.tcpMstamp += 10_000;
      cubicOps.pktsAcked!(tp, { pktsAcked: 1, rttUs: 20_000 + i * 5000, inFlight: 8 });
    }
    expect(tp.sndSsthresh).toBe(0x7fffffff);
    tp.sndCwnd = 64;
    for (let i = 0; i < 20; i++) {
      tp.tcpMstamp += 10_000;
      cubicOps.pktsAcked!(tp, { pktsAcked: 1, rttUs: 20_000, inFlight: 64 });
    }
    expect(priv(tp).found).toBe(0);
  });

  test('loss state resets the epoch; undo restores the prior cwnd', () => {
    const tp = caSock();
    cubicOps.init!(tp);
    tp.sndCwnd = 50;
    cubicOps.ssthresh(tp);
    tp.sndSsthresh = 35;
    tp.sndCwnd = 35;
    run(tp, 3, 50);
    expect(priv(tp).epochStart).not.toBe(0);
    cubicOps.setState!(tp, TCP_CA_Loss);
    expect(priv(tp).epochStart).toBe(0);
    expect(priv(tp).lastMaxCwnd).toBe(0);
    tp.priorCwnd = 50;
    tp.sndCwnd = 1;
    expect(cubicOps.undoCwnd(tp)).toBe(50);
  });

  test('slow start doubles per RTT and congestion avoidance does nothing when not cwnd-limited', () => {
    const tp = caSock();
    cubicOps.init!(tp);
    tp.sndSsthresh = 1000;
    const w = run(tp, 3, 10);
    expect(w).toEqual([20, 40, 80]);
    tp.isCwndLimited = false;
    cubicOps.congAvoid(tp, 0, 10);
    expect(tp.sndCwnd).toBe(80);
  });
});
