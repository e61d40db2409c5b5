import { describe, expect, it } from 'vitest';
import { runBench } from './run.js';
import type { Reference, Scenario } from './types.js';
import { ScenarioUnavailable } from './unavailable.js';

function setup() {
  const measured: string[] = [];
  const refs: Reference[] = [
    { name: 'ref_rate', unit: 'ops/s', direction: 'higher', summary: '', measure: async () => (measured.push('ref_rate'), 1000) },
    { name: 'ref_cost', unit: 'bytes', direction: 'lower', summary: '', measure: async () => (measured.push('ref_cost'), 400) },
  ];
  const scen = (over: Partial<Scenario> & Pick<Scenario, 'name' | 'run'>): Scenario => ({
    unit: 'ops/s', direction: 'higher', summary: '', ...over,
  });
  const scenarios: Scenario[] = [
    scen({ name: 'fast', reference: 'ref_rate', run: async () => ({ value: 250 }) }),
    scen({ name: 'small', unit: 'bytes', direction: 'lower', reference: 'ref_cost', run: async () => ({ value: 100 }) }),
    scen({ name: 'inline', run: async () => ({ value: 30, reference: 60, referenceName: 'own' }) }),
    scen({ name: 'tap_only', needsTap: true, run: async () => ({ value: 1 }) }),
    scen({ name: 'not_yet', run: async () => { throw new ScenarioUnavailable('layer missing'); } }),
    scen({ name: 'broken', run: async () => { throw new Error('boom'); } }),
  ];
  const log: string[] = [];
  return { refs, scenarios, measured, log, opts: { tap: false, only: null as string[] | null, log: (m: string) => log.push(m) } };
}

describe('runBench', () => {
  it('computes ratios in the declared direction and reports references as rows', async () => {
    const t = setup();
    const res = await runBench(t.scenarios, t.refs, t.opts);
    const by = Object.fromEntries(res.rows.map((r) => [r.name, r]));
    expect(by.fast).toMatchObject({ value: 250, reference: 1000, referenceName: 'ref_rate', ratio: 0.25 });
    expect(by.small).toMatchObject({ value: 100, reference: 400, ratio: 4, direction: 'lower' });
    expect(by.inline).toMatchObject({ reference: 60, referenceName: 'own', ratio: 0.5 });
    expect(by.ref_rate).toMatchObject({ value: 1000, reference: null, ratio: null });
    expect(t.measured).toEqual(['ref_rate', 'ref_cost']);
  });

  it('skips needsTap without --tap and unavailable scenarios, and records failures', async () => {
    const t = setup();
    const res = await runBench(t.scenarios, t.refs, t.opts);
    expect(res.skipped.map((s) => s.name)).toEqual(['tap_only', 'not_yet']);
    expect(res.skipped[0]!.why).toMatch(/--tap/);
    expect(res.failed.map((f) => f.name)).toEqual(['broken']);
    expect(res.rows.map((r) => r.name)).not.toContain('tap_only');
    expect(t.log.some((l) => l.includes('skipping tap_only'))).toBe(true);
  });

  it('runs needsTap scenarios with --tap', async () => {
    const t = setup();
    const res = await runBench(t.scenarios, t.refs, { ...t.opts, tap: true });
    expect(res.rows.map((r) => r.name)).toContain('tap_only');
  });

  it('--only runs the named scenarios, measuring needed references without reporting them', async () => {
    const t = setup();
    const res = await runBench(t.scenarios, t.refs, { ...t.opts, only: ['fast', 'nope'] });
    expect(res.rows.map((r) => r.name)).toEqual(['fast']);
    expect(res.rows[0]!.ratio).toBe(0.25);
    expect(t.measured).toEqual(['ref_rate']);
    expect(res.skipped).toEqual([{ name: 'nope', why: 'no such scenario' }]);
  });
  it('measures a needsTap reference only with --tap, and skips it with the reason it cannot run', async () => {
    const t = setup();
    const measured: string[] = [];
    const tapRef: Reference = {
      name: 'ref_tap', unit: 'ops/s', direction: 'higher', summary: '', needsTap: true,
      measure: async () => (measured.push('ref_tap'), 100),
    };
    const scen: Scenario = { name: 'over_tap', unit: 'ops/s', direction: 'higher', summary: '', needsTap: true, reference: 'ref_tap', run: async () => ({ value: 150 }) };
    const off = await runBench([scen], [...t.refs, tapRef], t.opts);
    expect(measured).toEqual([]);
    expect(off.rows.map((r) => r.name)).not.toContain('ref_tap');
    expect(off.skipped).toEqual([{ name: 'over_tap', why: expect.stringMatching(/--tap/) }]);

    const on = await runBench([scen], [...t.refs, tapRef], { ...t.opts, tap: true });
    expect(on.rows.find((r) => r.name === 'over_tap')).toMatchObject({ reference: 100, referenceName: 'ref_tap', ratio: 1.5 });

    const noRoot: Reference = { ...tapRef, measure: async () => { throw new ScenarioUnavailable('needs root (CAP_NET_ADMIN)'); } };
    const denied: Scenario = { ...scen, run: async () => { throw new ScenarioUnavailable('needs root (CAP_NET_ADMIN)'); } };
    const res = await runBench([denied], [noRoot], { ...t.opts, tap: true });
    expect(res.failed).toEqual([]);
    expect(res.skipped).toEqual([
      { name: 'ref_tap', why: 'needs root (CAP_NET_ADMIN)' },
      { name: 'over_tap', why: 'needs root (CAP_NET_ADMIN)' },
    ]);
  });
});
