import { describe, expect, it } from 'vitest';
import { ratio } from './ratio.js';

describe('ratio', () => {
  it('is value/reference when higher is better', () => {
    expect(ratio(50, 200, 'higher')).toBe(0.25);
    expect(ratio(300, 100, 'higher')).toBe(3);
  });
  it('is reference/value when lower is better, so above 1 still means better', () => {
    expect(ratio(50, 200, 'lower')).toBe(4);
    expect(ratio(400, 100, 'lower')).toBe(0.25);
  });
  it('is null without a reference or with a zero denominator or a non-finite figure', () => {
    expect(ratio(1, null, 'higher')).toBeNull();
    expect(ratio(1, 0, 'higher')).toBeNull();
    expect(ratio(0, 5, 'lower')).toBeNull();
    expect(ratio(Number.NaN, 5, 'higher')).toBeNull();
  });
});
