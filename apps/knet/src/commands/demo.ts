// knet demo: hosts a and b on two subnets joined by router r, every NIC an igb on an emulated
// 82576, on the virtual clock. It runs as a sequence of stages; each prints a section and fills
// one key of the --json object.
import { ETH_FRAME_LEN } from '@knet/include';
import { ArgError, intFlag, parseArgs } from '../args.js';
import { L2_FRAME_MIN } from '../core/l2_frames.js';
import { makeDemoLab, type DemoLab } from '../core/lab.js';
import { capturePcap } from '../core/pcap_file.js';
import type { Io } from '../io.js';
import { countersStage } from '../stages/counters.js';
import { dropsStage } from '../stages/drops.js';
import { l2Stage, type L2Opts } from '../stages/l2.js';
import { nicsStage } from '../stages/nics.js';
import { pingStage, type PingOpts } from '../stages/ping.js';
import type { DemoStage } from '../stages/types.js';
import { udpStage, type UdpOpts } from '../stages/udp.js';
import { createOutput } from '../ui/output.js';
import type { Command } from './types.js';

export interface DemoOptions extends L2Opts, PingOpts, UdpOpts {
  seed: number;
  /** Per-frame loss on the r–b link. */
  loss: number;
  /** Write what host a's NIC sends and receives to this pcap file. */
  pcap: string | null;
}

/** In run order; the reports come last so they count what every other stage did. */
const STAGES: readonly DemoStage<DemoLab, DemoOptions>[] = [l2Stage, pingStage, udpStage, nicsStage, countersStage, dropsStage];

export interface DemoRun {
  json: Record<string, unknown>;
  sections: { title: string; human: string }[];
  ok: boolean;
}

export async function runDemo(o: DemoOptions, progressOut: Io['stderr']): Promise<DemoRun> {
  const lab = makeDemoLab({ seed: o.seed, loss: o.loss });
  const cap = o.pcap === null ? null : capturePcap(lab.a.net, lab.a.dev, o.pcap);
  const json: Record<string, unknown> = {};
  const sections: DemoRun['sections'] = [];
  let ok = true;
  try {
    for (const s of STAGES) {
      const r = await s.run(lab, o, { progressOut });
      json[s.key] = r.json;
      sections.push({ title: s.title, human: r.human });
      ok &&= r.ok;
    }
  } finally {
    cap?.close();
  }
  if (cap !== null) {
    json.pcap = { file: cap.file, frames: cap.frames() };
    sections.push({ title: 'capture', human: `pcap: ${cap.frames()} frames on ${lab.a.dev.name} (host a) written to ${cap.file}\n` });
  }
  return { json, sections, ok };
}

const TOPOLOGY = `a 198.18.0.2 ── switch ── 198.18.0.1 r 198.18.1.1 ── cable ── 198.18.1.2 b
(every NIC an igb on an emulated 82576 at 1 Gbit/s; r forwards, net.ipv4.ip_forward=1)`;

function probability(v: string | boolean | undefined, name: string): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (typeof v !== 'string' || !(n >= 0 && n < 1)) throw new ArgError(`--${name} must be a probability in [0, 1)`);
  return n;
}

export const demo: Command = {
  name: 'demo',
  summary: 'three igb hosts and a router on the virtual clock: frames, ping, UDP, counters, drops',
  usage: `usage: knet demo [--frames N] [--len BYTES] [--pings N] [--datagrams N] [--loss P] [--seed S] [--pcap FILE] [--json]
  --frames N     raw frames a sends to r, which reflects each one (default 1000)
  --len BYTES    their length including the Ethernet header (${L2_FRAME_MIN}..${ETH_FRAME_LEN}, default ${ETH_FRAME_LEN})
  --pings N      ICMP echoes from a to b through r (default 5)
  --datagrams N  UDP datagrams a sends to b's echo port (default 100)
  --loss P       frame loss probability on the r–b link (default 0)
  --seed S       virtual clock seed (default 1)
  --pcap FILE    capture host a's NIC (a ptype_all tap) to a pcap file
  --json         print one JSON object: { l2, ping, udp, nics, counters, drops, pcap? }`,
  async run(argv, io: Io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['frames', 'len', 'pings', 'datagrams', 'loss', 'seed', 'pcap'] });
    const len = intFlag(args, 'len', ETH_FRAME_LEN);
    if (len < L2_FRAME_MIN || len > ETH_FRAME_LEN) throw new ArgError(`--len must be ${L2_FRAME_MIN}..${ETH_FRAME_LEN}`);
    const pcap = args.flags.pcap;
    const loss = probability(args.flags.loss, 'loss');
    const o: DemoOptions = {
      frames: intFlag(args, 'frames', 1000),
      len,
      pings: intFlag(args, 'pings', 5),
      datagrams: intFlag(args, 'datagrams', 100),
      loss,
      lossy: loss > 0,
      seed: intFlag(args, 'seed', 1),
      pcap: typeof pcap === 'string' ? pcap : null,
    };
    const out = createOutput(io, args.flags.json === true);
    if (!out.json) out.say(`${TOPOLOGY}\n`);
    const r = await runDemo(o, out.human);
    if (out.json) out.result(r.json);
    else for (const s of r.sections) out.say(`== ${s.title}\n${s.human}`);
    return r.ok ? 0 : 1;
  },
};
