import type { Clock, NetDevice } from '@knet/include';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { Cable, LearningSwitch, createIgbNic, type LinkOpts, type Igb82576 } from '@knet/nic-sim';
import { igbProbe } from '@knet/igb';
import { Host, type HostOptions } from './host.js';

export interface NicOptions {
  /** RX/TX queue pairs (RSS). Default: one per host CPU. */
  queues?: number;
  /** Device MTU. Default 1500. */
  mtu?: number;
  /** `a.b.c.d/len` to configure on the new device; it is brought up either way. */
  addr?: string;
}

/** A NIC added to a host: the driver's net_device and the hardware model behind it. */
export interface Nic {
  dev: NetDevice;
  hw: Igb82576;
}

/**
 * Hosts, cables and switches on one clock: a small lab. The default clock is virtual and seeded,
 * so the same seed gives the same run.
 */
export class Network {
  readonly clock: Clock;
  readonly hosts = new Map<string, Host>();
  private nicSeq = 0;

  constructor(opts: { clock?: Clock; seed?: number } = {}) {
    this.clock = opts.clock ?? createVirtualClock({ seed: opts.seed ?? 1 });
  }

  addHost(name: string, opts: Omit<HostOptions, 'name' | 'clock'> = {}): Host {
    if (this.hosts.has(name)) throw new Error(`host ${name} exists`);
    const h = new Host({ ...opts, name, clock: this.clock });
    this.hosts.set(name, h);
    return h;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name}`);
    return h;
  }

  /** Plug an emulated 82576 into `host`, probe it with the igb driver, bring it up. */
  addNic(host: Host, opts: NicOptions = {}): Nic {
    const seq = ++this.nicSeq;
    const mac = new Uint8Array([0x02, 0x4b, 0x4e, 0x00, (seq >> 8) & 0xff, seq & 0xff]);
    const { pdev, nic } = createIgbNic(this.clock, { mac, name: `${host.name}-nic${seq}` });
    const dev = igbProbe(host.net, pdev, { queues: opts.queues ?? host.net.cpus.length });
    if (dev === null) throw new Error('igb probe failed: the device did not register');
    if (opts.mtu !== undefined) host.ip.link.set(dev.name, { mtu: opts.mtu });
    const rc = host.ip.link.set(dev.name, { up: true });
    if (rc < 0) throw new Error(`bringing ${dev.name} up failed: ${rc}`);
    if (opts.addr !== undefined) {
      const r = host.ip.addr.add(dev.name, opts.addr);
      if (r < 0) throw new Error(`address ${opts.addr} on ${dev.name} failed: ${r}`);
    }
    return { dev, hw: nic };
  }

  /** Two NICs joined by a cable (speed, delay and impairment in `link`). */
  cable(a: Host, b: Host, o: { a?: NicOptions; b?: NicOptions; link?: LinkOpts } = {}): { a: Nic; b: Nic; cable: Cable } {
    const na = this.addNic(a, o.a);
    const nb = this.addNic(b, o.b);
    const cable = new Cable(this.clock, na.hw.port, nb.hw.port, o.link);
    return { a: na, b: nb, cable };
  }

  /** A learning switch; `attach` cables a new NIC of a host to it. */
  switch(opts: { agingMs?: number } = {}): LearningSwitch {
    return new LearningSwitch(this.clock, opts);
  }

  attach(sw: LearningSwitch, host: Host, nic: NicOptions = {}, link?: LinkOpts): Nic {
    const n = this.addNic(host, nic);
    sw.connect(n.hw.port, link);
    return n;
  }

  /** Run the virtual clock for `ms` (no-op wait on a real clock is not offered). */
  runFor(ms: number): void {
    this.virtual().runFor(ms);
  }

  /** Run until `pred()` holds or `maxMs` of virtual time pass; returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number, stepMs = 1): boolean {
    const vc = this.virtual();
    const end = vc.now() + maxMs;
    while (!pred()) {
      if (vc.now() >= end) return false;
      vc.runFor(Math.min(stepMs, end - vc.now()));
    }
    return true;
  }

  private virtual(): VirtualClock {
    const c = this.clock as Partial<VirtualClock>;
    if (!this.clock.virtual || typeof c.runFor !== 'function') throw new Error('this network runs on a real clock');
    return this.clock as VirtualClock;
  }
}

export function createNetwork(opts: { clock?: Clock; seed?: number } = {}): Network {
  return new Network(opts);
}
