// The demo's network, assembled by @knet/host: hosts a and r on a learning switch in
// 198.18.0.0/24, r and b on a cable in 198.18.1.0/24, r forwarding between them. Every NIC is an
// igb on an emulated 82576; everything runs on one seeded virtual clock.
import type { Net, NetDevice } from '@knet/include';
import { createNetwork, type Host, type Network } from '@knet/host';
import { netdevPriv, type IgbAdapter } from '@knet/igb';
import type { LearningSwitch } from '@knet/nic-sim';
import { netifSetRpsCpus } from '@knet/netdevice';
import type { VirtualClock } from '@knet/softirq';

export interface LabHost {
  name: string;
  host: Host;
  net: Net;
  /** Its first igb device. */
  dev: NetDevice;
  adapter: IgbAdapter;
  /** Its address on `dev`. */
  addr: string;
}

export interface DemoLab {
  network: Network;
  clock: VirtualClock;
  sw: LearningSwitch;
  a: LabHost;
  r: LabHost;
  b: LabHost;
  hosts: LabHost[];
}

export interface LabOpts {
  seed?: number;
  /** Virtual CPUs per host; igb gives each an RX/TX queue pair (RSS). Default 2. */
  cpus?: number;
  /** Per-frame loss on the r–b cable, for the transport stages. */
  loss?: number;
  cc?: string;
}

function labHost(name: string, host: Host, dev: NetDevice, addr: string): LabHost {
  return { name, host, net: host.net, dev, adapter: netdevPriv(dev), addr };
}

export function makeDemoLab(o: LabOpts = {}): DemoLab {
  const network = createNetwork({ seed: o.seed ?? 1 });
  const hostOpts = { cpus: o.cpus ?? 2, ...(o.cc !== undefined ? { cc: o.cc } : {}) };
  const a = network.addHost('a', hostOpts);
  const r = network.addHost('r', hostOpts);
  const b = network.addHost('b', hostOpts);
  const sw = network.switch();
  const na = network.attach(sw, a, { addr: '198.18.0.2/24' });
  const nr0 = network.attach(sw, r, { addr: '198.18.0.1/24' });
  const rb = network.cable(r, b, {
    a: { addr: '198.18.1.1/24' },
    b: { addr: '198.18.1.2/24' },
    ...(o.loss ? { link: { impair: { loss: o.loss } } } : {}),
  });
  check(a.ip.route.add({ dst: 'default', gw: '198.18.0.1' }), 'ip route add default via 198.18.0.1 on a');
  check(b.ip.route.add({ dst: 'default', gw: '198.18.1.1' }), 'ip route add default via 198.18.1.1 on b');
  check(r.sysctl.set('net.ipv4.ip_forward', 1), 'sysctl net.ipv4.ip_forward=1 on r');
  const lab: DemoLab = {
    network,
    clock: network.clock as VirtualClock,
    sw,
    a: labHost('a', a, na.dev, '198.18.0.2'),
    r: labHost('r', r, nr0.dev, '198.18.0.1'),
    b: labHost('b', b, rb.b.dev, '198.18.1.2'),
    hosts: [],
  };
  lab.hosts.push(lab.a, lab.r, lab.b);
  waitForCarrier(network, [na.dev, nr0.dev, rb.a.dev, rb.b.dev]);
  return lab;
}

export interface PairLab {
  network: Network;
  clock: VirtualClock;
  a: LabHost;
  b: LabHost;
  hosts: LabHost[];
}

/** Two hosts on one switch in 198.18.0.0/24; `rps` spreads each RX queue over every CPU, as in the seeds. */
export function makePairLab(o: { seed?: number; cpus?: number; rps?: boolean } = {}): PairLab {
  const network = createNetwork({ seed: o.seed ?? 1 });
  const cpus = o.cpus ?? 2;
  const a = network.addHost('a', { cpus });
  const b = network.addHost('b', { cpus });
  const sw = network.switch();
  const na = network.attach(sw, a, { addr: '198.18.0.2/24' });
  const nb = network.attach(sw, b, { addr: '198.18.0.3/24' });
  if (o.rps) {
    for (const d of [na.dev, nb.dev]) for (let q = 0; q < d.rxQueues!.length; q++) check(netifSetRpsCpus(d, q, (1 << cpus) - 1), 'rps_cpus');
  }
  waitForCarrier(network, [na.dev, nb.dev]);
  const la = labHost('a', a, na.dev, '198.18.0.2');
  const lb = labHost('b', b, nb.dev, '198.18.0.3');
  return { network, clock: network.clock as VirtualClock, a: la, b: lb, hosts: [la, lb] };
}

/** Autonegotiation takes milliseconds of virtual time; give it up to 5 s. */
function waitForCarrier(network: Network, devs: NetDevice[]): void {
  if (!network.runUntil(() => devs.every((d) => d.carrier), 5000)) throw new Error('igb links did not come up');
}

function check(rc: number, what: string): void {
  if (rc < 0) throw new Error(`${what}: error ${rc}`);
}

/**
 * Run the clock until `pred` holds, in small steps, at most `maxMs` of virtual time. igb's
 * watchdog rearms every 2 s, so runUntilIdle would never return.
 */
export function runUntil(clock: VirtualClock, pred: () => boolean, maxMs: number, stepMs = 0.1): boolean {
  const end = clock.now() + maxMs;
  while (!pred()) {
    if (clock.now() >= end) return false;
    clock.runFor(Math.min(stepMs, end - clock.now()));
  }
  return true;
}
