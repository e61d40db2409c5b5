// Interop fixture: the shared namespace helpers of @knet/tap/testing, plus what is particular
// to the CLI: the kernel tools these tests drive, and `knet` started inside the namespace.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createNetns as createBareNetns, type Netns as BareNetns, netnsSkipReason as bareSkipReason, startDaemon,
} from '@knet/tap/testing';

export { addNetem, collect, kernelTap, runIn, waitExit, waitFor } from '@knet/tap/testing';

const TOOLS = [['curl', '--version'], ['socat', '-V'], ['tcpdump', '--version'], ['tshark', '--version'], ['python3', '--version'], ['ping', '-V'], ['tc', '-V']] as const;

/** Why interop tests cannot run here, or null when they can. */
export function netnsSkipReason(): string | null {
  return bareSkipReason(TOOLS);
}

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export interface Netns extends BareNetns {
  /** Start the knet CLI inside the namespace (from source, through tsx). */
  knet(args: string[]): ChildProcess;
}

export function createNetns(tag: string): Netns {
  const ns = createBareNetns(tag);
  return Object.assign(ns, {
    knet: (args: string[]) => ns.spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], REPO),
  });
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
export async function startServe(ns: BareNetns, args: string[], timeoutMs = 30_000): Promise<ServeProc> {
  const d = await startDaemon(ns, process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'serve', '--json', ...args], {
    ready: / up; /, what: 'knet serve to come up', cwd: REPO, timeoutMs,
  });
  return {
    proc: d.proc,
    out: d.out,
    err: d.err,
    async stop(ms = 15_000) {
      const code = await d.stop(ms);
      let summary: Record<string, unknown> | null = null;
      try {
        summary = JSON.parse(d.out().trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
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
