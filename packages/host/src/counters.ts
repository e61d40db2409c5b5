import type { Net } from '@knet/include';
import { devGetStats, dropCountsByName } from '@knet/netdevice';

export interface HostCounters {
  /** /proc/net/snmp and /proc/net/netstat groups: Ip, Icmp, Udp, Tcp, TcpExt ... */
  snmp: Record<string, Record<string, number>>;
  /** /proc/net/dev */
  dev: Record<string, { rxPackets: number; rxBytes: number; rxDropped: number; txPackets: number; txBytes: number; txDropped: number }>;
  /** kfree_skb_reason counts by SKB_DROP_REASON name (non-zero only). */
  drops: Record<string, number>;
}

export function hostCounters(net: Net): HostCounters {
  const snmp: HostCounters['snmp'] = {};
  for (const [group, c] of net.mibs) snmp[group] = { ...c };
  const dev: HostCounters['dev'] = {};
  for (const d of net.devices) {
    const s = devGetStats(d);
    dev[d.name] = {
      rxPackets: s.rxPackets, rxBytes: s.rxBytes, rxDropped: s.rxDropped,
      txPackets: s.txPackets, txBytes: s.txBytes, txDropped: s.txDropped,
    };
  }
  return { snmp, dev, drops: dropCountsByName(net) };
}
