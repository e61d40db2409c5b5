// Two hosts on one virtual clock joined by a veth pair, wired by hand as @knet/host's inet_init
// would: loopback, ARP, IPv4, UDP (and TCP where asked), PF_INET with its protosw entries.
import type { Net, NetDevice } from '@knet/include';
import { INET_PROTOSW_PERMANENT, IPPROTO_UDP, SOCK_DGRAM, inetAton } from '@knet/include';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { allocNet, devOpen } from '@knet/netdevice';
import { vethNewLink } from '@knet/veth';
import { loopbackInit } from '@knet/loopback';
import { arpInit } from '@knet/neighbour';
import { icmpSend, inetAddProtocol, inetAddrAdd, inetDevUp, inetInit, ipv4AfOps, ipv4ArpHooks } from '@knet/ipv4';
import { udpInit, udpProt, udpProtocol } from '@knet/udp';
import { inetDgramOps, inetFamilyOps, inetRegisterProtosw, inetSetAfOps } from '../af_inet.js';
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

function host(clock: VirtualClock, name: string): { net: Net; lo: NetDevice } {
  const net = allocNet({ name, clock });
  const lo = loopbackInit(net);
  devOpen(lo);
  inetInit(net, { neighTable: arpInit(net, ipv4ArpHooks) });
  inetDevUp(net, lo);
  udpInit(net, ipv4AfOps, { icmpSend });
  expectOk(inetAddProtocol(net, udpProtocol, IPPROTO_UDP));
  expectOk(sockRegister(net, inetFamilyOps));
  inetSetAfOps(net, ipv4AfOps);
  expectOk(inetRegisterProtosw(net, {
    name: 'udp', type: SOCK_DGRAM, protocol: IPPROTO_UDP, prot: udpProt, ops: inetDgramOps, flags: INET_PROTOSW_PERMANENT,
  }));
  return { net, lo };
}

function expectOk(r: number): void {
  if (r !== 0) throw new Error(`setup failed: ${r}`);
}

/** a (198.18.0.1/24) — veth — b (198.18.0.2/24). */
export function twoHosts(seed = 1): { clock: VirtualClock; a: BenchHost; b: BenchHost } {
  const clock = createVirtualClock({ seed });
  const ha = host(clock, 'a');
  const hb = host(clock, 'b');
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

/** Run the clock until `p` settles (bounded), then return its value. */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs = 120_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  void p.then((v) => {
    done = true;
    value = v;
  });
  for (let t = 0; t < maxMs && !done; t += 10) {
    clock.runFor(10);
    // Let the promise chains run; no real time passes.
    await new Promise((r) => setImmediate(r));
  }
  if (!done) throw new Error('promise did not settle on the virtual clock');
  return value as T;
}
