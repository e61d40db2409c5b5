// struct udp_sock (include/linux/udp.h) and the per-namespace UDP state: the hash tables, the
// MIB and the hooks to IPv4, which @knet/host (or a test) hands in through udpInit.
import type { DstEntry, InetConnectionSockAfOps, Net, Proto, SkBuff } from '@knet/include';
import { InetSock, sysctlRegisterDefault, type UbufInfoMsgzc } from '@knet/netdevice';

/** struct udp_sock: inet_sock plus the hash keys, the reuseport group and the cork state. */
export class UdpSock extends InetSock {
  /** In the port and port/address tables (sk_hashed). */
  hashed = false;
  /** Key of the port/address table this sock sits in (udp_portaddr_hash): rcv_saddr * 65536 + port. */
  portaddrKey = -1;
  /** Key of the 4-tuple table while connected (udp_lrpa_hash / hash4), or -1. */
  hash4Key = -1;
  /** SO_REUSEPORT group shared with the other members (sk_reuseport_cb), or null. */
  reuseportGroup: UdpSock[] | null = null;
  /** UDP_CORK is set. */
  corkflag = false;
  /** AF_INET while a corked datagram is pending (up->pending), else 0. */
  pending = 0;
  /** The pending datagram: payload so far, with headroom for the headers. */
  pendingSkb: SkBuff | null = null;
  pendingLen = 0;
  /** Where the pending datagram goes (inet_cork flow). */
  corkDaddr = 0;
  corkSaddr = 0;
  corkDport = 0;
  corkDst: DstEntry | null = null;
  /** The MSG_ZEROCOPY completion of the pending datagram's sends, or null. */
  pendingZc: UbufInfoMsgzc | null = null;
  /** SO_NO_CHECK: send with a zero checksum (sk_no_check_tx). */
  noCheckTx = false;

  constructor(net: Net, prot: Proto) {
    super(net, prot);
  }
}

/** Names of /proc/net/snmp's Udp line, in Linux's order. */
export const UDP_MIB_NAMES = [
  'InDatagrams', 'NoPorts', 'InErrors', 'OutDatagrams', 'RcvbufErrors', 'SndbufErrors',
  'InCsumErrors', 'IgnoredMulti', 'MemErrors',
] as const;
export type UdpMib = Record<(typeof UDP_MIB_NAMES)[number], number>;

/** Calls into IPv4 that UDP cannot import. */
export interface UdpHooks {
  /** icmp_send: report `skb` (data anywhere; the network header is read) to its sender. */
  icmpSend?: (skb: SkBuff, type: number, code: number, info: number) => void;
}

/** Per-namespace UDP state (struct udp_table plus the MIB). */
export interface UdpNet {
  afOps: InetConnectionSockAfOps;
  icmpSend: ((skb: SkBuff, type: number, code: number, info: number) => void) | null;
  /** Primary table: socks by local port (udptable->hash). */
  hash: Map<number, UdpSock[]>;
  /** Secondary table: socks by (rcv_saddr, port) (udptable->hash2). */
  hash2: Map<number, UdpSock[]>;
  /** Connected socks by their 4-tuple hash (udptable->hash4). */
  hash4: Map<number, UdpSock[]>;
  mib: UdpMib;
  /** udp_ehash_secret: seeds the reuseport and 4-tuple hashes. */
  secret: number;
  /** Scratch for multicast delivery, so no array is made per packet. */
  mcastScratch: UdpSock[];
}

declare module '@knet/include' {
  interface NetGeneric {
    udp?: UdpNet;
  }
}

export function udpNet(net: Net): UdpNet | undefined {
  return net.gen.udp;
}

/** Linux's default net.ipv4.ip_local_port_range. */
export const LOCAL_PORT_RANGE_DEFAULT = [32768, 60999];

/**
 * udp_init + udp4_proc_init for one namespace: tables, the 'Udp' MIB group and the ephemeral
 * port range sysctl (shared with TCP: whichever layer registers it first owns it).
 */
export function udpInit(net: Net, afOps: InetConnectionSockAfOps, hooks: UdpHooks = {}): UdpNet {
  const mib = {} as UdpMib;
  for (const n of UDP_MIB_NAMES) mib[n] = 0;
  const u: UdpNet = {
    afOps,
    icmpSend: hooks.icmpSend ?? null,
    hash: new Map(),
    hash2: new Map(),
    hash4: new Map(),
    mib,
    secret: Math.floor(net.clock.random() * 0x100000000) >>> 0,
    mcastScratch: [],
  };
  net.gen.udp = u;
  net.mibs.set('Udp', mib);
  sysctlRegisterDefault(net, 'net.ipv4.ip_local_port_range', LOCAL_PORT_RANGE_DEFAULT.slice(), (v) =>
    Array.isArray(v) && v.length === 2 && v[0]! >= 1 && v[0]! <= v[1]! && v[1]! <= 65535);
  return u;
}

/** The ephemeral range [low, high] (inet_get_local_port_range). */
export function localPortRange(net: Net): [number, number] {
  const v = net.sysctls.get('net.ipv4.ip_local_port_range')?.get();
  if (Array.isArray(v) && v.length === 2) return [v[0]!, v[1]!];
  return [LOCAL_PORT_RANGE_DEFAULT[0]!, LOCAL_PORT_RANGE_DEFAULT[1]!];
}
