// Runs the selected scenarios in order, measuring each reference once per run.
import { ratio } from './ratio.js';
import { ScenarioUnavailable } from './unavailable.js';
import type { BenchContext, Reference, Row, Scenario } from './types.js';

const NEEDS_TAP = 'needs a TAP device; run with --tap';

export interface RunOptions {
  tap: boolean;
  only: string[] | null;
  /** Progress and skip messages (stderr in the CLI). */
  log(msg: string): void;
}

export interface RunResult {
  rows: Row[];
  skipped: { name: string; why: string }[];
  failed: { name: string; error: string }[];
}

/** Rows for references are reported too, with no reference of their own. */
export async function runBench(
  scenarios: readonly Scenario[],
  references: readonly Reference[],
  opts: RunOptions,
): Promise<RunResult> {
  const refs = new Map(references.map((r) => [r.name, r]));
  const cache = new Map<string, Promise<number>>();
  const rows: Row[] = [];
  const skipped: RunResult['skipped'] = [];
  const failed: RunResult['failed'] = [];
  const wanted = (n: string) => opts.only === null || opts.only.includes(n);

  const ctx: BenchContext = {
    tap: opts.tap,
    log: opts.log,
    reference(name) {
      let p = cache.get(name);
      if (!p) {
        const ref = refs.get(name);
        if (!ref) return Promise.reject(new Error(`unknown reference ${name}`));
        opts.log(`bench: measuring reference ${name} ...`);
        p = ref.measure(ctx).then((value) => {
          opts.log(`bench:   ${name} = ${value.toPrecision(4)} ${ref.unit}`);
          if (wanted(name)) {
            rows.push({ name, value, unit: ref.unit, direction: ref.direction, reference: null, referenceName: null, ratio: null });
          }
          return value;
        });
        cache.set(name, p);
      }
      return p;
    },
  };

  if (opts.only) {
    const known = new Set([...scenarios.map((s) => s.name), ...refs.keys()]);
    for (const n of opts.only) if (!known.has(n)) {
        skipped.push({ name: n, why: 'no such scenario' });
        opts.log(`bench: no such scenario: ${n}`);
      }
  }

  const skip = (name: string, why: string) => {
    skipped.push({ name, why });
    opts.log(`bench: skipping ${name}: ${why}`);
  };

  for (const ref of references) {
    if (!wanted(ref.name)) continue;
    // Without --tap a TAP reference is not measured even when named: nothing would use it.
    if (ref.needsTap && !opts.tap) {
      if (opts.only !== null) skip(ref.name, NEEDS_TAP);
      continue;
    }
    try {
      await ctx.reference(ref.name);
    } catch (e) {
      if (e instanceof ScenarioUnavailable) skip(ref.name, e.message);
      else failed.push({ name: ref.name, error: String((e as Error)?.stack ?? e) });
    }
  }

  for (const s of scenarios) {
    if (!wanted(s.name)) continue;
    if (s.needsTap && !opts.tap) {
      skip(s.name, NEEDS_TAP);
      continue;
    }
    opts.log(`bench: running ${s.name} ...`);
    try {
      const out = await s.run(ctx);
      let reference: number | null = out.reference ?? null;
      let referenceName = out.referenceName ?? null;
      if (reference === null && s.reference) {
        reference = await ctx.reference(s.reference);
        referenceName = s.reference;
      }
      const row: Row = {
        name: s.name,
        value: out.value,
        unit: s.unit,
        direction: s.direction,
        reference,
        referenceName,
        ratio: ratio(out.value, reference, s.direction),
      };
      rows.push(row);
      opts.log(`bench:   ${s.name} = ${out.value.toPrecision(4)} ${s.unit}`);
    } catch (e) {
      if (e instanceof ScenarioUnavailable) {
        skip(s.name, e.message);
        continue;
      }
      failed.push({ name: s.name, error: String((e as Error)?.stack ?? e) });
      opts.log(`bench: ${s.name} failed: ${(e as Error)?.message ?? e}`);
    }
  }
  return { rows, skipped, failed };
}
