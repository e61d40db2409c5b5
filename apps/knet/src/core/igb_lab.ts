// Two hosts, each an allocNet with an igb driver on an emulated 82576, cabled to one learning
// switch, all on one virtual clock. The assembly without the IP layers: enough for frames.
import type { Net, NetDevice } from '@knet/include';
import { allocNet, devOpen, netifSetRpsCpus } from '@knet/netdevice';
import { igbProbe, netdevPriv, type IgbAdapter } from '@knet/igb';
import { createIgbNic, LearningSwitch, type Igb82576, type LinkOpts } from '@knet/nic-sim';
import { qdiscRegisterAll } from '@knet/qdisc';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';

export interface IgbHost {
  name: string;
  net: Net;
  dev: NetDevice;
  nic: Igb82576;
  adapter: IgbAdapter;
  /** The IPv4 address its frames carry (198.18.0.x, host order). */
  addr: number;
}

export interface IgbLab {
  clock: VirtualClock;
  sw: LearningSwitch;
  a: IgbHost;
  b: IgbHost;
  hosts: IgbHost[];
}

export interface IgbLabOpts {
  seed?: number;
  /** Virtual CPUs per host; igb gives each one an RX/TX queue pair (RSS). Default 2. */
  cpus?: number;
  /** Steer received packets with RPS (rps_cpus = every CPU on each RX queue), as the seeds do. */
  rps?: boolean;
  link?: LinkOpts;
}

/** How long autonegotiation may take before the lab gives up on carrier. */
const LINK_UP_MAX_MS = 5000;

export function makeIgbLab(o: IgbLabOpts = {}): IgbLab {
  // pfifo_fast and friends are code-level, as in Linux: register once.
  qdiscRegisterAll();
  const clock = createVirtualClock({ seed: o.seed ?? 1 });
  const sw = new LearningSwitch(clock);
  const cpus = o.cpus ?? 2;
  const make = (name: string, last: number): IgbHost => {
    const net = allocNet({ name, clock, cpus });
    const { pdev, port, nic } = createIgbNic(clock, { mac: new Uint8Array([0x02, 0x4b, 0x4e, 0, 0, last]), name: `${name}-nic` });
    const dev = igbProbe(net, pdev, {});
    if (dev === null) throw new Error(`igb probe on host ${name} failed`);
    sw.connect(port, o.link);
    const rc = devOpen(dev);
    if (rc < 0) throw new Error(`opening ${dev.name} on host ${name} failed: ${rc}`);
    if (o.rps) {
      for (let q = 0; q < dev.rxQueues!.length; q++) netifSetRpsCpus(dev, q, (1 << cpus) - 1);
    }
    return { name, net, dev, nic, adapter: netdevPriv(dev), addr: (0xc6120000 | last) >>> 0 };
  };
  const a = make('a', 1);
  const b = make('b', 2);
  if (!runUntil(clock, () => a.dev.carrier && b.dev.carrier, LINK_UP_MAX_MS)) throw new Error('igb link did not come up');
  return { clock, sw, a, b, hosts: [a, b] };
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
