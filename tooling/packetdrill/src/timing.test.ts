import { describe, expect, it } from 'vitest';
import { checkTime, DEFAULT_TOLERANCE, toleranceFor } from './timing.js';

describe('timing tolerance', () => {
  it('is 4 ms for short gaps and 12.5% of the gap for long ones', () => {
    expect(toleranceFor(DEFAULT_TOLERANCE, 100_000, 0)).toBe(12_500);
    expect(toleranceFor(DEFAULT_TOLERANCE, 10_000, 0)).toBe(4_000);
    expect(toleranceFor(DEFAULT_TOLERANCE, 1_000_000, 1_000_000)).toBe(4_000);
    expect(toleranceFor(DEFAULT_TOLERANCE, 5_000, null)).toBe(4_000);
    expect(toleranceFor({ usecs: 10_000, percent: 12.5 }, 40_000, 0)).toBe(10_000);
  });

  it('accepts events inside the window and reports ones outside it', () => {
    const exact = { kind: 'exact' as const, expected: 1_000_000, expectedEnd: 1_000_000 };
    expect(checkTime(exact, 1_003_999, 1_000_000, DEFAULT_TOLERANCE, 'outbound packet')).toBeNull();
    expect(checkTime(exact, 996_000, 1_000_000, DEFAULT_TOLERANCE, 'outbound packet')).toBeNull();
    expect(checkTime(exact, 1_004_001, 1_000_000, DEFAULT_TOLERANCE, 'outbound packet'))
      .toBe('timing error: expected outbound packet at 1.000000 sec but happened at 1.004001 sec; tolerance 0.004000 sec');
    // 200 ms after the previous event: 25 ms of slack.
    expect(checkTime({ kind: 'exact', expected: 1_200_000, expectedEnd: 1_200_000 }, 1_224_000, 1_000_000, DEFAULT_TOLERANCE, 'x')).toBeNull();
    expect(checkTime({ kind: 'exact', expected: 1_200_000, expectedEnd: 1_200_000 }, 1_226_000, 1_000_000, DEFAULT_TOLERANCE, 'x')).not.toBeNull();
  });

  it('widens ranges by the tolerance and never checks wildcards', () => {
    const range = { kind: 'range' as const, expected: 300_000, expectedEnd: 310_000 };
    expect(checkTime(range, 305_000, 300_000, DEFAULT_TOLERANCE, 'x')).toBeNull();
    expect(checkTime(range, 313_999, 300_000, DEFAULT_TOLERANCE, 'x')).toBeNull();
    expect(checkTime(range, 314_001, 300_000, DEFAULT_TOLERANCE, 'outbound packet')).toMatch(/time range 0.300000~0.310000/);
    expect(checkTime({ kind: 'any', expected: 0, expectedEnd: 0 }, 9e9, 0, DEFAULT_TOLERANCE, 'x')).toBeNull();
  });
});
