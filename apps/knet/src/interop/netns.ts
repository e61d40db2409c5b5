// Interop fixture: a network namespace of our own (name carries the PID), removed afterwards,
// bounded helpers to run kernel tools inside it, and the knet CLI started inside it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tapAvailable } from '@knet/tap';

/** Why interop tests cannot run here, or null when they can. */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (CAP_NET_ADMIN) to create network namespaces';
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/net/tun is missing or not accessible';
  }
  for (const [tool, arg] of [['ip', '-V'], ['curl', '--version'], ['socat', '-V'], ['tcpdump', '--version'], ['tshark', '--version'], ['python3', '--version'], ['ping', '-V'], ['tc', '-V']] as const) {
    if (spawnSync(tool, [arg], { stdio: 'ignore' }).status !== 0) return `\`${tool}\` is not installed`;
  }
  const t = tapAvailable();
  if (!t.ok) return t.reason ?? 'the TAP addon is unavailable';
  return null;
}

let seq = 0;

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

/** A persistent TAP interface in `ns`, addressed and up, for knet to attach to. */
export function kernelTap(ns: Netns, ifname: string, cidr = '198.18.0.1/24'): void {
  ns.run('ip', ['tuntap', 'add', 'dev', ifname, 'mode', 'tap']);
  ns.run('ip', ['addr', 'add', cidr, 'dev', ifname]);
  ns.run('ip', ['link', 'set', ifname, 'up']);
}

export interface Netns {
  readonly name: string;
  /** Start the knet CLI inside the namespace (from source, through tsx). */
  knet(args: string[]): ChildProcess;
  /** Run a command inside the namespace; throws with its stderr when it fails. */
  run(cmd: string, args: string[], timeoutMs?: number): string;
  /** Start a long-running command inside the namespace; killed (by PID) at remove(). */
  spawn(cmd: string, args: string[], cwd?: string): ChildProcess;
  /** Kill what spawn() started and delete the namespace. Safe to call twice. */
  remove(): void;
}

export function createNetns(tag: string): Netns {
  const name = `knet-${tag}-${process.pid}-${seq++}`;
  const children: ChildProcess[] = [];
  const must = (args: string[], timeoutMs = 10_000): string => {
    const r = spawnSync('ip', args, { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
    return r.stdout;
  };
  must(['netns', 'add', name]);
  const ns: Netns = {
    name,
    run(cmd, args, timeoutMs = 10_000) {
      return must(['netns', 'exec', name, cmd, ...args], timeoutMs);
    },
    knet(args) {
      return ns.spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], REPO);
    },
    spawn(cmd, args, cwd?: string) {
      const c = spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
      children.push(c);
      // Flowing, so the pipes reach EOF and close even when nobody reads them.
      c.stdout?.resume();
      c.stderr?.resume();
      return c;
    },
    remove() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      children.length = 0;
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
    },
  };
  try {
    ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    ns.run('sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    ns.run('ip', ['link', 'set', 'lo', 'up']);
  } catch (e) {
    ns.remove();
    throw e;
  }
  return ns;
}

/** Resolve when `pred` holds, polling every `stepMs`; reject after `timeoutMs`. */
export async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Resolve with the exit code (or signal) of `c` once its pipes are closed too; SIGKILL it
 * after `timeoutMs`.
 */
export function waitExit(c: ChildProcess, timeoutMs = 10_000): Promise<number | string> {
  return new Promise((resolve) => {
    const done = () => resolve(c.exitCode ?? c.signalCode ?? -1);
    const closed = (c.stdout === null || c.stdout.destroyed) && (c.stderr === null || c.stderr.destroyed);
    if ((c.exitCode !== null || c.signalCode !== null) && closed) return done();
    const t = setTimeout(() => {
      if (c.pid !== undefined) c.kill('SIGKILL');
    }, timeoutMs);
    c.once('close', () => {
      clearTimeout(t);
      done();
    });
  });
}

/** Collect a child's stdout/stderr as text. */
export function collect(c: ChildProcess): { out: () => string; err: () => string } {
  let o = '';
  let e = '';
  c.stdout?.setEncoding('utf8').on('data', (s: string) => (o += s));
  c.stderr?.setEncoding('utf8').on('data', (s: string) => (e += s));
  return { out: () => o, err: () => e };
}

/** A running `knet serve`: its process, output so far, and a bounded stop. */
export interface ServeProc {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** SIGTERM, then wait (bounded) for exit; resolves with the exit code and the JSON summary. */
  stop(timeoutMs?: number): Promise<{ code: number | string; summary: Record<string, unknown> | null }>;
}

/** Start `knet serve --json` in `ns` and wait until it reports its services up. */
export async function startServe(ns: Netns, args: string[], timeoutMs = 30_000): Promise<ServeProc> {
  const proc = ns.knet(['serve', '--json', ...args]);
  const io = collect(proc);
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  try {
    await waitFor('knet serve to come up', () => / up; /.test(io.err()) || exited(), timeoutMs, 20);
  } catch (e) {
    throw new Error(`${(e as Error).message}; its output so far: ${io.err().slice(-2000)}`);
  }
  if (exited()) throw new Error(`knet serve exited ${proc.exitCode ?? proc.signalCode}: ${io.err()}`);
  return {
    proc,
    out: io.out,
    err: io.err,
    async stop(ms = 15_000) {
      if (!exited() && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
      const code = await waitExit(proc, ms);
      let summary: Record<string, unknown> | null = null;
      try {
        summary = JSON.parse(io.out().trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
      } catch {
        // No summary: the caller's assertions on it will say so.
      }
      return { code, summary };
    },
  };
}

/** SHA-256 of a file, hex. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Run a command in `ns` without blocking the event loop; SIGKILL after `timeoutMs`. */
export async function runIn(ns: Netns, cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | string; out: string; err: string }> {
  const c = ns.spawn(cmd, args);
  const io = collect(c);
  const code = await waitExit(c, timeoutMs);
  return { code, out: io.out(), err: io.err() };
}

/**
 * Add `tc qdisc ... root netem <args>` on `dev`; returns null, or why the kernel cannot (a
 * kernel built without sch_netem is a missing capability, not a failed set-up).
 */
export function addNetem(ns: Netns, dev: string, args: string[]): string | null {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'netem', ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) return null;
  if (/unknown|not supported|No such file/i.test(r.stderr)) return `this kernel has no netem qdisc (${r.stderr.trim()})`;
  throw new Error(`tc qdisc add dev ${dev} root netem failed: ${r.stderr.trim()}`);
}
