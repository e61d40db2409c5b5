import { describe, expect } from 'vitest';
import { test as ptest, fc } from '@fast-check/vitest';
import { TCP_CLOSE, TCP_ESTABLISHED } from '@knet/include';
import { createTcpTestbench } from './index.js';
import { pattern } from './test/scenario_helpers.js';

describe('bulk transfer properties', () => {
  // RFC 9293 §3.4 / §3.10.7.4: whatever the network does to segments (loss, reordering,
  // duplication), the receiver delivers exactly the bytes sent, in order, once; and the
  // connection then closes cleanly on both sides.
  ptest.prop(
    [
      fc.record({
        seed: fc.integer({ min: 1, max: 1 << 20 }),
        loss: fc.double({ min: 0, max: 0.1, noNaN: true }),
        reorder: fc.double({ min: 0, max: 0.1, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 0.05, noNaN: true }),
        size: fc.integer({ min: 1, max: 80_000 }),
        sack: fc.boolean(),
        timestamps: fc.boolean(),
        recovery: fc.constantFrom(0, 1),
      }),
    ],
    { numRuns: 15 },
  )('byte-exact delivery and a clean close under random impairments and option sets', (p) => {
    const tb = createTcpTestbench({ seed: p.seed, loss: p.loss, reorder: p.reorder, reorderExtraMs: 4, duplicate: p.duplicate, delayMs: 5, rateBytesPerMs: 2500 });
    tb.logging = false;
    tb.a.tn.sysctl.tcp_sack = p.sack ? 1 : 0;
    tb.a.tn.sysctl.tcp_timestamps = p.timestamps ? 1 : 0;
    tb.a.tn.sysctl.tcp_recovery = p.recovery;
    const { c, s } = tb.pair();
    expect(c.rxOpt.sackOk).toBe(p.sack);
    expect(c.rxOpt.tstampOk).toBe(p.timestamps);
    const d = pattern(p.size, p.seed);
    const got = tb.transfer(c, s, d, 900_000);
    expect(got.length).toBe(d.length);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(d))).toBe(0);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    tb.close(c);
    tb.runUntil(() => tb.recv(s) instanceof Uint8Array && s.skState !== TCP_ESTABLISHED, 900_000, 10);
    tb.close(s);
    tb.runUntil(() => s.skState === TCP_CLOSE, 900_000, 10);
    expect(s.skState).toBe(TCP_CLOSE);
  });
});
