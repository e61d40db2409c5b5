// Awaiting Promise-based code (Node streams, http) on the virtual clock: time only moves when
// the clock is run, and promise callbacks only run when the event loop turns, so alternate.
import type { VirtualClock } from '@knet/softirq';

/**
 * Run `clock` in `stepMs` steps, turning the event loop once (setImmediate) after each, until
 * `p` settles or `maxMs` of virtual time pass; then its value, or its error.
 */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs: number, stepMs = 0.5): Promise<T> {
  type Outcome = { ok: true; v: T } | { ok: false; e: unknown };
  const box: { s: Outcome | null } = { s: null };
  p.then((v) => (box.s = { ok: true, v }), (e: unknown) => (box.s = { ok: false, e }));
  const end = clock.now() + maxMs;
  await new Promise((r) => setImmediate(r));
  while (box.s === null && clock.now() < end) {
    clock.runFor(Math.min(stepMs, end - clock.now()));
    await new Promise((r) => setImmediate(r));
  }
  const s = box.s;
  if (s === null) throw new Error(`not done after ${maxMs} ms of virtual time`);
  if (!s.ok) throw s.e;
  return s.v;
}
