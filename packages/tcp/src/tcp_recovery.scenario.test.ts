import { describe, expect, test } from 'vitest';
import { SOL_TCP, SOL_SOCKET, SO_SNDBUF, TCP_NODELAY, TCP_CA_Open, TCP_CA_Recovery, TCP_CA_Loss, TCP_ESTABLISHED } from '@knet/include';
import { createTcpTestbench, type TcpTestbench } from './index.js';
import type { TcpSock } from './tcp_sock.js';
import type { WireSegment } from './testbench.js';
import { frameOf, interceptWire, pattern, pump, sackBlocks } from './test/scenario_helpers.js';

const sub = (a: number, b: number) => (a - b) | 0;

/** A connection whose cwnd has grown: warm-up transfer, Nagle off. */
function warm(tb: TcpTestbench, bytes = 150_000): { c: TcpSock; s: TcpSock } {
  // The 1 s pause below is longer than the RTO: with tcp_slow_start_after_idle (Linux's
  // default) the next burst would restart from the initial window. These scenarios measure
  // recovery from a warm cwnd, as packetdrill's defaults (tcp_slow_start_after_idle=0) do.
  tb.a.tn.sysctl.tcp_slow_start_after_idle = 0;
  const { c, s } = tb.pair();
  tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
  const got = tb.transfer(c, s, pattern(bytes, 7));
  expect(got.length).toBe(bytes);
  tb.run(1000);
  return { c, s };
}

const dataFrom = (log: WireSegment[], from: 'a' | 'b') => log.filter((x) => x.from === from && x.len > 0);

describe('fast retransmit and SACK recovery', () => {
  test('without RACK, the lost segment is retransmitted on the third duplicate ACK (RFC 5681 §3.2, RFC 6675 DupThresh)', () => {
    // 1 segment per ms on the wire, so the dupacks arrive 1 ms apart.
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    tb.a.tn.sysctl.tcp_recovery = 0;
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const lost = c.sndNxt;
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'a' && x.seq === lost && x.len > 0 && !dropped ? (dropped = true) : false);
    const n0 = tb.log.length;
    tb.send(c, pattern(8 * mss));
    tb.run(300);
    const log = tb.log.slice(n0);
    const dupacks = log.filter((x) => x.from === 'b' && x.ack === lost && x.len === 0);
    expect(dupacks.length).toBeGreaterThanOrEqual(3);
    const retx = dataFrom(log, 'a').filter((x) => x.seq === lost);
    expect(retx.length).toBe(2);
    // The retransmission leaves when the third dupack arrives (one-way delay after it was sent).
    expect(Math.abs(retx[1].t - (dupacks[2].t + 10))).toBeLessThan(0.5);
    expect(tb.a.tn.ext.TCPSackRecovery).toBe(1);
    expect(tb.a.tn.ext.TCPFastRetrans).toBe(1);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
    expect(tb.drain(s).length).toBe(8 * mss);
  });

  test('three holes: dupacks SACK exactly what arrived, newest block first, and only the holes are resent (RFC 2018 §4, RFC 6675)', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const base = c.sndNxt;
    const holes = [1, 2, 6, 9].map((k) => (base + k * mss) >>> 0);
    const seen = new Set<number>();
    tb.dropIf = (x) => {
      if (x.from !== 'a' || !holes.includes(x.seq) || seen.has(x.seq)) return false;
      seen.add(x.seq);
      return true;
    };
    const n0 = tb.log.length;
    const d = pattern(14 * mss, 3);
    tb.send(c, d);
    tb.run(1000);
    expect(Buffer.from(tb.drain(s)).equals(d)).toBe(true);
    const log = tb.log.slice(n0);
    const acks = log.filter((x) => x.from === 'b' && sackBlocks(x).length > 0);
    expect(acks.length).toBeGreaterThan(5);
    for (const ack of acks) {
      for (const [l, r] of sackBlocks(ack)) {
        // Blocks are whole segments above the cumulative ACK, and never cover an open hole.
        expect(sub(r, l) % mss).toBe(0);
        expect(sub(l, ack.ack)).toBeGreaterThan(0);
      }
    }
    // RFC 2018 §4: the first block reports the most recent arrival, so between two ACKs for the
    // same cumulative point it is the block that changed; older blocks follow.
    let newestFirst = 0;
    for (let i = 1; i < acks.length; i++) {
      if (acks[i].ack !== acks[i - 1].ack) continue;
      const [l0, r0] = sackBlocks(acks[i])[0];
      expect(sackBlocks(acks[i - 1]).some(([l, r]) => l === l0 && r === r0)).toBe(false);
      newestFirst++;
    }
    expect(newestFirst).toBeGreaterThan(3);
    // With several holes open at once, more than one block is reported.
    expect(Math.max(...acks.map((x) => sackBlocks(x).length))).toBeGreaterThanOrEqual(3);
    // The original of a hole never arrived, so only its retransmission can be SACKed; and the
    // retransmissions are exactly the holes, once each, in sequence order.
    const resent = dataFrom(log, 'a').filter((x, i, all) => all.findIndex((y) => y.seq === x.seq) !== i).map((x) => x.seq);
    expect(resent).toEqual(holes);
    expect(tb.a.tn.ext.TCPSackRecovery).toBe(1);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
    expect(c.totalRetrans).toBe(4);
  });
});

describe('PRR (RFC 6937)', () => {
  test('during recovery the segments sent per ACK follow the PRR formula (proportional, then slow-start reduction bound)', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb, 30_000);
    tb.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 1 << 20);
    const mss = c.mssCache;
    // Keep the sender cwnd-limited: more queued than the window, topped up after every ACK.
    const top = () => {
      while (c.skSndbuf - c.skWmemQueued > 16 * mss) if (tb.send(c, pattern(16 * mss)) <= 0) break;
    };
    top();
    tb.run(30);
    tb.drain(s);
    top();
    expect(c.packetsOut).toBe(c.sndCwnd);
    const lost = c.sndNxt;
    let dropped = false;
    let priorCwnd = 0;
    let ssthresh = 0;
    let prrDelivered = 0;
    let prrOut = 0;
    let proportional = 0;
    let bounded = 0;
    const delivered = new Set<number>();
    const checks: Array<{ got: number; want: number }> = [];
    let inRecovery = false;
    tb.dropIf = (x) => {
      if (x.from === 'a' && x.seq === lost && x.len > 0 && !dropped) return (dropped = true);
      if (x.from !== 'b' || !dropped) return false;
      // Deliver this ACK ourselves, one-way delay later, and count what the sender sends in reply.
      const ackSeg = x;
      tb.clock.schedule(tb.opts.delayMs, () => {
        tb.drain(s); // the reader keeps up, so the receive window never limits
        const cwndBefore = c.sndCwnd;
        const sndNxtBefore = c.sndNxt;
        const n0 = tb.log.length;
        tb.deliver(tb.a, frameOf(ackSeg));
        top();
        const sent = tb.log.slice(n0).filter((y) => y.from === 'a' && y.len > 0).length;
        // Newly delivered segments of this ACK, read off the wire: cumulative plus SACKed.
        let newly = 0;
        const mark = (l: number, r: number) => {
          for (let q = l; sub(r, q) > 0; q = (q + mss) >>> 0) {
            if (sub(q, lost) < 0 || delivered.has(q)) continue;
            delivered.add(q);
            newly++;
          }
        };
        const unaAdvanced = sub(ackSeg.ack, lost) > 0 && !delivered.has(lost);
        mark(lost, ackSeg.ack);
        for (const [l, r] of sackBlocks(ackSeg)) mark(l, r);
        if (!inRecovery && c.icskCaState === TCP_CA_Recovery) {
          inRecovery = true;
          priorCwnd = cwndBefore;
          ssthresh = c.sndSsthresh;
          expect(ssthresh).toBe(Math.max(priorCwnd >> 1, 2)); // Reno halves (RFC 5681 eq. 4)
        }
        if (!inRecovery || c.icskCaState !== TCP_CA_Recovery) return;
        // pipe after the ACK: sent and not delivered, the lost one counting once it was resent.
        const pipe = sub(sndNxtBefore, lost) / mss - delivered.size - (prrOut === 0 ? 1 : 0);
        let want = 0;
        if (newly > 0) {
          prrDelivered += newly;
          const delta = ssthresh - pipe;
          if (delta < 0) {
            want = Math.ceil((ssthresh * prrDelivered) / priorCwnd) - prrOut;
            proportional++;
          } else {
            want = Math.min(delta, Math.max(prrDelivered - prrOut, newly) + (unaAdvanced ? 1 : 0));
            bounded++;
          }
          // The first ACK of recovery forces the fast retransmit.
          want = Math.max(want, prrOut === 0 ? 1 : 0);
        }
        checks.push({ got: sent, want });
        prrOut += sent;
      });
      return true;
    };
    tb.run(400);
    tb.dropIf = null;
    expect(inRecovery).toBe(true);
    expect(proportional).toBeGreaterThan(8);
    expect(checks.map((x) => x.got)).toEqual(checks.map((x) => x.want));
    expect(bounded).toBeGreaterThanOrEqual(1);
    // Over the episode the sender sent ssthresh/RecoverFS of what was delivered (RFC 6937 §1):
    // cwnd ends near ssthresh, with no burst.
    expect(Math.abs(prrOut - (ssthresh * prrDelivered) / priorCwnd)).toBeLessThanOrEqual(1);
    tb.runUntil(() => c.icskCaState === TCP_CA_Open, 5000);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
    expect(tb.a.tn.ext.TCPSackRecovery).toBe(1);
    void s;
  });
});


describe('spurious retransmission detection and undo', () => {
  test('F-RTO: ACKs delayed past the RTO are detected as a spurious timeout, cwnd restored, TCPSpuriousRTOs counted (RFC 5682)', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    // Without timestamps Eifel cannot decide, so F-RTO does (Linux tcp_process_loss step 3.b).
    tb.a.tn.sysctl.tcp_timestamps = 0;
    const { c, s } = warm(tb);
    expect(c.rxOpt.tstampOk).toBe(false);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    const ssthresh0 = c.sndSsthresh;
    // The reverse path stalls for 600 ms (longer than RTO + TLP) and then delivers everything.
    const stallFrom = tb.clock.now();
    const release = interceptWire(tb, (x) => (x.from === 'b' && tb.clock.now() < stallFrom + 600 ? stallFrom + 600 - tb.clock.now() : 'pass'));
    // More queued than one window, so F-RTO has new data to send after the timeout (step 2.b).
    const d = pattern(400 * mss, 5);
    const got = pump(tb, c, s, d, 5000);
    tb.run(2000);
    release();
    expect(Buffer.from(got).equals(d)).toBe(true);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(1);
    expect(tb.a.tn.ext.TCPSpuriousRTOs).toBe(1);
    expect(tb.a.tn.ext.TCPLossUndo).toBe(1);
    expect(c.icskCaState).toBe(TCP_CA_Open);
    // Undo restores cwnd and ssthresh (tcp_undo_cwnd_reduction: cwnd = max(cwnd, prior_cwnd)).
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
    expect(c.sndSsthresh).toBeGreaterThanOrEqual(ssthresh0 === 0x7fffffff ? 0 : ssthresh0);
    void TCP_CA_Loss;
  });

  test('F-RTO without SACK (RFC 5682 §2): cumulative ACKs of never-retransmitted data prove the timeout spurious', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    tb.a.tn.sysctl.tcp_timestamps = 0;
    tb.a.tn.sysctl.tcp_sack = 0;
    const { c, s } = warm(tb);
    expect(c.rxOpt.sackOk).toBe(false);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    const stallFrom = tb.clock.now();
    const release = interceptWire(tb, (x) => (x.from === 'b' && tb.clock.now() < stallFrom + 600 ? stallFrom + 600 - tb.clock.now() : 'pass'));
    const d = pattern(400 * mss, 12);
    const got = pump(tb, c, s, d, 5000);
    tb.run(2000);
    release();
    expect(Buffer.from(got).equals(d)).toBe(true);
    expect(tb.a.tn.ext.TCPLossProbes).toBe(0); // TLP needs SACK
    expect(tb.a.tn.ext.TCPTimeouts).toBe(1);
    expect(tb.a.tn.ext.TCPSpuriousRTOs).toBe(1);
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
    expect(c.icskCaState).toBe(TCP_CA_Open);
  });

  test('Eifel on RTO: with timestamps the delayed ACK echoes the original, so the timeout is undone at once (RFC 3522, Linux tcp_try_undo_loss)', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb);
    expect(c.rxOpt.tstampOk).toBe(true);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    const stallFrom = tb.clock.now();
    const release = interceptWire(tb, (x) => (x.from === 'b' && tb.clock.now() < stallFrom + 600 ? stallFrom + 600 - tb.clock.now() : 'pass'));
    const d = pattern(400 * mss, 8);
    const got = pump(tb, c, s, d, 5000);
    tb.run(2000);
    release();
    expect(Buffer.from(got).equals(d)).toBe(true);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(1);
    // The first ACK advancing snd_una echoes a TSval older than the retransmission: undo there,
    // before F-RTO is consulted, so it is a loss undo but not counted as an F-RTO spurious RTO.
    expect(tb.a.tn.ext.TCPLossUndo).toBe(1);
    expect(tb.a.tn.ext.TCPSpuriousRTOs).toBe(0);
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
    expect(c.icskCaState).toBe(TCP_CA_Open);
  });

  test('F-RTO: after a genuine RTO (the flight was really lost) nothing is undone and ssthresh stays reduced (RFC 5682 step 3.a)', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    tb.a.tn.sysctl.tcp_timestamps = 0;
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    // The forward path blackholes for 400 ms: everything sent in that time is lost.
    const t0 = tb.clock.now();
    tb.dropIf = (x) => x.from === 'a' && x.len > 0 && tb.clock.now() < t0 + 400;
    const d = pattern(400 * mss, 6);
    const got = pump(tb, c, s, d, 10_000);
    tb.run(2000);
    expect(Buffer.from(got).equals(d)).toBe(true);
    expect(tb.a.tn.ext.TCPTimeouts).toBeGreaterThanOrEqual(1);
    expect(tb.a.tn.ext.TCPSpuriousRTOs).toBe(0);
    expect(tb.a.tn.ext.TCPLossUndo).toBe(0);
    // Reno: ssthresh = cwnd/2 at the timeout, and it is not restored.
    expect(c.sndSsthresh).toBeLessThanOrEqual(Math.max(cwnd0 >> 1, 2));
  });

  test('D-SACK undo: a retransmission caused by reordering is undone when the D-SACK arrives (RFC 2883, RFC 3708)', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    tb.a.tn.sysctl.tcp_recovery = 0; // classic dupthresh so reordering by 3+ triggers fast retransmit
    tb.a.tn.sysctl.tcp_timestamps = 0; // no Eifel: only the D-SACK can prove it spurious
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    const late = c.sndNxt;
    let held = false;
    // The original of the first segment arrives 40 ms late, after its fast retransmission.
    const release = interceptWire(tb, (x) => (x.from === 'a' && x.seq === late && x.len > 0 && !held ? ((held = true), 40) : 'pass'));
    const n0 = tb.log.length;
    const d = pattern(30 * mss, 9);
    tb.send(c, d.subarray(0, 10 * mss));
    // Keep data in flight until the D-SACK is back: one segment every 5 ms.
    for (let i = 10; i < 30; i++) {
      tb.run(5);
      tb.send(c, d.subarray(i * mss, (i + 1) * mss));
    }
    tb.run(500);
    release();
    expect(Buffer.from(tb.drain(s)).equals(d)).toBe(true);
    const log = tb.log.slice(n0);
    expect(dataFrom(log, 'a').filter((x) => x.seq === late).length).toBe(2);
    // The receiver reported the duplicate as a D-SACK: first block below the cumulative ACK.
    const dsack = log.filter((x) => x.from === 'b' && sackBlocks(x).some(([l, r]) => l === late && r === ((late + mss) >>> 0) && sub(x.ack, r) >= 0));
    expect(dsack.length).toBe(1);
    expect(tb.b.tn.ext.TCPDSACKOldSent).toBe(1);
    expect(tb.a.tn.ext.TCPDSACKRecv).toBe(1);
    expect(tb.a.tn.ext.TCPDSACKUndo).toBe(1);
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
    expect(c.icskCaState).toBe(TCP_CA_Open);
  });

  test('Eifel: with timestamps the echo of the original shows the fast retransmit was spurious, undone before any D-SACK (RFC 3522)', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    tb.a.tn.sysctl.tcp_recovery = 0;
    const { c, s } = warm(tb);
    expect(c.rxOpt.tstampOk).toBe(true);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    const late = c.sndNxt;
    let held = false;
    // The original arrives 8 ms late: after the retransmission left, before it arrives.
    const release = interceptWire(tb, (x) => (x.from === 'a' && x.seq === late && x.len > 0 && !held ? ((held = true), 8) : 'pass'));
    const d = pattern(10 * mss, 11);
    tb.send(c, d);
    tb.run(500);
    release();
    expect(Buffer.from(tb.drain(s)).equals(d)).toBe(true);
    expect(tb.a.tn.ext.TCPFastRetrans).toBe(1);
    expect(tb.a.tn.ext.TCPFullUndo + tb.a.tn.ext.TCPPartialUndo).toBe(1);
    expect(tb.a.tn.ext.TCPDSACKUndo).toBe(0);
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
    expect(c.icskCaState).toBe(TCP_CA_Open);
  });
});

describe('RACK-TLP (RFC 8985)', () => {
  test('a segment reordered by less than the reordering window is not retransmitted', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const late = c.sndNxt;
    let held = false;
    // min_rtt ≈ 20 ms, so reo_wnd = min_rtt/4 ≈ 5 ms; the original arrives 2 ms late (one dupack).
    const release = interceptWire(tb, (x) => (x.from === 'a' && x.seq === late && x.len > 0 && !held ? ((held = true), 2) : 'pass'));
    const n0 = tb.log.length;
    tb.send(c, pattern(2 * mss));
    tb.run(300);
    release();
    expect(tb.drain(s).length).toBe(2 * mss);
    expect(dataFrom(tb.log.slice(n0), 'a').length).toBe(2);
    expect(c.totalRetrans).toBe(0);
    expect(tb.a.tn.ext.TCPSACKReorder).toBe(1);
  });

  test('a D-SACK widens the reordering window one min_rtt/4 step, so the same reordering is then tolerated (RFC 8985 §6.2 step 4)', () => {
    const tb = createTcpTestbench({ delayMs: 10 });
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    expect(c.rack.reoWndSteps).toBe(1);
    // min_rtt = 20 ms: reo_wnd = 5 ms at first. The original of the first segment comes 10 ms late.
    const episode = () => {
      const late = c.sndNxt;
      let held = false;
      const release = interceptWire(tb, (x) => (x.from === 'a' && x.seq === late && x.len > 0 && !held ? ((held = true), 10) : 'pass'));
      const retx0 = c.totalRetrans;
      tb.send(c, pattern(2 * mss));
      // More data behind, one segment every 5 ms, so the D-SACK meets data in flight.
      for (let i = 0; i < 10; i++) {
        tb.run(5);
        tb.send(c, pattern(mss));
      }
      tb.run(300);
      release();
      expect(tb.drain(s).length).toBe(12 * mss);
      return c.totalRetrans - retx0;
    };
    // 10 ms > 5 ms: RACK retransmits, the receiver D-SACKs the late original, steps become 2.
    expect(episode()).toBe(1);
    expect(tb.a.tn.ext.TCPDSACKRecv).toBe(1);
    expect(c.rack.reoWndSteps).toBe(2);
    // Now reo_wnd = 10 ms (min(2·min_rtt/4, srtt)): the same 10 ms of reordering is not a loss.
    expect(episode()).toBe(0);
    expect(tb.a.tn.ext.TCPSACKReorder).toBeGreaterThanOrEqual(1);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
  });

  test('a lost segment with one SACKed successor is retransmitted one RTT + min_rtt/4 after it was sent', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const lost = c.sndNxt;
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'a' && x.seq === lost && x.len > 0 && !dropped ? (dropped = true) : false);
    const n0 = tb.log.length;
    const minRttMs = c.minRttUs / 1000;
    tb.send(c, pattern(2 * mss));
    tb.run(300);
    expect(tb.drain(s).length).toBe(2 * mss);
    const tx = dataFrom(tb.log.slice(n0), 'a').filter((x) => x.seq === lost);
    expect(tx.length).toBe(2);
    const sackArrive = tb.log.slice(n0).find((x) => x.from === 'b' && sackBlocks(x).length > 0)!.t + 10;
    // RACK: lost once now ≥ xmit_time + rack.rtt + reo_wnd. rack.rtt is the SACKed segment's RTT
    // (≈ min_rtt + 1 ms of serialisation), reo_wnd = min_rtt/4 (no reordering seen yet).
    const reoWnd = Math.floor(minRttMs / 4);
    expect(tx[1].t).toBeGreaterThan(sackArrive);
    expect(tx[1].t - tx[0].t).toBeGreaterThanOrEqual(sackArrive - tx[0].t - 1 + reoWnd);
    // Linux arms the REO timer for the remaining time rounded up to jiffies + TCP_TIMEOUT_MIN (2).
    expect(tx[1].t - tx[0].t).toBeLessThanOrEqual(sackArrive - tx[0].t + reoWnd + 2 + 2);
    expect(tb.a.tn.ext.TCPLossProbes).toBe(0);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
  });

  test('a single tail loss is repaired by the loss probe, sent at PTO = min(2·srtt + 200 ms, RTO) with one packet out', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const tail = (c.sndNxt + 4 * mss) >>> 0;
    let dropped = false;
    tb.dropIf = (x) => (x.from === 'a' && x.seq === tail && x.len > 0 && !dropped ? (dropped = true) : false);
    const n0 = tb.log.length;
    tb.send(c, pattern(5 * mss));
    // The first four are acked; the tail is the only packet out when the PTO is re-armed.
    expect(tb.runUntil(() => c.packetsOut === 1, 200, 0.25)).toBe(true);
    const tAck = tb.clock.now();
    const srttMs = (c.srttUs >> 3) / 1000;
    const rto = c.icskRto;
    tb.run(400);
    const tx = dataFrom(tb.log.slice(n0), 'a').filter((x) => x.seq === tail);
    expect(tx.length).toBe(2);
    // RFC 8985 §7.2 / Linux tcp_schedule_loss_probe: with one packet out PTO = 2·srtt + 200 ms
    // (the peer's delayed-ACK allowance), but never later than the RTO.
    const pto = Math.min(Math.ceil(2 * srttMs) + 200, rto);
    expect(tx[1].t - tAck).toBeGreaterThanOrEqual(pto - 1);
    expect(tx[1].t - tAck).toBeLessThanOrEqual(pto + pto / 8 + 1);
    expect(tb.drain(s).length).toBe(5 * mss);
    expect(tb.a.tn.ext.TCPLossProbes).toBe(1);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
    expect(c.packetsOut).toBe(0);
  });

  test('a loss probe that was not needed (its D-SACK comes back) neither reduces cwnd nor counts a recovery', () => {
    const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
    const { c, s } = warm(tb);
    const mss = c.mssCache;
    const cwnd0 = c.sndCwnd;
    // The ACKs of this flight are held long enough for the TLP to fire, but nothing is lost.
    const t0 = tb.clock.now();
    const release = interceptWire(tb, (x) => (x.from === "b" && tb.clock.now() < t0 + 30 ? 120 : "pass"));
    tb.send(c, pattern(5 * mss));
    tb.run(400);
    release();
    expect(tb.drain(s).length).toBe(5 * mss);
    expect(tb.a.tn.ext.TCPLossProbes).toBe(1);
    expect(tb.a.tn.ext.TCPDSACKRecv).toBe(1);
    expect(tb.a.tn.ext.TCPLossProbeRecovery).toBe(0);
    tb.send(c, pattern(mss));
    tb.run(100);
    expect(tb.a.tn.ext.TCPLossProbeRecovery).toBe(0);
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
  });
});
