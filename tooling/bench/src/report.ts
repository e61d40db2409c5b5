// Rendering a run: an aligned table for people, one JSON object for machines.
import type { JsonReport, Row } from './types.js';

/** Three significant digits with an SI suffix: 1234567 → "1.23M". */
export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  const fmt = (x: number, s: string) => `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}${s}`;
  const sign = v < 0 ? '-' : '';
  if (a >= 1e9) return sign + fmt(a / 1e9, 'G');
  if (a >= 1e6) return sign + fmt(a / 1e6, 'M');
  if (a >= 1e3) return sign + fmt(a / 1e3, 'k');
  return sign + fmt(a, '');
}

export function formatRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '-' : `${r.toFixed(r >= 10 ? 1 : 3)}x`;
}

const HEADERS = ['scenario', 'value', 'unit', 'better', 'reference', 'vs', 'ratio'];
// Numbers right-aligned, names left-aligned.
const RIGHT = [false, true, false, false, true, false, true];

export function formatTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => [
    r.name,
    formatNumber(r.value),
    r.unit,
    r.direction,
    formatNumber(r.reference),
    r.referenceName ?? '-',
    formatRatio(r.ratio),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((s, i) => (RIGHT[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(HEADERS), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

export function toJson(rows: readonly Row[]): JsonReport {
  const out: JsonReport = {};
  for (const r of rows) out[r.name] = { value: r.value, unit: r.unit, reference: r.reference, ratio: r.ratio };
  return out;
}
