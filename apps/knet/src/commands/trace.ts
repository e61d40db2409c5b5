// knet trace: one packet from host a to host b over the igb pair, printed as the chain of
// functions it went through (Linux's names), with the CPU and context of each step.
import { AF_INET, CTX_NAMES, IPPROTO_TCP, IPPROTO_UDP, NET_XMIT_SUCCESS, SOCK_DGRAM, SOCK_STREAM, inetAton } from '@knet/include';
import { devQueueXmit, traceOff, traceOn } from '@knet/netdevice';
import { ArgError, intFlag, parseArgs } from '../args.js';
import { addCounter, l2FrameSkb, L2_FRAME_MIN } from '../core/l2_frames.js';
import { makePairLab, runUntil, type LabHost, type PairLab } from '../core/lab.js';
import { createOutput } from '../ui/output.js';
import type { Command } from './types.js';

export type TraceCtx = 'process' | 'softirq' | 'hardirq';
export type TraceProto = 'frame' | 'icmp' | 'udp' | 'tcp';
export const TRACE_PROTOS: readonly TraceProto[] = ['frame', 'icmp', 'udp', 'tcp'];

export interface TraceLine {
  fn: string;
  cpu: number;
  ctx: TraceCtx;
  host: string;
  /** The tracepoint's detail (queue, vector, length), when it gives one. */
  info?: string;
}

/** Virtual time the packet may take; it needs microseconds at 1 Gbit/s. */
const DELIVERY_MAX_MS = 50;
const UDP_PORT = 9;
const TCP_PORT = 5001;
/** Ethernet, IPv4 and TCP headers with the timestamp option: what --len counts beyond the payload. */
const TCP_HDRS = 14 + 20 + 32;

/** Every descriptor a handed to its NIC has been cleaned: igbCleanTxIrq ran for the packet. */
function txClean(h: LabHost): boolean {
  return h.adapter.txRing.every((r) => r.nextToClean === r.nextToUse);
}

/**
 * Sets up what the packet needs (sockets, a connection) before tracing starts; the function it
 * returns sends the packet and returns the condition that says its journey is over.
 */
type Journey = (lab: PairLab, len: number) => () => () => boolean;

const JOURNEYS: Record<TraceProto, Journey> = {
  // A raw frame: the driver and the core only.
  frame(lab, len) {
    const atB = addCounter(lab.b);
    return () => {
      const rc = devQueueXmit(l2FrameSkb(lab.a, lab.b, len, 1));
      if (rc !== NET_XMIT_SUCCESS) throw new Error(`devQueueXmit returned ${rc}`);
      return () => atB.counter.frames === 1;
    };
  },
  // One echo request and its reply: a → b → a.
  icmp(lab, len) {
    return () => {
      const p = lab.a.host.ping(lab.b.addr, { count: 1, size: Math.max(0, len - 42) });
      return () => p.done();
    };
  },
  // sendto on a, recvfrom on b.
  udp(lab, len) {
    const tb = lab.b.host.task();
    const ta = lab.a.host.task();
    const srv = tb.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const cli = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (tb.bind(srv, { family: AF_INET, addr: 0, port: UDP_PORT }) < 0) throw new Error('bind failed');
    const buf = new Uint8Array(2048);
    return () => {
      const n = ta.sendto(cli, new Uint8Array(Math.max(0, len - 42)), 0, { family: AF_INET, addr: inetAton(lab.b.addr), port: UDP_PORT });
      if (n < 0) throw new Error(`sendto returned ${n}`);
      // The reader polls in process context, as a non-blocking recvfrom loop does.
      let got = false;
      return () => (got ||= tb.recvfrom(srv, buf, 0).n >= 0);
    };
  },
  // One data segment on an established connection: send on a, recv on b. The handshake is
  // done before tracing starts.
  tcp(lab, len) {
    const tb = lab.b.host.task();
    const ta = lab.a.host.task();
    const lfd = tb.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const cfd = ta.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (tb.bind(lfd, { family: AF_INET, addr: 0, port: TCP_PORT }) < 0 || tb.listen(lfd, 1) < 0) throw new Error('listen failed');
    ta.connect(cfd, { family: AF_INET, addr: inetAton(lab.b.addr), port: TCP_PORT });
    let afd = -1;
    if (!runUntil(lab.clock, () => (afd = tb.accept(lfd)) >= 0, DELIVERY_MAX_MS)) throw new Error('the TCP handshake did not complete');
    // Let the handshake's last ACK and its TX completions finish before tracing starts.
    lab.clock.runFor(1);
    const payload = new Uint8Array(Math.max(1, len - TCP_HDRS));
    const buf = new Uint8Array(payload.length);
    return () => {
      const n = ta.send(cfd, payload);
      if (n !== payload.length) throw new Error(`send returned ${n}`);
      let got = 0;
      return () => {
        for (let r = 0; got < payload.length && (r = tb.recv(afd, buf)) > 0;) got += r;
        return got === payload.length;
      };
    };
  },
};

/**
 * One packet from a to b (and, for icmp, back): the sender's transmit, the wire, the
 * receiver's hard IRQ, NAPI poll and RPS backlog, up to the socket, and the sender's
 * TX-completion interrupt. ARP is resolved before tracing starts; RPS is on, as in the seeds.
 */
export async function tracePacket(proto: TraceProto, len: number): Promise<TraceLine[]> {
  const lab = makePairLab({ rps: true });
  // Resolve ARP both ways first, so the trace is the packet's own path.
  const warm = lab.a.host.ping(lab.b.addr, { count: 1 });
  if (!runUntil(lab.clock, () => warm.done() && warm.received === 1, DELIVERY_MAX_MS)) throw new Error('ARP warm-up ping failed');
  const send = JOURNEYS[proto](lab, len);
  const lines: TraceLine[] = [];
  // One sink per host so each line says which kernel it ran in; one array keeps call order.
  for (const h of lab.hosts) {
    traceOn(h.net, {
      event(fn, cpu, ctx, info) {
        const l: TraceLine = { fn, cpu, ctx: CTX_NAMES[ctx] ?? 'process', host: h.name };
        if (info !== undefined) l.info = info;
        lines.push(l);
      },
    });
  }
  try {
    const arrived = send();
    const done = () => arrived() && txClean(lab.a) && txClean(lab.b);
    if (!runUntil(lab.clock, done, DELIVERY_MAX_MS, 0.01)) throw new Error(`the ${proto} packet never arrived`);
  } finally {
    for (const h of lab.hosts) traceOff(h.net);
  }
  return lines;
}

const DEPTH: Record<TraceCtx, number> = { process: 0, softirq: 1, hardirq: 2 };

/** One line per call; a heading when the host or context changes; deeper contexts indent more. */
export function formatTrace(lines: readonly TraceLine[]): string {
  const out: string[] = [];
  let where = '';
  for (const l of lines) {
    const w = `${l.host}/${l.ctx}`;
    if (w !== where) {
      out.push(`${out.length > 0 ? '\n' : ''}host ${l.host}, ${l.ctx} context:`);
      where = w;
    }
    const detail = l.info !== undefined ? `  (${l.info})` : '';
    out.push(`${'  '.repeat(1 + DEPTH[l.ctx])}${l.fn}  [cpu${l.cpu}]${detail}`);
  }
  return `${out.join('\n')}\n`;
}

export const trace: Command = {
  name: 'trace',
  summary: "trace one packet between two igb hosts, function by function (Linux's names)",
  usage: `usage: knet trace [--proto udp|icmp|frame] [--len BYTES] [--json]
  --proto P    udp (sendto on a, recvfrom on b; default), tcp (one data segment, send on a,
               recv on b, on a connection set up before tracing), icmp (ping a → b → a) or frame
               (a raw Ethernet frame through the driver and core only)
  --len BYTES  frame length (default 98)
  --json       print a JSON array of { fn, cpu, ctx, host } in call order`,
  async run(argv, io) {
    const args = parseArgs(argv, { boolean: ['json'], string: ['len', 'proto'] });
    const len = intFlag(args, 'len', 98);
    if (len < L2_FRAME_MIN + 38 || len > 1514) throw new ArgError(`--len must be ${L2_FRAME_MIN + 38}..1514`);
    const proto = (args.flags.proto ?? 'udp') as TraceProto;
    if (!TRACE_PROTOS.includes(proto)) throw new ArgError(`--proto must be one of ${TRACE_PROTOS.join(', ')}`);
    const out = createOutput(io, args.flags.json === true);
    const lines = await tracePacket(proto, len);
    if (out.json) out.result(lines.map((l) => ({ fn: l.fn, cpu: l.cpu, ctx: l.ctx, host: l.host })));
    else out.say(formatTrace(lines));
    return lines.length > 0 ? 0 : 1;
  },
};
