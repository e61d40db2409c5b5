import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import {
  jiffies, jiffiesToMsecs, jiffiesToUsecs, msecsToJiffies, timeAfter, timeAfterEq, timeBefore,
  timeBeforeEq, usecsNow, usecsToJiffies,
} from './jiffies.js';
import { createVirtualClock } from './virtual_clock.js';
import { testNet } from './test/net.js';

describe('jiffies', () => {
  test('HZ=1000: a jiffy is a whole millisecond of the net clock, µs for TCP', () => {
    const clock = createVirtualClock({ startMs: 1234.5678 });
    const net = testNet(clock);
    expect(jiffies(net)).toBe(1234);
    expect(usecsNow(net)).toBe(1234567);
    clock.runFor(0.4322);
    expect(jiffies(net)).toBe(1235);
  });

  test('conversions round up so waits are never short', () => {
    expect(msecsToJiffies(200)).toBe(200);
    expect(msecsToJiffies(0.2)).toBe(1);
    expect(usecsToJiffies(1)).toBe(1);
    expect(usecsToJiffies(2000)).toBe(2);
    expect(jiffiesToMsecs(1500)).toBe(1500);
    expect(jiffiesToUsecs(3)).toBe(3000);
  });

  test('time_after survives a 32-bit wrap', () => {
    expect(timeAfter(5, 0xfffffff0)).toBe(true);
    expect(timeBefore(0xfffffff0, 5)).toBe(true);
    expect(timeAfter(0xfffffff0, 5)).toBe(false);
    expect(timeAfterEq(7, 7)).toBe(true);
    expect(timeBeforeEq(7, 7)).toBe(true);
    expect(timeAfter(7, 7)).toBe(false);
  });

  ftest.prop([fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0x7fffffff })])(
    'a stamp d ticks later is after, modulo 2^32',
    (a, d) => {
      const b = (a + d) >>> 0;
      expect(timeAfter(b, a)).toBe(true);
      expect(timeBefore(a, b)).toBe(true);
      expect(timeAfterEq(b, a)).toBe(true);
      expect(timeBeforeEq(b, a)).toBe(false);
      expect(timeAfter(a, b)).toBe(false);
    },
  );
});
