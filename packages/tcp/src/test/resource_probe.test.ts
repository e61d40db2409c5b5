import { describe, expect, test } from 'vitest';
import { ETIMEDOUT, SOL_TCP, TCP_CA_CWR, TCP_CLOSE, TCP_ESTABLISHED, TCP_USER_TIMEOUT } from '@knet/include';
import { createTcpTestbench } from '../testbench.js';
import { tcpGetInfo } from '../tcp_info.js';

describe('local congestion: a qdisc that drops our packets', () => {
  test('the data stays queued, is probed every 500 ms without backoff, and TCP_USER_TIMEOUT ends it', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair(80);
    expect(tb.setsockopt(c, SOL_TCP, TCP_USER_TIMEOUT, 3000)).toBe(0);
    tb.send(c, new Uint8Array(24));
    tb.run(50);
    expect(tb.drain(s).length).toBe(24);

    tb.localDropIf = (h) => h === tb.a;
    const before = tb.log.length;
    expect(tb.send(c, new Uint8Array(24))).toBe(24);
    // Nothing left the host: the skb is still unsent, not in flight.
    expect(c.packetsOut).toBe(0);
    expect(c.sendHead).not.toBeNull();
    expect(c.icskCaState).toBe(TCP_CA_CWR);
    // First probe at the RTO, then one per TCP_RESOURCE_PROBE_INTERVAL; the user timeout
    // counts from the first probe.
    const rto = c.icskRto;
    tb.run(rto + 2990);
    expect(tb.log.length).toBe(before);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    const info = tcpGetInfo(c);
    expect(info.tcpi_probes).toBe(6);
    expect(info.tcpi_backoff).toBe(0);
    tb.run(20);
    expect(c.skState).toBe(TCP_CLOSE);
    expect(c.skErr).toBe(ETIMEDOUT);
  });

  test('once the qdisc accepts again the next probe sends the data and probing stops', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair(80);
    tb.localDropIf = (h) => h === tb.a;
    tb.send(c, new Uint8Array(1000));
    tb.run(1000);
    expect(c.icskProbesOut).toBeGreaterThan(0);
    tb.localDropIf = null;
    tb.run(600);
    expect(tb.drain(s).length).toBe(1000);
    expect(c.sendHead).toBeNull();
    tb.run(50);
    expect(c.packetsOut).toBe(0);
    expect(c.icskProbesOut).toBe(0);
  });
});
