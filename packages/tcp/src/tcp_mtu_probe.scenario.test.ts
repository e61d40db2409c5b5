import { describe, expect, test } from 'vitest';
import { createTcpTestbench } from './index.js';
import { pattern } from './test/scenario_helpers.js';
import type { WireSegment } from './testbench.js';

/** Bytes of the IPv4 packet that carried a logged segment. */
const ipLen = (s: WireSegment): number => 20 + s.bytes.length;

function bench(mtuProbing: number) {
  const tb = createTcpTestbench({ delayMs: 5 });
  for (const h of [tb.a, tb.b]) {
    h.tn.sysctl.tcp_mtu_probing = mtuProbing;
    h.tn.sysctl.tcp_base_mss = 512;
  }
  return tb;
}

describe('packetization-layer PMTU discovery (RFC 4821, Linux tcp_mtu_probe)', () => {
  test('tcp_mtu_probing=2 starts at tcp_base_mss and probes its way up to the 1500-byte link', () => {
    const tb = bench(2);
    const { c, s } = tb.pair();
    // Until a probe succeeds, data goes in base_mss packets (search_low = 512 + 40 + options).
    expect(c.mtupEnabled).toBe(true);
    expect(c.mssCache).toBe(512);
    tb.logging = false;
    let largest = 0;
    tb.dropIf = (x) => {
      if (x.from === 'a') largest = Math.max(largest, ipLen(x));
      return false;
    };
    const data = pattern(2_500_000);
    expect(tb.transfer(c, s, data)).toEqual(data);
    const ext = tb.a.tn.ext;
    expect(ext.TCPMTUPSuccess).toBeGreaterThanOrEqual(3);
    expect(ext.TCPMTUPFail).toBe(0);
    // The binary search stops within tcp_probe_threshold (8 bytes) of the link MTU.
    expect(c.mtupSearchHigh - c.mtupSearchLow).toBeLessThan(8);
    expect(c.mtupSearchLow).toBeGreaterThan(1500 - 8);
    expect(c.mssCache).toBeGreaterThan(1448 - 8);
    // Probes are single packets larger than the MSS of their time; nothing was retransmitted.
    expect(largest).toBeGreaterThan(1500 - 8);
    expect(largest).toBeLessThanOrEqual(1500);
    expect(c.totalRetrans).toBe(0);
  }, 120_000);

  test('a probe lost in a path narrower than the link lowers search_high, without a cwnd cut', () => {
    const tb = bench(2);
    const { c, s } = tb.pair();
    tb.logging = false;
    // Packets over 1200 bytes vanish (a tunnel whose ICMP never comes back).
    tb.dropIf = (x) => x.from === 'a' && ipLen(x) > 1200;
    const data = pattern(600_000);
    expect(tb.transfer(c, s, data)).toEqual(data);
    const ext = tb.a.tn.ext;
    expect(ext.TCPMTUPFail).toBeGreaterThanOrEqual(1);
    expect(ext.TCPMTUPSuccess).toBeGreaterThanOrEqual(1);
    // search_high is the smallest size seen to fail; the search ends within 8 bytes of 1200.
    expect(c.mtupSearchHigh).toBeLessThan(1200 + 8);
    expect(c.mtupSearchLow).toBeLessThanOrEqual(1200);
    expect(c.mtupSearchLow).toBeGreaterThan(1000);
    expect(tcpMtu(c.mssCache)).toBeLessThanOrEqual(1200);
    // A lost probe is resent in MSS-sized pieces (tcp_simple_retransmit), not by a Recovery.
    expect(ext.TCPSackRecovery + ext.TCPRenoRecovery).toBe(0);
  });

  test('tcp_mtu_probing=1 turns probing on only when timeouts suggest a black hole', () => {
    const tb = bench(1);
    const { c, s } = tb.pair();
    expect(c.mtupEnabled).toBe(false);
    expect(c.mssCache).toBe(1448);
    tb.transfer(c, s, pattern(100_000));
    expect(c.mtupEnabled).toBe(false);
    // Now full-sized packets are swallowed: after tcp_retries1 timeouts the sender falls back
    // to base_mss-sized packets that get through, and the stream completes.
    tb.dropIf = (x) => x.from === 'a' && ipLen(x) > 1000;
    const data = pattern(400_000);
    expect(tb.transfer(c, s, data)).toEqual(data);
    expect(c.mtupEnabled).toBe(true);
    expect(tcpMtu(c.mssCache)).toBeLessThanOrEqual(1000);
    expect(tb.a.tn.ext.TCPTimeouts).toBeGreaterThanOrEqual(3);
  });
});

/** The IP packet size of a full segment with the timestamp option. */
function tcpMtu(mss: number): number {
  return mss + 20 + 20 + 12;
}
