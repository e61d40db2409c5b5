import type { Clock, Net, NetDevice } from '@knet/include';
import { IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM, INET_PROTOSW_ICSK, INET_PROTOSW_PERMANENT } from '@knet/include';
import { createVirtualClock } from '@knet/softirq';
import { allocNet } from '@knet/netdevice';
import { qdiscRegisterAll } from '@knet/qdisc';
import { loopbackInit } from '@knet/loopback';
import { arpInit } from '@knet/neighbour';
import { inetInit, inetDevUp, inetAddProtocol, inetAddOffload, ipv4AfOps, ipv4ArpHooks, icmpSend } from '@knet/ipv4';
import { udpInit, udpProt, udpProtocol } from '@knet/udp';
import {
  tcpInit, tcpProt, tcpProtocol, tcpv4Offload, tcpRegisterCongestionControl, tcpCaFindKey,
} from '@knet/tcp';
import { cubicOps } from '@knet/tcp-cubic';
import { sockRegister, inetFamilyOps, inetRegisterProtosw, inetSetAfOps, inetStreamOps, inetDgramOps, Task } from '@knet/socket';
import { IpApi } from './ip.js';
import { TcApi } from './tc.js';
import { SysctlApi } from './sysctl.js';
import { hostCounters, type HostCounters } from './counters.js';
import { ssList, type SsRow } from './ss.js';
import { ping, type PingOptions, type PingSession } from './ping.js';

export interface HostOptions {
  name: string;
  /** Virtual CPUs (softnet_data, softirq bits, RPS targets). */
  cpus?: number;
  /** Defaults to a fresh virtual clock seeded with `seed`. */
  clock?: Clock;
  seed?: number;
  /** Congestion control for new TCP sockets (net.ipv4.tcp_congestion_control). */
  cc?: string;
}

let globalsDone = false;
/** Code-level registries (qdisc_base, tcp_cong_list) are global, as in Linux: fill them once. */
function registerGlobals(): void {
  if (globalsDone) return;
  globalsDone = true;
  qdiscRegisterAll();
  if (tcpCaFindKey(cubicOps.name) === null) tcpRegisterCongestionControl(cubicOps);
}

/**
 * One knet host: a kernel instance (a network namespace) with every layer wired through its
 * ops structs, in inet_init's order.
 */
export class Host {
  readonly name: string;
  readonly net: Net;
  readonly clock: Clock;
  readonly lo: NetDevice;
  readonly ip: IpApi;
  readonly tc: TcApi;
  readonly sysctl: SysctlApi;

  constructor(opts: HostOptions) {
    registerGlobals();
    this.name = opts.name;
    this.clock = opts.clock ?? createVirtualClock({ seed: opts.seed ?? 1 });
    // net_dev_init: softnet_data per CPU, NET_TX/NET_RX softirqs.
    this.net = allocNet({ name: opts.name, clock: this.clock, cpus: opts.cpus ?? 2 });
    const net = this.net;
    this.lo = loopbackInit(net);
    // inet_init: ARP first (ipv4 resolves through it), then IPv4, then the transports.
    const arpTbl = arpInit(net, ipv4ArpHooks);
    inetInit(net, { neighTable: arpTbl });
    udpInit(net, ipv4AfOps, { icmpSend });
    inetAddProtocol(net, udpProtocol, IPPROTO_UDP);
    tcpInit(net, ipv4AfOps);
    inetAddProtocol(net, tcpProtocol, IPPROTO_TCP);
    inetAddOffload(net, tcpv4Offload, IPPROTO_TCP);
    sockRegister(net, inetFamilyOps);
    inetSetAfOps(net, ipv4AfOps);
    inetRegisterProtosw(net, {
      name: 'tcp', type: SOCK_STREAM, protocol: IPPROTO_TCP, prot: tcpProt, ops: inetStreamOps,
      flags: INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK,
    });
    inetRegisterProtosw(net, {
      name: 'udp', type: SOCK_DGRAM, protocol: IPPROTO_UDP, prot: udpProt, ops: inetDgramOps,
      flags: INET_PROTOSW_PERMANENT,
    });
    this.ip = new IpApi(net);
    this.tc = new TcApi(net);
    this.sysctl = new SysctlApi(net);
    if (opts.cc !== undefined) {
      const rc = this.sysctl.set('net.ipv4.tcp_congestion_control', opts.cc);
      if (rc < 0) throw new Error(`unknown congestion control '${opts.cc}'`);
    }
    this.ip.link.set('lo', { up: true });
  }

  /** A process: its own fd table over this host's sockets. */
  task(): Task {
    return new Task(this.net);
  }

  /** /proc/net/snmp, netstat, /proc/net/dev and drop counters. */
  counters(): HostCounters {
    return hostCounters(this.net);
  }

  /** Echo requests to `daddr` on this host's clock; run the clock until `done()`. */
  ping(daddr: string, opts?: PingOptions): PingSession {
    return ping(this.net, daddr, opts);
  }

  /** `ss -tuani`: sockets with TCP_INFO. */
  ss(): SsRow[] {
    return ssList(this.net);
  }
}

export function createHost(opts: HostOptions): Host {
  return new Host(opts);
}
