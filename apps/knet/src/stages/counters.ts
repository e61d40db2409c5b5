// /proc/net/snmp, netstat and /proc/net/dev of every host, as host.counters() reports them.
import type { HostCounters } from '@knet/host';
import type { LabHost } from '../core/lab.js';
import { formatTable } from '../ui/table.js';
import type { DemoStage } from './types.js';

/** The counters worth a line in the human view; the JSON has them all. */
const SHOWN: readonly (readonly [group: string, name: string])[] = [
  ['Ip', 'InReceives'], ['Ip', 'InDelivers'], ['Ip', 'ForwDatagrams'], ['Ip', 'OutRequests'],
  ['Icmp', 'InEchos'], ['Icmp', 'InEchoReps'], ['Udp', 'InDatagrams'], ['Udp', 'OutDatagrams'], ['Udp', 'NoPorts'],
  ['Tcp', 'ActiveOpens'], ['Tcp', 'PassiveOpens'], ['Tcp', 'RetransSegs'],
];

export const countersStage: DemoStage<{ hosts: readonly LabHost[] }, unknown> = {
  key: 'counters',
  title: 'counters (snmp, per host)',
  async run(lab) {
    const json: Record<string, HostCounters> = {};
    for (const h of lab.hosts) json[h.name] = h.host.counters();
    const names = lab.hosts.map((h) => h.name);
    const rows = SHOWN.filter(([g, n]) => names.some((h) => json[h]!.snmp[g]?.[n] !== undefined)).map(([g, n]) => [
      `${g}.${n}`,
      ...names.map((h) => json[h]!.snmp[g]?.[n] ?? 0),
    ]);
    const human = formatTable([{ header: 'counter' }, ...names.map((h) => ({ header: h, align: 'right' as const }))], rows);
    return { json, human, ok: true };
  },
};
