// knet connect: netcat over a knet TCP connection on a TAP device (stdin → socket → stdout).
import type { Readable, Writable } from 'node:stream';
import { ArgError, intFlag, parseArgs } from '../args.js';
import type { Io } from '../io.js';
import { openTapHost, reportUnavailable, type TapHostOpts } from './stack.js';
import type { Command } from './types.js';

const usage = `usage: knet connect HOST PORT --tap IFNAME --addr CIDR [options]
  Copies stdin to the connection and the connection to stdout; at the end of stdin the
  write side is shut down (FIN), and the command exits when the peer closes.
  --tap, --addr, --gw, --mtu, --mac, --cc, --pcap   as for knet serve; --offload asks for IFF_VNET_HDR (off unless given)`;

export interface ConnectStreams {
  stdin: Readable;
  stdout: Writable;
}

export async function runConnect(opts: TapHostOpts, host: string, port: number, io: Io, streams: ConnectStreams): Promise<number> {
  const th = await openTapHost(opts);
  try {
    return await new Promise<number>((resolve) => {
      const sock = th.api.knetConnect(th.task, { host, port });
      let failed = false;
      sock.on('error', (e: Error) => {
        failed = true;
        io.stderr.write(`knet connect: ${e.message}\n`);
      });
      sock.on('connect', () => streams.stdin.pipe(sock));
      sock.pipe(streams.stdout, { end: false });
      sock.on('close', () => {
        streams.stdin.unpipe(sock);
        streams.stdin.pause();
        resolve(failed ? 1 : 0);
      });
    });
  } finally {
    await new Promise((r) => setTimeout(r, 50));
    th.close();
  }
}

export const connect: Command = {
  name: 'connect',
  summary: 'netcat-style TCP client over knet on a Linux TAP device',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { boolean: ['offload'], string: ['tap', 'addr', 'gw', 'mtu', 'mac', 'cc', 'pcap'] });
    const f = args.flags;
    const [host, portS] = args.positional;
    if (args.positional.length !== 2 || !/^\d+\.\d+\.\d+\.\d+$/.test(host!)) throw new ArgError('HOST (IPv4) and PORT are required');
    const port = Number(portS);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ArgError('PORT must be 1..65535');
    if (typeof f.tap !== 'string') throw new ArgError('--tap IFNAME is required');
    if (typeof f.addr !== 'string') throw new ArgError('--addr CIDR is required');
    const opts: TapHostOpts = { tap: f.tap, addr: f.addr, offload: f.offload === true };
    if (typeof f.gw === 'string') opts.gw = f.gw;
    if (f.mtu !== undefined) opts.mtu = intFlag(args, 'mtu', 1500);
    if (typeof f.mac === 'string') opts.mac = f.mac;
    if (typeof f.cc === 'string') opts.cc = f.cc;
    if (typeof f.pcap === 'string') opts.pcap = f.pcap;
    return reportUnavailable('connect', io, () => runConnect(opts, host!, port, io, { stdin: process.stdin, stdout: process.stdout }));
  },
};
