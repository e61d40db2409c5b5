import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

function bench(...args: string[]) {
  return spawnSync(join(root, 'node_modules/.bin/tsx'), ['--conditions=source', join(here, 'main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

describe('pnpm bench', () => {
  it('--json prints exactly one JSON object on stdout and progress on stderr', () => {
    const r = bench('--json', '--only', 'memcpy_frames');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, { value: number; unit: string }>;
    expect(Object.keys(out)).toEqual(['memcpy_frames']);
    expect(Object.keys(out.memcpy_frames!).sort()).toEqual(['ratio', 'reference', 'unit', 'value']);
    expect(out.memcpy_frames!.value).toBeGreaterThan(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('memcpy_frames');
  });

  it('exits 2 on a bad argument', () => {
    const r = bench('--bogus');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('unknown argument');
  });
});
