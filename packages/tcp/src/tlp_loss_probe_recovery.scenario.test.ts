import { expect, test } from 'vitest';
import { SOL_TCP, TCP_NODELAY, TCP_CA_Open } from '@knet/include';
import { createTcpTestbench } from './index.js';
import { pattern } from './test/scenario_helpers.js';

test('a tail loss repaired by a retransmitted loss probe reduces cwnd and counts TCPLossProbeRecovery once acked beyond it', () => {
  const tb = createTcpTestbench({ delayMs: 10, rateBytesPerMs: 1500 });
  const { c, s } = tb.pair();
  tb.setsockopt(c, SOL_TCP, TCP_NODELAY, 1);
  tb.transfer(c, s, pattern(150_000, 7));
  tb.run(1000);
  const mss = c.mssCache;
  const tail = (c.sndNxt + 4 * mss) >>> 0;
  let dropped = false;
  tb.dropIf = (x) => (x.from === 'a' && x.seq === tail && x.len > 0 && !dropped ? (dropped = true) : false);
  tb.send(c, pattern(5 * mss));
  tb.run(400);
  expect(tb.drain(s).length).toBe(5 * mss);
  expect(tb.a.tn.ext.TCPLossProbes).toBe(1);
  expect(tb.a.tn.ext.TCPTimeouts).toBe(0);
  const cwnd = c.sndCwnd;
  // Linux tcp_process_tlp_ack: tlp_retrans stays set until an ACK reaches past tlp_high_seq;
  // then "ACK advances: there was a loss, so reduce cwnd" (tcp_init_cwnd_reduction, CWR,
  // tcp_end_cwnd_reduction) and LINUX_MIB_TCPLOSSPROBERECOVERY++ (RFC 8985 §7.4.2).
  tb.send(c, pattern(mss));
  tb.run(100);
  expect(tb.drain(s).length).toBe(mss);
  expect(tb.a.tn.ext.TCPLossProbeRecovery).toBe(1);
  expect(c.sndCwnd).toBeLessThan(cwnd);
  expect(c.icskCaState).toBe(TCP_CA_Open);
});
