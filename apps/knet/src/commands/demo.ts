// knet demo: two igb hosts through a switch on the virtual clock, run as a sequence of stages;
// each stage prints a section and fills one key of the --json object.
import { ETH_FRAME_LEN } from '@knet/include';
import { ArgError, intFlag, parseArgs } from '../args.js';
import { makeIgbLab, type IgbLab } from '../core/igb_lab.js';
import { capturePcap } from '../core/pcap_file.js';
import { UDP_FRAME_OVERHEAD } from '../core/udp_frames.js';
import type { Io } from '../io.js';
import { dropsStage } from '../stages/drops.js';
import { l2Stage, type L2Opts } from '../stages/l2.js';
import type { DemoStage } from '../stages/types.js';
import { createOutput } from '../ui/output.js';
import type { Command } from './types.js';

export interface DemoOptions extends L2Opts {
  seed: number;
  /** Write what host a's NIC sends and receives to this pcap file. */
  pcap: string | null;
}

/** In run order; drops last so it counts what every other stage did. */
const STAGES: readonly DemoStage<IgbLab, DemoOptions>[] = [l2Stage, dropsStage];

export interface DemoRun {
  json: Record<string, unknown>;
  sections: { title: string; human: string }[];
  ok: boolean;
}

export async function runDemo(o: DemoOptions, progressOut: Io['stderr']): Promise<DemoRun> {
  const lab = makeIgbLab({ seed: o.seed });
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

export const demo: Command = {
  name: 'demo',
  summary: 'two igb hosts through a switch: frames through the whole core, then what it counted',
  usage: `usage: knet demo [--frames N] [--len BYTES] [--seed S] [--pcap FILE] [--json]
  --frames N    frames a sends to b (b reflects each one back; default 1000)
  --len BYTES   frame length including the Ethernet header (${UDP_FRAME_OVERHEAD}..${ETH_FRAME_LEN}, default ${ETH_FRAME_LEN})
  --seed S      virtual clock seed (default 1)
  --pcap FILE   capture host a's NIC (ptype_all tap) to a pcap file
  --json        print one JSON object: { l2, drops, pcap? }`,
  async run(argv, io: Io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['frames', 'len', 'seed', 'pcap'] });
    const len = intFlag(args, 'len', ETH_FRAME_LEN);
    if (len < UDP_FRAME_OVERHEAD || len > ETH_FRAME_LEN) throw new ArgError(`--len must be ${UDP_FRAME_OVERHEAD}..${ETH_FRAME_LEN}`);
    const pcap = args.flags.pcap;
    const o: DemoOptions = {
      frames: intFlag(args, 'frames', 1000),
      len,
      seed: intFlag(args, 'seed', 1),
      pcap: typeof pcap === 'string' ? pcap : null,
    };
    const out = createOutput(io, args.flags.json === true);
    const r = await runDemo(o, out.human);
    if (out.json) out.result(r.json);
    else for (const s of r.sections) out.say(`== ${s.title}\n${s.human}`);
    return r.ok ? 0 : 1;
  },
};
