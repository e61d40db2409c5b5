// A one-line progress bar. It draws only on a terminal, so piped or --json output stays clean.
import type { OutStream } from '../io.js';

export interface Progress {
  update(done: number): void;
  done(): void;
}

export function renderBar(done: number, total: number, width: number, label = ''): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const fill = Math.round(frac * width);
  const pct = `${Math.floor(frac * 100)}`.padStart(3);
  return `${label ? `${label} ` : ''}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}%`;
}

export function createProgress(out: OutStream, total: number, label = ''): Progress {
  if (!out.isTTY) return { update() {}, done() {} };
  const width = Math.max(10, Math.min(40, (out.columns ?? 80) - label.length - 10));
  let lastFill = -1;
  return {
    update(done) {
      const fill = total > 0 ? Math.round(Math.min(1, done / total) * width) : width;
      if (fill === lastFill) return; // redraw only when the bar moves
      lastFill = fill;
      out.write(`\r${renderBar(done, total, width, label)}`);
    },
    done() {
      out.write(`\r${renderBar(total, total, width, label)}\n`);
    },
  };
}
