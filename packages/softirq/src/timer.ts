import type { ClockEvent, Cpu, Net, TimerList as TimerListLike } from '@knet/include';
import { TIMER_SOFTIRQ } from '@knet/include';
import { jiffies } from './jiffies.js';
import { __raiseSoftirqIrqoff, irqEnter, irqExit, openSoftirq } from './softirq.js';
import { softirqNet } from './softirq_net.js';

/*
 * kernel/time/timer.c's wheel at HZ=1000: LVL_DEPTH levels of LVL_SIZE buckets, each level
 * LVL_CLK_DIV times coarser than the one below. A timer goes to the finest level whose range
 * covers its delta and is rounded UP to that level's granularity, so it never fires early.
 *
 * Slack: a timer armed at jiffy j for `expires` (delta = expires - j) runs at jiffy F with
 *   expires < F <= expires + LVL_GRAN(lvl), lvl the level with LVL_START(lvl) <= delta < LVL_START(lvl + 1)
 * That is 1 jiffy below 63 ms of delta, and at most 8/63 (12.7%) of delta above it; e.g. a
 * 60 s timer (level 4, 4096 ms buckets) runs up to about 4.1 s late. Deltas past
 * WHEEL_TIMEOUT_CUTOFF (about 12 days) are parked at the last level and re-queued on expiry
 * until due; Linux would run them early instead.
 */
export const LVL_CLK_SHIFT = 3;
export const LVL_CLK_DIV = 1 << LVL_CLK_SHIFT;
export const LVL_BITS = 6;
export const LVL_SIZE = 1 << LVL_BITS;
export const LVL_DEPTH = 9;
export const WHEEL_SIZE = LVL_SIZE * LVL_DEPTH;

/** LVL_GRAN(n): jiffies per bucket at level n. */
export const LVL_GRAN: readonly number[] = Array.from({ length: LVL_DEPTH }, (_, n) => LVL_CLK_DIV ** n);
/** LVL_START(n): the smallest delta that goes to level n (index 0 unused). */
export const LVL_START: readonly number[] = Array.from({ length: LVL_DEPTH + 1 }, (_, n) =>
  n === 0 ? 0 : (LVL_SIZE - 1) * LVL_CLK_DIV ** (n - 1),
);
export const WHEEL_TIMEOUT_CUTOFF = LVL_START[LVL_DEPTH]!;
export const WHEEL_TIMEOUT_MAX = WHEEL_TIMEOUT_CUTOFF - LVL_GRAN[LVL_DEPTH - 1]!;

/** Wheel level for a timer `delta` jiffies ahead, and the largest lateness it can see. */
export function timerLevel(delta: number): number {
  for (let lvl = 0; lvl < LVL_DEPTH; lvl++) if (delta < LVL_START[lvl + 1]!) return lvl;
  return LVL_DEPTH - 1;
}

const noop = (): void => {};

/** A timer callback. Method-style so a callback typed for a TimerList subclass is accepted. */
export type TimerFn = { bivarianceHack(t: TimerList): void }['bivarianceHack'];

/**
 * struct timer_list. Make one with timerSetup and reuse it: arming links the object itself
 * into a bucket, so nothing is allocated per arm or per expiry. Extend the class to carry
 * context (from_timer / container_of).
 */
export class TimerList implements TimerListLike {
  expires = 0;
  pending = false;
  fn: (t: TimerListLike) => void;
  /** Bucket in the wheel; -1 when idle or on the expiry list. */
  idx = -1;
  /** Jiffy at which the bucket holding the timer is processed. */
  bucketExpiry = 0;
  next: TimerList = this;
  prev: TimerList = this;
  base: TimerBase | null = null;

  constructor(fn: TimerFn) {
    this.fn = fn as (t: TimerListLike) => void;
  }
}

/** timer_setup */
export function timerSetup(fn: TimerFn): TimerList {
  return new TimerList(fn);
}

function listAddTail(head: TimerList, t: TimerList): void {
  const p = head.prev;
  t.prev = p;
  t.next = head;
  p.next = t;
  head.prev = t;
}

function listDel(t: TimerList): void {
  t.prev.next = t.next;
  t.next.prev = t.prev;
  t.next = t;
  t.prev = t;
}

/** struct timer_base: one per net here (Linux has one per CPU), run from TIMER_SOFTIRQ on cpu 0. */
export class TimerBase {
  /** base->clk: the next jiffy the wheel will look at. */
  clk: number;
  /** Earliest bucket expiry; may be stale-early while `recalc` is set. */
  nextExpiry = Infinity;
  recalc = false;
  /** Timers pending, in the wheel or on the expiry list. */
  count = 0;
  readonly vectors: TimerList[] = Array.from({ length: WHEEL_SIZE }, () => new TimerList(noop));
  /** pending_map: bit per non-empty bucket, two words per level. */
  readonly pendingMap = new Uint32Array(LVL_DEPTH * 2);
  readonly expiring = new TimerList(noop);
  readonly collected = new Int32Array(LVL_DEPTH);
  running = false;
  /** The single clock event that stands in for the tick, and the jiffy it is set for. */
  ev: ClockEvent | null = null;
  evExpiry = Infinity;
  readonly cpu: number = 0;
  readonly fire: () => void;

  constructor(readonly net: Net) {
    this.clk = jiffies(net);
    this.fire = () => timerInterrupt(this);
  }
}

let bucketExpiry = 0;

function calcIndex(expires: number, lvl: number): number {
  const g = LVL_GRAN[lvl]!;
  const e = Math.floor(expires / g) + 1;
  bucketExpiry = e * g;
  return lvl * LVL_SIZE + (e % LVL_SIZE);
}

/** calc_wheel_index; leaves the bucket's expiry in `bucketExpiry`. */
function calcWheelIndex(expires: number, clk: number): number {
  const delta = expires - clk;
  if (delta < 0) {
    bucketExpiry = clk;
    return clk % LVL_SIZE;
  }
  if (delta >= WHEEL_TIMEOUT_CUTOFF) return calcIndex(clk + WHEEL_TIMEOUT_MAX, LVL_DEPTH - 1);
  return calcIndex(expires, timerLevel(delta));
}

function setBit(map: Uint32Array, idx: number): void {
  map[idx >>> 5]! |= 1 << (idx & 31);
}

function clearBit(map: Uint32Array, idx: number): void {
  map[idx >>> 5]! &= ~(1 << (idx & 31));
}

function testAndClearBit(map: Uint32Array, idx: number): boolean {
  const w = idx >>> 5;
  const m = 1 << (idx & 31);
  if ((map[w]! & m) === 0) return false;
  map[w]! &= ~m;
  return true;
}

/** First set bit at or after `from` within the level's 64, or -1. */
function findNextBit(map: Uint32Array, lvl: number, from: number): number {
  if (from < 32) {
    const x = map[lvl * 2]! & (0xffffffff << from);
    if (x !== 0) return 31 - Math.clz32(x & -x);
    from = 32;
  }
  const y = map[lvl * 2 + 1]! & (0xffffffff << (from - 32));
  return y !== 0 ? 63 - Math.clz32(y & -y) : -1;
}

/** next_pending_bucket: buckets from `clk` to the first pending one, wrapping, or -1. */
function nextPendingBucket(map: Uint32Array, lvl: number, clk: number): number {
  let pos = findNextBit(map, lvl, clk);
  if (pos >= 0) return pos - clk;
  pos = findNextBit(map, lvl, 0);
  return pos >= 0 && pos < clk ? pos + LVL_SIZE - clk : -1;
}

/** timer_recalc_next_expiry: the earliest pending bucket across all levels. */
function recalcNextExpiry(base: TimerBase): void {
  let next = Infinity;
  let clk = base.clk;
  for (let lvl = 0; lvl < LVL_DEPTH; lvl++) {
    const pos = nextPendingBucket(base.pendingMap, lvl, clk % LVL_SIZE);
    const lvlClk = clk % LVL_CLK_DIV;
    if (pos >= 0) {
      const t = (clk + pos) * LVL_GRAN[lvl]!;
      if (t < next) next = t;
      // Nothing on a coarser level can come before this bucket.
      if (pos <= ((LVL_CLK_DIV - lvlClk) & (LVL_CLK_DIV - 1))) break;
    }
    // The coarser level's next bucket is one further on unless this level's clock sits on its boundary.
    clk = Math.floor(clk / LVL_CLK_DIV) + (lvlClk !== 0 ? 1 : 0);
  }
  base.nextExpiry = next;
  base.recalc = false;
}

/** Links an unlinked timer into its bucket; the caller owns `count` and `pending`. */
function enqueueTimer(base: TimerBase, t: TimerList): void {
  const idx = calcWheelIndex(t.expires, base.clk);
  listAddTail(base.vectors[idx]!, t);
  setBit(base.pendingMap, idx);
  t.idx = idx;
  t.bucketExpiry = bucketExpiry;
  if (bucketExpiry < base.nextExpiry) {
    base.nextExpiry = bucketExpiry;
    if (!base.running) armTick(base);
  }
}

/** Unlinks a pending timer; leaves re-arming the tick to the caller. */
function detachTimer(base: TimerBase, t: TimerList): void {
  const idx = t.idx;
  listDel(t);
  if (idx >= 0) {
    const head = base.vectors[idx]!;
    if (head.next === head) {
      clearBit(base.pendingMap, idx);
      base.recalc = true;
    }
  }
  t.idx = -1;
  t.pending = false;
  t.base = null;
  base.count--;
}

/**
 * forward_timer_base: an idle wheel's clk lags behind jiffies; bring it up to date (but not
 * past a bucket still due) so a new timer's delta, and so its level, is measured from now.
 */
function forwardTimerBase(base: TimerBase, jnow: number): void {
  if (jnow <= base.clk) return;
  if (base.nextExpiry > jnow) base.clk = jnow;
  else if (base.nextExpiry > base.clk) base.clk = base.nextExpiry;
}

/** Smallest delay that lands at or after `target` ms once the clock adds it to now(). */
function delayUntil(now: number, target: number): number {
  if (target <= now) return 0;
  let d = target - now;
  while (now + d < target) d = d * (1 + Number.EPSILON) + Number.MIN_VALUE;
  return d;
}

/**
 * Keeps exactly one clock event per net, no later than the earliest bucket. An event left
 * early by deletions is not moved: it fires, finds nothing due and re-arms, like an idle tick.
 */
function armTick(base: TimerBase): void {
  const clock = base.net.clock;
  if (base.count === 0) {
    if (base.ev !== null) clock.cancel(base.ev);
    base.ev = null;
    base.evExpiry = Infinity;
    base.nextExpiry = Infinity;
    base.recalc = false;
    return;
  }
  if (base.recalc) recalcNextExpiry(base);
  const target = base.nextExpiry;
  if (base.ev !== null) {
    if (base.evExpiry <= target) return;
    clock.cancel(base.ev);
  }
  base.evExpiry = target;
  base.ev = clock.schedule(delayUntil(clock.now(), target), base.fire);
}

/** The tick: a hard IRQ that raises TIMER_SOFTIRQ, which irq_exit then runs. */
function timerInterrupt(base: TimerBase): void {
  base.ev = null;
  base.evExpiry = Infinity;
  const cpu = base.net.cpus[base.cpu]!;
  irqEnter(cpu);
  __raiseSoftirqIrqoff(cpu, TIMER_SOFTIRQ);
  irqExit(cpu);
}

/** collect_expired_timers: moves the buckets due at nextExpiry, coarsest level first. */
function collectExpiredTimers(base: TimerBase): void {
  let clk = (base.clk = base.nextExpiry);
  let levels = 0;
  for (let lvl = 0; lvl < LVL_DEPTH; lvl++) {
    const idx = (clk % LVL_SIZE) + lvl * LVL_SIZE;
    if (testAndClearBit(base.pendingMap, idx)) base.collected[levels++] = idx;
    // Coarser levels only turn over when this one wraps to a multiple of LVL_CLK_DIV.
    if (clk % LVL_CLK_DIV !== 0) break;
    clk = Math.floor(clk / LVL_CLK_DIV);
  }
  const out = base.expiring;
  while (levels-- > 0) {
    const head = base.vectors[base.collected[levels]!]!;
    while (head.next !== head) {
      const t = head.next;
      listDel(t);
      t.idx = -1;
      listAddTail(out, t);
    }
  }
}

function expireTimers(base: TimerBase, jnow: number): void {
  const head = base.expiring;
  while (head.next !== head) {
    const t = head.next;
    listDel(t);
    if (t.expires > jnow) {
      // Parked beyond WHEEL_TIMEOUT_CUTOFF and still not due.
      enqueueTimer(base, t);
      continue;
    }
    t.pending = false;
    t.base = null;
    base.count--;
    t.fn(t);
  }
}

/** __run_timers: catches the wheel up with jiffies, running every due bucket in order. */
export function runTimers(base: TimerBase): void {
  if (base.running) return;
  const jnow = jiffies(base.net);
  base.running = true;
  try {
    if (base.recalc) recalcNextExpiry(base);
    while (jnow >= base.clk && jnow >= base.nextExpiry) {
      collectExpiredTimers(base);
      base.clk++;
      recalcNextExpiry(base);
      expireTimers(base, jnow);
    }
  } finally {
    // A throwing callback leaves the rest of its batch for the next tick.
    const head = base.expiring;
    while (head.next !== head) {
      const t = head.next;
      listDel(t);
      enqueueTimer(base, t);
    }
    base.running = false;
    armTick(base);
  }
}

/** run_timer_softirq */
export function runTimerSoftirq(cpu: Cpu): void {
  const base = cpu.net.gen.softirq?.timers;
  if (base) runTimers(base);
}

/** init_timers: the net's wheel and its TIMER_SOFTIRQ action. */
export function initTimers(net: Net): TimerBase {
  const s = softirqNet(net);
  if (s.timers === null) {
    s.timers = new TimerBase(net);
    openSoftirq(net, TIMER_SOFTIRQ, runTimerSoftirq);
  }
  return s.timers;
}

function timerBase(net: Net): TimerBase {
  const base = net.gen.softirq?.timers;
  if (!base || net.cpus.length === 0) throw new Error(`timers on net ${net.name} before initCpus`);
  return base;
}

/**
 * mod_timer: (re)arms `timer` for absolute jiffy `expires`. True if it was pending.
 * `timer` must come from timerSetup (or new TimerList).
 */
export function modTimer(net: Net, timer: TimerListLike, expires: number): boolean {
  if (!Number.isFinite(expires)) throw new RangeError(`modTimer: bad expiry ${expires}`);
  const t = timer as unknown as TimerList;
  const wasPending = t.pending;
  if (wasPending) {
    if (t.expires === expires) return true;
    detachTimer(t.base!, t);
  }
  const base = timerBase(net);
  t.expires = expires;
  forwardTimerBase(base, jiffies(net));
  t.pending = true;
  t.base = base;
  base.count++;
  enqueueTimer(base, t);
  return wasPending;
}

/** add_timer: arms an idle timer at timer.expires. */
export function addTimer(net: Net, timer: TimerListLike): void {
  if (timer.pending) throw new Error('addTimer on a pending timer');
  modTimer(net, timer, timer.expires);
}

/** timer_reduce: like modTimer, but never moves a pending timer later. */
export function timerReduce(net: Net, timer: TimerListLike, expires: number): boolean {
  if (timer.pending && timer.expires <= expires) return true;
  return modTimer(net, timer, expires);
}

/** del_timer / timer_delete: true if the timer was pending. */
export function delTimer(_net: Net, timer: TimerListLike): boolean {
  const t = timer as unknown as TimerList;
  if (!t.pending) return false;
  const base = t.base!;
  detachTimer(base, t);
  if (base.count === 0 && !base.running) armTick(base);
  return true;
}

/** del_timer_sync: callbacks never run concurrently here, so the same as delTimer. */
export const delTimerSync = delTimer;

/** timer_pending */
export function timerPending(timer: TimerListLike): boolean {
  return timer.pending;
}

/** The jiffy of the wheel's earliest bucket, or Infinity when no timer is pending. */
export function nextTimerExpiry(net: Net): number {
  const base = timerBase(net);
  if (base.count === 0) return Infinity;
  if (base.recalc) recalcNextExpiry(base);
  return base.nextExpiry;
}
