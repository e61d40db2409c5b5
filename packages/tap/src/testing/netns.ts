// Test and bench fixture: a network namespace of our own (name carries the PID), removed
// afterwards, and bounded helpers to run kernel tools inside it. Shared by this package's
// tests, the CLI's interop tests and the TAP benchmarks, so every one of them sets up and
// tears down namespaces the same way.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tapAvailable } from '../addon.js';
import { collect, waitExit } from './procs.js';

/** A tool to look for, and an argument that makes it print its version and exit 0. */
export type ToolCheck = readonly [tool: string, versionArg: string];

/**
 * Why namespace tests cannot run here, or null when they can: Linux, root, /dev/net/tun, the
 * TAP addon, `ip`, and every tool in `tools`.
 */
export function netnsSkipReason(tools: readonly ToolCheck[] = []): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (CAP_NET_ADMIN) to create network namespaces';
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/net/tun is missing or not accessible';
  }
  for (const [tool, arg] of [['ip', '-V'] as const, ...tools]) {
    if (spawnSync(tool, [arg], { stdio: 'ignore' }).status !== 0) return `\`${tool}\` is not installed`;
  }
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
  spawn(cmd: string, args: string[], cwd?: string): ChildProcess;
  /** Kill what spawn() started and delete the namespace. Safe to call twice. */
  remove(): void;
}

function ip(args: string[], timeoutMs = 10_000): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}

/** A new namespace `knet-<tag>-<pid>-<n>` with lo up and IPv6 off (no RS/MLD chatter). */
export function createNetns(tag: string): Netns {
  const name = `knet-${tag}-${process.pid}-${seq++}`;
  const children: ChildProcess[] = [];
  ip(['netns', 'add', name]);
  const ns: Netns = {
    name,
    run(cmd, args, timeoutMs = 10_000) {
      return ip(['netns', 'exec', name, cmd, ...args], timeoutMs);
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

/** A persistent TAP interface in `ns`, addressed and up, for knet to attach to. */
export function kernelTap(ns: Netns, ifname: string, cidr = '198.18.0.1/24'): void {
  ns.run('ip', ['tuntap', 'add', 'dev', ifname, 'mode', 'tap']);
  ns.run('ip', ['addr', 'add', cidr, 'dev', ifname]);
  ns.run('ip', ['link', 'set', ifname, 'up']);
}

/**
 * A veth pair with one end in each namespace, addressed and up: the kernel↔kernel link that
 * TAP figures are compared against. Created inside `a`, so the root namespace never holds it.
 */
export function vethPair(a: Netns, aIf: string, aCidr: string, b: Netns, bIf: string, bCidr: string): void {
  a.run('ip', ['link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name]);
  a.run('ip', ['addr', 'add', aCidr, 'dev', aIf]);
  b.run('ip', ['addr', 'add', bCidr, 'dev', bIf]);
  a.run('ip', ['link', 'set', aIf, 'up']);
  b.run('ip', ['link', 'set', bIf, 'up']);
}

/** Run a command in `ns` without blocking the event loop; SIGKILL after `timeoutMs`. */
export async function runIn(ns: Netns, cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | string; out: string; err: string }> {
  const c = ns.spawn(cmd, args);
  const io = collect(c);
  const code = await waitExit(c, timeoutMs);
  return { code, out: io.out(), err: io.err() };
}
