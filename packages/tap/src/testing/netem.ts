// netem on a namespace's device: the kernel's sch_netem when it has one, else the same
// impairment from nfq_netem.py, a user-space delay line fed by an iptables NFQUEUE rule on the
// device's egress (for kernels built without CONFIG_NET_SCH_NETEM). Either way the packets the
// kernel sends out of `dev` are delayed, lost, reordered and duplicated as netem would; the
// delay line sees IPv4 only, so ARP passes it untouched.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Netns } from './netns.js';
import { type Daemon, startDaemon } from './procs.js';

// The same file from src/testing and from dist/testing: the package ships src.
const LINE = fileURLToPath(new URL('../../src/testing/nfq_netem.py', import.meta.url));
// Marks the line and its rules use: an original to be copied, and the TEE copy of it.
const DUP_MARK = 0x100000;
const CLONE_MARK = 0x200000;
const OURS = `0x${(DUP_MARK | CLONE_MARK).toString(16)}`;
const EXIT_UNSUPPORTED = 4;

let queueSeq = 0;

/** What an impairment did, read when it is removed. */
export interface NetemStats {
  via: 'netem' | 'nfqueue';
  /** Packets lost (loss, and drops past the queue limit). */
  dropped: number;
  /** Packets sent after the delay. */
  delayed: number;
  /** Packets sent at once, ahead of the delayed ones (netem's `requeues`). */
  reordered: number;
  /** Copies put on the wire; null for sch_netem, which does not count them. */
  duplicated: number | null;
  /** Everything the source reported: the delay line's JSON, or tc's qdisc statistics. */
  raw: Record<string, unknown>;
}

export interface Netem {
  readonly via: 'netem' | 'nfqueue';
  /** Take the impairment off `dev` (qdisc, or rules then the line's process) and read its counters. */
  remove(): Promise<NetemStats>;
}

export interface NetemOpts {
  /** knet's address on `dev`: where the delay line's TEE rule sends duplicates. */
  peer?: string;
  /** The delay line's PRNG seed (sch_netem draws from the kernel's). */
  seed?: number;
  /** The delay line stops by itself after this long. */
  maxSeconds?: number;
}

function inNs(ns: Netns, cmd: string, args: string[]) {
  return spawnSync('ip', ['netns', 'exec', ns.name, cmd, ...args], { encoding: 'utf8', timeout: 10_000 });
}

/**
 * Impair what the kernel sends out of `dev` with netem `args` (tc's syntax). Resolves with a
 * handle, or with why neither sch_netem nor the NFQUEUE delay line can run here.
 */
export async function addNetem(ns: Netns, dev: string, args: string[], opts: NetemOpts = {}): Promise<Netem | string> {
  const r = inNs(ns, 'tc', ['qdisc', 'add', 'dev', dev, 'root', 'netem', ...args]);
  if (r.status === 0) return qdiscNetem(ns, dev);
  if (!/unknown|not supported|No such file/i.test(r.stderr)) throw new Error(`tc qdisc add dev ${dev} root netem failed: ${r.stderr.trim()}`);
  const noQdisc = `this kernel has no netem qdisc (${r.stderr.trim()})`;
  for (const [tool, arg] of [['iptables', '-V'], ['python3', '--version']]) {
    if (inNs(ns, tool!, [arg!]).status !== 0) return `${noQdisc}, and \`${tool}\` for the NFQUEUE delay line is not installed`;
  }
  return nfqueueNetem(ns, dev, args, opts, noQdisc);
}

function qdiscNetem(ns: Netns, dev: string): Netem {
  let stats: Promise<NetemStats> | null = null;
  return {
    via: 'netem',
    remove() {
      stats ??= (async () => {
        const s = inNs(ns, 'tc', ['-s', '-j', 'qdisc', 'show', 'dev', dev]);
        const del = inNs(ns, 'tc', ['qdisc', 'del', 'dev', dev, 'root']);
        if (s.status !== 0 || del.status !== 0) throw new Error(`tc on ${dev}: ${s.stderr.trim()} ${del.stderr.trim()}`);
        const q = (JSON.parse(s.stdout) as Record<string, unknown>[]).find((x) => x.kind === 'netem') ?? {};
        const n = (k: string) => (typeof q[k] === 'number' ? q[k] : 0);
        return { via: 'netem', dropped: n('drops'), delayed: n('packets') - n('requeues'), reordered: n('requeues'), duplicated: null, raw: q };
      })();
      return stats;
    },
  };
}

async function nfqueueNetem(ns: Netns, dev: string, args: string[], opts: NetemOpts, noQdisc: string): Promise<Netem | string> {
  const queue = String(queueSeq++ % 65536);
  const dupPct = args[args.indexOf('duplicate') + 1];
  const dups = args.includes('duplicate') && dupPct !== undefined && Number.parseFloat(dupPct) > 0;
  if (dups && opts.peer === undefined) throw new Error('addNetem: duplicate through the NFQUEUE delay line needs opts.peer (the TEE gateway)');
  let line: Daemon;
  try {
    line = await startDaemon(ns, 'python3', [
      LINE, '--queue', queue, '--seed', String(opts.seed ?? 1), '--max-seconds', String(opts.maxSeconds ?? 600),
      '--marks', `0x${DUP_MARK.toString(16)},0x${CLONE_MARK.toString(16)}`, ...args,
    ], { ready: /bound/, what: 'the NFQUEUE delay line to bind', timeoutMs: 10_000 });
  } catch (e) {
    const m = /unsupported: (.*)/.exec((e as Error).message);
    if (m !== null && (e as Error).message.includes(`exited ${EXIT_UNSUPPORTED}`)) return `${noQdisc}, and no NFQUEUE: ${m[1]}`;
    throw e;
  }
  // Order matters: the copy's mark is set on its way out (raw OUTPUT) before the chain that
  // queues it; the NFQUEUE rule goes in last, once everything behind it is ready. No
  // --queue-bypass: without the line, packets are dropped and the test sees it.
  const rules: string[][] = [];
  if (dups) {
    rules.push(['-t', 'raw', 'OUTPUT', '-o', dev, '-m', 'mark', '--mark', `0x${DUP_MARK.toString(16)}/${OURS}`, '-j', 'MARK', '--or-mark', `0x${CLONE_MARK.toString(16)}`]);
    rules.push(['-t', 'mangle', 'POSTROUTING', '-o', dev, '-m', 'mark', '--mark', `0x${DUP_MARK.toString(16)}/${OURS}`, '-j', 'TEE', '--gateway', opts.peer!]);
  }
  rules.push(['-t', 'mangle', 'POSTROUTING', '-o', dev, '-j', 'NFQUEUE', '--queue-num', queue]);
  const added: string[][] = [];
  const unrule = () => {
    const errs: string[] = [];
    for (const [t, table, chain, ...spec] of added.reverse()) {
      const d = inNs(ns, 'iptables', [t!, table!, '-D', chain!, ...spec]);
      if (d.status !== 0) errs.push(d.stderr.trim());
    }
    added.length = 0;
    return errs;
  };
  for (const [t, table, chain, ...spec] of rules) {
    const a = inNs(ns, 'iptables', [t!, table!, '-A', chain!, ...spec]);
    if (a.status !== 0) {
      unrule();
      await line.stop();
      const err = a.stderr.trim();
      if (/No chain\/target\/match|Extension .* not|not supported|Couldn't load/i.test(err)) return `${noQdisc}, and iptables cannot: ${err}`;
      throw new Error(`iptables ${[t, table, '-A', chain, ...spec].join(' ')} failed: ${err}`);
    }
    added.push([t!, table!, chain!, ...spec]);
  }
  let stats: Promise<NetemStats> | null = null;
  return {
    via: 'nfqueue',
    remove() {
      stats ??= (async () => {
        const errs = unrule();
        const code = await line.stop();
        const last = line.out().trim().split('\n').at(-1) ?? '';
        if (code !== 0 || errs.length > 0 || !last.startsWith('{')) {
          throw new Error(`the NFQUEUE delay line on ${dev}: exit ${code}; ${errs.join('; ')} ${line.err().slice(-2000)}`);
        }
        const raw = JSON.parse(last) as Record<string, number>;
        return { via: 'nfqueue', dropped: raw.dropped! + (raw.overlimit ?? 0), delayed: raw.delayed!, reordered: raw.reordered!, duplicated: raw.duplicated!, raw };
      })();
      return stats;
    },
  };
}
