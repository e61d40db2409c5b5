import { describe, expect, test } from 'vitest';
import { SOL_SOCKET, SO_RCVBUF } from '@knet/include';
import { createTcpTestbench } from '../testbench.js';
import { tcpGetInfo } from '../tcp_info.js';

describe('tcp_chrono: busy, rwnd-limited and sndbuf-limited times in TCP_INFO', () => {
  test('a sender stalled by the peer window counts rwnd-limited time inside its busy time', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80);
    expect(tb.setsockopt(l, SOL_SOCKET, SO_RCVBUF, 4096)).toBe(0);
    const c = tb.connect(tb.a, 80);
    tb.runUntil(() => (l.acceptQueue?.length ?? 0) > 0, 1000);
    const s = tb.accept(l)!;
    const idle = tcpGetInfo(c);
    expect(idle.tcpi_busy_time).toBe(0);
    expect(idle.tcpi_rwnd_limited).toBe(0);

    // The server does not read: its window closes and the client stalls.
    const total = 64 * 1024;
    const payload = new Uint8Array(total);
    let queued = tb.send(c, payload);
    tb.run(200);
    const t1 = tcpGetInfo(c);
    expect(t1.tcpi_rwnd_limited).toBeGreaterThan(0);
    tb.run(100);
    const t2 = tcpGetInfo(c);
    // Times are kept in jiffies (ms) and reported in µs, as Linux does.
    expect(t2.tcpi_rwnd_limited - t1.tcpi_rwnd_limited).toBe(100_000);
    expect(t2.tcpi_busy_time - t1.tcpi_busy_time).toBe(100_000);
    expect(t2.tcpi_busy_time).toBeGreaterThanOrEqual(t2.tcpi_rwnd_limited);
    expect(t2.tcpi_sndbuf_limited).toBe(0);

    // Read everything; once all is acked the sender is idle and the clocks stop.
    let got = 0;
    tb.runUntil(() => {
      got += tb.drain(s).length;
      if (queued < total) {
        const n = tb.send(c, payload.subarray(queued));
        if (n > 0) queued += n;
      }
      return got === total && c.packetsOut === 0;
    }, 60_000);
    expect(got).toBe(total);
    const done = tcpGetInfo(c);
    tb.run(500);
    const later = tcpGetInfo(c);
    expect(later.tcpi_busy_time).toBe(done.tcpi_busy_time);
    expect(later.tcpi_rwnd_limited).toBe(done.tcpi_rwnd_limited);
    expect(later.tcpi_rwnd_limited).toBeGreaterThanOrEqual(t2.tcpi_rwnd_limited);
  });
});
