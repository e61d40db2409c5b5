// The conformance report: a table for people, or one JSON object for machines.
import type { ScriptResult } from './suite.js';

export interface JsonReport {
  passed: string[];
  failed: Array<{ path: string; line?: number; error: string; details?: string[] }>;
  unsupported: Array<{ path: string; line?: number; feature: string }>;
  timedOut: Array<{ path: string; limit: string }>;
}

export function toJson(results: readonly ScriptResult[]): JsonReport {
  const r: JsonReport = { passed: [], failed: [], unsupported: [], timedOut: [] };
  for (const x of results) {
    const line = x.line === undefined || x.line < 0 ? {} : { line: x.line };
    switch (x.status) {
      case 'passed': r.passed.push(x.path); break;
      case 'failed': r.failed.push({ path: x.path, ...line, error: x.reason ?? '', ...(x.details?.length ? { details: x.details } : {}) }); break;
      case 'unsupported': r.unsupported.push({ path: x.path, ...line, feature: x.reason ?? '' }); break;
      case 'timedOut': r.timedOut.push({ path: x.path, limit: x.reason ?? '' }); break;
    }
  }
  return r;
}

const COLS = ['passed', 'failed', 'unsupported', 'timedOut'] as const;

export function toTable(results: readonly ScriptResult[], notes: readonly string[] = []): string {
  const out: string[] = [];
  const byDir = new Map<string, Record<(typeof COLS)[number], number>>();
  for (const x of results) {
    const dir = x.path.includes('/') ? x.path.slice(0, x.path.indexOf('/')) : '.';
    const row = byDir.get(dir) ?? { passed: 0, failed: 0, unsupported: 0, timedOut: 0 };
    row[x.status]++;
    byDir.set(dir, row);
  }
  const width = Math.max(9, ...[...byDir.keys()].map((d) => d.length));
  const line = (name: string, cells: Array<string | number>): string => name.padEnd(width) + cells.map((c) => String(c).padStart(12)).join('');
  out.push(line('directory', [...COLS]));
  for (const [dir, row] of [...byDir].sort(([a], [b]) => a.localeCompare(b))) out.push(line(dir, COLS.map((c) => row[c])));
  const total = COLS.map((c) => results.filter((x) => x.status === c).length);
  out.push(line('total', total));

  const failed = results.filter((x) => x.status === 'failed' || x.status === 'timedOut');
  if (failed.length) {
    out.push('', 'Failures:');
    for (const x of failed) {
      out.push(`${x.path}${x.line !== undefined && x.line >= 0 ? `:${x.line}` : ''}: ${x.status === 'timedOut' ? `timed out (${x.reason})` : x.reason}`);
      for (const d of x.details ?? []) out.push(`  ${d}`);
    }
  }
  const features = new Map<string, number>();
  for (const x of results) if (x.status === 'unsupported') features.set(x.reason ?? '', (features.get(x.reason ?? '') ?? 0) + 1);
  if (features.size) {
    out.push('', 'Unsupported (scripts: feature):');
    for (const [f, n] of [...features].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out.push(`${String(n).padStart(5)}: ${f}`);
  }
  for (const n of notes) out.push('', n);
  return out.join('\n');
}
