import { describe, expect, test } from 'vitest';
import { TCP_CLOSE, TCP_SYN_SENT, SOL_TCP, TCP_NODELAY, ETIMEDOUT } from '@knet/include';
import { createTcpTestbench } from './index.js';
import { pattern } from './test/scenario_helpers.js';

describe('RTO values (RFC 6298, Linux tcp_set_rto / tcp_retransmit_timer)', () => {
  test('the initial RTO is 1 s before any RTT sample (RFC 6298 §2.1, TCP_TIMEOUT_INIT)', () => {
    const tb = createTcpTestbench();
    tb.listen(tb.b, 80);
    const c = tb.connect(tb.a, 80);
    expect(c.skState).toBe(TCP_SYN_SENT);
    expect(c.icskRto).toBe(1000);
  });

  test('after RTT samples of ~10 ms the RTO is srtt + the 200 ms floor (Linux: rttvar >= tcp_rto_min)', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    tb.transfer(c, s, pattern(200_000));
    tb.run(1000);
    // srtt ≈ 10 ms; Linux's mdev_max never drops below rto_min, so RTO = srtt + 200 ms.
    const srttMs = (c.srttUs >> 3) / 1000;
    expect(srttMs).toBeGreaterThanOrEqual(10);
    expect(srttMs).toBeLessThan(12);
    expect(c.icskRto).toBeGreaterThanOrEqual(200 + Math.floor(srttMs));
    expect(c.icskRto).toBeLessThanOrEqual(200 + Math.ceil(srttMs) + 1);
  });

  test('a blackholed segment is retransmitted after a TLP at RTO, 2·RTO, 4·RTO … capped at TCP_RTO_MAX (120 s)', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    tb.a.tn.sysctl.tcp_retries2 = 20; // long enough to reach the 120 s cap many times
    const { c, s } = tb.pair();
    tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
    tb.transfer(c, s, pattern(20_000));
    tb.run(500);
    const rto = c.icskRto;
    tb.dropIf = (x) => x.from === 'a';
    const t0 = tb.clock.now();
    tb.send(c, pattern(100));
    tb.runUntil(() => c.skState === TCP_CLOSE, 4_000_000, 1000);
    const tx = tb.log.filter((x) => x.from === 'a' && x.len === 100).map((x) => x.t);
    expect(tx[0]).toBe(t0);
    // RFC 8985 §7.2: with one packet out the probe waits 2·srtt + 200 ms (TCP_RTO_MIN), never past the RTO.
    expect(tb.a.tn.ext.TCPLossProbes).toBe(1);
    expect(tx[1] - tx[0]).toBeGreaterThanOrEqual(rto);
    expect(tx[1] - tx[0]).toBeLessThanOrEqual(rto + rto / 8 + 1);
    // From the probe on, RTO timeouts double (RFC 6298 §5.5) up to 120 s (Linux TCP_RTO_MAX).
    const gaps = tx.slice(2).map((t, i) => t - tx[i + 1]);
    let want = rto;
    for (const g of gaps) {
      // The timer wheel may fire up to one bucket (1/8 of the timeout) late, never early.
      expect(g).toBeGreaterThanOrEqual(want);
      expect(g).toBeLessThanOrEqual(want + want / 8 + 1);
      want = Math.min(want * 2, 120_000);
    }
    expect(gaps.filter((g) => g >= 119_000).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(120_000 + 120_000 / 8);
    expect(c.skErr).toBe(ETIMEDOUT);
    expect(tb.a.tn.ext.TCPTimeouts).toBe(gaps.length + 1);
  });
});
