import type { Clock, ClockEvent } from '@knet/include';
import { checkDelay } from './clock.js';
import { Xoshiro128 } from './prng.js';

/** A discrete-event clock: time only moves when run() jumps it to the next event. */
export interface VirtualClock extends Clock {
  /**
   * Runs events in (time, insertion) order until the next one is later than `untilMs` or
   * `maxEvents` have run; time then moves to `untilMs` if it was reached. Returns events run.
   */
  run(untilMs?: number, maxEvents?: number): number;
  runFor(ms: number): number;
  /** Runs until nothing is scheduled, or `maxEvents` have run (check pending() after). */
  runUntilIdle(maxEvents?: number): number;
  /** Alias of runFor. */
  advance(ms: number): number;
  /** Scheduled events not yet run or cancelled, deferred tasks included. */
  pending(): number;
}

export interface VirtualClockOptions {
  seed?: number;
  startMs?: number;
}

/** A heap entry. Entries are recycled once run or cancelled, so callers never see them. */
class VEvent {
  constructor(
    /** The live handle's id; 0 for deferred tasks and free entries. */
    public id: number,
    public time: number,
    public seq: number,
    /** Null once run or cancelled. */
    public fn: (() => void) | null,
  ) {}
}

/**
 * What schedule() returns. It stays apart from the recycled entry so a stale handle cannot
 * reach the entry's next use: cancel() acts only while the entry still carries this id.
 */
class VHandle implements ClockEvent {
  constructor(
    readonly id: number,
    readonly ev: VEvent,
  ) {}
}

let eventsCreated = 0;

/** Heap entries ever allocated by virtual clocks; flat in steady state, since entries are pooled. */
export function virtualClockStats(): { eventsCreated: number } {
  return { eventsCreated };
}

const before = (a: VEvent, b: VEvent): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

// Cancelled events stay in the heap until popped; rebuild once they outnumber the live ones.
const COMPACT_MIN = 1024;

class VirtualClockImpl implements VirtualClock {
  readonly name = 'virtual';
  readonly virtual = true;
  private t: number;
  private seq = 0;
  private nextId = 1;
  private readonly heap: VEvent[] = [];
  private live = 0;
  private dead = 0;
  private readonly pool: VEvent[] = [];
  private running = false;
  private readonly rng: Xoshiro128;

  constructor(opts: VirtualClockOptions) {
    this.t = opts.startMs ?? 0;
    this.rng = new Xoshiro128(opts.seed ?? 1);
  }

  now(): number {
    return this.t;
  }

  random(): number {
    return this.rng.random();
  }

  schedule(delayMs: number, fn: () => void): ClockEvent {
    const id = this.nextId++;
    const ev = this.take(id, this.t + checkDelay(delayMs), fn);
    this.push(ev);
    return new VHandle(id, ev);
  }

  cancel(h: ClockEvent): void {
    if (!(h instanceof VHandle)) return;
    const ev = h.ev;
    if (ev.id !== h.id || ev.fn === null) return;
    ev.fn = null;
    this.live--;
    this.dead++;
    if (this.dead > COMPACT_MIN && this.dead > this.live) this.compact();
  }

  // Same-time events keep insertion order, so deferred work runs before time moves on.
  defer(fn: () => void): void {
    this.push(this.take(0, this.t, fn));
  }

  pending(): number {
    return this.live;
  }

  run(untilMs = Infinity, maxEvents = Infinity): number {
    if (this.running) throw new Error('VirtualClock.run() called from inside an event');
    this.running = true;
    let n = 0;
    try {
      while (n < maxEvents) {
        const ev = this.peek();
        if (ev === null || ev.time > untilMs) break;
        this.pop();
        if (ev.time > this.t) this.t = ev.time;
        const fn = ev.fn!;
        ev.fn = null;
        this.live--;
        this.release(ev);
        n++;
        fn();
      }
      if (untilMs > this.t && untilMs !== Infinity) {
        const next = this.peek();
        if (next === null || next.time > untilMs) this.t = untilMs;
      }
    } finally {
      this.running = false;
    }
    return n;
  }

  runFor(ms: number): number {
    return this.run(this.t + ms);
  }

  advance(ms: number): number {
    return this.run(this.t + ms);
  }

  runUntilIdle(maxEvents = 1e7): number {
    return this.run(Infinity, maxEvents);
  }

  private take(id: number, time: number, fn: () => void): VEvent {
    const ev = this.pool.pop();
    if (ev === undefined) {
      eventsCreated++;
      return new VEvent(id, time, this.seq++, fn);
    }
    ev.id = id;
    ev.time = time;
    ev.seq = this.seq++;
    ev.fn = fn;
    return ev;
  }

  private release(ev: VEvent): void {
    ev.id = 0;
    this.pool.push(ev);
  }

  private push(ev: VEvent): void {
    const h = this.heap;
    h.push(ev);
    this.live++;
    this.siftUp(h.length - 1);
  }

  /** The earliest live event, dropping cancelled ones off the top. */
  private peek(): VEvent | null {
    const h = this.heap;
    while (h.length !== 0) {
      const top = h[0]!;
      if (top.fn !== null) return top;
      this.pop();
      this.dead--;
      this.release(top);
    }
    return null;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length !== 0) {
      h[0] = last;
      this.siftDown(0);
    }
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const ev = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (!before(ev, pe)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = ev;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const ev = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(h[c + 1]!, h[c]!)) c++;
      const ce = h[c]!;
      if (!before(ce, ev)) break;
      h[i] = ce;
      i = c;
    }
    h[i] = ev;
  }

  private compact(): void {
    const h = this.heap;
    let k = 0;
    for (let i = 0; i < h.length; i++) {
      const ev = h[i]!;
      if (ev.fn !== null) h[k++] = ev;
      else this.release(ev);
    }
    h.length = k;
    for (let i = (k >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.dead = 0;
  }
}

/** A seeded, deterministic clock for tests and simulation: the same seed gives the same run. */
export function createVirtualClock(opts: VirtualClockOptions = {}): VirtualClock {
  return new VirtualClockImpl(opts);
}
