// net/core/dev.c: NAPI scheduling and net_rx_action, the NET_RX_SOFTIRQ handler.
import type { Cpu, NapiStruct, Net, NetDevice } from '@knet/include';
import {
  NAPI_POLL_WEIGHT, NAPI_STATE_DISABLE, NAPI_STATE_MISSED, NAPI_STATE_SCHED, NET_RX_SOFTIRQ,
} from '@knet/include';
import { netCore } from './core.js';
import { napiGroFlush } from './gro.js';
import { raiseNetSoftirq } from './softirq_glue.js';
import { traceEvent } from './tracepoint.js';

export type NapiPoll = (napi: NapiStruct, budget: number) => number;

/** A NapiStruct that is not yet on any device (drivers may embed their own fields). */
export function napiAlloc(dev: NetDevice, poll: NapiPoll, weight = NAPI_POLL_WEIGHT): NapiStruct {
  return {
    dev,
    state: NAPI_STATE_SCHED,
    weight,
    poll,
    cpu: -1,
    pollNext: null,
    groList: [],
    groCount: 0,
    index: -1,
  };
}

/**
 * netif_napi_add_weight: attach a NAPI to `dev`. It starts disabled (SCHED held, as Linux
 * does) until napiEnable.
 */
export function netifNapiAdd(dev: NetDevice, napiOrPoll: NapiStruct | NapiPoll, weight = NAPI_POLL_WEIGHT): NapiStruct {
  let napi: NapiStruct;
  if (typeof napiOrPoll === 'function') napi = napiAlloc(dev, napiOrPoll, weight);
  else {
    napi = napiOrPoll;
    napi.dev = dev;
    napi.weight = weight;
    napi.state = NAPI_STATE_SCHED;
    napi.cpu = -1;
    napi.pollNext = null;
    napi.groList.length = 0;
    napi.groCount = 0;
  }
  napi.index = dev.napiList.length;
  dev.napiList.push(napi);
  return napi;
}

/** netif_napi_del */
export function netifNapiDel(napi: NapiStruct): void {
  napiDisable(napi);
  const list = napi.dev.napiList;
  const i = list.indexOf(napi);
  if (i >= 0) list.splice(i, 1);
}

/** napi_enable: the NAPI may be scheduled again. */
export function napiEnable(napi: NapiStruct): void {
  napi.state = 0;
}

/**
 * napi_disable: take it off any poll list and hold SCHED so nobody can schedule it. Linux
 * sleeps until a running poll ends; polls here never run concurrently with process code.
 */
export function napiDisable(napi: NapiStruct): void {
  napi.state |= NAPI_STATE_DISABLE;
  if (napi.cpu >= 0) {
    const cpu = napi.dev.ndNet.cpus[napi.cpu];
    if (cpu !== undefined) {
      const list = cpu.softnet.pollList;
      const i = list.indexOf(napi);
      if (i >= 0) list.splice(i, 1);
    }
  }
  napiGroFlush(napi);
  napi.state = NAPI_STATE_SCHED | NAPI_STATE_DISABLE;
}

/**
 * napi_schedule_prep: true when the caller now owns the NAPI and must put it on a poll list.
 * If it is already scheduled, MISSED tells the running poll to go round once more.
 */
export function napiSchedulePrep(napi: NapiStruct): boolean {
  traceEvent(napi.dev.ndNet, 'napiSchedulePrep');
  const s = napi.state;
  if ((s & NAPI_STATE_DISABLE) !== 0) return false;
  if ((s & NAPI_STATE_SCHED) !== 0) {
    napi.state = s | NAPI_STATE_MISSED;
    return false;
  }
  napi.state = s | NAPI_STATE_SCHED;
  return true;
}

/** ____napi_schedule: onto `cpu`'s poll_list, and NET_RX_SOFTIRQ pending there. */
export function ____napiSchedule(net: Net, cpu: number, napi: NapiStruct): void {
  traceEvent(net, '____napiSchedule');
  napi.cpu = cpu;
  net.cpus[cpu]!.softnet.pollList.push(napi);
  raiseNetSoftirq(net, cpu, NET_RX_SOFTIRQ);
}

/** __napi_schedule: the caller won napiSchedulePrep; queue on the current CPU. */
export function __napiSchedule(napi: NapiStruct): void {
  const net = napi.dev.ndNet;
  traceEvent(net, '__napiSchedule');
  ____napiSchedule(net, net.curCpu, napi);
}

/** napi_schedule: what a driver's interrupt handler calls. */
export function napiSchedule(napi: NapiStruct): boolean {
  traceEvent(napi.dev.ndNet, 'napiSchedule');
  if (!napiSchedulePrep(napi)) return false;
  __napiSchedule(napi);
  return true;
}

/**
 * napi_complete_done: the poll did less than its budget. Held GRO packets go up; SCHED is
 * released unless an interrupt came in meanwhile (MISSED), in which case it is rescheduled
 * and false tells the driver to leave its interrupt masked.
 */
export function napiCompleteDone(napi: NapiStruct, workDone: number): boolean {
  const net = napi.dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'napiCompleteDone', `work=${workDone}`);
  if ((napi.state & NAPI_STATE_DISABLE) !== 0) return false;
  if (napi.groList.length !== 0) napiGroFlush(napi);
  if ((napi.state & NAPI_STATE_MISSED) !== 0) {
    napi.state &= ~NAPI_STATE_MISSED;
    __napiSchedule(napi);
    return false;
  }
  napi.state &= ~NAPI_STATE_SCHED;
  return true;
}

/** napi_complete */
export function napiComplete(napi: NapiStruct): boolean {
  return napiCompleteDone(napi, 0);
}

/** napi_poll: one poll of at most `weight`; a NAPI that used it all goes onto `repoll`. */
function napiPoll(napi: NapiStruct, repoll: NapiStruct[]): number {
  const weight = napi.weight;
  let work = 0;
  if ((napi.state & NAPI_STATE_SCHED) !== 0) {
    work = napi.poll(napi, weight);
    if (work > weight) work = weight;
  }
  if (work < weight) return work;
  // The driver used its whole weight and still owns the NAPI.
  if ((napi.state & NAPI_STATE_DISABLE) !== 0) {
    napi.state &= ~NAPI_STATE_SCHED;
    return work;
  }
  if (napi.groList.length !== 0) napiGroFlush(napi);
  repoll.push(napi);
  return work;
}

/**
 * net_rx_action: poll each scheduled NAPI once, within netdev_budget packets and
 * netdev_budget_usecs of clock time. Running out counts a time_squeeze; whatever still has
 * work is re-raised, behind the NAPIs that did not get a turn.
 */
export function netRxAction(cpu: Cpu): void {
  const net = cpu.net;
  const sd = cpu.softnet;
  const core = netCore(net);
  const list = sd.pollList;
  let remaining = list.length;
  if (remaining === 0) return;
  traceEvent(net, 'netRxAction');
  const repoll = core.repoll[cpu.id]!;
  const clock = net.clock;
  const timeLimit = clock.now() + core.netdevBudgetUsecs / 1000;
  let budget = core.netdevBudget;
  while (remaining > 0 && list.length !== 0) {
    const napi = list.shift()!;
    remaining--;
    budget -= napiPoll(napi, repoll);
    if (budget <= 0 || clock.now() >= timeLimit) {
      sd.timeSqueeze++;
      break;
    }
  }
  // Unpolled ones stay first, then those scheduled during the loop, then the repolls.
  if (repoll.length !== 0) {
    for (let i = 0; i < repoll.length; i++) list.push(repoll[i]!);
    repoll.length = 0;
  }
  if (list.length !== 0) raiseNetSoftirq(net, cpu.id, NET_RX_SOFTIRQ);
}
