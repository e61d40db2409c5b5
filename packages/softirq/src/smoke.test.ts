import { expect, test } from 'vitest';
import { createVirtualClock, jiffies, modTimer, timerSetup } from './index.js';
import { testNet } from './test/net.js';

test('a 60 s timer fires on the virtual clock', () => {
  const clock = createVirtualClock({ seed: 1 });
  const net = testNet(clock);
  let at = -1;
  const t = timerSetup(() => { at = jiffies(net); });
  modTimer(net, t, jiffies(net) + 60_000);
  clock.runUntilIdle();
  expect(at).toBeGreaterThan(60_000);
  expect(clock.pending()).toBe(0);
});
