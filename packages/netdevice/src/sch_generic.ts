// net/sched/sch_generic.c: the qdisc run loop, requeue, noop/noqueue, activate/deactivate.
import type { Cpu, NetDevice, NetdevQueue, Qdisc, QdiscOps, SkBuff } from '@knet/include';
import {
  EINVAL, ENOENT, IFF_NO_QUEUE, IFF_UP, NET_TX_SOFTIRQ, NET_XMIT_CN, NET_XMIT_DROP,
  NET_XMIT_SUCCESS, NETDEV_TX_BUSY, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import { netCore } from './core.js';
import { devHardStartXmit, devXmitComplete, validateXmitSkbList } from './dev_xmit.js';
import { netifXmitFrozenOrStopped } from './dev.js';
import {
  __QDISC_STATE_DEACTIVATED, __QDISC_STATE_RUNNING, __QDISC_STATE_SCHED, qdiscAlloc, qdiscCreate,
  qdiscDestroy, qdiscLookupOps, qdiscReset,
} from './sch_api.js';
import { raiseNetSoftirq } from './softirq_glue.js';
import { traceEvent } from './tracepoint.js';

// ---- stats helpers (include/net/sch_generic.h) ----

/** qdisc_bstats_update: a packet left the qdisc. */
export function qdiscBstatsUpdate(q: Qdisc, skb: SkBuff): void {
  q.stats.bytes += skb.len;
  q.stats.packets += skb.shinfo.gsoSegs > 1 ? skb.shinfo.gsoSegs : 1;
}
export function qdiscQstatsDrop(q: Qdisc): void {
  q.stats.drops++;
}
export function qdiscQstatsOverlimit(q: Qdisc): void {
  q.stats.overlimits++;
}
export function qdiscQstatsBacklogInc(q: Qdisc, skb: SkBuff): void {
  q.stats.backlog += skb.len;
}
export function qdiscQstatsBacklogDec(q: Qdisc, skb: SkBuff): void {
  q.stats.backlog -= skb.len;
}

/** qdisc_drop: free with QDISC_DROP and count it; returns NET_XMIT_DROP for enqueue to pass on. */
export function qdiscDrop(skb: SkBuff, q: Qdisc): number {
  q.stats.drops++;
  kfreeSkbReason(skb, SKB_DROP_REASON.QDISC_DROP);
  return NET_XMIT_DROP;
}

/** __qdisc_enqueue_tail onto a discipline's own list, with qlen/backlog accounting. */
export function qdiscEnqueueTail(skb: SkBuff, q: Qdisc, list: { first: SkBuff | null; last: SkBuff | null; qlen: number }): number {
  skb.next = null;
  skb.prev = list.last;
  if (list.last === null) list.first = skb;
  else list.last.next = skb;
  list.last = skb;
  list.qlen++;
  q.qlen++;
  q.stats.backlog += skb.len;
  return NET_XMIT_SUCCESS;
}

/** qdisc_dequeue_head: take the first packet of `list`, updating qlen, backlog and bstats. */
export function qdiscDequeueHead(q: Qdisc, list: { first: SkBuff | null; last: SkBuff | null; qlen: number }): SkBuff | null {
  const skb = list.first;
  if (skb === null) return null;
  list.first = skb.next;
  if (list.first === null) list.last = null;
  else list.first.prev = null;
  skb.next = null;
  skb.prev = null;
  list.qlen--;
  q.qlen--;
  q.stats.backlog -= skb.len;
  qdiscBstatsUpdate(q, skb);
  return skb;
}

// ---- built-in disciplines ----

function noopEnqueue(skb: SkBuff, q: Qdisc): number {
  // A down or not yet activated device: Linux's noop_qdisc drops and reports congestion.
  qdiscDrop(skb, q);
  q.devQueue.dev.stats.txDropped++;
  return NET_XMIT_CN;
}
function noopDequeue(_q: Qdisc): SkBuff | null {
  return null;
}

/** noop_qdisc_ops: installed while a device is down; drops everything. */
export const noopQdiscOps: QdiscOps = Object.freeze({
  id: 'noop',
  name: 'noop',
  enqueue: noopEnqueue,
  dequeue: noopDequeue,
  peek: noopDequeue,
});

/**
 * noqueue_qdisc_ops: no queue at all; devQueueXmit recognises it and transmits directly
 * (Linux gives it a NULL enqueue). Its enqueue is never reached on the normal path.
 */
export const noqueueQdiscOps: QdiscOps = Object.freeze({
  id: 'noqueue',
  name: 'noqueue',
  enqueue: noopEnqueue,
  dequeue: noopDequeue,
  peek: noopDequeue,
});

// ---- scheduling ----

/** __netif_schedule: put `q` on this CPU's output_queue and raise NET_TX_SOFTIRQ. */
export function __netifSchedule(q: Qdisc): void {
  if ((q.state & (__QDISC_STATE_SCHED | __QDISC_STATE_DEACTIVATED)) !== 0) return;
  const net = q.devQueue.dev.ndNet;
  traceEvent(net, '__netifSchedule');
  q.state |= __QDISC_STATE_SCHED;
  const cpu = net.curCpu;
  net.cpus[cpu]!.softnet.outputQueue.push(q);
  raiseNetSoftirq(net, cpu, NET_TX_SOFTIRQ);
}

/** netif_schedule_queue */
export function netifScheduleQueue(txq: NetdevQueue): void {
  if (!netifXmitFrozenOrStopped(txq)) __netifSchedule(txq.qdisc);
}

/** net_tx_action: run the qdiscs that asked for more time. */
export function netTxAction(cpu: Cpu): void {
  const sd = cpu.softnet;
  const oq = sd.outputQueue;
  let n = oq.length;
  if (n === 0) return;
  traceEvent(cpu.net, 'netTxAction');
  // Only the qdiscs queued before we started: ones rescheduled while running wait for the next round.
  while (n-- > 0) {
    const q = oq.shift()!;
    q.state &= ~__QDISC_STATE_SCHED;
    if ((q.state & __QDISC_STATE_DEACTIVATED) !== 0) continue;
    qdiscRun(q);
  }
}

/** qdisc_run: run the queue unless someone already is (qdisc_run_begin/end). */
export function qdiscRun(q: Qdisc): void {
  if ((q.state & (__QDISC_STATE_RUNNING | __QDISC_STATE_DEACTIVATED)) !== 0) return;
  q.state |= __QDISC_STATE_RUNNING;
  __qdiscRun(q);
  q.state &= ~__QDISC_STATE_RUNNING;
}

/** __qdisc_run: dequeue and send until empty, stopped, or dev_tx_weight is spent. */
export function __qdiscRun(q: Qdisc): void {
  const net = q.devQueue.dev.ndNet;
  traceEvent(net, '__qdiscRun');
  let quota = netCore(net).devTxWeight;
  while (qdiscRestart(q)) {
    if (--quota <= 0) {
      // Leave the rest to NET_TX_SOFTIRQ so one busy queue cannot hog the CPU.
      __netifSchedule(q);
      break;
    }
  }
}

/** dequeue_skb: the requeued packet first, none while the TX queue is stopped. */
function dequeueSkb(q: Qdisc): SkBuff | null {
  const txq = q.devQueue;
  const skb = q.gsoSkb;
  if (skb !== null) {
    if (netifXmitFrozenOrStopped(txq)) return null;
    q.gsoSkb = null;
    q.qlen--;
    q.stats.backlog -= skb.len;
    return skb;
  }
  if (netifXmitFrozenOrStopped(txq)) return null;
  return q.ops.dequeue(q);
}

/** qdisc_restart: send one packet; true when the caller should keep going. */
export function qdiscRestart(q: Qdisc): boolean {
  const net = q.devQueue.dev.ndNet;
  traceEvent(net, 'qdiscRestart');
  // A requeued packet was validated before the driver refused it.
  const validate = q.gsoSkb === null;
  let skb = dequeueSkb(q);
  if (skb === null) return false;
  const dev = q.devQueue.dev;
  if (validate) skb = validateXmitSkbList(skb, dev);
  return schDirectXmit(skb, q, dev, q.devQueue);
}

/**
 * sch_direct_xmit: hand `skb` (possibly a GSO list, or null when validation dropped it) to the
 * driver. false means stop: the queue is empty, stopped, or the driver pushed back.
 */
export function schDirectXmit(skb: SkBuff | null, q: Qdisc, dev: NetDevice, txq: NetdevQueue): boolean {
  if (skb === null) return q.qlen > 0;
  traceEvent(dev.ndNet, 'schDirectXmit');
  let rest: SkBuff | null = skb;
  let ret = NETDEV_TX_BUSY;
  if (!netifXmitFrozenOrStopped(txq)) {
    rest = devHardStartXmit(skb, dev, txq);
    ret = netCore(dev.ndNet).xmitRc;
  }
  if (!devXmitComplete(ret)) {
    if (rest !== null) devRequeueSkb(rest, q);
    return false;
  }
  if (rest !== null) {
    // The queue stopped halfway through a GSO list: keep the rest for the wake-up.
    devRequeueSkb(rest, q);
    return false;
  }
  return true;
}

/** dev_requeue_skb: park the packet the driver refused; it goes first next time. */
export function devRequeueSkb(skb: SkBuff, q: Qdisc): void {
  q.gsoSkb = skb;
  q.qlen++;
  q.stats.backlog += skb.len;
  q.stats.requeues++;
  __netifSchedule(q);
}

// ---- attach, activate, deactivate ----

/** The root discipline for a newly registered device (attach_default_qdiscs). */
export function attachDefaultQdiscs(dev: NetDevice): void {
  const noQueue = ((dev.privFlags ?? 0) & IFF_NO_QUEUE) !== 0 || dev.txQueueLen === 0;
  let ops: QdiscOps | null = noQueue ? noqueueQdiscOps : qdiscLookupOps(netCore(dev.ndNet).defaultQdisc);
  if (ops === null) ops = noqueueQdiscOps;
  for (let i = 0; i < dev.numTxQueues; i++) {
    const txq = dev.txQueues[i]!;
    let q = qdiscCreate(dev, txq, ops, undefined);
    if (typeof q === 'number') q = qdiscCreate(dev, txq, noqueueQdiscOps, undefined) as Qdisc;
    txq.qdiscSleeping = q;
  }
}

/** The noop qdisc a TX queue points at while the device is down. */
export function noopQdiscFor(txq: NetdevQueue): Qdisc {
  return qdiscAlloc(txq, noopQdiscOps);
}

/** dev_activate: point each TX queue at its real qdisc (device up and carrier on). */
export function devActivate(dev: NetDevice): void {
  if ((dev.flags & IFF_UP) === 0 || !dev.carrier) return;
  for (let i = 0; i < dev.numTxQueues; i++) {
    const txq = dev.txQueues[i]!;
    const q = txq.qdiscSleeping;
    q.state &= ~__QDISC_STATE_DEACTIVATED;
    txq.qdisc = q;
    txq.transStart = dev.ndNet.clock.now();
  }
}

/** dev_deactivate: back to noop; queued packets are dropped (qdisc_reset). */
export function devDeactivate(dev: NetDevice): void {
  for (let i = 0; i < dev.numTxQueues; i++) {
    const txq = dev.txQueues[i]!;
    const q = txq.qdiscSleeping;
    if (txq.qdisc === q) txq.qdisc = noopQdiscFor(txq);
    q.state |= __QDISC_STATE_DEACTIVATED;
    qdiscReset(q);
  }
}

/** True when `txq` currently transmits without a queue. */
export function qdiscIsNoqueue(q: Qdisc): boolean {
  return q.ops === noqueueQdiscOps;
}

/**
 * qdisc_graft at the root: a new `id` qdisc on every TX queue, the old ones destroyed with
 * their packets. 0, -ENOENT for an unknown id, or the discipline's init error.
 */
export function qdiscReplace(dev: NetDevice, id: string, opts?: Record<string, unknown>): number {
  const ops = qdiscLookupOps(id);
  if (ops === null) return -ENOENT;
  if (!dev.registered) return -EINVAL;
  const fresh: Qdisc[] = [];
  for (let i = 0; i < dev.numTxQueues; i++) {
    const q = qdiscCreate(dev, dev.txQueues[i]!, ops, opts);
    if (typeof q === 'number') {
      for (const f of fresh) qdiscDestroy(f);
      return q;
    }
    fresh.push(q);
  }
  for (let i = 0; i < dev.numTxQueues; i++) {
    const txq = dev.txQueues[i]!;
    const old = txq.qdiscSleeping;
    const active = txq.qdisc === old;
    txq.qdiscSleeping = fresh[i]!;
    if (active) txq.qdisc = fresh[i]!;
    qdiscDestroy(old);
  }
  return 0;
}

/** qdisc_change: new parameters for the root qdiscs in place. */
export function qdiscChange(dev: NetDevice, opts: Record<string, unknown>): number {
  for (let i = 0; i < dev.numTxQueues; i++) {
    const q = dev.txQueues[i]!.qdiscSleeping;
    if (q.ops.change === undefined) return -EINVAL;
    const err = q.ops.change(q, opts);
    if (err < 0) return err;
  }
  return 0;
}
