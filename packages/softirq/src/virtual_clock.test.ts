import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import { createVirtualClock, virtualClockStats } from './virtual_clock.js';

describe('virtual clock', () => {
  test('runs events in time order, same-time events in insertion order', () => {
    const c = createVirtualClock({ startMs: 100 });
    const log: string[] = [];
    c.schedule(5, () => log.push(`b@${c.now()}`));
    c.schedule(1, () => log.push(`a@${c.now()}`));
    c.schedule(5, () => log.push(`c@${c.now()}`));
    c.schedule(0, () => log.push(`z@${c.now()}`));
    expect(c.pending()).toBe(4);
    expect(c.run()).toBe(4);
    expect(log).toEqual(['z@100', 'a@101', 'b@105', 'c@105']);
    expect(c.pending()).toBe(0);
  });

  test('deferred work runs at the current time, before time moves on', () => {
    const c = createVirtualClock();
    const log: string[] = [];
    c.schedule(0, () => log.push('timer0'));
    c.schedule(10, () => {
      log.push(`t10@${c.now()}`);
      c.defer(() => log.push(`d1@${c.now()}`));
      c.schedule(0, () => log.push(`s0@${c.now()}`));
      c.defer(() => log.push(`d2@${c.now()}`));
    });
    c.schedule(10.5, () => log.push(`t10.5@${c.now()}`));
    c.defer(() => log.push('d0'));
    c.runUntilIdle();
    expect(log).toEqual(['timer0', 'd0', 't10@10', 'd1@10', 's0@10', 'd2@10', 't10.5@10.5']);
  });

  test('run(until) stops before later events and moves time to the bound', () => {
    const c = createVirtualClock();
    let fired = 0;
    c.schedule(60_000, () => fired++);
    expect(c.run(59_999)).toBe(0);
    expect(c.now()).toBe(59_999);
    expect(fired).toBe(0);
    expect(c.runFor(1)).toBe(1);
    expect(fired).toBe(1);
    expect(c.now()).toBe(60_000);
    expect(c.advance(5)).toBe(0);
    expect(c.now()).toBe(60_005);
  });

  test('maxEvents bounds a run and leaves time at the last event', () => {
    const c = createVirtualClock();
    const tick = (): void => void c.schedule(1, tick);
    tick();
    expect(c.run(Infinity, 10)).toBe(10);
    expect(c.now()).toBe(10);
    expect(c.pending()).toBe(1);
    expect(c.runUntilIdle(25)).toBe(25);
    expect(c.now()).toBe(35);
  });

  test('cancel is lazy, idempotent and ignores fired events', () => {
    const c = createVirtualClock();
    const log: number[] = [];
    const a = c.schedule(1, () => log.push(1));
    const b = c.schedule(2, () => log.push(2));
    c.cancel(b);
    c.cancel(b);
    expect(c.pending()).toBe(1);
    c.runUntilIdle();
    c.cancel(a);
    expect(log).toEqual([1]);
    expect(c.pending()).toBe(0);
  });

  test('a stale handle cannot cancel the event that reused its slot', () => {
    const c = createVirtualClock();
    const log: string[] = [];
    const fired = c.schedule(1, () => log.push('fired'));
    c.runUntilIdle();
    const cancelled = c.schedule(1, () => log.push('cancelled'));
    c.cancel(cancelled);
    c.runUntilIdle(); // pops the cancelled entry back into the pool
    const live = c.schedule(1, () => log.push('live'));
    const self: { h: ReturnType<typeof c.schedule> | null } = { h: null };
    self.h = c.schedule(2, () => {
      log.push('self');
      c.cancel(self.h!); // already run: a no-op even though its entry is free again
    });
    c.cancel(fired);
    c.cancel(cancelled);
    expect(c.pending()).toBe(2);
    expect(live.id).not.toBe(fired.id);
    c.runUntilIdle();
    expect(log).toEqual(['fired', 'live', 'self']);
    expect(c.pending()).toBe(0);
  });

  test('steady-state schedule/run cycles allocate no new events', () => {
    const c = createVirtualClock();
    let fired = 0;
    const cycle = (): void => {
      const keep = c.schedule(1, () => fired++);
      c.cancel(c.schedule(2, () => fired--));
      c.defer(() => fired++);
      c.runFor(3);
      c.cancel(keep);
    };
    for (let i = 0; i < 10; i++) cycle();
    const created = virtualClockStats().eventsCreated;
    for (let i = 0; i < 10_000; i++) cycle();
    expect(virtualClockStats().eventsCreated).toBe(created);
    expect(fired).toBe(2 * 10_010);
    expect(c.pending()).toBe(0);
  });

  test('mass cancellation compacts the heap and keeps order', () => {
    const c = createVirtualClock();
    const log: number[] = [];
    const evs = [];
    for (let i = 0; i < 5000; i++) evs.push(c.schedule((i * 7919) % 5000, () => log.push(i)));
    for (let i = 0; i < 5000; i++) if (i % 5 !== 0) c.cancel(evs[i]!);
    expect(c.pending()).toBe(1000);
    c.runUntilIdle();
    const want = [...Array(5000).keys()].filter((i) => i % 5 === 0).sort((x, y) => ((x * 7919) % 5000) - ((y * 7919) % 5000));
    expect(log).toEqual(want);
  });

  test('run is not re-entrant and bad delays are refused', () => {
    const c = createVirtualClock();
    let err: unknown = null;
    c.schedule(1, () => {
      try {
        c.runFor(1);
      } catch (e) {
        err = e;
      }
    });
    c.runUntilIdle();
    expect(err).toBeInstanceOf(Error);
    expect(() => c.schedule(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => c.schedule(Infinity, () => {})).toThrow(RangeError);
  });

  test('random() is seeded: same seed same stream, other seed another, all in [0, 1)', () => {
    const draw = (seed: number) => {
      const c = createVirtualClock({ seed });
      return Array.from({ length: 64 }, () => c.random());
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    for (const x of [...a, ...draw(0), ...draw(0xffffffff)]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(new Set(a).size).toBe(64);
  });

  test('a seeded simulation replays identically', () => {
    const sim = (seed: number) => {
      const c = createVirtualClock({ seed });
      const trace: string[] = [];
      const actor = (name: string, left: number): void => {
        trace.push(`${c.now().toFixed(6)} ${name} ${left}`);
        if (left === 0) return;
        if (c.random() < 0.3) c.defer(() => actor(name + "'", 0));
        c.schedule(c.random() * 10, () => actor(name, left - 1));
      };
      for (const n of ['a', 'b', 'c']) actor(n, 50);
      c.runUntilIdle();
      return trace;
    };
    const t1 = sim(7);
    expect(t1.length).toBeGreaterThan(150);
    expect(sim(7)).toEqual(t1);
    expect(sim(8)).not.toEqual(t1);
  });

  ftest.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 200 })])(
    'events run in (time, insertion) order; cancelled ones never run',
    (ops) => {
      const c = createVirtualClock();
      const ran: number[] = [];
      const evs = ops.map(([d], i) => c.schedule(d, () => ran.push(i)));
      ops.forEach(([, cancel], i) => cancel && c.cancel(evs[i]!));
      c.runUntilIdle();
      const want = ops
        .map(([d, cancel], i) => ({ d, cancel, i }))
        .filter((o) => !o.cancel)
        .sort((x, y) => x.d - y.d || x.i - y.i)
        .map((o) => o.i);
      expect(ran).toEqual(want);
    },
  );
});
