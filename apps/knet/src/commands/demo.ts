// knet demo: frames across a veth pair through the whole core, then what the core counted.
import { ETH_FRAME_LEN, NET_XMIT_SUCCESS } from '@knet/include';
import { intFlag, parseArgs } from '../args.js';
import { core } from '../core/api.js';
import { makeVethPair } from '../core/veth_pair.js';
import type { Io } from '../io.js';
import { createOutput } from '../ui/output.js';
import { createProgress } from '../ui/progress.js';
import { formatKeyValues, formatTable } from '../ui/table.js';
import { formatBytes, formatCount } from '../ui/units.js';
import type { Command } from './types.js';

export interface DemoResult {
  veth: { sent: number; received: number; bytes: number };
  qdisc: { name: string; packets: number; bytes: number; drops: number; requeues: number; backlog: number };
  drops: Record<string, number>;
}

const BATCH = 64;

export async function runDemo(frames: number, len: number, qdisc: string, onProgress?: (done: number) => void): Promise<DemoResult> {
  const api = core;
  const pair = makeVethPair(api, { qdisc });
  let sent = 0;
  while (sent < frames) {
    const n = Math.min(BATCH, frames - sent);
    for (let i = 0; i < n; i++) if (pair.send(len) === NET_XMIT_SUCCESS) sent++;
    else return finish();
    // Let the softirqs (NET_TX, NET_RX backlog) drain between bursts.
    pair.clock.runUntilIdle();
    onProgress?.(sent);
  }
  return finish();

  function finish(): DemoResult {
    pair.clock.runUntilIdle();
    const q = pair.dev0.txQueues[0]!.qdiscSleeping;
    const drops = { ...api.dropCountsByName(pair.a) };
    for (const [k, v] of Object.entries(api.dropCountsByName(pair.b))) drops[k] = (drops[k] ?? 0) + v;
    return {
      veth: { sent, received: pair.received, bytes: pair.receivedBytes },
      qdisc: {
        name: q.ops.id,
        packets: q.stats.packets,
        bytes: q.stats.bytes,
        drops: q.stats.drops,
        requeues: q.stats.requeues,
        backlog: q.stats.backlog,
      },
      drops,
    };
  }
}

export const demo: Command = {
  name: 'demo',
  summary: 'send frames across a veth pair through the core and show what it counted',
  usage: `usage: knet demo [--frames N] [--len BYTES] [--qdisc NAME] [--json]
  --frames N   frames to send (default 1000)
  --len BYTES  frame length including the Ethernet header (default ${ETH_FRAME_LEN})
  --qdisc NAME root qdisc on veth0: pfifo_fast (default), pfifo, bfifo, noqueue
  --json       print one JSON object: { veth: { sent, received, bytes }, qdisc, drops }`,
  async run(argv, io: Io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['frames', 'len', 'qdisc'] });
    const frames = intFlag(args, 'frames', 1000);
    const len = intFlag(args, 'len', ETH_FRAME_LEN);
    const out = createOutput(io, args.flags.json === true);
    const bar = createProgress(out.human, frames, 'veth0 → veth1');
    const qdisc = typeof args.flags.qdisc === 'string' ? args.flags.qdisc : 'pfifo_fast';
    const r = await runDemo(frames, len, qdisc, (d) => bar.update(d));
    bar.done();
    if (out.json) {
      out.result({ veth: r.veth, qdisc: r.qdisc, drops: r.drops });
      return r.veth.sent === r.veth.received ? 0 : 1;
    }
    out.say('Two hosts on a virtual clock, joined by veth0 (host a) ↔ veth1 (host b).');
    out.say('Path: devQueueXmit → qdisc → vethXmit → netifRx → backlog NAPI → ptype_base → counter\n');
    out.say(
      formatKeyValues([
        ['frames sent', formatCount(r.veth.sent)],
        ['frames received', formatCount(r.veth.received)],
        ['bytes received', `${formatCount(r.veth.bytes)} (${formatBytes(r.veth.bytes)})`],
      ]),
    );
    out.say(`qdisc on veth0 (${r.qdisc.name}):`);
    out.say(
      formatTable(
        ['packets', 'bytes', 'drops', 'requeues', 'backlog'].map((h) => ({ header: h, align: 'right' as const })),
        [[r.qdisc.packets, r.qdisc.bytes, r.qdisc.drops, r.qdisc.requeues, r.qdisc.backlog]],
      ),
    );
    const dropRows = Object.entries(r.drops).filter(([, v]) => v > 0);
    if (dropRows.length === 0) out.say('drops: none');
    else out.say(formatTable([{ header: 'drop reason' }, { header: 'count', align: 'right' }], dropRows));
    return r.veth.sent === r.veth.received ? 0 : 1;
  },
};
