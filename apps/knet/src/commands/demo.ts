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
import { httpStage } from '../stages/http.js';
import { nicsStage } from '../stages/nics.js';
import { pingStage, type PingOpts } from '../stages/ping.js';
import { tcpStage, type TcpOpts } from '../stages/tcp.js';
import type { DemoStage } from '../stages/types.js';
import { udpStage, type UdpOpts } from '../stages/udp.js';
import { createOutput } from '../ui/output.js';
import type { Command } from './types.js';

export interface DemoOptions extends L2Opts, PingOpts, UdpOpts, TcpOpts {
  seed: number;
  /** Per-frame loss on the r–b link. */
  loss: number;
  /** Write what host a's NIC sends and receives to this pcap file. */
  pcap: string | null;
  /** Keys of the traffic stages to run; every one when null. */
  stages: readonly string[] | null;
}

/** The stages that send traffic, in run order. */
const TRAFFIC: readonly DemoStage<DemoLab, DemoOptions>[] = [l2Stage, pingStage, udpStage, tcpStage, httpStage];
/** The reports always run, and last, so they count what every other stage did. */
const REPORTS: readonly DemoStage<DemoLab, DemoOptions>[] = [nicsStage, countersStage, dropsStage];

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
    const chosen = TRAFFIC.filter((s) => o.stages === null || o.stages.includes(s.key));
    for (const s of [...chosen, ...REPORTS]) {
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

const MIB = 1 << 20;
/** 64 MiB: about a second of wall time on two cores when the stack runs at line rate. */
const DEFAULT_TCP_BYTES = 64 * MIB;
/** The congestion modules every host registers (Reno built in, CUBIC as Linux's default). */
const CC_NAMES: readonly string[] = ['reno', 'cubic'];

function stageList(v: string | boolean | undefined): string[] | null {
  if (typeof v !== 'string') return null;
  const keys = v.split(',').map((k) => k.trim()).filter(Boolean);
  const known = TRAFFIC.map((t) => t.key);
  const bad = keys.filter((k) => !known.includes(k));
  if (keys.length === 0 || bad.length > 0) throw new ArgError(`--stages takes a comma-separated list of ${known.join(', ')}`);
  return keys;
}

function probability(v: string | boolean | undefined, name: string): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (typeof v !== 'string' || !(n >= 0 && n < 1)) throw new ArgError(`--${name} must be a probability in [0, 1)`);
  return n;
}

export const demo: Command = {
  name: 'demo',
  summary: 'three igb hosts and a router on the virtual clock: frames, ping, UDP, TCP, HTTP, counters, drops',
  usage: `usage: knet demo [--frames N] [--len BYTES] [--pings N] [--datagrams N] [--bytes N] [--cc reno|cubic]
                 [--loss P] [--seed S] [--stages LIST] [--pcap FILE] [--json]
  --frames N     raw frames a sends to r, which reflects each one (default 1000)
  --len BYTES    their length including the Ethernet header (${L2_FRAME_MIN}..${ETH_FRAME_LEN}, default ${ETH_FRAME_LEN})
  --pings N      ICMP echoes from a to b through r (default 5)
  --datagrams N  UDP datagrams a sends to b's echo port (default 100)
  --bytes N      bytes a sends to b over TCP, SHA-256 checked on both ends (default ${DEFAULT_TCP_BYTES / MIB} MiB)
  --cc NAME      congestion control of the TCP sender: ${CC_NAMES.join(' or ')} (default cubic)
  --loss P       frame loss probability on the r–b link, which the TCP transfer crosses (default 0)
  --seed S       virtual clock seed (default 1)
  --stages LIST  the traffic stages to run, comma-separated (default ${TRAFFIC.map((t) => t.key).join(',')});
                 the NIC, counter and drop reports always follow
  --pcap FILE    capture host a's NIC (a ptype_all tap) to a pcap file
  --json         print one JSON object: { l2, ping, udp, tcp, http, nics, counters, drops, pcap? }`,
  async run(argv, io: Io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['frames', 'len', 'pings', 'datagrams', 'bytes', 'cc', 'loss', 'seed', 'stages', 'pcap'] });
    const cc = args.flags.cc;
    if (cc !== undefined && !CC_NAMES.includes(cc as string)) throw new ArgError(`--cc must be one of ${CC_NAMES.join(', ')}`);
    const len = intFlag(args, 'len', ETH_FRAME_LEN);
    if (len < L2_FRAME_MIN || len > ETH_FRAME_LEN) throw new ArgError(`--len must be ${L2_FRAME_MIN}..${ETH_FRAME_LEN}`);
    const pcap = args.flags.pcap;
    const loss = probability(args.flags.loss, 'loss');
    const o: DemoOptions = {
      frames: intFlag(args, 'frames', 1000),
      len,
      pings: intFlag(args, 'pings', 5),
      datagrams: intFlag(args, 'datagrams', 100),
      bytes: intFlag(args, 'bytes', DEFAULT_TCP_BYTES),
      cc: typeof cc === 'string' ? cc : null,
      loss,
      lossy: loss > 0,
      seed: intFlag(args, 'seed', 1),
      pcap: typeof pcap === 'string' ? pcap : null,
      stages: stageList(args.flags.stages),
    };
    const out = createOutput(io, args.flags.json === true);
    if (!out.json) out.say(`${TOPOLOGY}\n`);
    const r = await runDemo(o, out.human);
    if (out.json) out.result(r.json);
    else for (const s of r.sections) out.say(`== ${s.title}\n${s.human}`);
    return r.ok ? 0 : 1;
  },
};
