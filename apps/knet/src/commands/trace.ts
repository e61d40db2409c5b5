// knet trace: one packet from host a to host b over the igb pair, printed as the chain of
// functions it went through (Linux's names), with the CPU and context of each step.
import { CTX_NAMES, NET_XMIT_SUCCESS } from '@knet/include';
import { devQueueXmit, traceOff, traceOn } from '@knet/netdevice';
import { ArgError, intFlag, parseArgs } from '../args.js';
import { makeIgbLab, runUntil } from '../core/igb_lab.js';
import { addCounter, UDP_FRAME_OVERHEAD, udpFrameSkb } from '../core/udp_frames.js';
import { createOutput } from '../ui/output.js';
import type { Command } from './types.js';

export type TraceCtx = 'process' | 'softirq' | 'hardirq';

export interface TraceLine {
  fn: string;
  cpu: number;
  ctx: TraceCtx;
  host: string;
  /** The tracepoint's detail (queue, vector, length), when it gives one. */
  info?: string;
}

/** Virtual time the frame may take; it needs microseconds at 1 Gbit/s. */
const DELIVERY_MAX_MS = 50;

/**
 * A UDP frame from a to b: a's transmit in process context, the wire, b's hard IRQ, NAPI poll
 * and RPS backlog, and a's TX-completion interrupt. RPS is on, as in the seeds.
 */
export async function traceOneFrame(len: number): Promise<TraceLine[]> {
  const lab = makeIgbLab({ rps: true });
  const atB = addCounter(lab.b);
  const lines: TraceLine[] = [];
  // One sink per host so each line says which kernel it ran in; one array keeps call order.
  for (const h of lab.hosts) {
    traceOn(h.net, {
      event(fn, cpu, ctx, info) {
        const l: TraceLine = { fn, cpu, ctx: CTX_NAMES[ctx] ?? 'process', host: h.name };
        if (info !== undefined) l.info = info;
        lines.push(l);
      },
    });
  }
  try {
    const rc = devQueueXmit(udpFrameSkb(lab.a, lab.b, len, 40000, 1));
    if (rc !== NET_XMIT_SUCCESS) throw new Error(`devQueueXmit returned ${rc}`);
    if (!runUntil(lab.clock, () => atB.frames === 1, DELIVERY_MAX_MS, 0.01)) throw new Error('the frame never arrived');
    // The rest of the softirq round that delivered it has run; so has a's TX completion.
  } finally {
    for (const h of lab.hosts) traceOff(h.net);
  }
  return lines;
}

const DEPTH: Record<TraceCtx, number> = { process: 0, softirq: 1, hardirq: 2 };

/** One line per call; a heading when the host or context changes; deeper contexts indent more. */
export function formatTrace(lines: readonly TraceLine[]): string {
  const out: string[] = [];
  let where = '';
  for (const l of lines) {
    const w = `${l.host}/${l.ctx}`;
    if (w !== where) {
      out.push(`${out.length > 0 ? '\n' : ''}host ${l.host}, ${l.ctx} context:`);
      where = w;
    }
    const detail = l.info !== undefined ? `  (${l.info})` : '';
    out.push(`${'  '.repeat(1 + DEPTH[l.ctx])}${l.fn}  [cpu${l.cpu}]${detail}`);
  }
  return `${out.join('\n')}\n`;
}

export const trace: Command = {
  name: 'trace',
  summary: "trace one packet over the igb pair, function by function (Linux's names)",
  usage: `usage: knet trace [--len BYTES] [--json]
  --len BYTES  frame length (default 98)
  --json       print a JSON array of { fn, cpu, ctx, host } in call order`,
  async run(argv, io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['len'] });
    const len = intFlag(args, 'len', 98);
    if (len < UDP_FRAME_OVERHEAD || len > 1514) throw new ArgError(`--len must be ${UDP_FRAME_OVERHEAD}..1514`);
    const out = createOutput(io, args.flags.json === true);
    const lines = await traceOneFrame(len);
    if (out.json) out.result(lines.map((l) => ({ fn: l.fn, cpu: l.cpu, ctx: l.ctx, host: l.host })));
    else out.say(formatTrace(lines));
    return lines.length > 0 ? 0 : 1;
  },
};
