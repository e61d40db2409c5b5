import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { TCP_ESTABLISHED, TCPHDR_ACK, TCPHDR_SYN, NETIF_F_TSO, NETIF_F_SG, NETIF_F_HW_CSUM, SOL_TCP, TCP_INFO } from '@knet/include';
import { createTcpTestbench, tcpGetInfo } from '../index.js';

function data(n: number, seed: number): Uint8Array {
  const d = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    d[i] = x >>> 24;
  }
  return d;
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('bulk transfer', () => {
  test('1 MB byte-exact on a clean link, window scaling in use', () => {
    const tb = createTcpTestbench({ rateBytesPerMs: 1250, delayMs: 10 });
    tb.logging = false;
    const { c, s } = tb.pair();
    expect(c.rxOpt.wscaleOk).toBe(true);
    expect(c.rxOpt.rcvWscale).toBe(7);
    const d = data(1 << 20, 1);
    const got = tb.transfer(c, s, d);
    expect(got.length).toBe(d.length);
    expect(sha(got)).toBe(sha(d));
    // The advertised window grew past 64 KiB (scaled).
    expect(c.sndWnd).toBeGreaterThan(65535);
    expect(tcpGetInfo(c).tcpi_total_retrans).toBe(0);
  });

  for (const [loss, seed] of [[0.01, 3], [0.1, 4]] as const) {
    test(`byte-exact under ${loss * 100}% loss with reordering and duplication`, () => {
      const tb = createTcpTestbench({ loss, reorder: 0.05, duplicate: 0.02, seed, rateBytesPerMs: 1250, delayMs: 5 });
      tb.logging = false;
      const { c, s } = tb.pair();
      const d = data(loss > 0.05 ? 200_000 : 500_000, seed);
      const got = tb.transfer(c, s, d, 1_200_000);
      expect(got.length).toBe(d.length);
      expect(sha(got)).toBe(sha(d));
      expect(c.totalRetrans).toBeGreaterThan(0);
      expect(c.skState).toBe(TCP_ESTABLISHED);
    });
  }

  test('TSO: the sender builds 64 KiB GSO skbs and the wire carries MSS segments', () => {
    const tb = createTcpTestbench({ features: NETIF_F_TSO | NETIF_F_SG | NETIF_F_HW_CSUM, rateBytesPerMs: 12500 });
    const { c, s } = tb.pair();
    const d = data(300_000, 9);
    const got = tb.transfer(c, s, d);
    expect(sha(got)).toBe(sha(d));
    const dataSegs = tb.log.filter((x) => x.from === 'a' && x.len > 0);
    expect(Math.max(...dataSegs.map((x) => x.len))).toBe(c.mssCache);
    // Fewer skbs were transmitted than wire segments.
    expect(c.segsOut).toBeGreaterThan(0);
    expect(c.xmitSizeGoalSegs).toBeGreaterThan(1);
  });

  test('TCP_INFO reports the connection through getsockopt', () => {
    const tb = createTcpTestbench();
    const { c } = tb.pair();
    const info = c.skProt.getsockopt!(c, SOL_TCP, TCP_INFO) as Record<string, number>;
    expect(info.tcpi_state).toBe(TCP_ESTABLISHED);
    expect(info.tcpi_snd_mss).toBe(1448);
    expect(info.tcpi_options & 7).toBe(7);
    expect(info.tcpi_rtt).toBeGreaterThan(9000);
    expect(info.tcpi_rto).toBeGreaterThanOrEqual(200_000);
    expect(tb.log[0].flags).toBe(TCPHDR_SYN);
    expect(tb.log[2].flags).toBe(TCPHDR_ACK);
  });
});
