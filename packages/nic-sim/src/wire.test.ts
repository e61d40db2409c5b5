import { createVirtualClock } from '@knet/softirq';
import { describe, expect, test } from 'vitest';
import { BCAST, buildFrame, Capture, MAC_A, MAC_B } from './test/frames.js';
import { engineView } from './csum_simd.js';
import { Cable, LearningSwitch, Port, WIRE_FRAME_LEN, WIRE_OVERHEAD, takeWireFrame, takenFrameAddr } from './wire.js';

const MAC_C = new Uint8Array([0x02, 0, 0, 0, 0, 0xc]);

describe('cable', () => {
  test('frames serialize at the link speed and queue behind each other', () => {
    const clock = createVirtualClock({ seed: 1 });
    const rx = new Capture(() => clock.now());
    const a = new Port('a', new Capture());
    const b = new Port('b', rx);
    new Cable(clock, a, b, { speedMbps: 1000, delayUs: 5 });
    const f = buildFrame({ payload: 1000 - 54 });
    expect(f.length).toBe(1000);
    for (let i = 0; i < 10; i++) a.send(f, f.length);
    clock.runUntilIdle();
    // 1024 bytes on the wire each = 8.192 µs at 1 Gbit/s.
    const per = ((1000 + WIRE_OVERHEAD) * 8) / 1e6;
    expect(rx.frames.length).toBe(10);
    for (let i = 0; i < 10; i++) expect(rx.times[i]).toBeCloseTo((i + 1) * per + 0.005, 9);
    expect(rx.frames[9]).toEqual(f);
  });

  test('a frame sent from an offset into a larger array arrives as exactly its bytes', () => {
    const clock = createVirtualClock({ seed: 1 });
    const rx = new Capture();
    const a = new Port('a', new Capture());
    new Cable(clock, a, new Port('b', rx));
    const f = buildFrame({ payload: 300 });
    const big = new Uint8Array(f.length + 100).fill(0xaa);
    big.set(f, 37);
    a.send(big, f.length, 37);
    big.fill(0);
    clock.runUntilIdle();
    expect(rx.frames.length).toBe(1);
    expect(rx.frames[0]).toEqual(f);
  });

  test('frames arrive with the checksum-engine address of the buffer that holds them', () => {
    const clock = createVirtualClock({ seed: 1 });
    const seen: { addr: number; same: boolean }[] = [];
    const sink = {
      receiveFrame(bytes: Uint8Array, len: number, addr = -1) {
        seen.push({ addr, same: addr >= 0 && engineView(addr, len).every((v, i) => v === bytes[i]) && engineView(addr, 1).byteOffset === bytes.byteOffset });
      },
    };
    const a = new Port('a', new Capture());
    new Cable(clock, a, new Port('b', sink));
    for (let i = 0; i < 3; i++) a.send(buildFrame({ id: i }), 154);
    clock.runUntilIdle();
    expect(seen.length).toBe(3);
    expect(seen.every((s) => s.addr >= 0 && s.same)).toBe(true);
  });

  test('short frames are timed as 60 bytes; 100 Mbit/s is ten times slower', () => {
    const clock = createVirtualClock({ seed: 1 });
    const rx = new Capture(() => clock.now());
    const a = new Port('a', new Capture());
    new Cable(clock, a, new Port('b', rx), { speedMbps: 100, delayUs: 0 });
    a.send(new Uint8Array(20), 20);
    clock.runUntilIdle();
    expect(rx.times[0]).toBeCloseTo(((60 + WIRE_OVERHEAD) * 8) / 1e5, 9);
  });

  test('sendOwned hands a built frame over without a copy; a dropped one goes back to the pool', () => {
    const clock = createVirtualClock({ seed: 1 });
    const rx = new Capture();
    const a = new Port('a', new Capture());
    const c = new Cable(clock, a, new Port('b', rx));
    const f = buildFrame({ id: 7 });
    const buf = takeWireFrame();
    expect(buf.length).toBe(WIRE_FRAME_LEN);
    buf.set(f);
    expect(a.sendOwned(buf, f.length, takenFrameAddr())).toBeGreaterThan(0);
    clock.runUntilIdle();
    expect(rx.frames).toEqual([f]);
    // Delivered: the buffer is free again and is the next one handed out.
    expect(takeWireFrame()).toBe(buf);
    c.setCarrier(false);
    expect(a.sendOwned(buf, f.length, takenFrameAddr())).toBe(-1);
    expect(a.stats.txDropped).toBe(1);
    expect(takeWireFrame()).toBe(buf);
  });

  test('carrier loss drops sends and what is in flight, and tells both ends', () => {
    const clock = createVirtualClock({ seed: 1 });
    const rx = new Capture();
    const a = new Port('a', new Capture());
    const b = new Port('b', rx);
    const seen: boolean[] = [];
    a.onCarrier = (up) => seen.push(up);
    const c = new Cable(clock, a, b);
    a.send(buildFrame(), 154);
    c.setCarrier(false);
    expect(a.send(buildFrame(), 154)).toBe(-1);
    clock.runUntilIdle();
    expect(rx.frames.length).toBe(0);
    expect(a.stats.txDropped).toBe(1);
    c.setCarrier(true);
    expect(seen).toEqual([true, false, true]);
  });

  test('hundreds of frames in flight with reordering arrive in arrival-time order, none lost', () => {
    const clock = createVirtualClock({ seed: 3 });
    const rx = new Capture(() => clock.now());
    const a = new Port('a', new Capture());
    new Cable(clock, a, new Port('b', rx), { impair: { reorder: 0.3, reorderDelayUs: 400 } });
    for (let i = 0; i < 300; i++) a.send(buildFrame({ id: i }), 154);
    clock.runUntilIdle();
    expect(rx.frames.length).toBe(300);
    for (let i = 1; i < 300; i++) expect(rx.times[i]).toBeGreaterThanOrEqual(rx.times[i - 1]);
    const ids = rx.frames.map((f) => (f[18] << 8) | f[19]);
    expect(new Set(ids).size).toBe(300);
    expect(ids.some((id, i) => i > 0 && id < ids[i - 1])).toBe(true);
  });

  test('impairments are deterministic for a seed', () => {
    const run = (seed: number): string => {
      const clock = createVirtualClock({ seed });
      const rx = new Capture();
      const a = new Port('a', new Capture());
      new Cable(clock, a, new Port('b', rx), {
        impair: { loss: 0.1, duplicate: 0.1, reorder: 0.1, corrupt: 0.1 },
      });
      for (let i = 0; i < 200; i++) {
        a.send(buildFrame({ id: i }), 154);
        clock.runFor(0.002);
      }
      clock.runUntilIdle();
      return rx.frames.map((f) => `${(f[18] << 8) | f[19]}:${f.reduce((x, y) => (x * 31 + y) >>> 0, 0)}`).join(',');
    };
    const r1 = run(7);
    expect(run(7)).toBe(r1);
    expect(run(8)).not.toBe(r1);
    const ids = r1.split(',').map((s) => Number(s.split(':')[0]));
    expect(ids.length).toBeGreaterThan(180);
    expect(ids.length).not.toBe(200);
    expect(ids.some((id, i) => i > 0 && id < ids[i - 1])).toBe(true); // reordered
    expect(new Set(ids).size).toBeLessThan(ids.length); // duplicated
  });
});

describe('learning switch', () => {
  test('floods unknown and broadcast, learns, then forwards to one port', () => {
    const clock = createVirtualClock({ seed: 1 });
    const caps = [new Capture(), new Capture(), new Capture()];
    const ports = caps.map((c, i) => new Port(`h${i}`, c));
    const sw = new LearningSwitch(clock, { agingMs: 1000 });
    for (const p of ports) sw.connect(p);
    const macs = [MAC_A, MAC_B, MAC_C];
    // A → B: B unknown, flooded to B and C.
    ports[0].send(buildFrame({ src: MAC_A, dst: MAC_B }), 154);
    clock.runUntilIdle();
    expect(caps.map((c) => c.frames.length)).toEqual([0, 1, 1]);
    // B → A: A was learned on port 0, so only A sees it.
    ports[1].send(buildFrame({ src: MAC_B, dst: MAC_A }), 154);
    clock.runUntilIdle();
    expect(caps.map((c) => c.frames.length)).toEqual([1, 1, 1]);
    // A → B now forwarded only.
    ports[0].send(buildFrame({ src: MAC_A, dst: MAC_B }), 154);
    clock.runUntilIdle();
    expect(caps.map((c) => c.frames.length)).toEqual([1, 2, 1]);
    // Broadcast always floods.
    ports[2].send(buildFrame({ src: MAC_C, dst: BCAST }), 154);
    clock.runUntilIdle();
    expect(caps.map((c) => c.frames.length)).toEqual([2, 3, 1]);
    expect(sw.stats).toMatchObject({ forwarded: 2, flooded: 2 });
    // After the ageing time, A is unknown again and B → A floods.
    clock.runFor(2000);
    expect(sw.lookup(macs[0][5] + 0x020000000000)).toBe(-1);
    ports[1].send(buildFrame({ src: MAC_B, dst: MAC_A }), 154);
    clock.runUntilIdle();
    expect(caps.map((c) => c.frames.length)).toEqual([3, 3, 2]);
  });

  test('a congested output port tail-drops instead of queueing without bound', () => {
    const clock = createVirtualClock({ seed: 1 });
    const sink = new Capture();
    const dst = new Port('dst', sink);
    const srcs = [new Port('s0', new Capture()), new Port('s1', new Capture())];
    const sw = new LearningSwitch(clock);
    sw.connect(dst, { speedMbps: 10, queueLimitBytes: 16 * 1024 });
    for (const s of srcs) sw.connect(s);
    dst.send(buildFrame({ src: MAC_B, dst: BCAST }), 154);
    clock.runUntilIdle();
    for (let i = 0; i < 100; i++) for (const s of srcs) s.send(buildFrame({ dst: MAC_B, payload: 1400 }), 1454);
    clock.runUntilIdle();
    expect(sink.frames.length).toBeLessThan(200);
    expect(sw.cables[0].a.link!.tailDrops).toBe(200 - sink.frames.length);
  });
});
