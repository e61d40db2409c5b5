import { describe, expect, test } from 'vitest';
import type { NapiStruct } from '@knet/include';
import { irqEnter, irqExit } from '@knet/softirq';
import { napiCompleteDone, napiDisable, napiEnable, napiSchedule, napiSchedulePrep, netifNapiAdd } from './napi.js';
import { bench, testDev } from './test/bench.js';

/** A fake device queue: `left` packets of work; each poll takes up to budget. */
function workNapi(dev: Parameters<typeof netifNapiAdd>[0], left: number, log: string[], tag: string): NapiStruct & { left: number } {
  const n = netifNapiAdd(dev, (napi: NapiStruct, budget: number) => {
    const self = napi as NapiStruct & { left: number };
    const done = Math.min(budget, self.left);
    self.left -= done;
    log.push(`${tag}:${done}`);
    if (done < budget) napiCompleteDone(napi, done);
    return done;
  }) as NapiStruct & { left: number };
  n.left = left;
  napiEnable(n);
  return n;
}

describe('NAPI and net_rx_action', () => {
  test('a NAPI with more than its weight is repolled, the others still get their turn, and running out of budget counts a time_squeeze', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    expect(net.sysctls.get('net.core.netdev_budget')!.set(100)).toBe(0);
    const log: string[] = [];
    const a = workNapi(dev, 200, log, 'a');
    const b = workNapi(dev, 200, log, 'b');
    const c = workNapi(dev, 3, log, 'c');
    const cpu = net.cpus[0]!;
    irqEnter(cpu);
    napiSchedule(a);
    napiSchedule(b);
    napiSchedule(c);
    irqExit(cpu);
    clock.runUntilIdle();
    // Round 1: a takes its weight, b takes its weight and the budget is gone; c waits.
    // Round 2 begins with c, then the repolled a and b.
    expect(log.slice(0, 5)).toEqual(['a:64', 'b:64', 'c:3', 'a:64', 'b:64']);
    expect(a.left + b.left + c.left).toBe(0);
    expect(cpu.softnet.timeSqueeze).toBeGreaterThan(0);
    expect(cpu.softnet.pollList).toHaveLength(0);
  });

  test('the default budget of 300 with one NAPI never squeezes', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    const log: string[] = [];
    const a = workNapi(dev, 1000, log, 'a');
    irqEnter(net.cpus[0]!);
    napiSchedule(a);
    irqExit(net.cpus[0]!);
    clock.runUntilIdle();
    expect(a.left).toBe(0);
    expect(log).toHaveLength(16);
    expect(net.cpus[0]!.softnet.timeSqueeze).toBe(0);
  });

  test('schedule while scheduled sets MISSED, and completion then reschedules', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    let polls = 0;
    const n = netifNapiAdd(dev, (napi: NapiStruct) => {
      polls++;
      if (polls === 1) napiSchedule(napi); // an interrupt arrives mid-poll
      expect(napiCompleteDone(napi, 0)).toBe(polls !== 1);
      return 0;
    });
    expect(napiSchedulePrep(n)).toBe(false); // disabled until napiEnable
    napiEnable(n);
    napiSchedule(n);
    clock.runUntilIdle();
    expect(polls).toBe(2);
    expect(n.state).toBe(0);
  });

  test('a disabled NAPI is taken off the poll list and cannot be scheduled', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    let polls = 0;
    const n = netifNapiAdd(dev, (napi: NapiStruct) => {
      polls++;
      napiCompleteDone(napi, 0);
      return 0;
    });
    napiEnable(n);
    napiSchedule(n);
    napiDisable(n);
    expect(napiSchedule(n)).toBe(false);
    clock.runUntilIdle();
    expect(polls).toBe(0);
    napiEnable(n);
    napiSchedule(n);
    clock.runUntilIdle();
    expect(polls).toBe(1);
  });
});
