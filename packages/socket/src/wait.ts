// Sleeping on a wait queue (include/linux/wait.h: wait_event_interruptible_timeout), for the
// Promise forms of the syscalls. Protocol code never waits: it returns -EAGAIN and wakes the
// queue later. A wakeup only marks the waiter runnable; the retry runs as a later task on the
// host's clock, as a woken process runs after the softirq that woke it.
import type { ClockEvent, Net, WaitQueueHead } from '@knet/include';
import { EINTR, POLLERR, POLLHUP, POLLNVAL } from '@knet/include';

/** Returned by an attempt that would block. */
export const WOULD_BLOCK: unique symbol = Symbol('would block');
export type Attempt<T> = () => T | typeof WOULD_BLOCK;

/** Per-call options of the Promise forms. */
export interface WaitOptions {
  /** Cancels the wait; the call then resolves to -EINTR (a signal interrupting a sleep). */
  signal?: AbortSignal;
  /** Overrides SO_RCVTIMEO/SO_SNDTIMEO, in ms; 0 waits forever. */
  timeoutMs?: number;
}

/**
 * Try `attempt`; while it would block, sleep on every queue in `wqs` until a wakeup whose mask
 * meets `events` (errors and hangups always count), then try again. Resolves to the first real
 * result, to `timeoutValue` after `timeoutMs` (0: never), or to -EINTR when `signal` aborts.
 */
export function waitEvent<T>(
  net: Net, wqs: readonly WaitQueueHead[], events: number, timeoutMs: number, signal: AbortSignal | undefined,
  attempt: Attempt<T>, timeoutValue: T | (() => T), intrValue: T = -EINTR as T,
): Promise<T> {
  const first = attempt();
  if (first !== WOULD_BLOCK) return Promise.resolve(first);
  if (signal?.aborted) return Promise.resolve(intrValue);
  const mask = events | POLLERR | POLLHUP | POLLNVAL;
  return new Promise<T>((resolve) => {
    let done = false;
    let queued = false;
    let timer: ClockEvent | null = null;
    const finish = (v: T): void => {
      if (done) return;
      done = true;
      for (const wq of wqs) wq.waiters.delete(waiter);
      if (timer !== null) net.clock.cancel(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const retry = (): void => {
      queued = false;
      if (done) return;
      const r = attempt();
      if (r !== WOULD_BLOCK) finish(r);
    };
    const waiter = (m: number): void => {
      if (done || queued || (m & mask) === 0) return;
      queued = true;
      net.clock.defer(retry);
    };
    const onAbort = (): void => finish(intrValue);
    for (const wq of wqs) wq.waiters.add(waiter);
    if (timeoutMs > 0) {
      timer = net.clock.schedule(timeoutMs, () => {
        timer = null;
        finish(typeof timeoutValue === 'function' ? (timeoutValue as () => T)() : timeoutValue);
      });
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
