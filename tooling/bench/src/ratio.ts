import type { Direction } from './types.js';

/**
 * How many times better than the reference: value/reference for rates, reference/value for
 * costs, so a ratio above 1 always means knet does better. null when it cannot be computed.
 */
export function ratio(value: number, reference: number | null, direction: Direction): number | null {
  if (reference === null || !Number.isFinite(value) || !Number.isFinite(reference)) return null;
  const [num, den] = direction === 'higher' ? [value, reference] : [reference, value];
  return den > 0 ? num / den : null;
}
