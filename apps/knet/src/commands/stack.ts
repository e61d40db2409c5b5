// One knet host on a real TAP device, for serve/fetch/ping/connect. The host assembly and the
// Node-style socket adapters are looked up at run time, so a missing layer is reported by
// name instead of the CLI failing to start.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { Clock, ClockEvent, Net, NetDevice, PacketType } from '@knet/include';
import { PcapWriter, pcapTapAdd, pcapTapRemove, type ByteSink } from '@knet/netdevice';
import { createRealClock } from '@knet/softirq';
import { tapAvailable, tapClose, tapOpen } from '@knet/tap';
import type { Io } from '../io.js';

/** A layer or the TAP driver is missing; the message says which, and the command exits 1. */
export class StackUnavailable extends Error {
  override name = 'StackUnavailable';
}

/** Run a command body, turning StackUnavailable into a one-line message and exit code 1. */
export async function reportUnavailable(cmd: string, io: Io, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof StackUnavailable)) throw e;
    io.stderr.write(`knet ${cmd}: ${e.message}\n`);
    return 1;
  }
}

/** What the CLI needs of a @knet/host Host. */
export interface HostLike {
  readonly net: Net;
  readonly ip: {
    link: { set(name: string, o: { up?: boolean; mtu?: number }): number };
    addr: { add(name: string, cidr: string): number };
    route: { add(spec: { dst: string; gw?: string; dev?: string }): number };
  };
  readonly sysctl: { set(name: string, v: number | string): number };
  counters(): { snmp: Record<string, Record<string, number>>; drops: Record<string, number> };
  task(): unknown;
}

/** A Node net.Server over knet sockets. */
export interface ServerLike {
  listen(port: number, cb?: () => void): unknown;
  close(cb?: (err?: Error) => void): unknown;
  on(ev: 'error', cb: (err: Error) => void): unknown;
}

/** A Node dgram.Socket over knet sockets. */
export interface DgramLike {
  bind(port: number, cb?: () => void): unknown;
  on(ev: 'message', cb: (msg: Buffer, rinfo: { address: string; port: number }) => void): unknown;
  on(ev: 'error', cb: (err: Error) => void): unknown;
  send(msg: Uint8Array, port: number, address: string, cb?: (err: Error | null) => void): unknown;
  close(cb?: () => void): unknown;
}

/** The exports of @knet/host and @knet/socket the CLI uses. */
export interface StackApi {
  createHost(opts: { name: string; cpus?: number; clock?: Clock; cc?: string }): HostLike;
  knetCreateServer(task: unknown, onConnection?: (sock: Duplex) => void): ServerLike;
  knetConnect(task: unknown, opts: { host: string; port: number }, onConnect?: () => void): Duplex;
  knetCreateDgramSocket(task: unknown, type: 'udp4'): DgramLike;
}

const NEEDED: { mod: string; name: keyof StackApi }[] = [
  { mod: '@knet/host', name: 'createHost' },
  { mod: '@knet/socket', name: 'knetCreateServer' },
  { mod: '@knet/socket', name: 'knetConnect' },
  { mod: '@knet/socket', name: 'knetCreateDgramSocket' },
];

export async function loadStackApi(): Promise<StackApi> {
  const merged: Record<string, unknown> = {};
  for (const mod of ['@knet/host', '@knet/socket']) {
    try {
      Object.assign(merged, await import(mod));
    } catch (e) {
      throw new StackUnavailable(`cannot load ${mod}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const absent = NEEDED.filter((n) => typeof merged[n.name] !== 'function');
  if (absent.length > 0) throw new StackUnavailable(`not available yet: ${absent.map((n) => `${n.mod} ${n.name}`).join(', ')}`);
  return merged as unknown as StackApi;
}

export interface TapHostOpts {
  tap: string;
  /** knet's address, a.b.c.d/len. */
  addr: string;
  gw?: string;
  mtu?: number;
  cc?: string;
  mac?: string;
  /** IFF_VNET_HDR: checksum and TSO offloads with the kernel. */
  offload?: boolean;
  pcap?: string;
  /** µs the TAP keeps reading after traffic before sleeping (net.core.busy_poll); 0 off. */
  busyPollUs?: number;
}

/** A file sink that batches writes; flush() on exit. */
class FileSink implements ByteSink {
  private readonly fd: number;
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(b: Uint8Array): void {
    this.chunks.push(b.slice());
    this.bytes += b.length;
    if (this.bytes >= 1 << 20) this.flush();
  }
  flush(): void {
    for (const c of this.chunks) writeSync(this.fd, c);
    this.chunks = [];
    this.bytes = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface TapHost {
  api: StackApi;
  host: HostLike;
  dev: NetDevice;
  task: unknown;
  /** Flush the pcap, close the TAP. Idempotent. */
  close(): void;
}

function check(rc: number, what: string): void {
  if (rc < 0) throw new StackUnavailable(`${what} failed (errno ${-rc})`);
}

interface CliEvent extends ClockEvent {
  due: number;
  fn: (() => void) | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * The real clock with unref'd timers: the host's protocol timers alone must not keep the
 * process alive once the command is done; an open TAP device (its uv_poll) does.
 */
export function createCliClock(): Clock {
  const base = createRealClock();
  let nextId = 1;
  const arm = (ev: CliEvent, delay: number): void => {
    if (delay < 1) {
      base.defer(() => fire(ev));
      return;
    }
    ev.timer = setTimeout(() => fire(ev), delay);
    ev.timer.unref();
  };
  // Node may wake a timer up to a millisecond early; re-arm until it is really due.
  const fire = (ev: CliEvent): void => {
    const fn = ev.fn;
    if (fn === null) return;
    ev.timer = null;
    const left = ev.due - performance.now();
    if (left > 0) return arm(ev, left);
    ev.fn = null;
    fn();
  };
  return {
    name: 'real',
    virtual: false,
    now: () => performance.now(),
    schedule(delayMs, fn) {
      const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
      const ev: CliEvent = { id: nextId++, due: performance.now() + d, fn, timer: null };
      arm(ev, d);
      return ev;
    },
    cancel(ev) {
      const e = ev as CliEvent;
      e.fn = null;
      if (e.timer !== null) clearTimeout(e.timer);
      e.timer = null;
    },
    defer: (fn) => base.defer(fn),
    random: () => Math.random(),
  };
}

/** Build a host on the real clock, open the TAP, configure addresses, routes and pcap. */
export async function openTapHost(o: TapHostOpts): Promise<TapHost> {
  const avail = tapAvailable();
  if (!avail.ok) throw new StackUnavailable(avail.reason ?? 'the TAP driver is unavailable');
  const api = await loadStackApi();
  const host = api.createHost({ name: 'knet', cpus: 1, clock: createCliClock(), ...(o.cc ? { cc: o.cc } : {}) });
  // A capture inside knet sees frames before the device's offload engines, as tcpdump on a
  // Linux NIC with TSO sees super-frames with unfinished checksums; with --pcap the engines
  // are off (ethtool -K tso off tx off rx off) so the file holds the frames as sent.
  const dev = tapOpen(host.net, o.tap, {
    vnetHdr: o.offload === true, nicOffload: !o.pcap, ...(o.mtu ? { mtu: o.mtu } : {}), ...(o.mac ? { mac: o.mac } : {}),
    ...(o.busyPollUs ? { busyPollUs: o.busyPollUs } : {}),
  });
  let sink: FileSink | null = null;
  let pt: PacketType | null = null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (pt !== null) pcapTapRemove(host.net, pt);
    sink?.close();
    tapClose(dev);
  };
  try {
    if (o.pcap) {
      sink = new FileSink(o.pcap);
      pt = pcapTapAdd(host.net, dev, new PcapWriter(sink));
    }
    check(host.ip.link.set(dev.name, { up: true }), `ip link set ${dev.name} up`);
    check(host.ip.addr.add(dev.name, o.addr), `ip addr add ${o.addr}`);
    if (o.gw) check(host.ip.route.add({ dst: 'default', gw: o.gw, dev: dev.name }), `ip route add default via ${o.gw}`);
  } catch (e) {
    close();
    throw e;
  }
  return { api, host, dev, task: host.task(), close };
}

/** Sum of a MIB counter, 0 when the group or field is absent. */
export function mib(host: HostLike, group: string, field: string): number {
  return host.counters().snmp[group]?.[field] ?? 0;
}
