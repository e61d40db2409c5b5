// Test fixture: a network namespace of our own (name carries the PID), removed afterwards,
// and bounded helpers to run kernel tools inside it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tapAvailable } from '../addon.js';

/** Why interop tests cannot run here, or null when they can. */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (CAP_NET_ADMIN) to create network namespaces';
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/net/tun is missing or not accessible';
  }
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'iproute2 (`ip`) is not installed';
  const t = tapAvailable();
  if (!t.ok) return t.reason ?? 'the TAP addon is unavailable';
  return null;
}

let seq = 0;

export interface Netns {
  readonly name: string;
  /** Run a command inside the namespace; throws with its stderr when it fails. */
  run(cmd: string, args: string[], timeoutMs?: number): string;
  /** Start a long-running command inside the namespace; killed (by PID) at remove(). */
  spawn(cmd: string, args: string[]): ChildProcess;
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
    spawn(cmd, args) {
      const c = spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
