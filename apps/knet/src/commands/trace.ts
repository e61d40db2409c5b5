// knet trace: one frame across a veth pair, printed as the chain of functions it went through.
import { CTX_NAMES } from '@knet/include';
import { intFlag, parseArgs } from '../args.js';
import { core } from '../core/api.js';
import { makeVethPair } from '../core/veth_pair.js';
import { createOutput } from '../ui/output.js';
import type { Command } from './types.js';

export interface TraceLine {
  fn: string;
  cpu: number;
  ctx: 'process' | 'softirq' | 'hardirq';
  host: string;
}

export async function traceOneFrame(len: number): Promise<TraceLine[]> {
  const api = core;
  const pair = makeVethPair(api, { qdisc: 'pfifo_fast' });
  const lines: TraceLine[] = [];
  const sinkFor = (host: string) => ({
    event(fn: string, cpu: number, ctx: number) {
      lines.push({ fn, cpu, ctx: CTX_NAMES[ctx] ?? 'process', host });
    },
  });
  // One sink per host so each line says which kernel it ran in.
  api.traceOn(pair.a, sinkFor(pair.a.name));
  api.traceOn(pair.b, sinkFor(pair.b.name));
  pair.send(len);
  pair.clock.runUntilIdle();
  api.traceOff(pair.a);
  api.traceOff(pair.b);
  return lines;
}

/** Indent by context: process at the margin, softirq one step in, hardirq two. */
export function formatTrace(lines: readonly TraceLine[]): string {
  const depth = { process: 0, softirq: 1, hardirq: 2 } as const;
  return lines.map((l) => `${'  '.repeat(depth[l.ctx])}${l.fn}  [${l.host} cpu${l.cpu} ${l.ctx}]`).join('\n') + '\n';
}

export const trace: Command = {
  name: 'trace',
  summary: "trace one frame across a veth pair, function by function (Linux's names)",
  usage: `usage: knet trace [--len BYTES] [--json]
  --len BYTES  frame length (default 98)
  --json       print a JSON array of { fn, cpu, ctx, host }`,
  async run(argv, io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['len'] });
    const out = createOutput(io, args.flags.json === true);
    const lines = await traceOneFrame(intFlag(args, 'len', 98));
    if (out.json) out.result(lines.map((l) => ({ fn: l.fn, cpu: l.cpu, ctx: l.ctx, host: l.host })));
    else out.say(formatTrace(lines));
    return lines.length > 0 ? 0 : 1;
  },
};
