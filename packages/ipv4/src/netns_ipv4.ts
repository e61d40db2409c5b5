// include/net/netns/ipv4.h: the per-net IPv4 state, hung off net.gen.ipv4.
import type { Flowi4, Net, NetDevice, NeighTable, NetOffload, NetProtocol } from '@knet/include';
import type { Ipv4Mibs } from './proc.js';
import type { NfHookOps, NfHookState } from './netfilter.js';
import type { FibTable } from './fib_trie.js';
import type { Rtable, FibNhException } from './route.js';
import type { IpFragState } from './ip_fragment.js';
import type { IcmpState } from './icmp.js';

/** net.ipv4.* knobs, Linux defaults. Times as Linux exposes them (seconds or ms per name). */
export interface Ipv4Sysctl {
  ipForward: number;
  ipDefaultTtl: number;
  ipNoPmtuDisc: number;
  ipfragTime: number;
  ipfragHighThresh: number;
  ipfragLowThresh: number;
  icmpRatelimit: number;
  icmpRatemask: number;
  icmpMsgsPerSec: number;
  icmpMsgsBurst: number;
  icmpEchoIgnoreBroadcasts: number;
  icmpEchoIgnoreAll: number;
  icmpIgnoreBogusErrorResponses: number;
  icmpErrorsUseInboundIfaddr: number;
  rpFilter: number;
  /** route.min_pmtu and route.mtu_expires (s). */
  ipRtMinPmtu: number;
  ipRtMtuExpires: number;
}

export interface Ipv4Net {
  neighTable: NeighTable;
  /** inet_protos[] */
  protos: (NetProtocol | undefined)[];
  /** inet_offloads[] */
  offloads: (NetOffload | undefined)[];
  mib: Ipv4Mibs;
  sysctl: Ipv4Sysctl;
  nfHooks: NfHookOps[][];
  nfState: NfHookState;
  fibTables: Map<number, FibTable>;
  fibLocal: FibTable;
  fibMain: FibTable;
  /** rt_genid: bumped on every route or address change; cached dsts of older ids are obsolete. */
  rtGenid: number;
  /** Cached dsts, so a flush can mark each obsolete (sockets hold them in skDst). */
  rtCached: Set<Rtable>;
  /** Next-hop exceptions: learnt path MTUs per destination. */
  fnhe: Map<number, FibNhException>;
  /** ip_idents: per-bucket IP ID counters, hashed by (daddr, saddr, proto). */
  ipIdents: Uint32Array;
  identSeed: number;
  frags: IpFragState;
  icmp: IcmpState;
  loopbackDev: NetDevice | null;
  /** Scratch flow key for lookups that have none of their own. */
  fl4: Flowi4;
}

declare module '@knet/include' {
  interface NetGeneric {
    ipv4?: Ipv4Net;
  }
}

export function ipv4Net(net: Net): Ipv4Net {
  const s = net.gen.ipv4;
  if (s === undefined) throw new Error(`inetInit() has not run on net ${net.name}`);
  return s;
}

export function newFlowi4(): Flowi4 {
  return { daddr: 0, saddr: 0, oif: 0, tos: 0, proto: 0, sport: 0, dport: 0, mark: 0 };
}
