import { describe, expect, it } from 'vitest';
import { bufferIo } from '../io.js';
import { createOutput } from './output.js';
import { createProgress, renderBar } from './progress.js';
import { formatKeyValues, formatTable } from './table.js';
import { formatBytes, formatCount, formatRate } from './units.js';

describe('formatTable', () => {
  it('pads columns to the widest cell, right-aligning numbers', () => {
    const t = formatTable([{ header: 'name' }, { header: 'n', align: 'right' }], [['veth0', 5], ['lo', 1234]]);
    expect(t).toBe('name      n\nveth0     5\nlo     1234\n');
  });
  it('aligns key/value lines', () => {
    expect(formatKeyValues([['a', 1], ['long key', 'x']])).toBe('a:        1\nlong key: x\n');
  });
});

describe('units', () => {
  it('formats bytes in binary multiples', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(256 * 1024 * 1024)).toBe('256 MiB');
  });
  it('formats rates as bits per second in decimal multiples', () => {
    expect(formatRate(1_250_000_000)).toBe('10.0 Gbit/s');
    expect(formatRate(125)).toBe('1.00 kbit/s');
    expect(formatRate(12)).toBe('96.0 bit/s');
  });
  it('groups counts', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
  });
});

describe('progress', () => {
  it('renders a bar with a percentage', () => {
    expect(renderBar(5, 10, 10, 'x')).toBe('x [#####.....]  50%');
    expect(renderBar(20, 10, 4)).toBe('[####] 100%');
  });
  it('prints nothing when the stream is not a terminal', () => {
    const io = bufferIo({ tty: false });
    const p = createProgress(io.stdout, 100);
    for (let i = 0; i <= 100; i += 10) p.update(i);
    p.done();
    expect(io.out()).toBe('');
  });
  it('draws with carriage returns on a terminal, only when the bar moves, and ends the line', () => {
    const io = bufferIo({ tty: true });
    const p = createProgress(io.stdout, 1000);
    for (let i = 0; i <= 1000; i++) p.update(i);
    p.done();
    const draws = io.out().split('\r').filter(Boolean);
    expect(draws.length).toBeGreaterThan(2);
    expect(draws.length).toBeLessThan(100);
    expect(io.out().endsWith('100%\n')).toBe(true);
  });
});

describe('--json output convention', () => {
  it('sends human text to stderr and exactly one object to stdout', () => {
    const io = bufferIo();
    const out = createOutput(io, true);
    out.say('working');
    out.result({ a: 1 });
    expect(io.out()).toBe('{"a":1}\n');
    expect(io.err()).toBe('working\n');
    expect(() => out.result({ b: 2 })).toThrow(/exactly one/);
  });
  it('sends human text to stdout otherwise', () => {
    const io = bufferIo();
    const out = createOutput(io, false);
    out.say('hello');
    expect(io.out()).toBe('hello\n');
    expect(() => out.result({})).toThrow();
  });
});
