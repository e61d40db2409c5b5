// Two hosts on one virtual clock, wired by hand as @knet/host's inet_init would: loopback, ARP,
// IPv4, UDP (and TCP where asked), PF_INET with its protosw entries. `twoHosts` joins them with
// a veth pair; `cableHosts` gives each an emulated 82576 under the igb driver and a cable, as
// createNetwork does. (@knet/host depends on this package, so it cannot be a dev dependency:
// the workspace graph would have a cycle.)
import type { Net, NetDevice } from '@knet/include';
import {
  INET_PROTOSW_ICSK, INET_PROTOSW_PERMANENT, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM, inetAton,
} from '@knet/include';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { allocNet, devOpen } from '@knet/netdevice';
import { vethNewLink } from '@knet/veth';
import { igbProbe } from '@knet/igb';
import { Cable, createIgbNic, type LinkOpts } from '@knet/nic-sim';
import { qdiscRegisterAll } from '@knet/qdisc';
import { loopbackInit } from '@knet/loopback';
import { arpInit } from '@knet/neighbour';
import {
  icmpSend, inetAddOffload, inetAddProtocol, inetAddrAdd, inetDevUp, inetInit, ipv4AfOps, ipv4ArpHooks,
} from '@knet/ipv4';
import { udpInit, udpProt, udpProtocol } from '@knet/udp';
import { tcpInit, tcpProt, tcpProtocol, tcpv4Offload } from '@knet/tcp';
import { inetDgramOps, inetFamilyOps, inetRegisterProtosw, inetSetAfOps, inetStreamOps } from '../af_inet.js';
import { sockRegister } from '../socket.js';
import { Task } from '../task.js';

export const A = '198.18.0.1';
export const B = '198.18.0.2';
export const ip = (s: string): number => inetAton(s);

export interface BenchHost {
  net: Net;
  lo: NetDevice;
  dev: NetDevice;
  task: Task;
}

export interface BenchOptions {
  seed?: number;
  /** Register TCP (tcp_prot behind inet_stream_ops), as createHost does. */
  tcp?: boolean;
}

function host(clock: VirtualClock, name: string, tcp: boolean, cpus = 1): { net: Net; lo: NetDevice } {
  const net = allocNet({ name, clock, cpus });
  const lo = loopbackInit(net);
  devOpen(lo);
  inetInit(net, { neighTable: arpInit(net, ipv4ArpHooks) });
  inetDevUp(net, lo);
  udpInit(net, ipv4AfOps, { icmpSend });
  expectOk(inetAddProtocol(net, udpProtocol, IPPROTO_UDP));
  if (tcp) {
    tcpInit(net, ipv4AfOps);
    expectOk(inetAddProtocol(net, tcpProtocol, IPPROTO_TCP));
    expectOk(inetAddOffload(net, tcpv4Offload, IPPROTO_TCP));
  }
  expectOk(sockRegister(net, inetFamilyOps));
  inetSetAfOps(net, ipv4AfOps);
  if (tcp) {
    expectOk(inetRegisterProtosw(net, {
      name: 'tcp', type: SOCK_STREAM, protocol: IPPROTO_TCP, prot: tcpProt, ops: inetStreamOps,
      flags: INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK,
    }));
  }
  expectOk(inetRegisterProtosw(net, {
    name: 'udp', type: SOCK_DGRAM, protocol: IPPROTO_UDP, prot: udpProt, ops: inetDgramOps, flags: INET_PROTOSW_PERMANENT,
  }));
  return { net, lo };
}

function expectOk(r: number): void {
  if (r !== 0) throw new Error(`setup failed: ${r}`);
}

/** a (198.18.0.1/24) — veth — b (198.18.0.2/24). */
export function twoHosts(seedOrOpts: number | BenchOptions = 1): { clock: VirtualClock; a: BenchHost; b: BenchHost } {
  const o = typeof seedOrOpts === 'number' ? { seed: seedOrOpts } : seedOrOpts;
  const clock = createVirtualClock({ seed: o.seed ?? 1 });
  const ha = host(clock, 'a', o.tcp ?? false);
  const hb = host(clock, 'b', o.tcp ?? false);
  const [da, db] = vethNewLink(ha.net, 'eth0', 'eth0', hb.net);
  devOpen(da);
  devOpen(db);
  expectOk(inetAddrAdd(ha.net, da, `${A}/24`));
  expectOk(inetAddrAdd(hb.net, db, `${B}/24`));
  return {
    clock,
    a: { ...ha, dev: da, task: new Task(ha.net) },
    b: { ...hb, dev: db, task: new Task(hb.net) },
  };
}

export interface CableOptions {
  seed?: number;
  cpus?: number;
  link?: LinkOpts;
}

let macSeq = 0;

/** An igb NIC on `h`, up, with `cidr` on it (Network.addNic). */
function igbNic(clock: VirtualClock, net: Net, cidr: string): { dev: NetDevice; port: ReturnType<typeof createIgbNic>['port'] } {
  const seq = ++macSeq;
  const mac = new Uint8Array([0x02, 0x4b, 0x4e, 0x00, (seq >> 8) & 0xff, seq & 0xff]);
  const { pdev, port } = createIgbNic(clock, { mac, name: `${net.name}-nic${seq}` });
  const dev = igbProbe(net, pdev, { queues: net.cpus.length });
  if (dev === null) throw new Error('igb probe failed');
  expectOk(devOpen(dev));
  inetDevUp(net, dev);
  expectOk(inetAddrAdd(net, dev, cidr));
  return { dev, port };
}

/**
 * a (198.18.0.1/24) — igb — cable — igb — b (198.18.0.2/24), TCP and UDP on both: the path
 * createNetwork builds, with checksums done by the NIC model.
 */
export function cableHosts(opts: CableOptions = {}): { clock: VirtualClock; a: BenchHost; b: BenchHost; cable: Cable } {
  const clock = createVirtualClock({ seed: opts.seed ?? 1 });
  qdiscRegisterAll();
  const ha = host(clock, 'a', true, opts.cpus ?? 1);
  const hb = host(clock, 'b', true, opts.cpus ?? 1);
  const na = igbNic(clock, ha.net, `${A}/24`);
  const nb = igbNic(clock, hb.net, `${B}/24`);
  const cable = new Cable(clock, na.port, nb.port, opts.link);
  // Link-up takes the PHY a moment; before it, what is sent waits in the host queues.
  for (let i = 0; i < 100 && !(na.dev.carrier && nb.dev.carrier); i++) clock.runFor(1);
  return {
    clock,
    a: { ...ha, dev: na.dev, task: new Task(ha.net) },
    b: { ...hb, dev: nb.dev, task: new Task(hb.net) },
    cable,
  };
}

/**
 * Run the clock until `p` settles (bounded by `maxMs` of virtual time), then return its value.
 * Between steps of `stepMs` the event loop turns once (setImmediate), so promise chains and
 * Node streams run; no real time is waited for.
 */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs = 120_000, stepMs = 10): Promise<T> {
  let done = false;
  let failed = false;
  let value: T | undefined;
  let error: unknown;
  void p.then((v) => {
    done = true;
    value = v;
  }, (e: unknown) => {
    done = failed = true;
    error = e;
  });
  const end = clock.now() + maxMs;
  while (!done && clock.now() < end) {
    clock.runFor(stepMs);
    await new Promise((r) => setImmediate(r));
  }
  if (!done) throw new Error('promise did not settle on the virtual clock');
  if (failed) throw error;
  return value as T;
}

/** Run the clock for `ms`, letting the event loop turn between steps. */
export async function runFor(clock: VirtualClock, ms: number, stepMs = 10): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.runFor(Math.min(stepMs, end - clock.now()));
    await new Promise((r) => setImmediate(r));
  }
}
