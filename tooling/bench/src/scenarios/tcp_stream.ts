// tcp_stream_*: one bulk TCP stream through the socket API, in Gbit/s of wall time, against
// Node's net over the kernel's loopback (node_tcp_stream) from the same run. The clock is
// virtual: the wire and the timers cost no wall time, so what is timed is the stack's work.
import type { Host } from '@knet/host';
import type { VirtualClock } from '@knet/softirq';
import type { Scenario } from '../types.js';
import { IGB_B, LOOPBACK, connectPair, igbHosts, listenOn, loadHostApi, loopbackHost, pump } from './tcp_conn.js';

const PORT = 5001;
/** Writes of 64 KiB, as the reference makes. */
const CHUNK = 65536;
const WARM_BYTES = 16 << 20;
const RUN_MS = 3000;

export interface StreamSetup {
  clock: VirtualClock;
  sender: Host;
  receiver: Host;
  daddr: number;
}

/**
 * Streams for RUN_MS of wall time after a warm-up, sender and reader taking turns with the
 * clock; returns Gbit/s of payload the reader got.
 */
export function streamGbps(s: StreamSetup, runMs = RUN_MS, warmBytes = WARM_BYTES): number {
  const { st, lfd } = listenOn(s.receiver, PORT);
  const c = connectPair(s.clock, s.sender.task(), st, lfd, s.daddr, PORT);
  const chunk = new Uint8Array(CHUNK).fill(0x5a);
  const buf = new Uint8Array(CHUNK);
  let received = 0;
  const round = () => {
    while (c.ct.send(c.cfd, chunk) > 0);
    const before = received;
    // Run until the reader gets something: the sender's next send has room again by then.
    pump(s.clock, () => {
      for (let n; (n = c.st.recv(c.sfd, buf)) > 0;) received += n;
      return received > before;
    }, 1000, 0.1);
    if (received === before) throw new Error(`the stream stalled after ${received} bytes`);
  };
  while (received < warmBytes) round();
  const start = received;
  const t0 = performance.now();
  let t = t0;
  while ((t = performance.now()) - t0 < runMs) round();
  c.ct.close(c.cfd);
  c.st.close(c.sfd);
  st.close(lfd);
  return ((received - start) * 8) / ((t - t0) / 1000) / 1e9;
}

export async function loopbackSetup(): Promise<StreamSetup> {
  const { clock, host } = loopbackHost(await loadHostApi());
  return { clock, sender: host, receiver: host, daddr: LOOPBACK };
}

export async function igbSetup(offloads: boolean): Promise<StreamSetup> {
  const { clock, a, b } = igbHosts(await loadHostApi(), { offloads });
  return { clock, sender: a, receiver: b, daddr: IGB_B };
}

function streamScenario(name: string, summary: string, setup: () => Promise<StreamSetup>): Scenario {
  return {
    name,
    unit: 'Gbit/s',
    direction: 'higher',
    summary,
    reference: 'node_tcp_stream',
    async run() {
      return { value: streamGbps(await setup()) };
    },
  };
}

export const tcpStreamLoopback = streamScenario(
  'tcp_stream_loopback',
  'one TCP stream on one host over lo (MTU 65536), send → tcp → lo → tcp → recv, Gbit/s of wall time',
  loopbackSetup,
);

export const tcpStreamIgb = streamScenario(
  'tcp_stream_igb',
  'one TCP stream between two hosts on igb NICs (MTU 1500, TSO and GRO on), Gbit/s of wall time',
  () => igbSetup(true),
);

export const tcpStreamIgbNotso = streamScenario(
  'tcp_stream_igb_notso',
  'as tcp_stream_igb with TSO and GRO off: every 1448-byte segment through the stack on its own',
  () => igbSetup(false),
);
