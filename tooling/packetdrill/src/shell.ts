// What a script's `shell` lines mean here. There is no shell: the lines scripts use either set
// sysctls, are harmless on a fresh virtual host, or need something knet does not model.

export type ShellStep =
  | { kind: 'sysctl'; name: string; value: string }
  | { kind: 'defaults' }
  /** `tc qdisc add|replace|delete dev D root [KIND [limit N]]`; kind null: back to the default. */
  | { kind: 'qdisc'; dev: string; qdisc: string | null; params: Record<string, number> }
  /** `ethtool -K dev tso off gso off`: device offload features on or off, by ethtool's names. */
  | { kind: 'ethtool'; dev: string; features: Record<string, boolean> }
  /** `ip route add|change|replace DST [via GW] [dev D] [advmss N] [mtu [lock] N] [initcwnd N]`. */
  | { kind: 'route'; op: RouteOp; route: RouteText }
  | { kind: 'noop'; command: string }
  | { kind: 'unsupported'; command: string };

export type RouteOp = 'add' | 'change' | 'replace';

/** A route as the script wrote it: addresses still in the script's numbering. */
export interface RouteText {
  dst: string;
  via?: string;
  dev?: string;
  mtu?: number;
  mtuLock?: boolean;
  advmss?: number;
  initcwnd?: number;
}

/** Split a command block into simple commands and interpret each. */
export function interpretShell(text: string): ShellStep[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const out: ShellStep[] = [];
  for (const raw of joined.split(/\n|;|&&/)) {
    const cmd = raw.trim();
    if (cmd === '') continue;
    out.push(...interpretCommand(cmd));
  }
  return out;
}

const REDIRECT = /\s*(?:&>|\d?>>?)\s*(?:&\d|\/dev\/null)/g;

/** Shell words, honouring '...' and "..." quoting; an unquoted '#' starts a comment. */
export function shellWords(cmd: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  let quote: string | null = null;
  for (const c of cmd) {
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (c === '#' && cur === null) {
      break;
    } else if (/\s/.test(c)) {
      if (cur !== null) words.push(cur);
      cur = null;
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

function interpretCommand(cmd: string): ShellStep[] {
  const words = shellWords(cmd.replace(REDIRECT, ''));
  const prog = words[0];
  if (prog === undefined) return [];
  if (/^(?:\.\.\/)*common\/defaults\.sh$/.test(prog) && words.length === 1) return [{ kind: 'defaults' }];
  if (/^(?:\.\.\/)*common\/set_sysctls\.py$/.test(prog)) {
    const steps: ShellStep[] = [];
    for (const w of words.slice(1)) {
      const m = /^\/proc\/sys\/(.+?)=(.*)$/.exec(w);
      if (!m) return [{ kind: 'unsupported', command: cmd }];
      steps.push({ kind: 'sysctl', name: m[1]!.replace(/\//g, '.'), value: m[2]! });
    }
    return steps;
  }
  if (prog === 'sysctl') {
    const steps: ShellStep[] = [];
    for (const w of words.slice(1)) {
      if (/^-[qwe]+$/.test(w)) continue;
      // sysctl takes net/ipv4/x as well as net.ipv4.x.
      const m = /^([a-z0-9_./]+)=(.*)$/.exec(w);
      if (!m) return [{ kind: 'unsupported', command: cmd }];
      steps.push({ kind: 'sysctl', name: m[1]!.replace(/\//g, '.'), value: m[2]! });
    }
    return steps;
  }
  // Module parameters go to the target like sysctls, under their /sys path in dotted form.
  const param = /^\/sys\/module\/(\w+)\/parameters\/(\w+)$/.exec(words[3] ?? '');
  if (prog === 'echo' && words.length === 4 && words[2] === '>' && param) {
    return [{ kind: 'sysctl', name: `module.${param[1]}.parameters.${param[2]}`, value: words[1]! }];
  }
  // Restoring sysctls is moot: every script gets a fresh host.
  if (/^\/tmp\/sysctl_restore_\$\{?PPID\}?\.sh$/.test(prog) && words.length === 1) return [{ kind: 'noop', command: cmd }];
  // A fresh host has no cached metrics.
  if (prog === 'ip' && words[1] === 'tcp_metrics' && words[2] === 'flush') return [{ kind: 'noop', command: cmd }];
  if (prog === 'ip' && words[1] === 'route') return [ipRoute(cmd, words)];
  if (prog === 'tc' && words[1] === 'qdisc') return [tcQdisc(cmd, words)];
  if (prog === 'ethtool' && (words[1] === '-K' || words[1] === '--features' || words[1] === '--offload')) return [ethtoolK(cmd, words)];
  // Resetting the SNMP counters affects nothing a script can observe without nstat itself.
  if (prog === 'nstat' && words.length === 1) return [{ kind: 'noop', command: cmd }];
  return [{ kind: 'unsupported', command: cmd }];
}

/** The root qdisc of a device: the target installs it (pfifo limit 0 drops everything). */
function tcQdisc(cmd: string, words: string[]): ShellStep {
  const op = words[2];
  const dev = words[words.indexOf('dev') + 1];
  const root = words.indexOf('root');
  if (dev === undefined || words.indexOf('dev') < 0 || root < 0) return { kind: 'unsupported', command: cmd };
  if (op === 'delete' || op === 'del') return { kind: 'qdisc', dev, qdisc: null, params: {} };
  const qdisc = words[root + 1];
  if ((op !== 'add' && op !== 'replace') || qdisc === undefined) return { kind: 'unsupported', command: cmd };
  const params: Record<string, number> = {};
  for (let i = root + 2; i < words.length; i += 2) {
    const v = Number(words[i + 1]);
    if (!Number.isFinite(v)) return { kind: 'unsupported', command: cmd };
    params[words[i]!] = v;
  }
  return { kind: 'qdisc', dev, qdisc, params };
}

/** `ip route` with the keywords scripts use; anything else is unsupported, never ignored. */
function ipRoute(cmd: string, words: string[]): ShellStep {
  const op = words[2];
  const dst = words[3];
  if ((op !== 'add' && op !== 'change' && op !== 'replace') || dst === undefined) return { kind: 'unsupported', command: cmd };
  const route: RouteText = { dst };
  const num = (w: string | undefined): number | null => (w !== undefined && /^\d+$/.test(w) ? Number(w) : null);
  for (let i = 4; i < words.length; i += 2) {
    const key = words[i]!;
    let val = words[i + 1];
    if (key === 'via' && val !== undefined) route.via = val;
    else if (key === 'dev' && val !== undefined) route.dev = val;
    else if (key === 'mtu') {
      if (val === 'lock') {
        route.mtuLock = true;
        val = words[++i + 1];
      }
      const n = num(val);
      if (n === null) return { kind: 'unsupported', command: cmd };
      route.mtu = n;
    } else if (key === 'advmss' || key === 'initcwnd') {
      const n = num(val);
      if (n === null) return { kind: 'unsupported', command: cmd };
      route[key] = n;
    } else return { kind: 'unsupported', command: cmd };
  }
  return { kind: 'route', op, route };
}

function ethtoolK(cmd: string, words: string[]): ShellStep {
  const dev = words[2];
  if (dev === undefined || words.length < 5 || (words.length - 3) % 2 !== 0) return { kind: 'unsupported', command: cmd };
  const features: Record<string, boolean> = {};
  for (let i = 3; i < words.length; i += 2) {
    const v = words[i + 1];
    if (v !== 'on' && v !== 'off') return { kind: 'unsupported', command: cmd };
    features[words[i]!] = v === 'on';
  }
  return { kind: 'ethtool', dev, features };
}

/** Parse a `name = value` sysctl file (common/defaults.sysctl); '#' starts a comment. */
export function parseSysctlFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const s = line.replace(/#.*/, '').trim();
    if (!s) continue;
    const eq = s.indexOf('=');
    if (eq < 0) throw new Error(`bad sysctl line: ${line}`);
    out.set(s.slice(0, eq).trim(), s.slice(eq + 1).trim().replace(/\s+/g, ' '));
  }
  return out;
}
