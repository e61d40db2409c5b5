import { describe, expect, test } from 'vitest';
import type { Clock, ClockEvent, Cpu } from '@knet/include';
import {
  CTX_HARDIRQ, CTX_PROCESS, CTX_SOFTIRQ, HI_SOFTIRQ, MAX_SOFTIRQ_RESTART, NET_RX_SOFTIRQ,
  NET_TX_SOFTIRQ, RCU_SOFTIRQ, TASKLET_SOFTIRQ, TIMER_SOFTIRQ,
} from '@knet/include';
import { createVirtualClock } from './virtual_clock.js';
import {
  doSoftirq, inHardirq, inInterrupt, inServingSoftirq, inSoftirq, inTask, irqEnter, irqExit,
  localBhDisable, localBhEnable, openSoftirq, raiseSoftirq, runOnCpu, thisCpu,
} from './softirq.js';
import { testNet } from './test/net.js';

function setup(ncpus = 2) {
  const clock = createVirtualClock({ seed: 3 });
  const net = testNet(clock, ncpus);
  return { clock, net, cpu0: net.cpus[0]!, cpu1: net.cpus[1]! };
}

describe('softirq', () => {
  test('pending vectors run lowest number first, in softirq context on their cpu', () => {
    const { net, cpu1 } = setup();
    const log: string[] = [];
    for (const nr of [HI_SOFTIRQ, NET_TX_SOFTIRQ, NET_RX_SOFTIRQ, TASKLET_SOFTIRQ, RCU_SOFTIRQ]) {
      openSoftirq(net, nr, (cpu) => log.push(`${nr}:cpu${cpu.id}:ctx${cpu.ctx}:cur${net.curCpu}`));
    }
    localBhDisable(cpu1);
    for (const nr of [RCU_SOFTIRQ, NET_RX_SOFTIRQ, HI_SOFTIRQ, TASKLET_SOFTIRQ, NET_TX_SOFTIRQ]) raiseSoftirq(cpu1, nr);
    expect(log).toEqual([]);
    localBhEnable(cpu1);
    expect(log).toEqual([0, 2, 3, 6, 9].map((nr) => `${nr}:cpu1:ctx${CTX_SOFTIRQ}:cur1`));
    expect(cpu1.ctx).toBe(CTX_PROCESS);
    expect(net.curCpu).toBe(0);
    expect(cpu1.softirqPending).toBe(0);
    expect(cpu1.softirqCount[NET_RX_SOFTIRQ]).toBe(1);
    expect(net.cpus[0]!.softirqCount[NET_RX_SOFTIRQ]).toBe(0);
  });

  test('a raise from process context wakes ksoftirqd once, as a deferred task', () => {
    const { clock, net, cpu0 } = setup();
    let runs = 0;
    openSoftirq(net, NET_RX_SOFTIRQ, () => runs++);
    openSoftirq(net, NET_TX_SOFTIRQ, () => runs++);
    raiseSoftirq(cpu0, NET_RX_SOFTIRQ);
    raiseSoftirq(cpu0, NET_TX_SOFTIRQ);
    expect(runs).toBe(0);
    expect(cpu0.ksoftirqdScheduled).toBe(true);
    expect(clock.pending()).toBe(1);
    expect(clock.runUntilIdle()).toBe(1);
    expect(runs).toBe(2);
    expect(cpu0.ksoftirqdScheduled).toBe(false);
    expect(clock.now()).toBe(0);
  });

  test('irqExit runs the softirqs raised in the hard IRQ', () => {
    const { clock, net, cpu1 } = setup();
    const log: string[] = [];
    openSoftirq(net, NET_RX_SOFTIRQ, (cpu) => log.push(`rx ctx${cpu.ctx}`));
    irqEnter(cpu1);
    expect(inHardirq(cpu1)).toBe(true);
    expect(net.curCpu).toBe(1);
    raiseSoftirq(cpu1, NET_RX_SOFTIRQ);
    irqEnter(cpu1);
    irqExit(cpu1);
    expect(log).toEqual([]);
    irqExit(cpu1);
    expect(log).toEqual([`rx ctx${CTX_SOFTIRQ}`]);
    expect(cpu1.ctx).toBe(CTX_PROCESS);
    expect(net.curCpu).toBe(0);
    expect(cpu1.ksoftirqdScheduled).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  test('bh-disabled sections hold softirqs until the outermost enable', () => {
    const { clock, net, cpu0 } = setup();
    let runs = 0;
    openSoftirq(net, NET_RX_SOFTIRQ, () => runs++);
    localBhDisable(cpu0);
    localBhDisable(cpu0);
    expect(inSoftirq(cpu0)).toBe(true);
    expect(inServingSoftirq(cpu0)).toBe(false);
    expect(inTask(cpu0)).toBe(true);
    raiseSoftirq(cpu0, NET_RX_SOFTIRQ);
    irqEnter(cpu0);
    raiseSoftirq(cpu0, NET_RX_SOFTIRQ);
    irqExit(cpu0);
    doSoftirq(cpu0);
    expect(runs).toBe(0);
    expect(clock.pending()).toBe(0);
    localBhEnable(cpu0);
    expect(runs).toBe(0);
    localBhEnable(cpu0);
    expect(runs).toBe(1);
    expect(inInterrupt(cpu0)).toBe(false);
    expect(() => localBhEnable(cpu0)).toThrow();
    expect(() => irqExit(cpu0)).toThrow();
  });

  test('a vector that re-raises itself forever gives control back after MAX_SOFTIRQ_RESTART rounds', () => {
    const { clock, net, cpu0 } = setup();
    let rounds = 0;
    openSoftirq(net, NET_RX_SOFTIRQ, (cpu) => {
      rounds++;
      raiseSoftirq(cpu, NET_RX_SOFTIRQ);
    });
    irqEnter(cpu0);
    raiseSoftirq(cpu0, NET_RX_SOFTIRQ);
    irqExit(cpu0);
    expect(rounds).toBe(MAX_SOFTIRQ_RESTART);
    expect(cpu0.softirqPending).toBe(1 << NET_RX_SOFTIRQ);
    expect(cpu0.ksoftirqdScheduled).toBe(true);
    // Work queued behind ksoftirqd gets its turn between ksoftirqd's batches.
    const log: number[] = [];
    clock.defer(() => log.push(rounds));
    expect(clock.run(Infinity, 3)).toBe(3);
    expect(log).toEqual([2 * MAX_SOFTIRQ_RESTART]);
    expect(rounds).toBe(3 * MAX_SOFTIRQ_RESTART);
    clock.run(Infinity, 5);
    expect(rounds).toBe(8 * MAX_SOFTIRQ_RESTART);
  });

  test('the MAX_SOFTIRQ_TIME budget also ends the restarts', () => {
    // A clock whose time moves 1 ms on every read: the 2 ms budget ends after two rounds.
    let t = 0;
    const deferred: (() => void)[] = [];
    const clock: Clock = {
      name: 'ticking',
      virtual: true,
      now: () => t++,
      schedule: (): ClockEvent => ({ id: 0 }),
      cancel: () => {},
      defer: (fn) => void deferred.push(fn),
      random: () => 0,
    };
    const net = testNet(clock, 1);
    const cpu = net.cpus[0]!;
    let rounds = 0;
    openSoftirq(net, NET_TX_SOFTIRQ, (c) => {
      rounds++;
      raiseSoftirq(c, NET_TX_SOFTIRQ);
    });
    localBhDisable(cpu);
    raiseSoftirq(cpu, NET_TX_SOFTIRQ);
    localBhEnable(cpu);
    expect(rounds).toBe(2);
    expect(deferred).toHaveLength(1);
    deferred.shift()!();
    expect(rounds).toBe(4);
  });

  test('a raise inside a softirq only sets the bit; the vector runs in the next round, not nested', () => {
    const { net, cpu0 } = setup();
    const log: string[] = [];
    let depth = 0;
    openSoftirq(net, NET_RX_SOFTIRQ, (cpu) => {
      depth++;
      log.push(`rx depth${depth}`);
      raiseSoftirq(cpu, NET_TX_SOFTIRQ);
      doSoftirq(cpu);
      // A hard IRQ that hits a running softirq does not run softirqs on its way out.
      irqEnter(cpu);
      raiseSoftirq(cpu, HI_SOFTIRQ);
      irqExit(cpu);
      expect(cpu.ctx).toBe(CTX_SOFTIRQ);
      log.push('rx end');
      depth--;
    });
    openSoftirq(net, NET_TX_SOFTIRQ, () => log.push(`tx depth${depth}`));
    openSoftirq(net, HI_SOFTIRQ, () => log.push(`hi depth${depth}`));
    irqEnter(cpu0);
    raiseSoftirq(cpu0, NET_RX_SOFTIRQ);
    irqExit(cpu0);
    expect(log).toEqual(['rx depth1', 'rx end', 'hi depth0', 'tx depth0']);
  });

  test('a throwing action keeps the vectors behind it pending and restores the context', () => {
    const { clock, net, cpu0 } = setup();
    const log: string[] = [];
    openSoftirq(net, TIMER_SOFTIRQ, () => {
      throw new Error('bad action');
    });
    openSoftirq(net, NET_RX_SOFTIRQ, () => log.push('rx'));
    localBhDisable(cpu0);
    raiseSoftirq(cpu0, TIMER_SOFTIRQ);
    raiseSoftirq(cpu0, NET_RX_SOFTIRQ);
    expect(() => localBhEnable(cpu0)).toThrow('bad action');
    expect(cpu0.ctx).toBe(CTX_PROCESS);
    expect(cpu0.softirqPending).toBe(1 << NET_RX_SOFTIRQ);
    clock.runUntilIdle();
    expect(log).toEqual(['rx']);
  });

  test('runOnCpu runs process-context work on the chosen cpu and restores the previous one', () => {
    const { net } = setup(3);
    const seen = runOnCpu(net, 2, () => {
      const c: Cpu = thisCpu(net);
      return [c.id, c.ctx === CTX_PROCESS, runOnCpu(net, 1, () => net.curCpu)];
    });
    expect(seen).toEqual([2, true, 1]);
    expect(net.curCpu).toBe(0);
    expect(() => runOnCpu(net, 3, () => 0)).toThrow(RangeError);
    expect(() => runOnCpu(net, 1, () => {
      throw new Error('x');
    })).toThrow('x');
    expect(net.curCpu).toBe(0);
  });

  test('context predicates follow Linux', () => {
    const { net, cpu0 } = setup();
    expect([inTask(cpu0), inSoftirq(cpu0), inHardirq(cpu0), inInterrupt(cpu0)]).toEqual([true, false, false, false]);
    const seen: boolean[][] = [];
    openSoftirq(net, HI_SOFTIRQ, (c) => seen.push([inTask(c), inSoftirq(c), inServingSoftirq(c), inHardirq(c), inInterrupt(c)]));
    irqEnter(cpu0);
    expect(cpu0.ctx).toBe(CTX_HARDIRQ);
    expect([inTask(cpu0), inInterrupt(cpu0)]).toEqual([false, true]);
    raiseSoftirq(cpu0, HI_SOFTIRQ);
    irqExit(cpu0);
    expect(seen).toEqual([[false, true, true, false, true]]);
  });
});
