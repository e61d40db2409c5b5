// Bounded waiting on child processes: every wait has a deadline, and a child that outlives it
// is killed by its own PID.
import type { ChildProcess } from 'node:child_process';
import type { Netns } from './netns.js';

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

/** A long-running child started by startDaemon. */
export interface Daemon {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** SIGTERM, then wait (bounded) for exit; SIGKILL past the deadline. */
  stop(timeoutMs?: number): Promise<number | string>;
}

export interface DaemonOpts {
  /** Seen on stderr once the daemon is ready. */
  ready: RegExp;
  what: string;
  cwd?: string;
  timeoutMs?: number;
}

/** Start `cmd` inside `ns` and wait (bounded) until its stderr says it is ready. */
export async function startDaemon(ns: Netns, cmd: string, args: string[], o: DaemonOpts): Promise<Daemon> {
  const proc = ns.spawn(cmd, args, o.cwd);
  const io = collect(proc);
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  const timeoutMs = o.timeoutMs ?? 30_000;
  try {
    await waitFor(o.what, () => o.ready.test(io.err()) || exited(), timeoutMs, 20);
  } catch (e) {
    if (proc.pid !== undefined && !exited()) process.kill(proc.pid, 'SIGKILL');
    throw new Error(`${(e as Error).message}; its output so far: ${io.err().slice(-2000)}`);
  }
  if (exited()) throw new Error(`${o.what}: exited ${proc.exitCode ?? proc.signalCode}: ${io.err().slice(-2000)}`);
  return {
    proc,
    out: io.out,
    err: io.err,
    stop(ms = 15_000) {
      if (!exited() && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
      return waitExit(proc, ms);
    },
  };
}
