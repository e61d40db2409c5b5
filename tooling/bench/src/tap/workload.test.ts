import { describe, expect, it } from 'vitest';
import { clientArgs, CRR_MAX, CRR_WARM_MAX, figure, parseClient, RUNS } from './workload.js';

describe('TAP workload figures', () => {
  it('streams are Gbit/s of payload over the client-measured time', () => {
    expect(figure('upload', { bytes: 125_000_000, seconds: 2 })).toBeCloseTo(0.5, 12);
    expect(figure('download', { bytes: 1e9, seconds: 4 })).toBeCloseTo(2, 12);
  });

  it('transactions are per second', () => {
    expect(figure('rr', { count: 30_000, seconds: 3 })).toBe(10_000);
    expect(figure('crr', { count: 4500, seconds: 1.5 })).toBe(3000);
  });

  it('refuses a result with no time or nothing moved', () => {
    expect(() => figure('rr', { count: 10, seconds: 0 })).toThrow(/no time/);
    expect(() => figure('upload', { count: 10, seconds: 1 })).toThrow(/moved nothing/);
    expect(() => figure('crr', { count: 0, seconds: 1 })).toThrow(/moved nothing/);
  });

  it('reads the last JSON line a client printed', () => {
    expect(parseClient('warming up\n{"count": 5, "seconds": 1.0}\n')).toEqual({ count: 5, seconds: 1 });
    expect(() => parseClient('')).toThrow();
  });

  it('the client runs the workload for the given seconds; crr carries its connection cap', () => {
    expect(clientArgs('rr', '198.18.0.2', 3, CRR_MAX).slice(2)).toEqual(['rr', '198.18.0.2', '3']);
    expect(clientArgs('crr', '198.18.0.2', 1, CRR_WARM_MAX).slice(2)).toEqual(['crr', '198.18.0.2', '1', '2000']);
    // The warm-up's TIME_WAITs and the runs' fit the widened range of 64,511 ports.
    expect(RUNS * CRR_MAX + CRR_WARM_MAX).toBeLessThan(64_511);
  });
});
