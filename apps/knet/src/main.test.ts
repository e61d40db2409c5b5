import { describe, expect, it } from 'vitest';
import type { Command } from './commands/types.js';
import { bufferIo } from './io.js';
import { runCli } from './main.js';
import { ArgError } from './args.js';

const calls: string[][] = [];
const fake: Command[] = [
  { name: 'echo', summary: 'says its args', usage: 'usage: knet echo ARGS', run: async (argv, io) => (calls.push([...argv]), io.stdout.write(argv.join(' ')), 0) },
  { name: 'bad', summary: 'bad usage', usage: 'usage: knet bad', run: async () => { throw new ArgError('nope'); } },
  { name: 'crash', summary: 'throws', usage: 'usage: knet crash', run: async () => { throw new Error('kaput'); } },
];

describe('runCli dispatch', () => {
  it('runs the named command with the remaining arguments', async () => {
    const io = bufferIo();
    expect(await runCli(['echo', 'a', '--x'], io, fake)).toBe(0);
    expect(io.out()).toBe('a --x');
    expect(calls.at(-1)).toEqual(['a', '--x']);
  });
  it('unknown command: message on stderr, help, exit 2', async () => {
    const io = bufferIo();
    expect(await runCli(['frobnicate'], io, fake)).toBe(2);
    expect(io.err()).toContain("unknown command 'frobnicate'");
    expect(io.err()).toContain('echo');
    expect(io.out()).toBe('');
  });
  it('--help lists the commands; no command at all is a usage error', async () => {
    const io = bufferIo();
    expect(await runCli(['--help'], io, fake)).toBe(0);
    expect(io.out()).toMatch(/echo\s+says its args/);
    expect(await runCli([], bufferIo(), fake)).toBe(2);
  });
  it('<command> --help prints its usage without running it', async () => {
    const io = bufferIo();
    const before = calls.length;
    expect(await runCli(['echo', '--help'], io, fake)).toBe(0);
    expect(io.out()).toBe('usage: knet echo ARGS\n');
    expect(calls.length).toBe(before);
  });
  it('an ArgError exits 2 with the usage; any other error exits 1', async () => {
    const io = bufferIo();
    expect(await runCli(['bad'], io, fake)).toBe(2);
    expect(io.err()).toContain('usage: knet bad');
    const io2 = bufferIo();
    expect(await runCli(['crash'], io2, fake)).toBe(1);
    expect(io2.err()).toContain('kaput');
  });
});

describe('the real registry', () => {
  it('knet help and knet --help list help, demo and trace', async () => {
    for (const argv of [['help'], ['--help']]) {
      const io = bufferIo();
      expect(await runCli(argv, io)).toBe(0);
      for (const name of ['help', 'demo', 'trace']) expect(io.out()).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
  });
  it('knet help demo shows the demo options; knet help nope exits 2', async () => {
    const io = bufferIo();
    expect(await runCli(['help', 'demo'], io)).toBe(0);
    expect(io.out()).toContain('--frames');
    expect(await runCli(['help', 'nope'], bufferIo())).toBe(2);
  });
  it('demo rejects a bad --frames with exit 2', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--frames', 'many'], io)).toBe(2);
    expect(io.err()).toContain('--frames must be a positive integer');
  });
});
