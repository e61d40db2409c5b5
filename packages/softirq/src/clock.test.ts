import { describe, expect, test } from 'vitest';
import { createRealClock } from './clock.js';

describe('real clock', () => {
  test('a 5 ms event fires, never before it is due', async () => {
    const c = createRealClock();
    expect(c.virtual).toBe(false);
    const t0 = c.now();
    const at = await new Promise<number>((resolve) => c.schedule(5, () => resolve(c.now())));
    expect(at - t0).toBeGreaterThanOrEqual(5);
  });

  test('sub-millisecond events and deferred work share the batch, in order', async () => {
    const c = createRealClock();
    const log: string[] = [];
    const t0 = c.now();
    await new Promise<void>((resolve) => {
      c.defer(() => log.push('d1'));
      c.schedule(0, () => log.push('s0'));
      c.defer(() => {
        log.push('d2');
        c.defer(() => log.push('d3'));
      });
      c.schedule(0.5, () => {
        log.push(c.now() - t0 >= 0.5 ? 'half' : 'early');
        resolve();
      });
    });
    expect(log.slice(0, 3)).toEqual(['d1', 's0', 'd2']);
    expect(log).toContain('d3');
    expect(log).toContain('half');
    expect(log).not.toContain('early');
  });

  test('cancelled events do not run', async () => {
    const c = createRealClock();
    const log: string[] = [];
    c.cancel(c.schedule(0, () => log.push('short')));
    c.cancel(c.schedule(2, () => log.push('long')));
    await new Promise<void>((resolve) => c.schedule(4, resolve));
    expect(log).toEqual([]);
  });

  test('a throwing deferred task does not drop the ones behind it', async () => {
    const c = createRealClock();
    const log: string[] = [];
    const errors: unknown[] = [];
    const onErr = (e: unknown): void => void errors.push(e);
    process.prependListener('uncaughtException', onErr);
    try {
      await new Promise<void>((resolve) => {
        c.defer(() => log.push('a'));
        c.defer(() => {
          throw new Error('boom');
        });
        c.defer(() => {
          log.push('b');
          resolve();
        });
      });
    } finally {
      process.removeListener('uncaughtException', onErr);
    }
    expect(log).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
  });
});
