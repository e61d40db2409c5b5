// The four TAP workloads, each run by the same Python client against a server at `addr`, and
// how a client's JSON line becomes a figure.
import { type Netns, runIn } from '@knet/tap/testing';
import { WIRE_PY } from './wire_py.js';

export type Workload = 'upload' | 'download' | 'rr' | 'crr';

export const WORKLOADS: readonly Workload[] = ['upload', 'download', 'rr', 'crr'];

export const UNIT: Record<Workload, string> = { upload: 'Gbit/s', download: 'Gbit/s', rr: 'trans/s', crr: 'conn/s' };

/** Seconds each client measures for. */
export const RUN_S = 3;
/**
 * Seconds of the same workload run first and not measured, on both sides alike: the figures
 * are for a warmed-up server (JIT-compiled code, grown buffers), not its first second.
 */
export const WARM_S = 1;
/** Connections the crr warm-up makes at most, so its TIME_WAITs and the runs' fit the port range. */
export const CRR_WARM_MAX = 2000;
/**
 * Measured runs per figure, on both sides alike; the best one counts. The machine is shared:
 * a run that other work preempted says little about either stack, and it never runs faster
 * than the stacks allow.
 */
export const RUNS = 3;
/**
 * connect() in crr leaves each client port in TIME_WAIT; with the range widened to 64,511
 * ports (the client namespace's own sysctl) the runs' caps, with the warm-up's, keep clear of
 * reuse.
 */
export const CRR_MAX = 20_000;

/** What a client prints: bytes moved, or transactions done, over `seconds`. */
export interface ClientResult {
  bytes?: number;
  count?: number;
  seconds: number;
}

/** Gbit/s for the streams, per second for the transactions; throws on a result that makes no sense. */
export function figure(w: Workload, r: ClientResult): number {
  if (!(r.seconds > 0)) throw new Error(`${w}: client measured no time (${JSON.stringify(r)})`);
  const n = w === 'upload' || w === 'download' ? r.bytes : r.count;
  if (typeof n !== 'number' || !(n > 0)) throw new Error(`${w}: client moved nothing (${JSON.stringify(r)})`);
  return w === 'upload' || w === 'download' ? (n * 8) / r.seconds / 1e9 : n / r.seconds;
}

/** The last JSON line a client printed. */
export function parseClient(stdout: string): ClientResult {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ClientResult;
}

/** Widen the ephemeral range so a crr run never wraps into its own TIME_WAITs. */
export function prepareClientNs(ns: Netns): void {
  ns.run('sysctl', ['-qw', 'net.ipv4.ip_local_port_range=1024 65535']);
}

/** The client's command line: `w` against `addr` for `secs`, crr capped at `crrMax` connections. */
export function clientArgs(w: Workload, addr: string, secs: number, crrMax: number): string[] {
  const args = ['-c', WIRE_PY, w, addr, String(secs)];
  if (w === 'crr') args.push(String(crrMax));
  return args;
}

async function runFor(ns: Netns, w: Workload, addr: string, secs: number, crrMax: number): Promise<number> {
  const r = await runIn(ns, 'python3', clientArgs(w, addr, secs, crrMax), (secs + 30) * 1000);
  if (r.code !== 0) throw new Error(`python3 ${w} client exited ${r.code}: ${r.err.trim().slice(-1000)}`);
  return figure(w, parseClient(r.out));
}

/**
 * Run workload `w` from `ns` against `addr` for WARM_S unmeasured, then RUNS times RUN_S;
 * resolves with the best figure.
 */
export async function runClient(ns: Netns, w: Workload, addr: string): Promise<number> {
  await runFor(ns, w, addr, WARM_S, CRR_WARM_MAX);
  let best = 0;
  for (let i = 0; i < RUNS; i++) best = Math.max(best, await runFor(ns, w, addr, RUN_S, CRR_MAX));
  return best;
}
