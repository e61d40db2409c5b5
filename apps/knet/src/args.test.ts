import { describe, expect, it } from 'vitest';
import { ArgError, intFlag, parseArgs } from './args.js';

const spec = { boolean: ['json', 'verbose'], string: ['frames', 'out'] };

describe('parseArgs', () => {
  it('reads --flag value, --flag=value, booleans and positionals in any order', () => {
    expect(parseArgs(['a', '--frames', '10', '--json', 'b', '--out=x.pcap'], spec)).toEqual({
      flags: { frames: '10', json: true, out: 'x.pcap' },
      positional: ['a', 'b'],
    });
  });
  it('does not let a boolean eat the next word', () => {
    expect(parseArgs(['--json', 'host1'], spec)).toEqual({ flags: { json: true }, positional: ['host1'] });
  });
  it('accepts --bool=false and keeps values that start with a dash', () => {
    expect(parseArgs(['--verbose=false', '--out', '-'], spec).flags).toEqual({ verbose: false, out: '-' });
  });
  it('treats everything after -- as positional', () => {
    expect(parseArgs(['--json', '--', '--frames', '3'], spec)).toEqual({ flags: { json: true }, positional: ['--frames', '3'] });
  });
  it('rejects unknown flags, a missing value and a valued boolean', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(ArgError);
    expect(() => parseArgs(['--frames'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['--json=yes'], spec)).toThrow(/takes no value/);
  });
});

describe('intFlag', () => {
  it('gives the default, the number, or an ArgError', () => {
    expect(intFlag(parseArgs([], spec), 'frames', 7)).toBe(7);
    expect(intFlag(parseArgs(['--frames=12'], spec), 'frames', 7)).toBe(12);
    expect(() => intFlag(parseArgs(['--frames', 'x'], spec), 'frames', 7)).toThrow(ArgError);
    expect(() => intFlag(parseArgs(['--frames', '0'], spec), 'frames', 7)).toThrow(ArgError);
  });
});
