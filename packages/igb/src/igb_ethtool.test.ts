import { EINVAL } from '@knet/include';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildFrame, twoHosts, xmit } from './test/bench.js';

describe('igb ethtool', () => {
  test('ring resize reopens the device with new rings; sizes round to 8 and clamp', () => {
    const { clock, a, b } = twoHosts();
    const et = b.dev.ethtoolOps!;
    expect(et.setRingparam!(b.dev, { rxPending: 100, txPending: 5000, rxMaxPending: 0, txMaxPending: 0 })).toBe(0);
    expect(et.getRingparam!(b.dev)).toMatchObject({ rxPending: 104, txPending: 4096 });
    expect(b.adapter.rxRing[0].count).toBe(104);
    expect(b.adapter.resets).toBe(1);
    clock.runFor(5);
    for (let i = 0; i < 300; i++) {
      xmit(a, buildFrame(a, b, { seq: i }));
      if (i % 50 === 49) clock.runFor(1);
    }
    expect(b.rx.length).toBe(300);
  });

  test('channels rebuild the queue vectors; coalesce rejects what igb rejects', () => {
    const { clock, a, b } = twoHosts({ b: { cpus: 4 } });
    const et = b.dev.ethtoolOps!;
    expect(et.getChannels!(b.dev)).toEqual({ maxCombined: 8, combinedCount: 4 });
    expect(et.setChannels!(b.dev, { maxCombined: 8, combinedCount: 2 })).toBe(0);
    expect(b.adapter.qVector.length).toBe(2);
    expect(b.dev.napiList.length).toBe(2);
    expect(b.dev.realNumTxQueues).toBe(2);
    expect(et.setChannels!(b.dev, { maxCombined: 8, combinedCount: 9 })).toBe(-EINVAL);
    clock.runFor(5);
    for (let i = 0; i < 32; i++) xmit(a, buildFrame(a, b, { proto: 6, sport: 2000 + i }));
    clock.runFor(1);
    expect(new Set(b.rx.map((r) => r.queue))).toEqual(new Set([0, 1]));
    for (const bad of [2, 5, 10001, -1]) expect(et.setCoalesce!(b.dev, { rxCoalesceUsecs: bad, txCoalesceUsecs: 0 })).toBe(-EINVAL);
    const st = et.getEthtoolStats!(b.dev);
    expect(Object.keys(st)).toContain('rx_queue_1_packets');
    expect(st.rx_packets).toBe(32);
    expect(et.getDrvinfo!(b.dev).driver).toBe('igb');
  });

  test('arbitrary bytes from the wire never throw, and the receiver keeps working', () => {
    const { clock, a, b, cable } = twoHosts({ b: { cpus: 2 } });
    // Inject straight onto b's side of the cable, as a broken peer would.
    const raw = cable.a === a.nic.port ? cable.a : cable.b;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 1600 }), { maxLength: 20 }), (frames) => {
        for (const f of frames) {
          if (f.length >= 6) f.set(b.dev.devAddr, 0);
          if (f.length >= 14 && f[12] & 1) { f[12] = 0x08; f[13] = 0x00; }
          raw.send(f, f.length);
        }
        clock.runFor(1);
      }),
      { numRuns: 50, seed: 42 },
    );
    const before = b.rx.length;
    xmit(a, buildFrame(a, b, { seq: 3 }));
    clock.runFor(1);
    expect(b.rx.length).toBe(before + 1);
  });
});
