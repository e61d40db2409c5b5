// The dropwatch view: every kfreeSkbReason on every host, by reason. Runs last.
import type { Net } from '@knet/include';
import { dropCountsByName } from '@knet/netdevice';
import { formatTable } from '../ui/table.js';
import type { DemoStage } from './types.js';

export interface HasHosts {
  hosts: readonly { name: string; net: Net }[];
}

export const dropsStage: DemoStage<HasHosts, unknown> = {
  key: 'drops',
  title: 'drops by reason',
  async run(lab) {
    const json = Object.fromEntries(lab.hosts.map((h) => [h.name, dropCountsByName(h.net)]));
    const rows = Object.entries(json).flatMap(([host, d]) => Object.entries(d).map(([reason, n]) => [host, reason, n] as const));
    const human =
      rows.length === 0
        ? 'drops (kfreeSkbReason): none\n'
        : `drops (kfreeSkbReason):\n${formatTable([{ header: 'host' }, { header: 'reason' }, { header: 'count', align: 'right' }], rows)}`;
    // Drops are reported, not judged: a lossy link (--loss) is meant to cause them.
    return { json, human, ok: true };
  },
};
