// udp_datagrams: 1472-byte datagrams per second (wall time), socket to socket between two
// hosts on igb NICs through the whole stack (udpSendmsg → IP → ARP'd neighbour → qdisc → igb →
// wire → NAPI → ipRcv → udpRcv → recvfrom), as a ratio to veth_frames from the same run.
import type { Scenario } from '../types.js';
import { ScenarioUnavailable } from '../unavailable.js';
import { vethFramesRate } from './veth_frames.js';

/** Fills a 1514-byte frame: 1500 - 20 (IP) - 8 (UDP). */
const PAYLOAD = 1472;
/** Datagrams in flight per burst: well inside the socket's receive buffer. */
const BATCH = 64;
const RUN_MS = 2000;
const AF_INET = 2, SOCK_DGRAM = 2, IPPROTO_UDP = 17, MSG_DONTWAIT = 0x40;

export const udpDatagrams: Scenario = {
  name: 'udp_datagrams',
  unit: 'datagrams/s',
  direction: 'higher',
  summary: 'sendto → UDP/IP → igb → wire → igb → UDP → recvfrom between two hosts, 1472-byte datagrams',
  async run() {
    let host: typeof import('@knet/host');
    try {
      host = await import('@knet/host');
    } catch (e) {
      throw new ScenarioUnavailable(`cannot load @knet/host: ${(e as Error).message}`);
    }
    const network = host.createNetwork({ seed: 1 });
    const a = network.addHost('a', { cpus: 1 });
    const b = network.addHost('b', { cpus: 1 });
    const link = network.cable(a, b, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.3/24' } });
    if (!network.runUntil(() => link.a.dev.carrier && link.b.dev.carrier, 5000)) throw new Error('igb link did not come up');
    const ta = a.task();
    const tb = b.task();
    const cli = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const srv = tb.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (tb.bind(srv, { family: AF_INET, addr: 0, port: 9 }) < 0) throw new Error('bind failed');
    const to = { family: AF_INET, addr: 0xc6120003, port: 9 };
    const msg = new Uint8Array(PAYLOAD);
    const buf = new Uint8Array(2048);
    // Resolve ARP first: a neighbour still resolving queues only a few packets, as in Linux.
    const warm = a.ping('198.18.0.3', { count: 1 });
    if (!network.runUntil(() => warm.done(), 1000) || warm.received !== 1) throw new Error('ARP warm-up ping failed');
    let sent = 0;
    let received = 0;
    const burst = () => {
      for (let i = 0; i < BATCH; i++) if (ta.sendto(cli, msg, 0, to) === PAYLOAD) sent++;
      const ok = network.runUntil(() => {
        while (tb.recvfrom(srv, buf, MSG_DONTWAIT).n > 0) received++;
        return received >= sent;
      }, 1000, 0.5);
      if (!ok) throw new Error(`datagrams lost: ${sent} sent, ${received} received`);
    };
    for (let i = 0; i < 20; i++) burst(); // warm-up
    const before = received;
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_MS) burst();
    const secs = (performance.now() - t0) / 1000;
    return { value: (received - before) / secs, reference: await vethFramesRate(), referenceName: 'veth_frames' };
  },
};
