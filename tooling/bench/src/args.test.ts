import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './args.js';

describe('parseBenchArgs', () => {
  it('defaults', () => {
    expect(parseBenchArgs([])).toEqual({ json: false, only: null, tap: false, list: false, help: false });
  });
  it('reads --json, --tap and both forms of --only', () => {
    expect(parseBenchArgs(['--json', '--tap', '--only', 'a,b'])).toMatchObject({ json: true, tap: true, only: ['a', 'b'] });
    expect(parseBenchArgs(['--only=veth_frames'])).toMatchObject({ only: ['veth_frames'] });
  });
  it('skips the -- that pnpm passes through', () => {
    expect(parseBenchArgs(['--', '--json'])).toMatchObject({ json: true });
  });
  it('rejects unknown arguments and an empty --only', () => {
    expect(parseBenchArgs(['--fast'])).toEqual({ error: 'unknown argument: --fast' });
    expect(parseBenchArgs(['--only'])).toHaveProperty('error');
  });
});
