// knet serve: one knet host on a Linux TAP device offering the classic small services and
// static files over HTTP, until SIGINT/SIGTERM.
import type { Server } from 'node:http';
import { devGetStats } from '@knet/netdevice';
import { ArgError, intFlag, parseArgs } from '../args.js';
import type { Io } from '../io.js';
import { createOutput } from '../ui/output.js';
import { formatKeyValues } from '../ui/table.js';
import { formatBytes, formatCount, formatRate } from '../ui/units.js';
import { ErrnoError } from '@knet/include';
import { Inetd, type InetdService, type InetdTask } from './inetd.js';
import { httpAccept, httpFileServer, newServiceStats, udpDiscard, udpEcho, type ServiceStats } from './services.js';
import { type DgramLike, mib, openTapHost, reportUnavailable, StackUnavailable, type ServerLike, type TapHostOpts } from './stack.js';
import type { Command } from './types.js';

const usage = `usage: knet serve --tap IFNAME --addr CIDR [options]
  --tap IFNAME      the Linux TAP interface to attach to (created if absent)
  --addr CIDR       knet's address on it, e.g. 198.18.0.2/24
  --gw IP           default gateway
  --mtu N           device MTU (default 1500)
  --mac MAC         knet's MAC address (default: random, locally administered)
  --cc NAME         TCP congestion control (reno, cubic ...)
  --offload[=false] IFF_VNET_HDR: checksum offload and TSO with the kernel (default on,
                    off with --pcap so the capture holds the frames as on the wire)
  --pcap FILE       capture the device's traffic to FILE (libpcap format)
  --busy-poll USECS after traffic, keep reading the TAP this long before sleeping, as
                    Linux's net.core.busy_poll (default 0, off; costs CPU, saves wakeups)
  --http-root DIR   serve files from DIR over HTTP
  --http-port N     HTTP port (default 80)
  --json            at exit, print the counters as one JSON object
Services: echo tcp+udp/7 (RFC 862), discard tcp+udp/9 (RFC 863), chargen tcp/19 (RFC 864).
SIGINT/SIGTERM close the sockets, flush the pcap, print the counters and exit.`;

export interface ServeOpts extends TapHostOpts {
  httpRoot?: string;
  httpPort: number;
}

export function parseServeArgs(argv: readonly string[]): { opts: ServeOpts; json: boolean } {
  const args = parseArgs(argv, {
    boolean: ['offload', 'json'],
    string: ['tap', 'addr', 'gw', 'mtu', 'mac', 'cc', 'pcap', 'http-root', 'http-port', 'busy-poll'],
  });
  const f = args.flags;
  if (typeof f.tap !== 'string') throw new ArgError('--tap IFNAME is required');
  if (typeof f.addr !== 'string' || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(f.addr)) throw new ArgError('--addr a.b.c.d/len is required');
  if (args.positional.length > 0) throw new ArgError(`unexpected argument '${args.positional[0]}'`);
  const opts: ServeOpts = {
    tap: f.tap,
    addr: f.addr,
    // As a virtio-net guest asks tun for them: on unless refused, or a capture wants wire frames.
    offload: f.offload === undefined ? typeof f.pcap !== 'string' : f.offload === true,
    httpPort: intFlag(args, 'http-port', 80),
  };
  if (typeof f.gw === 'string') opts.gw = f.gw;
  if (f.mtu !== undefined) opts.mtu = intFlag(args, 'mtu', 1500);
  if (typeof f.mac === 'string') opts.mac = f.mac;
  if (typeof f.cc === 'string') opts.cc = f.cc;
  if (typeof f.pcap === 'string') opts.pcap = f.pcap;
  if (f['busy-poll'] !== undefined) opts.busyPollUs = intFlag(args, 'busy-poll', 0);
  if (typeof f['http-root'] === 'string') opts.httpRoot = f['http-root'];
  return { opts, json: f.json === true };
}

export interface ServeSummary {
  tap: string;
  addr: string;
  services: Record<string, ServiceStats>;
  dev: { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxDropped: number; txDropped: number };
  /** The TAP driver's own counters, as `ethtool -S` lists them. */
  driver: Record<string, number>;
  tcp: { activeOpens: number; passiveOpens: number; retransSegs: number; inSegs: number; outSegs: number };
  drops: Record<string, number>;
}

/** Resolves on the first SIGINT/SIGTERM; later ones are ignored while we shut down. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      process.on('SIGINT', () => {});
      process.on('SIGTERM', () => {});
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runServe(opts: ServeOpts, io: Io, json: boolean, stop: Promise<unknown> = untilSignal()): Promise<ServeSummary> {
  const out = createOutput(io, json);
  const th = await openTapHost(opts);
  const driver: Record<string, number> = {};
  const { api, host, task } = th;
  const stats: Record<string, ServiceStats> = {
    'echo/tcp': newServiceStats(), 'echo/udp': newServiceStats(), 'discard/tcp': newServiceStats(),
    'discard/udp': newServiceStats(), 'chargen/tcp': newServiceStats(), 'http/tcp': newServiceStats(),
  };
  const servers: ServerLike[] = [];
  const dgrams: DgramLike[] = [];
  const sockets = new Set<import('node:stream').Duplex>();
  let http: Server | null = null;
  const listen = async (port: number, name: string, fn: (s: import('node:stream').Duplex) => void) => {
    const srv = api.knetCreateServer(task, (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      fn(s);
    });
    await new Promise<void>((resolve, reject) => {
      srv.on('error', (e) => reject(new StackUnavailable(`${name}: listen on tcp/${port}: ${e.message}`)));
      srv.listen(port, () => resolve());
    });
    srv.on('error', (e) => out.say(`knet serve: ${name}: ${e.message}`));
    servers.push(srv);
  };
  const udp = async (port: number, fn: (d: DgramLike) => void) => {
    const d = api.knetCreateDgramSocket(task, 'udp4');
    fn(d);
    await new Promise<void>((resolve, reject) => {
      d.on('error', (e) => reject(new StackUnavailable(`bind udp/${port}: ${e.message}`)));
      d.bind(port, () => resolve());
    });
    dgrams.push(d);
  };
  // The small TCP services run on the socket calls in one epoll loop, as inetd's built-ins do.
  const inetd = new Inetd(task as InetdTask);
  const tcpService = (port: number, svc: InetdService) => {
    const e = inetd.listen(port, svc, stats[`${svc}/tcp`]!);
    if (e < 0) throw new StackUnavailable(`${svc}: listen on tcp/${port}: ${new ErrnoError(e, 'listen').message}`);
  };
  let status: NodeJS.Timeout | null = null;
  try {
    tcpService(7, 'echo');
    tcpService(9, 'discard');
    tcpService(19, 'chargen');
    await udp(7, (d) => udpEcho(d, stats['echo/udp']!));
    await udp(9, (d) => udpDiscard(d, stats['discard/udp']!));
    if (opts.httpRoot !== undefined) {
      const hs = stats['http/tcp']!;
      const h = httpFileServer(opts.httpRoot, hs);
      http = h;
      await listen(opts.httpPort, 'http', (s) => httpAccept(h, s, hs));
    }
    out.say(`knet serve: ${th.dev.name} ${opts.addr} up; echo 7, discard 9, chargen 19${http ? `, http ${opts.httpPort} (${opts.httpRoot})` : ''}`);
    if (out.human.isTTY) {
      let last = { rx: 0, tx: 0, t: performance.now() };
      status = setInterval(() => {
        const s = devGetStats(th.dev);
        const now = performance.now();
        const dt = (now - last.t) / 1000;
        const active = Object.values(stats).reduce((a, v) => a + v.active, 0);
        out.human.write(
          `\r${active} conns  rx ${formatRate((s.rxBytes - last.rx) / dt)}  tx ${formatRate((s.txBytes - last.tx) / dt)}  retrans ${formatCount(mib(host, 'Tcp', 'RetransSegs'))}   `,
        );
        last = { rx: s.rxBytes, tx: s.txBytes, t: now };
      }, 1000);
    }
    await stop;
  } finally {
    if (status !== null) {
      clearInterval(status);
      out.human.write('\n');
    }
    // Graceful: stop accepting, FIN every open connection, give them a moment, then go.
    for (const s of servers) s.close();
    for (const d of dgrams) d.close();
    http?.close();
    for (const s of sockets) s.end();
    const inetdDone = inetd.stop();
    const deadline = Date.now() + 2000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of sockets) s.destroy();
    await inetdDone;
    // Let the FINs/RSTs leave before the TAP closes.
    await new Promise((r) => setTimeout(r, 50));
    Object.assign(driver, th.dev.ethtoolOps?.getEthtoolStats?.(th.dev) ?? {});
    th.close();
  }
  // dev_get_stats, as `ip -s link` reads them: the driver's counters plus the core's drops.
  const d = devGetStats(th.dev);
  const summary: ServeSummary = {
    tap: opts.tap,
    addr: opts.addr,
    services: stats,
    dev: { rxPackets: d.rxPackets, txPackets: d.txPackets, rxBytes: d.rxBytes, txBytes: d.txBytes, rxDropped: d.rxDropped, txDropped: d.txDropped },
    driver,
    tcp: {
      activeOpens: mib(host, 'Tcp', 'ActiveOpens'), passiveOpens: mib(host, 'Tcp', 'PassiveOpens'),
      retransSegs: mib(host, 'Tcp', 'RetransSegs'), inSegs: mib(host, 'Tcp', 'InSegs'), outSegs: mib(host, 'Tcp', 'OutSegs'),
    },
    drops: host.counters().drops,
  };
  if (json) out.result(summary);
  else {
    const rows: [string, string][] = Object.entries(stats).map(([k, v]) => [
      k, `${formatCount(v.connections)} conns, ${formatCount(v.datagrams + v.requests)} msgs, rx ${formatCount(v.rxBytes)} B, tx ${formatCount(v.txBytes)} B`,
    ]);
    rows.push(['device', `rx ${formatCount(d.rxPackets)} pkts (${formatBytes(d.rxBytes)}), tx ${formatCount(d.txPackets)} pkts (${formatBytes(d.txBytes)})`]);
    rows.push(['tcp', `${summary.tcp.passiveOpens} passive opens, ${summary.tcp.retransSegs} retransmits`]);
    const drops = Object.entries(summary.drops).filter(([, v]) => v > 0);
    rows.push(['drops', drops.length === 0 ? 'none' : drops.map(([k, v]) => `${k} ${v}`).join(', ')]);
    out.say(formatKeyValues(rows));
  }
  return summary;
}

export const serve: Command = {
  name: 'serve',
  summary: 'run a knet host on a Linux TAP device: echo, discard, chargen and HTTP files',
  usage,
  async run(argv, io) {
    const { opts, json } = parseServeArgs(argv);
    return reportUnavailable('serve', io, async () => {
      await runServe(opts, io, json);
      return 0;
    });
  },
};
