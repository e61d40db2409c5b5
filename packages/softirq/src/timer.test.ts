import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import type { Net } from '@knet/include';
import { CTX_SOFTIRQ, TIMER_SOFTIRQ } from '@knet/include';
import { createRealClock } from './clock.js';
import { jiffies } from './jiffies.js';
import { irqEnter, irqExit, localBhDisable, localBhEnable } from './softirq.js';
import {
  LVL_GRAN, LVL_START, TimerList, WHEEL_TIMEOUT_CUTOFF, addTimer, delTimer, modTimer,
  nextTimerExpiry, timerLevel, timerPending, timerReduce, timerSetup,
} from './timer.js';
import { createVirtualClock } from './virtual_clock.js';
import { testNet } from './test/net.js';

function setup(startMs = 0) {
  const clock = createVirtualClock({ seed: 11, startMs });
  const net = testNet(clock, 2);
  return { clock, net };
}

/** Latest jiffy a timer armed at `jArm` for `expires` may run, per the slack in timer.ts. */
const latest = (expires: number, jArm: number): number => expires + LVL_GRAN[timerLevel(expires - jArm)]!;

describe('timer wheel', () => {
  test('a 60 s timer fires in softirq context on cpu 0, within its slack', () => {
    const { clock, net } = setup(0.25);
    const seen: number[][] = [];
    const t = timerSetup(() => {
      const cpu = net.cpus[0]!;
      seen.push([jiffies(net), cpu.ctx, net.curCpu, cpu.softirqCount[TIMER_SOFTIRQ]!]);
    });
    const expires = jiffies(net) + 60_000;
    expect(modTimer(net, t, expires)).toBe(false);
    expect(timerPending(t)).toBe(true);
    expect(clock.pending()).toBe(1);
    clock.runUntilIdle();
    expect(seen).toHaveLength(1);
    const [at, ctx, cur, count] = seen[0]!;
    expect(at).toBeGreaterThan(expires);
    expect(at).toBeLessThanOrEqual(latest(expires, 0));
    expect(ctx).toBe(CTX_SOFTIRQ);
    expect(cur).toBe(0);
    expect(count).toBe(1);
    expect(timerPending(t)).toBe(false);
    expect(clock.pending()).toBe(0);
    expect(nextTimerExpiry(net)).toBe(Infinity);
  });

  test('near timers run one tick after expiry, in expiry order', () => {
    const { clock, net } = setup();
    const log: string[] = [];
    for (const d of [30, 5, 17, 5, 1]) {
      const t = timerSetup(() => log.push(`${d}@${jiffies(net)}`));
      modTimer(net, t, d);
    }
    expect(nextTimerExpiry(net)).toBe(2);
    clock.runUntilIdle();
    expect(log).toEqual(['1@2', '5@6', '5@6', '17@18', '30@31']);
  });

  test('modTimer moves a pending timer and reports it; delTimer cancels', () => {
    const { clock, net } = setup();
    const fired: number[] = [];
    const a = timerSetup(() => fired.push(jiffies(net)));
    const b = timerSetup(() => fired.push(-jiffies(net)));
    expect(modTimer(net, a, 1000)).toBe(false);
    expect(modTimer(net, a, 1000)).toBe(true);
    // 100 jiffies out is level 1: 8-jiffy buckets, rounded up to 104.
    expect(modTimer(net, a, 100)).toBe(true);
    modTimer(net, b, 50);
    expect(delTimer(net, b)).toBe(true);
    expect(delTimer(net, b)).toBe(false);
    clock.runUntilIdle();
    expect(fired).toEqual([104]);
    expect(modTimer(net, a, 5000)).toBe(false);
    expect(modTimer(net, a, 10_000)).toBe(true);
    clock.runFor(5000);
    expect(fired).toEqual([104]);
    expect(delTimer(net, a)).toBe(true);
    // Nothing left: the wheel drops its clock event, so the clock goes idle.
    expect(clock.pending()).toBe(0);
    expect(clock.runUntilIdle()).toBe(0);
    expect(fired).toEqual([104]);
  });

  test('timerReduce only ever brings a timer forward; addTimer arms at .expires', () => {
    const { clock, net } = setup();
    const fired: number[] = [];
    const t = timerSetup(() => fired.push(jiffies(net)));
    t.expires = 400;
    addTimer(net, t);
    expect(() => addTimer(net, t)).toThrow();
    expect(timerReduce(net, t, 900)).toBe(true);
    expect(t.expires).toBe(400);
    expect(timerReduce(net, t, 40)).toBe(true);
    expect(t.expires).toBe(40);
    clock.runUntilIdle();
    expect(fired).toEqual([41]);
    expect(timerReduce(net, t, 60)).toBe(false);
    clock.runUntilIdle();
    expect(fired).toEqual([41, 61]);
  });

  test('a callback may re-arm itself, and may cancel a timer due in the same batch', () => {
    const { clock, net } = setup();
    const log: number[] = [];
    const victim = timerSetup(() => log.push(-1));
    const periodic = timerSetup((t) => {
      log.push(jiffies(net));
      if (log.length < 5) modTimer(net, t, jiffies(net) + 10);
      delTimer(net, victim);
    });
    modTimer(net, periodic, 10);
    modTimer(net, victim, 10);
    clock.runUntilIdle();
    expect(log).toEqual([11, 22, 33, 44, 55]);
  });

  test('a subclass carries its own context', () => {
    const { clock, net } = setup();
    class SockTimer extends TimerList {
      hits = 0;
    }
    const t = new SockTimer((x: TimerList) => void (x as SockTimer).hits++);
    modTimer(net, t, 3);
    clock.runUntilIdle();
    expect(t.hits).toBe(1);
  });

  test('the tick is a hard IRQ: with bh disabled on cpu 0 timers wait for localBhEnable', () => {
    const { clock, net } = setup();
    const cpu0 = net.cpus[0]!;
    let fired = 0;
    modTimer(net, timerSetup(() => fired++), 20);
    localBhDisable(cpu0);
    clock.runUntilIdle();
    expect(fired).toBe(0);
    expect(cpu0.softirqPending).toBe(1 << TIMER_SOFTIRQ);
    localBhEnable(cpu0);
    expect(fired).toBe(1);
  });

  test('softirq processing that comes late catches up on every due bucket in order', () => {
    const { clock, net } = setup();
    const cpu0 = net.cpus[0]!;
    const log: number[] = [];
    for (const e of [700, 5, 90, 3000]) modTimer(net, timerSetup(() => log.push(e)), e);
    localBhDisable(cpu0);
    clock.runFor(10_000);
    expect(log).toEqual([]);
    localBhEnable(cpu0);
    expect(log).toEqual([5, 90, 700, 3000]);
    irqEnter(cpu0);
    irqExit(cpu0);
    expect(clock.pending()).toBe(0);
  });

  test('a timer past the wheel range is not run early', () => {
    const { clock, net } = setup(5);
    let at = -1;
    const expires = jiffies(net) + WHEEL_TIMEOUT_CUTOFF + 12_345;
    modTimer(net, timerSetup(() => (at = jiffies(net))), expires);
    clock.runUntilIdle();
    expect(at).toBeGreaterThan(expires);
    expect(at - expires).toBeLessThanOrEqual(LVL_GRAN[LVL_GRAN.length - 1]!);
  });

  test('slack per level matches Linux geometry', () => {
    expect(LVL_START.slice(1, 4)).toEqual([63, 504, 4032]);
    expect(timerLevel(62)).toBe(0);
    expect(timerLevel(63)).toBe(1);
    expect(timerLevel(60_000)).toBe(4);
    expect(LVL_GRAN[4]).toBe(4096);
  });

  test('a level-1 bucket that wraps onto the current slot is a full turn ahead, not due', () => {
    // At jiffy 1, 503 ahead is level 1; rounded up it lands at 512, level-1 slot 64 % 64 = 0,
    // the slot the level-1 clock (1 >> 3 = 0) points at right now.
    const { clock, net } = setup(1);
    let at = -1;
    const t = timerSetup(() => (at = jiffies(net)));
    const other = timerSetup(() => {});
    modTimer(net, other, 10);
    modTimer(net, t, 504);
    expect(t.bucketExpiry).toBe(512);
    // Emptying the earliest bucket makes the wheel search its levels again.
    delTimer(net, other);
    expect(nextTimerExpiry(net)).toBe(512);
    clock.runUntilIdle();
    expect(at).toBe(512);
  });

  test('timers need initCpus', () => {
    const net = { name: 'bare', clock: createVirtualClock(), cpus: [], curCpu: 0, gen: {} } as unknown as Net;
    expect(() => modTimer(net, timerSetup(() => {}), 5)).toThrow(/initCpus/);
  });

  const scale = fc.constantFrom(70, 600, 5000, 40_000, 300_000, 1 << 22);
  const op = fc.record({
    atUs: fc.integer({ min: 0, max: 20_000_000 }),
    timer: fc.integer({ min: 0, max: 7 }),
    kind: fc.constantFrom('arm', 'arm', 'arm', 'del', 'reduce'),
    delay: fc.tuple(scale, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, f]) => Math.floor(s * f)),
  });

  // Dense in time and small in delay, so level-0 and level-1 buckets interleave.
  const nearOp = fc.record({
    atUs: fc.integer({ min: 0, max: 1_500_000 }),
    timer: fc.integer({ min: 0, max: 7 }),
    kind: fc.constantFrom('arm', 'arm', 'arm', 'del', 'reduce'),
    delay: fc.integer({ min: 0, max: 700 }),
  });

  ftest.prop([fc.oneof(fc.array(op, { maxLength: 60 }), fc.array(nearOp, { maxLength: 60 })), fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 300 })(
    'timers never fire early, fire within the slack, exactly once unless deleted',
    (ops, startUs) => {
      const { clock, net } = setup(startUs / 1000);
      const want: ({ expires: number; jArm: number } | null)[] = new Array(8).fill(null);
      const problems: string[] = [];
      const timers = want.map((_, i) =>
        timerSetup(() => {
          const w = want[i];
          const j = jiffies(net);
          if (w === null) problems.push(`timer ${i} fired unarmed at ${j}`);
          else if (j <= w.expires) problems.push(`timer ${i} early: ${j} <= ${w.expires}`);
          else if (j > latest(w.expires, w.jArm)) problems.push(`timer ${i} late: ${j} for ${w.expires} armed ${w.jArm}`);
          if (net.cpus[0]!.ctx !== CTX_SOFTIRQ) problems.push('not in softirq');
          want[i] = null;
        }),
      );
      for (const o of ops) {
        clock.schedule(o.atUs / 1000, () => {
          const t = timers[o.timer]!;
          const j = jiffies(net);
          const e = j + o.delay;
          if (o.kind === 'del') {
            expect(delTimer(net, t)).toBe(want[o.timer] !== null);
            want[o.timer] = null;
          } else if (o.kind === 'reduce' && want[o.timer] !== null && want[o.timer]!.expires <= e) {
            expect(timerReduce(net, t, e)).toBe(true);
          } else {
            expect(modTimer(net, t, e)).toBe(want[o.timer] !== null);
            want[o.timer] = { expires: e, jArm: j };
          }
          expect(timerPending(t)).toBe(want[o.timer] !== null);
          // The wheel's next expiry is exactly its earliest pending bucket.
          const buckets = timers.filter((x) => x.pending).map((x) => x.bucketExpiry);
          expect(nextTimerExpiry(net)).toBe(buckets.length ? Math.min(...buckets) : Infinity);
        });
      }
      clock.runUntilIdle();
      expect(problems).toEqual([]);
      expect(want.every((w) => w === null)).toBe(true);
      expect(clock.pending()).toBe(0);
    },
  );
});

describe('timer wheel on the real clock', () => {
  test('a 5 ms timer fires', async () => {
    const clock = createRealClock();
    const net = testNet(clock, 1);
    const expires = jiffies(net) + 5;
    const at = await new Promise<number>((resolve) => {
      modTimer(net, timerSetup(() => resolve(jiffies(net))), expires);
    });
    expect(at).toBeGreaterThan(expires);
    expect(timerPending(timerSetup(() => {}))).toBe(false);
  });
});
