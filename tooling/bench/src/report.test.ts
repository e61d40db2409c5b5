import { describe, expect, it } from 'vitest';
import { formatNumber, formatRatio, formatTable, toJson } from './report.js';
import type { Row } from './types.js';

const rows: Row[] = [
  { name: 'memcpy_frames', value: 16_900_000, unit: 'frames/s', direction: 'higher', reference: null, referenceName: null, ratio: null },
  { name: 'veth_frames', value: 1_234_567, unit: 'frames/s', direction: 'higher', reference: 16_900_000, referenceName: 'memcpy_frames', ratio: 0.0731 },
  { name: 'rx_mem', value: 512, unit: 'bytes', direction: 'lower', reference: 2048, referenceName: 'x', ratio: 4 },
];

describe('formatNumber', () => {
  it('keeps three significant digits with an SI suffix', () => {
    expect(formatNumber(1_234_567)).toBe('1.23M');
    expect(formatNumber(16_900_000)).toBe('16.9M');
    expect(formatNumber(2484)).toBe('2.48k');
    expect(formatNumber(512)).toBe('512');
    expect(formatNumber(6.8336)).toBe('6.83');
    expect(formatNumber(3.2e9)).toBe('3.20G');
    expect(formatNumber(-1500)).toBe('-1.50k');
    expect(formatNumber(null)).toBe('-');
  });
  it('formats ratios', () => {
    expect(formatRatio(0.0731)).toBe('0.073x');
    expect(formatRatio(12.34)).toBe('12.3x');
    expect(formatRatio(null)).toBe('-');
  });
});

describe('formatTable', () => {
  const table = formatTable(rows);
  const lines = table.trimEnd().split('\n');

  it('has a header, a rule and one line per row', () => {
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[0]).toMatch(/^scenario\s+value\s+unit\s+better\s+reference\s+vs\s+ratio$/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
  });

  it('aligns columns: names start together, numbers end together', () => {
    // The last column is right-aligned, so every line ends at the same place.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    const valueCol = lines[0]!.indexOf('value') + 'value'.length;
    for (const l of lines.slice(2)) expect(l[valueCol - 1]).not.toBe(' ');
  });

  it('shows the reference name, the direction and the ratio', () => {
    expect(lines[3]).toContain('memcpy_frames');
    expect(lines[3]).toContain('0.073x');
    expect(lines[4]).toContain('lower');
    expect(lines[4]).toContain('4.000x');
  });
});

describe('toJson', () => {
  it('maps each scenario name to exactly value, unit, reference and ratio', () => {
    const j = toJson(rows);
    expect(Object.keys(j)).toEqual(['memcpy_frames', 'veth_frames', 'rx_mem']);
    expect(j.veth_frames).toEqual({ value: 1_234_567, unit: 'frames/s', reference: 16_900_000, ratio: 0.0731 });
    expect(j.memcpy_frames).toEqual({ value: 16_900_000, unit: 'frames/s', reference: null, ratio: null });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});
