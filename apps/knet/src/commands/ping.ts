// knet ping: ICMP echo from a knet host on a TAP device (what a ping socket does).
import { inetAton, inetNtoa } from '@knet/include';
import { icmpEchoReplyHook, icmpEchoSend, type EchoReply } from '@knet/ipv4';
import { ArgError, intFlag, parseArgs } from '../args.js';
import type { Io } from '../io.js';
import { createOutput } from '../ui/output.js';
import { openTapHost, reportUnavailable, type TapHostOpts } from './stack.js';
import type { Command } from './types.js';

const usage = `usage: knet ping HOST --tap IFNAME --addr CIDR [-c N] [options]
  HOST              IPv4 address to ping
  -c N              echo requests to send (default 4)
  --interval MS     between requests (default 1000)
  --size N          payload bytes (default 56)
  --timeout MS      wait for the last reply (default 2000)
  --tap, --addr, --gw, --mtu, --mac, --pcap   as for knet serve; --offload asks for IFF_VNET_HDR (off unless given)
  --json            print one JSON object: { sent, received, lossPct, rttMs: { min, avg, max } }`;

export interface PingResult {
  sent: number;
  received: number;
  lossPct: number;
  rttMs: { min: number; avg: number; max: number };
}

export const ping: Command = {
  name: 'ping',
  summary: 'ICMP echo from a knet host on a Linux TAP device',
  usage,
  async run(argv, io: Io) {
    const a = argv.map((x) => (x === '-c' ? '--count' : x));
    const args = parseArgs(a, { boolean: ['offload', 'json'], string: ['tap', 'addr', 'gw', 'mtu', 'mac', 'pcap', 'count', 'interval', 'size', 'timeout'] });
    const f = args.flags;
    if (args.positional.length !== 1 || !/^\d+\.\d+\.\d+\.\d+$/.test(args.positional[0]!)) throw new ArgError('one IPv4 HOST is required');
    if (typeof f.tap !== 'string') throw new ArgError('--tap IFNAME is required');
    if (typeof f.addr !== 'string') throw new ArgError('--addr CIDR is required');
    const count = intFlag(args, 'count', 4);
    const interval = intFlag(args, 'interval', 1000);
    const size = f.size === undefined ? 56 : Number(f.size);
    if (!Number.isInteger(size) || size < 0 || size > 65507) throw new ArgError('--size must be 0..65507');
    const timeout = intFlag(args, 'timeout', 2000);
    const opts: TapHostOpts = { tap: f.tap, addr: f.addr, offload: f.offload === true };
    if (typeof f.gw === 'string') opts.gw = f.gw;
    if (f.mtu !== undefined) opts.mtu = intFlag(args, 'mtu', 1500);
    if (typeof f.mac === 'string') opts.mac = f.mac;
    if (typeof f.pcap === 'string') opts.pcap = f.pcap;
    const dst = args.positional[0]!;
    return reportUnavailable('ping', io, () => runPing(opts, dst, { count, interval, size, timeout }, io, f.json === true));
  },
};

export async function runPing(
  opts: TapHostOpts, dst: string, p: { count: number; interval: number; size: number; timeout: number }, io: Io, json: boolean,
): Promise<number> {
  const { count, interval, size, timeout } = p;
  const daddr = inetAton(dst);
  const out = createOutput(io, json);
  const th = await openTapHost(opts);
  const id = process.pid & 0xffff;
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  const unhook = icmpEchoReplyHook(th.host.net, (r: EchoReply) => {
    if (r.id !== id || r.saddr !== daddr) return;
    const t = sentAt.get(r.seq);
    if (t === undefined) return;
    sentAt.delete(r.seq);
    const rtt = performance.now() - t;
    rtts.push(rtt);
    out.say(`${r.len + 8} bytes from ${inetNtoa(r.saddr)}: icmp_seq=${r.seq} ttl=${r.ttl} time=${rtt.toFixed(3)} ms`);
  });
  out.say(`PING ${dst} ${size}(${size + 28}) bytes of data.`);
  let sent = 0;
  try {
    for (let seq = 1; seq <= count; seq++) {
      sentAt.set(seq, performance.now());
      const rc = icmpEchoSend(th.host.net, daddr, id, seq, size);
      if (rc < 0) out.say(`ping: sendmsg: errno ${-rc}`);
      else sent++;
      if (seq < count) await new Promise((r) => setTimeout(r, interval));
    }
    const end = Date.now() + timeout;
    while (sentAt.size > 0 && rtts.length < sent && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  } finally {
    unhook();
    th.close();
  }
  const received = rtts.length;
  const r: PingResult = {
    sent,
    received,
    lossPct: count === 0 ? 0 : Math.round(((count - received) / count) * 1000) / 10,
    rttMs: {
      min: received ? Math.min(...rtts) : 0,
      avg: received ? rtts.reduce((x, y) => x + y, 0) / received : 0,
      max: received ? Math.max(...rtts) : 0,
    },
  };
  out.say(`--- ${dst} ping statistics ---`);
  out.say(`${count} packets transmitted, ${received} received, ${r.lossPct}% packet loss`);
  if (received) out.say(`rtt min/avg/max = ${r.rttMs.min.toFixed(3)}/${r.rttMs.avg.toFixed(3)}/${r.rttMs.max.toFixed(3)} ms`);
  if (out.json) out.result(r);
  return received > 0 ? 0 : 1;
}
