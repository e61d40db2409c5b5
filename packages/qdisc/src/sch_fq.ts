// net/sched/sch_fq.c: Fair Queue packet scheduler. One queue per socket (or per hash for
// packets without a full socket), served round robin with a byte quantum (DRR), and paced:
// a packet leaves no earlier than its departure time (skb.tstamp, set by TCP as
// tcp_wstamp_ns, "EDT") or, without one, than the socket's pacing rate allows. A watchdog
// on the host clock reschedules the qdisc when the first throttled flow may send.
import type { ClockEvent, Qdisc, QdiscOps, SkBuff, Sock } from '@knet/include';
import {
  EINVAL, NET_XMIT_SUCCESS, SK_PACING_FQ, SKB_DROP_REASON, TCP_NEW_SYN_RECV, TCP_TIME_WAIT,
} from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import { __netifSchedule, qdiscBstatsUpdate, qdiscDrop } from '@knet/netdevice';
import { irqEnter, irqExit } from '@knet/softirq';

/** TC_PRIO_CONTROL: such packets bypass the flows (fq's internal flow). */
const TC_PRIO_CONTROL = 7, TC_PRIO_MAX = 15;
/** ~0UL: no rate limit. */
const RATE_UNLIMITED = 2 ** 64 - 1;
/** Flows detached this long (ms) are reclaimed (FQ_GC_AGE = 3 s). */
const FQ_GC_AGE = 3000;
/** Flow table size above which a reclaim pass runs (fq_gc on a crowded bucket, simplified). */
const FQ_GC_THRESHOLD = 1024;

export class FqFlow {
  /** Packets in departure-time order. */
  head: SkBuff | null = null;
  tail: SkBuff | null = null;
  qlen = 0;
  credit = 0;
  /** Link in new_flows / old_flows. */
  next: FqFlow | null = null;
  /** When the flow went idle (jiffies-like, ms): refill and garbage collection. */
  age = 0;
  /** Earliest time (ms) the next packet may leave; 0 before the first paced packet. */
  timeNextPacket = 0;
  detached = true;
  throttled = false;
  constructor(readonly key: Sock | number | null) {}
}

interface FqFlowHead {
  first: FqFlow | null;
  last: FqFlow | null;
}

export interface FqStats {
  gcFlows: number;
  highprioPackets: number;
  throttled: number;
  flowsPlimit: number;
  pktsTooLong: number;
  horizonDrops: number;
  horizonCaps: number;
  flows: number;
  inactiveFlows: number;
  throttledFlows: number;
}

/** struct fq_sched_data; times in ms on the host clock, rates in bytes/s. */
export class FqSchedData {
  readonly newFlows: FqFlowHead = { first: null, last: null };
  readonly oldFlows: FqFlowHead = { first: null, last: null };
  /** Throttled flows by timeNextPacket (the rb-tree of Linux; kept sorted). */
  readonly delayed: FqFlow[] = [];
  timeNextDelayedFlow = Infinity;
  readonly internal = new FqFlow(null);
  readonly flows = new Map<Sock | number, FqFlow>();
  flowPlimit = 100;
  quantum = 0;
  initialQuantum = 0;
  flowRefillDelay = 40;
  flowMaxRate = RATE_UNLIMITED;
  /** Below this rate (bytes/s) a flow gets no quantum burst: one packet per interval. */
  lowRateThreshold = 550000 / 8;
  horizon = 10000;
  horizonDrop = true;
  rateEnable = true;
  readonly stats: FqStats = {
    gcFlows: 0, highprioPackets: 0, throttled: 0, flowsPlimit: 0, pktsTooLong: 0, horizonDrops: 0,
    horizonCaps: 0, flows: 0, inactiveFlows: 0, throttledFlows: 0,
  };
  /** qdisc_watchdog: the armed clock event and when it fires. */
  watchdog: ClockEvent | null = null;
  watchdogExpires = Infinity;
  watchdogFire: () => void = () => {};
}

export function fqData(q: Qdisc): FqSchedData {
  return q.priv as FqSchedData;
}

function clockNow(q: Qdisc): number {
  return q.devQueue.dev.ndNet.clock.now();
}

function flowAddTail(head: FqFlowHead, f: FqFlow): void {
  f.next = null;
  if (head.first === null) head.first = f;
  else head.last!.next = f;
  head.last = f;
}

function isFullSock(sk: Sock): boolean {
  return sk.skState !== TCP_TIME_WAIT && sk.skState !== TCP_NEW_SYN_RECV;
}

/** fq_classify: the socket's flow, a hash flow for packets without a full socket. */
function fqClassify(skb: SkBuff, q: Qdisc, d: FqSchedData): FqFlow {
  if ((skb.priority & TC_PRIO_MAX) === TC_PRIO_CONTROL) return d.internal;
  const sk = skb.sk;
  const key: Sock | number = sk !== null && isFullSock(sk) ? sk : skb.hash;
  let f = d.flows.get(key);
  if (f !== undefined) return f;
  if (d.flows.size >= FQ_GC_THRESHOLD) fqGc(q, d);
  f = new FqFlow(key);
  f.credit = d.initialQuantum;
  f.age = clockNow(q);
  d.flows.set(key, f);
  d.stats.flows++;
  d.stats.inactiveFlows++;
  // The socket learns that fq paces it (TCP then stamps departure times).
  if (typeof key !== 'number' && d.rateEnable) key.skPacingStatus = SK_PACING_FQ;
  return f;
}

/** fq_gc: forget flows idle for FQ_GC_AGE. */
function fqGc(q: Qdisc, d: FqSchedData): void {
  const now = clockNow(q);
  for (const [k, f] of d.flows) {
    if (f.detached && f.qlen === 0 && now - f.age > FQ_GC_AGE) {
      d.flows.delete(k);
      d.stats.flows--;
      d.stats.inactiveFlows--;
      d.stats.gcFlows++;
    }
  }
}

/** Departure time of a queued packet (fq_skb_cb(skb)->time_to_send), in the qdisc cb. */
function timeToSend(skb: SkBuff): number {
  return skb.cb.layerPriv;
}

/** flow_queue_add: append, or insert by departure time when a stamp goes backwards. */
function flowQueueAdd(f: FqFlow, skb: SkBuff): void {
  skb.next = null;
  const t = timeToSend(skb);
  if (f.tail === null || timeToSend(f.tail) <= t) {
    skb.prev = f.tail;
    if (f.tail === null) f.head = skb;
    else f.tail.next = skb;
    f.tail = skb;
    return;
  }
  let at: SkBuff | null = f.tail;
  while (at !== null && timeToSend(at) > t) at = at.prev;
  skb.prev = at;
  const after: SkBuff | null = at === null ? f.head : at.next;
  skb.next = after;
  if (at === null) f.head = skb;
  else at.next = skb;
  after!.prev = skb;
}

function fqEnqueue(skb: SkBuff, q: Qdisc): number {
  const d = fqData(q);
  if (q.qlen >= q.limit) return qdiscDrop(skb, q);
  const now = clockNow(q);
  if (skb.tstamp === 0) skb.cb.layerPriv = now;
  else {
    // fq_packet_beyond_horizon: a departure time too far ahead is a sender bug.
    if (skb.tstamp > now + d.horizon) {
      if (d.horizonDrop) {
        d.stats.horizonDrops++;
        return qdiscDrop(skb, q);
      }
      d.stats.horizonCaps++;
      skb.tstamp = now + d.horizon;
    }
    skb.cb.layerPriv = skb.tstamp;
  }
  const f = fqClassify(skb, q, d);
  if (f.qlen >= d.flowPlimit && f !== d.internal) {
    d.stats.flowsPlimit++;
    return qdiscDrop(skb, q);
  }
  f.qlen++;
  q.stats.backlog += skb.len;
  if (f.detached) {
    flowAddTail(d.newFlows, f);
    f.detached = false;
    // A flow idle for longer than flow_refill_delay may burst a quantum again.
    if (now - f.age > d.flowRefillDelay) f.credit = Math.max(f.credit, d.quantum);
    d.stats.inactiveFlows--;
  }
  flowQueueAdd(f, skb);
  if (f === d.internal) d.stats.highprioPackets++;
  q.qlen++;
  return NET_XMIT_SUCCESS;
}

function flowDequeueHead(f: FqFlow): SkBuff {
  const skb = f.head!;
  f.head = skb.next;
  if (f.head === null) f.tail = null;
  else f.head.prev = null;
  skb.next = null;
  skb.prev = null;
  f.qlen--;
  return skb;
}

/** fq_flow_set_throttled: park the flow until its timeNextPacket. */
function flowSetThrottled(d: FqSchedData, f: FqFlow): void {
  const t = f.timeNextPacket;
  const a = d.delayed;
  let i = a.length;
  while (i > 0 && a[i - 1]!.timeNextPacket > t) i--;
  a.splice(i, 0, f);
  f.throttled = true;
  d.stats.throttledFlows++;
  d.stats.throttled++;
  if (t < d.timeNextDelayedFlow) d.timeNextDelayedFlow = t;
}

/** fq_check_throttled: flows whose time has come go back to old_flows. */
function fqCheckThrottled(d: FqSchedData, now: number): void {
  if (d.timeNextDelayedFlow > now) return;
  const a = d.delayed;
  let n = 0;
  while (n < a.length && a[n]!.timeNextPacket <= now) {
    const f = a[n++]!;
    f.throttled = false;
    d.stats.throttledFlows--;
    flowAddTail(d.oldFlows, f);
  }
  if (n > 0) a.splice(0, n);
  d.timeNextDelayedFlow = a.length > 0 ? a[0]!.timeNextPacket : Infinity;
}

/** qdisc_watchdog_schedule_ns: run the qdisc again at `expires` (ms). */
function watchdogSchedule(q: Qdisc, d: FqSchedData, expires: number): void {
  if (d.watchdog !== null) {
    if (d.watchdogExpires === expires) return;
    q.devQueue.dev.ndNet.clock.cancel(d.watchdog);
  }
  const clock = q.devQueue.dev.ndNet.clock;
  d.watchdogExpires = expires;
  d.watchdog = clock.schedule(Math.max(0, expires - clock.now()), d.watchdogFire);
}

function watchdogCancel(q: Qdisc, d: FqSchedData): void {
  if (d.watchdog !== null) q.devQueue.dev.ndNet.clock.cancel(d.watchdog);
  d.watchdog = null;
  d.watchdogExpires = Infinity;
}

function fqDequeue(q: Qdisc): SkBuff | null {
  const d = fqData(q);
  if (q.qlen === 0) return null;
  let skb: SkBuff | null;
  if (d.internal.qlen > 0) {
    skb = flowDequeueHead(d.internal);
    return fqDequeued(q, skb);
  }
  const now = clockNow(q);
  fqCheckThrottled(d, now);
  for (;;) {
    let head = d.newFlows;
    if (head.first === null) {
      head = d.oldFlows;
      if (head.first === null) {
        if (d.timeNextDelayedFlow !== Infinity) watchdogSchedule(q, d, d.timeNextDelayedFlow);
        return null;
      }
    }
    const f = head.first!;
    if (f.credit <= 0) {
      f.credit += d.quantum;
      head.first = f.next;
      flowAddTail(d.oldFlows, f);
      continue;
    }
    skb = f.head;
    if (skb !== null) {
      const timeNext = Math.max(timeToSend(skb), f.timeNextPacket);
      if (now < timeNext) {
        head.first = f.next;
        f.timeNextPacket = timeNext;
        flowSetThrottled(d, f);
        continue;
      }
    }
    if (skb === null) {
      head.first = f.next;
      // One pass through old_flows first, so new flows cannot starve old ones.
      if (head === d.newFlows && d.oldFlows.first !== null) flowAddTail(d.oldFlows, f);
      else {
        f.detached = true;
        f.age = now;
        d.stats.inactiveFlows++;
      }
      continue;
    }
    flowDequeueHead(f);
    let plen = skb.len;
    f.credit -= plen;
    if (d.rateEnable) {
      let rate = d.flowMaxRate;
      // With a departure time the sender paced itself; only flow_max_rate applies here.
      if (skb.tstamp === 0) {
        if (skb.sk !== null) rate = Math.min(skb.sk.skPacingRate, rate);
        if (rate <= d.lowRateThreshold) f.credit = 0;
        else {
          plen = Math.max(plen, d.quantum);
          if (f.credit > 0) return fqDequeued(q, skb);
        }
      }
      if (rate !== RATE_UNLIMITED) {
        let len = rate > 0 ? (plen * 1000) / rate : 1000;
        // The rate may change later: never hold a packet more than a second.
        if (len > 1000) {
          len = 1000;
          d.stats.pktsTooLong++;
        }
        // Account for timer and scheduling drift: lateness earns up to half a slot.
        if (f.timeNextPacket !== 0) len -= Math.min(len / 2, now - f.timeNextPacket);
        f.timeNextPacket = now + len;
      }
    }
    return fqDequeued(q, skb);
  }
}

function fqDequeued(q: Qdisc, skb: SkBuff): SkBuff {
  q.qlen--;
  q.stats.backlog -= skb.len;
  qdiscBstatsUpdate(q, skb);
  return skb;
}

/** fq_peek is not used by the run loop; the first packet of the first eligible list. */
function fqPeek(q: Qdisc): SkBuff | null {
  const d = fqData(q);
  if (d.internal.head !== null) return d.internal.head;
  return d.newFlows.first?.head ?? d.oldFlows.first?.head ?? null;
}

function fqReset(q: Qdisc): void {
  const d = fqData(q);
  for (const f of [d.internal, ...d.flows.values()]) {
    while (f.head !== null) kfreeSkbReason(flowDequeueHead(f), SKB_DROP_REASON.QUEUE_PURGE);
    f.tail = null;
    f.detached = true;
    f.throttled = false;
    f.next = null;
  }
  d.flows.clear();
  d.newFlows.first = d.newFlows.last = null;
  d.oldFlows.first = d.oldFlows.last = null;
  d.delayed.length = 0;
  d.timeNextDelayedFlow = Infinity;
  d.stats.flows = d.stats.inactiveFlows = d.stats.throttledFlows = 0;
  q.qlen = 0;
  q.stats.backlog = 0;
  watchdogCancel(q, d);
}

function numOpt(opts: Record<string, unknown>, name: string): number | null | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/**
 * fq_change. Options use tc's names: limit, flow_limit, quantum, initial_quantum, maxrate
 * (bytes/s), low_rate_threshold (bytes/s), refill_delay (ms), horizon (ms), horizon_drop
 * (0/1), pacing (0/1).
 */
function fqChange(q: Qdisc, opts: Record<string, unknown>): number {
  const d = fqData(q);
  const vals: Record<string, number> = {};
  for (const k of ['limit', 'flow_limit', 'quantum', 'initial_quantum', 'maxrate', 'low_rate_threshold',
    'refill_delay', 'horizon', 'horizon_drop', 'pacing']) {
    const v = numOpt(opts, k);
    if (v === null) return -EINVAL;
    if (v !== undefined) vals[k] = v;
  }
  // A zero quantum would never let a flow send (fq_change rejects it too).
  if (vals.quantum !== undefined && (vals.quantum === 0 || vals.quantum > 1 << 20)) return -EINVAL;
  if (vals.limit !== undefined) q.limit = vals.limit;
  if (vals.flow_limit !== undefined) d.flowPlimit = vals.flow_limit;
  if (vals.quantum !== undefined) d.quantum = vals.quantum;
  if (vals.initial_quantum !== undefined) d.initialQuantum = vals.initial_quantum;
  if (vals.maxrate !== undefined) d.flowMaxRate = vals.maxrate === 0 ? RATE_UNLIMITED : vals.maxrate;
  if (vals.low_rate_threshold !== undefined) d.lowRateThreshold = vals.low_rate_threshold;
  if (vals.refill_delay !== undefined) d.flowRefillDelay = vals.refill_delay;
  if (vals.horizon !== undefined) d.horizon = vals.horizon;
  if (vals.horizon_drop !== undefined) d.horizonDrop = vals.horizon_drop !== 0;
  if (vals.pacing !== undefined) d.rateEnable = vals.pacing !== 0;
  return 0;
}

function fqInit(q: Qdisc, opts: Record<string, unknown> | undefined): number {
  const d = new FqSchedData();
  q.priv = d;
  const dev = q.devQueue.dev;
  // psched_mtu: the device MTU plus its link header.
  const mtu = dev.mtu + dev.hardHeaderLen;
  q.limit = 10000;
  d.quantum = 2 * mtu;
  d.initialQuantum = 10 * mtu;
  d.watchdogFire = () => {
    d.watchdog = null;
    d.watchdogExpires = Infinity;
    // An hrtimer: hard IRQ context, NET_TX_SOFTIRQ runs at irq_exit.
    const net = dev.ndNet;
    const cpu = net.cpus[net.curCpu]!;
    irqEnter(cpu);
    __netifSchedule(q);
    irqExit(cpu);
  };
  return opts === undefined ? 0 : fqChange(q, opts);
}

function fqDestroy(q: Qdisc): void {
  const d = q.priv as FqSchedData | null;
  if (d !== null) watchdogCancel(q, d);
}

function fqDump(q: Qdisc): Record<string, unknown> {
  const d = fqData(q);
  return {
    limit: q.limit,
    flow_limit: d.flowPlimit,
    quantum: d.quantum,
    initial_quantum: d.initialQuantum,
    maxrate: d.flowMaxRate === RATE_UNLIMITED ? 0 : d.flowMaxRate,
    low_rate_threshold: d.lowRateThreshold,
    refill_delay: d.flowRefillDelay,
    horizon: d.horizon,
    horizon_drop: d.horizonDrop ? 1 : 0,
    pacing: d.rateEnable ? 1 : 0,
    ...d.stats,
  };
}

export const fqOps: QdiscOps = Object.freeze({
  id: 'fq',
  name: 'fq',
  enqueue: fqEnqueue,
  dequeue: fqDequeue,
  peek: fqPeek,
  init: fqInit,
  reset: fqReset,
  destroy: fqDestroy,
  change: fqChange,
  dump: fqDump,
});
