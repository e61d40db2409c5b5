// An aligned text table: columns padded to their widest cell; numbers right-aligned.

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => columns.map((_, i) => String(r[i] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r.map((s, i) => (columns[i]!.align === 'right' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the values aligned. */
export function formatKeyValues(pairs: readonly (readonly [string, string | number])[]): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${v}`).join('\n') + '\n';
}
