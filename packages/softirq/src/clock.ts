import type { Clock, ClockEvent } from '@knet/include';

/** Throws on NaN and infinities: a delay that never ends is a bug upstream, not a timer. */
export function checkDelay(delayMs: number): number {
  if (!Number.isFinite(delayMs)) throw new RangeError(`clock: bad delay ${delayMs}`);
  return delayMs > 0 ? delayMs : 0;
}

class RealEvent implements ClockEvent {
  /** Null once fired or cancelled. */
  fn: (() => void) | null;
  timeout: ReturnType<typeof setTimeout> | null = null;
  readonly fire: () => void;
  constructor(
    readonly id: number,
    readonly due: number,
    fn: () => void,
    clock: RealClock,
  ) {
    this.fn = fn;
    this.fire = () => clock.fire(this);
  }
}

class RealClock implements Clock {
  readonly name = 'real';
  readonly virtual = false;
  private nextId = 1;
  private batch: (() => void)[] = [];
  private spare: (() => void)[] = [];
  private flushArmed = false;
  private readonly flushFn = (): void => this.flush();

  now(): number {
    return performance.now();
  }

  schedule(delayMs: number, fn: () => void): ClockEvent {
    const d = checkDelay(delayMs);
    const ev = new RealEvent(this.nextId++, performance.now() + d, fn, this);
    this.arm(ev, d);
    return ev;
  }

  cancel(ev: ClockEvent): void {
    if (!(ev instanceof RealEvent) || ev.fn === null) return;
    ev.fn = null;
    if (ev.timeout !== null) clearTimeout(ev.timeout);
    ev.timeout = null;
  }

  defer(fn: () => void): void {
    this.batch.push(fn);
    if (!this.flushArmed) {
      this.flushArmed = true;
      setImmediate(this.flushFn);
    }
  }

  random(): number {
    return Math.random();
  }

  // Node clamps setTimeout to whole milliseconds (0 becomes 1), so sub-millisecond waits ride
  // the shared setImmediate batch instead.
  private arm(ev: RealEvent, delay: number): void {
    if (delay >= 1) ev.timeout = setTimeout(ev.fire, delay);
    else this.defer(ev.fire);
  }

  /** @internal Node timers may wake up to a millisecond before performance.now() says they are due. */
  fire(ev: RealEvent): void {
    const fn = ev.fn;
    if (fn === null) return;
    ev.timeout = null;
    const left = ev.due - performance.now();
    if (left > 0) {
      this.arm(ev, left);
      return;
    }
    ev.fn = null;
    fn();
  }

  // Work deferred while a batch runs waits for the next turn of the event loop, so I/O
  // callbacks are never starved by a task that keeps deferring itself.
  private flush(): void {
    this.flushArmed = false;
    const q = this.batch;
    this.batch = this.spare;
    this.spare = q;
    let i = 0;
    try {
      for (; i < q.length; i++) q[i]!();
    } finally {
      if (i < q.length) {
        const rest = q.slice(i + 1);
        this.batch.unshift(...rest);
        if (this.batch.length !== 0 && !this.flushArmed) {
          this.flushArmed = true;
          setImmediate(this.flushFn);
        }
      }
      q.length = 0;
    }
  }
}

/** The wall clock: performance.now, Node timers, one setImmediate per batch of deferred work. */
export function createRealClock(): Clock {
  return new RealClock();
}
