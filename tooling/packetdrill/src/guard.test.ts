// CI guard: every script in expected-passes.txt must keep passing against knet, and the
// runner's own scripts must pass against the fake target and against knet.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUT_OF_SCOPE_DIRS } from './discover.js';
import { loadTarget } from './load-target.js';
import { packageRoot, tcpSuiteDir } from './paths.js';
import { loadDefaults, runFile } from './suite.js';
import { createFakeTarget } from './test/fake-target.js';
import type { TargetFactory } from './target.js';
import { createPacketdrillTarget } from '@knet/host';

const listed = readFileSync(join(packageRoot, 'expected-passes.txt'), 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter((l) => l !== '');

describe('expected passes against knet', () => {
  it('lists in-scope scripts of google/tcp, each once', () => {
    expect(new Set(listed).size).toBe(listed.length);
    const bad = listed.filter((rel) => !rel.endsWith('.pkt') || !existsSync(join(tcpSuiteDir(), rel)) || OUT_OF_SCOPE_DIRS[rel.split('/')[0]!]);
    expect(bad).toEqual([]);
  });

  it.each(listed)('%s passes', async (rel) => {
    const abs = join(tcpSuiteDir(), rel);
    const { factory, note } = await loadTarget();
    expect(factory, note ?? '').not.toBeNull();
    const r = await runFile(abs, rel, factory, loadDefaults(tcpSuiteDir()), 20_000);
    expect(r, [r.reason, ...(r.details ?? [])].join('\n')).toMatchObject({ status: 'passed' });
  });
});

describe("the runner's own scripts against the fake target", () => {
  const dir = join(packageRoot, 'test-scripts');
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.pkt')).sort();
  const defaults = new Map([['net.ipv4.tcp_timestamps', '1']]);

  it('has scripts to run', () => {
    expect(scripts).toEqual(['active.pkt', 'passive.pkt']);
  });

  it.each(scripts)('%s passes', async (name) => {
    const r = await runFile(join(dir, name), name, createFakeTarget, defaults, 10_000);
    expect(r, [r.reason, ...(r.details ?? [])].join('\n')).toMatchObject({ status: 'passed' });
  });
});

describe("the runner's own scripts against knet", () => {
  it("loads @knet/host's factory, which has the Target shape", async () => {
    const hostFactory: TargetFactory = createPacketdrillTarget;
    expect((await loadTarget()).factory).toBe(hostFactory);
  });

  const dir = join(packageRoot, 'test-scripts', 'knet');
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.pkt')).sort();

  it('has scripts to run', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(3);
  });

  it.each(scripts)('%s passes', async (name) => {
    const { factory, note } = await loadTarget();
    expect(factory, note ?? '').not.toBeNull();
    const r = await runFile(join(dir, name), `knet/${name}`, factory, loadDefaults(tcpSuiteDir()), 10_000);
    expect(r, [r.reason, ...(r.details ?? [])].join('\n')).toMatchObject({ status: 'passed' });
  });
});
