// What the TCP scenarios share: hosts from @knet/host on a virtual clock, connections made over
// the non-blocking socket calls, and a pump that runs the clock until a condition holds. The
// virtual clock makes the wire and the timers cost nothing, so the wall time a scenario
// measures is the stack's own work (and the harness's calls into it).
import { AF_INET, IPPROTO_TCP, NETIF_F_GRO, NETIF_F_TSO, SOCK_STREAM } from '@knet/include';
import type { Host, Network } from '@knet/host';
import type { VirtualClock } from '@knet/softirq';
import { ScenarioUnavailable } from '../unavailable.js';

export type HostApi = typeof import('@knet/host');

export async function loadHostApi(): Promise<HostApi> {
  try {
    return await import('@knet/host');
  } catch (e) {
    throw new ScenarioUnavailable(`cannot load @knet/host: ${(e as Error).message.split('\n')[0]}`);
  }
}

export const LOOPBACK = 0x7f000001;

/**
 * Run the clock until `pred()` holds: first only what is due now (softirqs deferred by the
 * last call), then in steps of `stepMs`, at most `maxMs` of virtual time. False if it never held.
 */
export function pump(clock: VirtualClock, pred: () => boolean, maxMs = 5000, stepMs = 0.05): boolean {
  if (pred()) return true;
  clock.run(clock.now());
  const end = clock.now() + maxMs;
  while (!pred()) {
    if (clock.now() >= end) return false;
    clock.runFor(Math.min(stepMs, end - clock.now()));
  }
  return true;
}

export interface Conn {
  /** The connecting side's task and fd. */
  ct: ReturnType<Host['task']>;
  cfd: number;
  /** The accepting side's task and fd. */
  st: ReturnType<Host['task']>;
  sfd: number;
}

/** A listener on `server`, port `port`, with the tasks that will use it. */
export function listenOn(server: Host, port: number): { st: ReturnType<Host['task']>; lfd: number } {
  const st = server.task();
  const lfd = st.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (lfd < 0 || st.bind(lfd, { family: AF_INET, addr: 0, port }) < 0 || st.listen(lfd, 4096) < 0) throw new Error(`listen on ${port} failed`);
  return { st, lfd };
}

/** connect + accept; throws if the handshake does not finish in a second of virtual time. */
export function connectPair(
  clock: VirtualClock, ct: ReturnType<Host['task']>, st: ReturnType<Host['task']>, lfd: number, daddr: number, port: number,
): Conn {
  const cfd = ct.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (cfd < 0) throw new Error(`socket: ${cfd}`);
  ct.connect(cfd, { family: AF_INET, addr: daddr, port });
  let sfd = -1;
  if (!pump(clock, () => (sfd = st.accept(lfd)) >= 0, 1000)) throw new Error('the TCP handshake did not complete');
  return { ct, cfd, st, sfd };
}

/** One host on its own virtual clock: TCP over `lo` (MTU 65536), as the Node references use the kernel's. */
export function loopbackHost(api: HostApi): { clock: VirtualClock; host: Host } {
  const host = api.createHost({ name: 'lo-bench', cpus: 1, seed: 1 });
  return { clock: host.clock as VirtualClock, host };
}

export const IGB_A = 0xc6120002, IGB_B = 0xc6120003;

/** Two hosts, one igb NIC each on an emulated 82576, a 1 Gbit/s cable between, MTU 1500. */
export function igbHosts(api: HostApi, o: { offloads: boolean }): { clock: VirtualClock; network: Network; a: Host; b: Host } {
  const network = api.createNetwork({ seed: 1 });
  const a = network.addHost('a', { cpus: 1 });
  const b = network.addHost('b', { cpus: 1 });
  const link = network.cable(a, b, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.3/24' } });
  if (!o.offloads) {
    // ethtool -K tso off gro off: every segment crosses the stack one MTU at a time.
    for (const d of [link.a.dev, link.b.dev]) d.features &= ~(NETIF_F_TSO | NETIF_F_GRO);
  }
  if (!network.runUntil(() => link.a.dev.carrier && link.b.dev.carrier, 5000)) throw new Error('igb link did not come up');
  const warm = a.ping('198.18.0.3', { count: 1 });
  if (!network.runUntil(() => warm.done(), 1000) || warm.received !== 1) throw new Error('ARP warm-up ping failed');
  return { clock: network.clock as VirtualClock, network, a, b };
}
