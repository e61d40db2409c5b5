import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScenarioUnavailable } from '../unavailable.js';
import { requireTapEnv, TAP_TOOLS } from './env.js';
import { netnsSkipReason } from '@knet/tap/testing';

describe('requireTapEnv', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('passes when nothing is missing', () => {
    expect(() => requireTapEnv(() => null)).not.toThrow();
  });

  it('throws ScenarioUnavailable carrying the reason', () => {
    let err: unknown;
    try {
      requireTapEnv(() => '`ethtool` is not installed');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioUnavailable);
    expect((err as Error).message).toBe('`ethtool` is not installed');
  });

  it.skipIf(process.platform !== 'linux')('without root the reason says root is needed', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    expect(netnsSkipReason(TAP_TOOLS)).toMatch(/needs root/);
    expect(() => requireTapEnv()).toThrow(/needs root/);
  });
});
