/** A handle for a scheduled clock event; pass it to `Clock.cancel`. */
export interface ClockEvent {
  readonly id: number;
}

/**
 * Where time comes from. The real clock uses performance.now and Node timers; the virtual clock
 * is a seeded discrete-event scheduler whose time jumps to the next event when nothing is runnable.
 */
export interface Clock {
  readonly name: string;
  readonly virtual: boolean;
  /** Monotonic milliseconds, fractional (microsecond resolution or better). */
  now(): number;
  /** Run `fn` once, `delayMs` from now. */
  schedule(delayMs: number, fn: () => void): ClockEvent;
  cancel(ev: ClockEvent): void;
  /** Run `fn` soon, after the current task, in order (setImmediate, or a same-time event). */
  defer(fn: () => void): void;
  /** Seeded on the virtual clock; Math.random on the real one. In [0, 1). */
  random(): number;
}

/** A per-CPU timer (struct timer_list), driven by the timer wheel of its host. */
export interface TimerList {
  /** Absolute expiry in jiffies. */
  expires: number;
  fn: (t: TimerList) => void;
  /** Internal to the wheel. */
  pending: boolean;
}
