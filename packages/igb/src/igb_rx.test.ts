import { CHECKSUM_UNNECESSARY } from '@knet/include';
import { skbPoolStats } from '@knet/skbuff';
import { describe, expect, test } from 'vitest';
import { IGB_MIN_RXD } from './igb.js';
import { buildFrame, twoHosts, xmit } from './test/bench.js';

describe('igb receive', () => {
  test('ring wrap-around: many more frames than descriptors, in order, no new buffers', () => {
    const { clock, a, b } = twoHosts({ b: { rxRingCount: IGB_MIN_RXD } });
    const ring = b.adapter.rxRing[0];
    // Every slot but one holds a mapped skb for the device.
    expect(ring.rxBufferInfo.filter((bi) => bi.skb !== null && bi.dma !== 0).length).toBe(IGB_MIN_RXD - 1);
    let n = 0;
    const round = () => {
      for (let i = 0; i < 40; i++) xmit(a, buildFrame(a, b, { seq: n++, payload: 200 }));
      clock.runFor(1);
    };
    round();
    const created = skbPoolStats().skbCreated;
    const buffers = skbPoolStats().data.map((c) => c.created);
    for (let r = 1; r < 20; r++) round();
    expect(b.rx.length).toBe(800);
    expect(b.rx.every((r, i) => r.bytes[42] === (i & 0xff))).toBe(true);
    // Refills take recycled skbs and buffers from the pools: nothing allocated after warm-up.
    expect(skbPoolStats().skbCreated).toBe(created);
    expect(skbPoolStats().data.map((c) => c.created)).toEqual(buffers);
    expect(b.rx.every((r) => r.ipSummed === CHECKSUM_UNNECESSARY)).toBe(true);
  });

  test('the device writes into the skb that goes up; a down interface gives its buffers back', () => {
    const { clock, a, b } = twoHosts({ b: { rxRingCount: IGB_MIN_RXD } });
    const ring = b.adapter.rxRing[0];
    const posted = ring.rxBufferInfo[ring.nextToClean].skb;
    expect(posted).not.toBeNull();
    xmit(a, buildFrame(a, b, { seq: 7, payload: 300 }));
    clock.runFor(1);
    expect(b.rx.length).toBe(1);
    expect(b.rx[0].bytes[42]).toBe(7);
    expect(b.rx[0].skb).toBe(posted);
    const mapped = b.nic.dma.mapped;
    expect(mapped).toBeGreaterThanOrEqual(IGB_MIN_RXD - 1);
    const inUse = skbPoolStats().skbInUse;
    expect(b.dev.netdevOps.ndoStop(b.dev)).toBe(0);
    expect(ring.rxBufferInfo.every((bi) => bi.skb === null && bi.dma === 0)).toBe(true);
    expect(b.nic.dma.mapped).toBe(mapped - (IGB_MIN_RXD - 1));
    expect(skbPoolStats().skbInUse).toBe(inUse - (IGB_MIN_RXD - 1));
  });

  test('jumbo MTU: a frame spanning descriptors arrives whole; one over the MTU is dropped and counted', () => {
    const { clock, a, b } = twoHosts();
    const setMtu = (h: typeof a, mtu: number) => expect(h.dev.netdevOps.ndoChangeMtu!(h.dev, mtu)).toBe(0);
    setMtu(a, 9000);
    setMtu(b, 8000);
    clock.runFor(5);
    // 7000 bytes of IP: four 2 KiB buffers on b's ring, copied on into the first skb (grown).
    const f = buildFrame(a, b, { seq: 3, payload: 7000 - 28 });
    xmit(a, f);
    clock.runFor(1);
    expect(b.rx.length).toBe(1);
    expect(b.rx[0].bytes).toEqual(f);
    expect(b.rx[0].ipSummed).toBe(CHECKSUM_UNNECESSARY);
    // 9000 bytes fit the MAC (long packets on) but not b's MTU: the driver drops it.
    xmit(a, buildFrame(a, b, { payload: 9000 - 28 }));
    xmit(a, buildFrame(a, b, { seq: 9, payload: 100 }));
    clock.runFor(1);
    expect(b.rx.length).toBe(2);
    expect(b.rx[1].bytes[42]).toBe(9);
    expect(b.dev.stats.rxLengthErrors).toBe(1);
  });

  test('a full RX ring drops and counts, never stalls, and recovers', () => {
    // A slow receiver: one interrupt per 10 ms while frames arrive every 12 µs.
    const { clock, a, b } = twoHosts({ b: { rxRingCount: IGB_MIN_RXD } });
    const et = b.dev.ethtoolOps!;
    expect(et.setCoalesce!(b.dev, { rxCoalesceUsecs: 10000, txCoalesceUsecs: 10000 })).toBe(0);
    clock.runFor(20);
    const sent = 200;
    for (let i = 0; i < sent; i++) xmit(a, buildFrame(a, b, { seq: i, payload: 1400 }));
    clock.runFor(50);
    const st = et.getEthtoolStats!(b.dev);
    const dropped = st.rx_no_buffer_count;
    expect(dropped).toBeGreaterThan(50);
    expect(st.rx_missed_errors).toBe(dropped);
    expect(st.rx_queue_0_drops).toBe(dropped);
    expect(b.rx.length + dropped).toBe(sent);
    // Paced traffic gets through again.
    const before = b.rx.length;
    for (let i = 0; i < 5; i++) {
      xmit(a, buildFrame(a, b, { seq: i }));
      clock.runFor(20);
    }
    expect(b.rx.length).toBe(before + 5);
  });

  test('EITR limits the interrupt rate of a burst', () => {
    const count = (usecs: number): number => {
      const { clock, a, b } = twoHosts({ b: { rxRingCount: 512 } });
      b.dev.ethtoolOps!.setCoalesce!(b.dev, { rxCoalesceUsecs: usecs, txCoalesceUsecs: usecs });
      clock.runFor(1);
      const qv = b.adapter.qVector[0];
      const before = qv.irqCount;
      // 200 frames 12.2 µs apart on the wire: 2.4 ms of arrivals.
      for (let i = 0; i < 200; i++) xmit(a, buildFrame(a, b, { seq: i, payload: 1400 }));
      clock.runFor(10);
      expect(b.rx.length).toBe(200);
      return qv.irqCount - before;
    };
    const free = count(0);
    const limited = count(250);
    expect(free).toBeGreaterThan(150);
    // One per 250 µs over ~2.5 ms, plus the first.
    expect(limited).toBeLessThanOrEqual(12);
    expect(limited).toBeGreaterThanOrEqual(8);
    expect(b_coalesce_roundtrip()).toEqual({ rxCoalesceUsecs: 250, txCoalesceUsecs: 250 });
  });

  test('RSS: one flow stays on one queue; many flows spread, each NAPI on its own CPU', () => {
    const { clock, a, b } = twoHosts({ b: { cpus: 4 } });
    expect(b.adapter.numQueues).toBe(4);
    for (let i = 0; i < 20; i++) xmit(a, buildFrame(a, b, { proto: 6, sport: 5555, seq: i }));
    clock.runFor(1);
    expect(new Set(b.rx.map((r) => r.queue)).size).toBe(1);
    expect(new Set(b.rx.map((r) => r.hash)).size).toBe(1);
    expect(b.rx[0].hash).not.toBe(0);
    b.rx.length = 0;
    for (let i = 0; i < 64; i++) xmit(a, buildFrame(a, b, { proto: 6, sport: 10000 + i * 7 }));
    clock.runFor(1);
    const queues = new Set(b.rx.map((r) => r.queue));
    expect(queues.size).toBeGreaterThanOrEqual(3);
    for (const r of b.rx) expect(r.cpu).toBe(r.queue % 4);
    const st = b.dev.ethtoolOps!.getEthtoolStats!(b.dev);
    let sum = 0;
    for (let q = 0; q < 4; q++) sum += st[`rx_queue_${q}_packets`];
    expect(sum).toBe(84);
  });
});

function b_coalesce_roundtrip(): { rxCoalesceUsecs: number; txCoalesceUsecs: number } {
  const { b } = twoHosts();
  b.dev.ethtoolOps!.setCoalesce!(b.dev, { rxCoalesceUsecs: 250, txCoalesceUsecs: 250 });
  return b.dev.ethtoolOps!.getCoalesce!(b.dev);
}
