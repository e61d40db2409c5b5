// Runs one parsed script against a fresh Target, with packetdrill's semantics: events in
// script order at their scripted times, inbound packets injected, outbound packets awaited and
// compared, system calls checked, blocking calls completed later, code blocks evaluated.
import type { IcmpPacket, Script, ScriptEvent, SyscallAction, TcpPacket, UdpPacket } from './ast.js';
import {
  describePacket, inboundAck, inboundOptions, inboundSeq, mergeSegments, newSeqState, toActual, verifyOutbound, type SeqState,
} from './match.js';
import { PyError, runPython, type PyValue } from './python.js';
import { FdMap } from './fds.js';
import { interpretShell, type ShellStep } from './shell.js';
import { symbolValue } from './symbols.js';
import { checkOutcome, defaultAddressMap, precheckResult, syscallArgs, Unsupported, type ArgContext } from './sysargs.js';
import { GATEWAY_IP, LOCAL_IP, REMOTE_IP, type SysValue, type SyscallOutcome, type Target, type TargetFactory, type TargetRoute } from './target.js';
import { checkTime, DEFAULT_TOLERANCE, secs, toleranceFor, type TimeCheck, type Tolerance } from './timing.js';
import { decodeTcp, encodeTcp, encodeTcpOptions, flagsFromString, SYN, ACK, type DecodedTcp } from './wire.js';

export type RunStatus = 'passed' | 'failed' | 'unsupported' | 'timedOut';

export interface RunResult {
  status: RunStatus;
  /** failed: the error; unsupported: the feature needed; timedOut: the limit. */
  reason?: string;
  /** Script line of the failing or unsupported event. */
  line?: number;
  /** Extra lines: script vs actual packet, times. */
  details?: string[];
  /** Output of print() in code blocks. */
  printed?: string[];
}

export interface RunOptions {
  /** Sysctls that `defaults.sh` stands for. */
  defaults: ReadonlyMap<string, string>;
  /** Wall-clock limit for the whole script, ms. */
  wallLimitMs: number;
}

class Failure extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}
class UnsupportedAt extends Error {
  constructor(
    readonly feature: string,
    readonly line: number | undefined,
  ) {
    super(feature);
  }
}
class WallTimeout extends Error {}

interface Queued {
  pkt: DecodedTcp;
  at: number;
}

interface Pending {
  name: string;
  line: number;
  sc: SyscallAction;
  args: SysValue[];
  poll: () => SyscallOutcome | null;
  /** Scripted completion time, absolute. */
  end: number;
  start: number;
}

const KNOWN_OPTIONS = new Set(['tolerance_usecs', 'tolerance_percent', 'tcp_ts_tick_usecs', 'strict_segments', 'ip_version',
  'local_ip', 'remote_ip', 'gateway_ip', 'bind_port', 'connect_port', 'mtu', 'mss']);

/** Virtual time granted to a '*' event before giving up. */
const ANY_TIME_LIMIT = 600_000_000;
/** Virtual time to keep waiting for a packet that missed its window. */
const LATE_PACKET_WAIT = 10_000_000;

export async function runScript(script: Script, factory: TargetFactory | null, opts: RunOptions): Promise<RunResult> {
  const printed: string[] = [];
  try {
    return { ...(await new Run(script, factory, opts, printed).run()), printed };
  } catch (e) {
    if (e instanceof Failure) return { status: 'failed', reason: e.message, line: e.line, details: e.details, printed };
    if (e instanceof UnsupportedAt) return { status: 'unsupported', reason: e.feature, ...(e.line === undefined ? {} : { line: e.line }), printed };
    if (e instanceof WallTimeout) return { status: 'timedOut', reason: `wall-time limit of ${opts.wallLimitMs} ms`, printed };
    throw e;
  }
}

class Run {
  private readonly tol: Tolerance = { ...DEFAULT_TOLERANCE };
  private tsTick = 0;
  private strict = false;
  private bindPort = 8080;
  private connectPort = 8080;
  private mtu = 1500;
  /** --mss: inbound packets above this payload arrive as GSO packets of this gso_size. */
  private mss = 0;
  private readonly sysctls = new Map<string, string>();
  /** Sysctls the script itself sets before the start: the target must know them. */
  private readonly scriptSysctls = new Map<string, string>();
  private readonly initQdiscs: Array<Extract<ShellStep, { kind: 'qdisc' }>> = [];
  private readonly initRoutes: Array<Extract<ShellStep, { kind: 'route' }>> = [];
  private readonly initEthtool: Array<Extract<ShellStep, { kind: 'ethtool' }>> = [];
  private readonly deadline: number;
  private target!: Target;
  private readonly queue: Queued[] = [];
  private pending: Pending | null = null;
  private seq: SeqState = newSeqState();
  private conn = { localPort: null as number | null, remotePort: null as number | null, listening: false, connecting: false };
  private nextEphemeral = 40000;
  private fdUnderTest = -1;
  private readonly fds = new FdMap();
  private readonly pyVars = new Map<string, PyValue>();
  private lastScriptTime: number | null = null;
  private lastWasInbound = false;
  private ctx!: ArgContext;

  constructor(
    private readonly script: Script,
    private readonly factory: TargetFactory | null,
    private readonly opts: RunOptions,
    private readonly printed: string[],
  ) {
    this.deadline = Date.now() + opts.wallLimitMs;
  }

  async run(): Promise<{ status: RunStatus }> {
    const optMap = new Map<string, string | null>();
    for (const o of this.script.options) {
      if (!KNOWN_OPTIONS.has(o.name)) throw new UnsupportedAt(`option --${o.name}`, o.line);
      optMap.set(o.name, o.value);
      const num = Number(o.value);
      switch (o.name) {
        case 'tolerance_usecs': this.tol.usecs = num; break;
        case 'tolerance_percent': this.tol.percent = num; break;
        case 'tcp_ts_tick_usecs': this.tsTick = num; break;
        case 'strict_segments': this.strict = true; break;
        case 'bind_port': this.bindPort = num; break;
        case 'connect_port': this.connectPort = num; break;
        case 'mtu': this.mtu = num; break;
        case 'mss': this.mss = num; break;
        case 'ip_version':
          if (o.value !== 'ipv4') throw new UnsupportedAt(o.value === 'ipv6' ? 'IPv6 (knet is IPv4-only)' : `--ip_version=${o.value}`, o.line);
          break;
      }
    }
    if (!this.factory) throw new UnsupportedAt('no target stack', undefined);
    this.ctx = { localIp: LOCAL_IP, remoteIp: REMOTE_IP, addressMap: defaultAddressMap(optMap, LOCAL_IP, REMOTE_IP, GATEWAY_IP), bindPort: this.bindPort, connectPort: this.connectPort };
    if (this.script.initCommand) this.shell(this.script.initCommand.command, this.script.initCommand.line, true);
    const first = this.script.events[0];
    if (first && (first.time.kind === 'absolute' || first.time.kind === 'relative') && first.time.usecs !== 0) {
      throw new Failure('first event should be at time 0', first.line);
    }
    this.target = this.factory({ localIp: LOCAL_IP, remoteIp: REMOTE_IP, gatewayIp: GATEWAY_IP, mtu: this.mtu, mss: this.mss, sysctls: this.sysctls });
    try {
      this.target.onOutbound((bytes, at) => this.capture(bytes, at));
      for (const [name, value] of this.scriptSysctls) {
        if (!this.target.sysctl(name, value)) throw new UnsupportedAt(`sysctl ${name}`, this.script.initCommand?.line);
      }
      for (const q of this.initQdiscs) this.qdisc(q, this.script.initCommand?.line);
      for (const r of this.initRoutes) this.route(r, this.script.initCommand?.line);
      for (const e of this.initEthtool) this.ethtool(e, this.script.initCommand?.line);
      for (const ev of this.script.events) await this.event(ev);
      if (this.pending) await this.finishPending(this.pending.line);
      if (this.script.cleanupCommand) this.shell(this.script.cleanupCommand.command, this.script.cleanupCommand.line, false);
    } finally {
      this.target.destroy();
    }
    return { status: 'passed' };
  }

  // ---- time --------------------------------------------------------------------------

  private checkWall(): void {
    if (Date.now() > this.deadline) throw new WallTimeout();
  }

  private now(): number {
    return this.target.now();
  }

  /** Run the stack up to `t`; with `stopOnPacket`, stop as soon as a packet is waiting. */
  private async advanceTo(t: number, stopOnPacket = false): Promise<void> {
    let stalled = 0;
    await this.settle();
    while (this.now() < t && !(stopOnPacket && this.queue.length > 0)) {
      this.checkWall();
      const before = this.now();
      this.target.advance(t);
      await this.settle();
      // A target may return several times at one instant (one packet each), but not forever.
      stalled = this.now() === before ? stalled + 1 : 0;
      if (stalled > 100_000) throw new Failure(`target does not advance past ${secs(before)} sec`, -1);
    }
  }

  private scriptTime(ev: ScriptEvent, inbound: boolean): TimeCheck {
    const t = ev.time;
    const base = this.lastWasInbound && inbound && this.lastScriptTime !== null ? this.lastScriptTime : this.now();
    switch (t.kind) {
      case 'absolute': return { kind: 'exact', expected: t.usecs, expectedEnd: t.usecs };
      case 'relative': return { kind: 'exact', expected: base + t.usecs, expectedEnd: base + t.usecs };
      case 'absoluteRange': return { kind: 'range', expected: t.usecs, expectedEnd: t.endUsecs };
      case 'relativeRange': return { kind: 'range', expected: base + t.usecs, expectedEnd: base + t.endUsecs };
      case 'any': return { kind: 'any', expected: this.now(), expectedEnd: this.now() };
    }
  }

  private verifyTime(c: TimeCheck, actual: number, what: string, line: number): void {
    const err = checkTime(c, actual, this.lastScriptTime, this.tol, what);
    if (err) throw new Failure(err, line);
  }

  // ---- events ------------------------------------------------------------------------

  private async event(ev: ScriptEvent): Promise<void> {
    this.checkWall();
    const a = ev.action;
    const inbound = a.kind === 'packet' && a.direction === 'inbound';
    const when = this.scriptTime(ev, inbound);
    if (a.kind === 'packet' && a.direction === 'outbound') {
      if (a.proto !== 'tcp') throw new UnsupportedAt(`outbound ${a.proto} packets`, ev.line);
      await this.outbound(ev, a, when);
    } else {
      await this.advanceTo(when.expected);
      this.verifyTime(when, this.now(), eventName(ev), ev.line);
      switch (a.kind) {
        case 'packet': await this.inbound(ev, a); break;
        case 'syscall': await this.syscall(ev, a, when.expected); break;
        case 'shell': this.shell(a.command, ev.line, false); break;
        case 'code': this.code(a.code, ev.line); break;
      }
    }
    this.lastScriptTime = when.kind === 'any' ? this.now() : when.expected;
    this.lastWasInbound = inbound;
  }

  private shell(text: string, line: number, beforeStart: boolean): void {
    for (const step of interpretShell(text)) {
      if (step.kind === 'unsupported') throw new UnsupportedAt(`shell command: ${step.command}`, line);
      if (step.kind === 'noop') continue;
      if (step.kind === 'ethtool') {
        if (beforeStart) this.initEthtool.push(step);
        else this.ethtool(step, line);
        continue;
      }
      if (step.kind === 'qdisc') {
        if (beforeStart) this.initQdiscs.push(step);
        else this.qdisc(step, line);
        continue;
      }
      if (step.kind === 'route') {
        if (beforeStart) this.initRoutes.push(step);
        else this.route(step, line);
        continue;
      }
      const pairs = step.kind === 'defaults' ? [...this.opts.defaults] : [[step.name, step.value] as const];
      for (const [name, value] of pairs) {
        if (beforeStart) {
          this.sysctls.set(name, value);
          if (step.kind === 'sysctl') this.scriptSysctls.set(name, value);
        }
        else if (!this.target.sysctl(name, value)) throw new UnsupportedAt(`sysctl ${name}`, line);
      }
    }
  }

  private ethtool(step: Extract<ShellStep, { kind: 'ethtool' }>, line: number | undefined): void {
    if (!this.target.ethtool?.(step.dev, step.features)) {
      throw new UnsupportedAt(`ethtool -K ${step.dev} ${Object.entries(step.features).map(([k, v]) => `${k} ${v ? 'on' : 'off'}`).join(' ')}`, line);
    }
  }

  private qdisc(step: Extract<ShellStep, { kind: 'qdisc' }>, line: number | undefined): void {
    if (!this.target.qdisc?.(step.dev, step.qdisc, step.params)) throw new UnsupportedAt(`qdisc ${step.qdisc ?? 'delete'} on ${step.dev}`, line);
  }

  private route(step: Extract<ShellStep, { kind: 'route' }>, line: number | undefined): void {
    const r = step.route;
    const addr = (a: string): number => {
      const v = this.ctx.addressMap.get(a);
      if (v === undefined) throw new UnsupportedAt(`ip route: address ${a} is not one of the script's`, line);
      return v;
    };
    const route: TargetRoute = { dst: addr(r.dst) };
    if (r.via !== undefined) route.gateway = addr(r.via);
    if (r.dev !== undefined) route.dev = r.dev;
    if (r.mtu !== undefined) route.mtu = r.mtu;
    if (r.mtuLock) route.mtuLock = true;
    if (r.advmss !== undefined) route.advmss = r.advmss;
    if (r.initcwnd !== undefined) route.initcwnd = r.initcwnd;
    if (!this.target.route) throw new UnsupportedAt('ip route', line);
    if (!this.target.route(step.op, route)) throw new Failure(`ip route ${step.op} ${r.dst} failed`, line ?? 0);
  }

  private code(src: string, line: number): void {
    const info = this.fdUnderTest >= 0 ? this.target.tcpInfo(this.fdUnderTest) : null;
    try {
      runPython(src, {
        vars: this.pyVars,
        print: (s) => this.printed.push(s),
        lookup: (n) => {
          if (n.startsWith('tcpi_')) {
            const v = info?.[n];
            if (v === undefined) throw new UnsupportedAt(info ? `tcp_info field ${n}` : 'tcp_info without a socket under test', line);
            return BigInt(Math.trunc(v));
          }
          const s = symbolValue(n);
          return s === undefined ? undefined : BigInt(s);
        },
      });
    } catch (e) {
      if (e instanceof PyError) throw new Failure(e.message, line);
      throw e;
    }
  }

  // ---- system calls ------------------------------------------------------------------

  private async syscall(ev: ScriptEvent, sc: SyscallAction, start: number): Promise<void> {
    if (this.pending) await this.finishPending(ev.line);
    let args: SysValue[];
    try {
      args = syscallArgs(sc, this.ctx);
      precheckResult(sc);
    } catch (e) {
      if (e instanceof Unsupported) throw new UnsupportedAt(e.feature, ev.line);
      throw e;
    }
    this.beforeSyscall(sc);
    const r = this.target.syscall(sc.name, this.fds.args(sc.name, args));
    if ('unsupported' in r) throw new UnsupportedAt(r.unsupported, ev.line);
    const end = sc.endUsecs === null ? null : ev.time.kind === 'relative' ? start - ev.time.usecs + sc.endUsecs : sc.endUsecs;
    const poll = 'pending' in r ? r.pending.poll : null;
    // A call that could block may still have completed at once: its Promise settles now.
    if (poll) await flushMicrotasks();
    const now = poll ? poll() : 'done' in r ? r.done : null;
    if (now || !poll) {
      if (!now) throw new Failure(`${sc.name}() gave no outcome`, ev.line);
      this.completed(sc, args, now, ev.line);
      if (end !== null) this.verifyTime({ kind: 'exact', expected: end, expectedEnd: end }, this.now(), 'system call return', ev.line);
      return;
    }
    if (end === null) throw new Failure(`${sc.name}() blocked, but the script expects it to return at once`, ev.line);
    this.pending = { name: sc.name, line: ev.line, sc, args, poll, end, start };
  }

  private beforeSyscall(sc: SyscallAction): void {
    if (sc.name === 'connect' || (sc.name === 'sendto' && sc.args[3]?.kind === 'word' && sc.args[3].name.includes('MSG_FASTOPEN'))) {
      this.newConnection(this.connectPort, null);
      this.conn.connecting = true;
    }
  }

  private completed(sc: SyscallAction, args: SysValue[], live: SyscallOutcome, line: number): void {
    const out = this.fds.outcome(sc.name, args, live, sc.result.kind === 'int' ? sc.result.value : null);
    let err: string | null;
    try {
      err = checkOutcome(sc, args, out, this.ctx);
    } catch (e) {
      if (e instanceof Unsupported) throw new UnsupportedAt(e.feature, line);
      throw e;
    }
    if (err) throw new Failure(err, line);
    if ((sc.name === 'socket' || sc.name === 'accept' || sc.name === 'accept4') && out.ret >= 0) this.fdUnderTest = this.fds.toLive(out.ret);
    if (sc.name === 'listen' && out.ret === 0) this.conn.listening = true;
  }

  /** Let a blocking call's Promise settle (a target may complete calls that way), then poll it. */
  private async settle(): Promise<void> {
    if (!this.pending) return;
    await flushMicrotasks();
    this.pollPending();
  }

  private pollPending(): void {
    const p = this.pending;
    if (!p) return;
    const out = p.poll();
    if (!out) return;
    this.pending = null;
    this.completed(p.sc, p.args, out, p.line);
    this.verifyTime({ kind: 'exact', expected: p.end, expectedEnd: p.end }, this.now(), 'system call return', p.line);
  }

  /** Wait for a blocking call to return, up to its scripted end plus tolerance. */
  private async finishPending(line: number): Promise<void> {
    const p = this.pending!;
    const limit = p.end + toleranceFor(this.tol, p.end, p.start);
    while (this.pending && this.now() < limit) await this.advanceTo(Math.min(limit, this.now() + 1_000_000));
    await this.settle();
    if (this.pending) {
      throw new Failure(`${p.name}() did not return by ${secs(p.end)} sec (still blocked at line ${line})`, p.line);
    }
  }

  // ---- packets -----------------------------------------------------------------------

  private newConnection(remotePort: number, localPort: number | null): void {
    this.seq = newSeqState();
    this.conn.remotePort = remotePort;
    this.conn.localPort = localPort;
    this.queue.length = 0;
  }

  private capture(bytes: Uint8Array, at: number): void {
    let pkt: DecodedTcp;
    try {
      pkt = decodeTcp(bytes);
    } catch {
      return; // not TCP over IPv4: not for the socket under test
    }
    if (pkt.dst !== REMOTE_IP) return;
    if (this.conn.remotePort !== null && pkt.dport !== this.conn.remotePort) return;
    if (this.conn.localPort === null && this.conn.connecting && pkt.flags & SYN) this.conn.localPort = pkt.sport;
    if (this.conn.localPort !== null && pkt.sport !== this.conn.localPort) return;
    this.queue.push({ pkt, at });
  }

  private async inbound(ev: ScriptEvent, p: TcpPacket | UdpPacket | IcmpPacket): Promise<void> {
    if (p.proto !== 'tcp') throw new UnsupportedAt(`inbound ${p.proto} packets`, ev.line);
    const flags = flagsFromString(p.flags);
    if (flags & SYN && !(flags & ACK) && this.conn.listening) {
      this.newConnection(this.nextEphemeral++, this.bindPort);
      this.conn.listening = false;
    }
    if (this.conn.remotePort === null || this.conn.localPort === null) {
      throw new Failure('no matching socket for script packet', ev.line);
    }
    const { options, error } = inboundOptions(p, this.seq);
    if (error) throw new Failure(error, ev.line);
    let opts: Uint8Array;
    try {
      opts = encodeTcpOptions(options);
    } catch (e) {
      throw new Failure((e as Error).message, ev.line);
    }
    const ecn = { noecn: 0, ect1: 1, ect0: 2, ce: 3, ect01: 0 }[p.ip.ecn ?? 'noecn'];
    const bytes = encodeTcp({
      src: REMOTE_IP, dst: LOCAL_IP, sport: this.conn.remotePort, dport: this.conn.localPort,
      seq: inboundSeq(p, this.seq), ack: inboundAck(p, this.seq), flags, win: p.win ?? 0, urg: p.urg ?? 0,
      options: opts, payload: new Uint8Array(p.len), tos: ((p.ip.tos ?? 0) & ~3) | ecn, ttl: p.ip.ttl ?? 64, id: 0,
    });
    this.target.inject(bytes);
    await this.settle();
  }

  private async outbound(ev: ScriptEvent, p: TcpPacket, when: TimeCheck): Promise<void> {
    const slack = toleranceFor(this.tol, when.expected, this.lastScriptTime);
    const limit = when.kind === 'any' ? this.now() + ANY_TIME_LIMIT : when.expectedEnd + slack;
    await this.advanceTo(limit, true);
    // Like packetdrill, wait on for a late packet, so the report says how late it was.
    if (this.queue.length === 0 && when.kind !== 'any') await this.advanceTo(limit + LATE_PACKET_WAIT, true);
    const head = this.queue[0];
    if (!head) {
      throw new Failure(`timed out waiting for outbound packet at ${secs(when.expected)} sec`, ev.line,
        [`script packet: ${secs(when.expected)} ${describePacket(p)}`]);
    }
    let live = head.pkt;
    let used = 1;
    if (!this.strict && p.len > live.payload.length) {
      const burst = this.queue.filter((q) => q.at <= head.at + this.tol.usecs).map((q) => q.pkt);
      ({ merged: live, used } = mergeSegments(burst, p.len));
    }
    this.queue.splice(0, used);
    const err = verifyOutbound(p, live, this.seq, { tsTickUsecs: this.tsTick, toleranceUsecs: this.tol.usecs });
    const details = [
      `script packet: ${secs(when.expected)} ${describePacket(p)}`,
      `actual packet: ${secs(head.at)} ${describePacket(toActual(live, this.seq))}`,
    ];
    if (err) throw new Failure(`error handling packet: ${err}`, ev.line, details);
    const terr = checkTime(when, head.at, this.lastScriptTime, this.tol, 'outbound packet');
    if (terr) throw new Failure(`error handling packet: ${terr}`, ev.line, details);
    if (p.flags.includes('S')) this.conn.connecting = false;
  }
}

/** Run every queued Promise callback (a macrotask turn comes after all microtasks). */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function eventName(ev: ScriptEvent): string {
  switch (ev.action.kind) {
    case 'packet': return 'inbound packet';
    case 'syscall': return 'system call start';
    case 'shell': return 'command';
    case 'code': return 'data collection for code';
  }
}
