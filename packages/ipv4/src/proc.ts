// net/ipv4/proc.c: the /proc/net/snmp groups with Linux's counter names.
import type { Net } from '@knet/include';

export const IP_MIB_NAMES = [
  'Forwarding', 'DefaultTTL', 'InReceives', 'InHdrErrors', 'InAddrErrors', 'ForwDatagrams',
  'InUnknownProtos', 'InDiscards', 'InDelivers', 'OutRequests', 'OutDiscards', 'OutNoRoutes',
  'ReasmTimeout', 'ReasmReqds', 'ReasmOKs', 'ReasmFails', 'FragOKs', 'FragFails', 'FragCreates',
  'OutTransmits',
] as const;
/** /proc/net/netstat IpExt */
export const IPEXT_MIB_NAMES = [
  'InNoRoutes', 'InTruncatedPkts', 'InMcastPkts', 'OutMcastPkts', 'InBcastPkts', 'OutBcastPkts',
  'InOctets', 'OutOctets', 'InCsumErrors',
] as const;
export const ICMP_MIB_NAMES = [
  'InMsgs', 'InErrors', 'InCsumErrors', 'InDestUnreachs', 'InTimeExcds', 'InParmProbs', 'InSrcQuenchs',
  'InRedirects', 'InEchos', 'InEchoReps', 'InTimestamps', 'InTimestampReps', 'InAddrMasks',
  'InAddrMaskReps', 'OutMsgs', 'OutErrors', 'OutRateLimitGlobal', 'OutRateLimitHost',
  'OutDestUnreachs', 'OutTimeExcds', 'OutParmProbs', 'OutSrcQuenchs', 'OutRedirects', 'OutEchos',
  'OutEchoReps', 'OutTimestamps', 'OutTimestampReps', 'OutAddrMasks', 'OutAddrMaskReps',
] as const;

export type IpMib = Record<(typeof IP_MIB_NAMES)[number], number>;
export type IpExtMib = Record<(typeof IPEXT_MIB_NAMES)[number], number>;
export type IcmpMib = Record<(typeof ICMP_MIB_NAMES)[number], number>;

function zeros<K extends string>(names: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const n of names) o[n] = 0;
  return o;
}

/** The Icmp group counter for an ICMP type in each direction (icmp_pointers' mib fields). */
const IN_BY_TYPE: (keyof IcmpMib | null)[] = [];
const OUT_BY_TYPE: (keyof IcmpMib | null)[] = [];
for (const [t, n] of [[0, 'EchoReps'], [3, 'DestUnreachs'], [4, 'SrcQuenchs'], [5, 'Redirects'], [8, 'Echos'],
  [11, 'TimeExcds'], [12, 'ParmProbs'], [13, 'Timestamps'], [14, 'TimestampReps'], [17, 'AddrMasks'],
  [18, 'AddrMaskReps']] as const) {
  IN_BY_TYPE[t] = `In${n}` as keyof IcmpMib;
  OUT_BY_TYPE[t] = `Out${n}` as keyof IcmpMib;
}
const IN_MSG_NAMES = Array.from({ length: 256 }, (_, t) => `InType${t}`);
const OUT_MSG_NAMES = Array.from({ length: 256 }, (_, t) => `OutType${t}`);

export interface Ipv4Mibs {
  ip: IpMib;
  ipExt: IpExtMib;
  icmp: IcmpMib;
  /** IcmpMsg: per-type counts, keys appear once used (InType8, OutType0 ...). */
  icmpMsg: Record<string, number>;
}

export function ipv4MibsInit(net: Net): Ipv4Mibs {
  const m: Ipv4Mibs = { ip: zeros(IP_MIB_NAMES), ipExt: zeros(IPEXT_MIB_NAMES), icmp: zeros(ICMP_MIB_NAMES), icmpMsg: {} };
  net.mibs.set('Ip', m.ip);
  net.mibs.set('IpExt', m.ipExt);
  net.mibs.set('Icmp', m.icmp);
  net.mibs.set('IcmpMsg', m.icmpMsg);
  return m;
}

/** ICMPMSGIN_INC_STATS plus the Icmp group's per-type counter. */
export function icmpMsgInInc(m: Ipv4Mibs, type: number): void {
  const k = IN_MSG_NAMES[type & 255];
  m.icmpMsg[k] = (m.icmpMsg[k] ?? 0) + 1;
  const g = IN_BY_TYPE[type];
  if (g) m.icmp[g]++;
}

export function icmpMsgOutInc(m: Ipv4Mibs, type: number): void {
  const k = OUT_MSG_NAMES[type & 255];
  m.icmpMsg[k] = (m.icmpMsg[k] ?? 0) + 1;
  const g = OUT_BY_TYPE[type];
  if (g) m.icmp[g]++;
}

/** `cat /proc/net/snmp` (plus IpExt): group → counter → value, as copies. */
export function snmpShow(net: Net): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const g of ['Ip', 'IpExt', 'Icmp', 'IcmpMsg']) {
    const m = net.mibs.get(g);
    if (m) out[g] = { ...m };
  }
  return out;
}
