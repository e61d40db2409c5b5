import { expect, test } from 'vitest';
import { SOL_TCP, TCP_NODELAY, TCP_CA_Open } from '@knet/include';
import { createTcpTestbench } from './index.js';
import { interceptWire, pattern, sackBlocks } from './test/scenario_helpers.js';

test('a D-SACK that arrives after everything is acked still counts (TCPDSACKRecv) and undoes the spurious fast retransmit', () => {
  const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
  tb.a.tn.sysctl.tcp_recovery = 0;
  tb.a.tn.sysctl.tcp_timestamps = 0;
  const { c, s } = tb.pair();
  tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
  tb.transfer(c, s, pattern(150_000, 7));
  tb.run(1000);
  const mss = c.mssCache;
  const late = c.sndNxt;
  let held = false;
  const release = interceptWire(tb, (x) => (x.from === 'a' && x.seq === late && x.len > 0 && !held ? ((held = true), 40) : 'pass'));
  const n0 = tb.log.length;
  const d = pattern(10 * mss, 9);
  tb.send(c, d);
  // After the idle period (tcp_cwnd_restart), before the spurious reduction.
  const cwnd0 = c.sndCwnd;
  const ssthresh0 = c.sndSsthresh;
  tb.run(500);
  release();
  expect(tb.drain(s)).toEqual(d);
  // The receiver sent the D-SACK (first block below the cumulative ACK) ...
  const dsack = tb.log.slice(n0).filter((x) => x.from === 'b' && sackBlocks(x).some(([l, r]) => l === late && r === ((late + mss) >>> 0) && ((x.ack - r) | 0) >= 0));
  expect(dsack.length).toBe(1);
  expect(tb.b.tn.ext.TCPDSACKOldSent).toBe(1);
  expect(c.packetsOut).toBe(0);
  // ... and Linux's tcp_sacktag_write_queue runs tcp_check_dsack before its packets_out check,
  // then tcp_ack's no_queue path calls tcp_fastretrans_alert → tcp_try_undo_dsack.
  expect(tb.a.tn.ext.TCPDSACKRecv).toBe(1);
  expect(tb.a.tn.ext.TCPDSACKUndo).toBe(1);
  expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
  expect(c.sndSsthresh).toBe(ssthresh0);
  expect(c.icskCaState).toBe(TCP_CA_Open);
});
