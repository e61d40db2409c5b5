// Every igb NIC after the other stages: per-queue ring stats and MSI-X interrupts, the qdisc on
// each TX queue, and the 82576's own statistics registers.
import type { NetDevice } from '@knet/include';
import { igbNetdevOps, igbUpdateStats, netdevPriv } from '@knet/igb';
import type { LabHost } from '../core/lab.js';
import { formatTable } from '../ui/table.js';
import type { DemoStage } from './types.js';

export interface QueueStats {
  host: string;
  dev: string;
  queue: number;
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  /** MSI-X interrupts taken by the queue pair's vector. */
  irqs: number;
}

export interface QdiscStats {
  host: string;
  dev: string;
  queue: number;
  id: string;
  packets: number;
  bytes: number;
  drops: number;
  requeues: number;
  backlog: number;
}

export interface NicsJson {
  queues: QueueStats[];
  /** MSI-X queue interrupts per host. */
  interrupts: Record<string, number>;
  qdisc: QdiscStats[];
  /** 82576 GPRC/GPTC (good packets received/transmitted), MPC (missed), RNBC (no RX buffer). */
  hw: { host: string; dev: string; gprc: number; gptc: number; mpc: number; rnbc: number }[];
}

function igbDevs(h: LabHost): NetDevice[] {
  return h.net.devices.filter((d) => d.netdevOps === igbNetdevOps);
}

export const nicsStage: DemoStage<{ hosts: readonly LabHost[] }, unknown> = {
  key: 'nics',
  title: 'igb NICs: queues, interrupts, qdiscs, hardware counters',
  async run(lab) {
    const json: NicsJson = { queues: [], interrupts: {}, qdisc: [], hw: [] };
    for (const h of lab.hosts) {
      json.interrupts[h.name] = 0;
      for (const dev of igbDevs(h)) {
        const ad = netdevPriv(dev);
        igbUpdateStats(ad);
        ad.qVector.forEach((qv, queue) => {
          json.queues.push({
            host: h.name, dev: dev.name, queue,
            txPackets: qv.tx?.stats.packets ?? 0, txBytes: qv.tx?.stats.bytes ?? 0,
            rxPackets: qv.rx?.stats.packets ?? 0, rxBytes: qv.rx?.stats.bytes ?? 0,
            irqs: qv.irqCount,
          });
          json.interrupts[h.name]! += qv.irqCount;
        });
        dev.txQueues.slice(0, dev.realNumTxQueues).forEach((txq, queue) => {
          const q = txq.qdiscSleeping;
          const s = q.stats;
          json.qdisc.push({ host: h.name, dev: dev.name, queue, id: q.ops.id, packets: s.packets, bytes: s.bytes, drops: s.drops, requeues: s.requeues, backlog: s.backlog });
        });
        const s = ad.hwStats;
        json.hw.push({ host: h.name, dev: dev.name, gprc: s.gprc, gptc: s.gptc, mpc: s.mpc, rnbc: s.rnbc });
      }
    }
    const right = (h: string) => ({ header: h, align: 'right' as const });
    const human = [
      'per queue (igb ring stats, MSI-X interrupts):',
      formatTable(
        [{ header: 'host' }, { header: 'dev' }, right('queue'), right('tx pkts'), right('tx bytes'), right('rx pkts'), right('rx bytes'), right('irqs')],
        json.queues.map((q) => [q.host, q.dev, q.queue, q.txPackets, q.txBytes, q.rxPackets, q.rxBytes, q.irqs]),
      ),
      'qdisc per TX queue:',
      formatTable(
        [{ header: 'host' }, { header: 'dev' }, right('queue'), { header: 'qdisc' }, right('packets'), right('bytes'), right('drops'), right('requeues'), right('backlog')],
        json.qdisc.map((q) => [q.host, q.dev, q.queue, q.id, q.packets, q.bytes, q.drops, q.requeues, q.backlog]),
      ),
      '82576 statistics registers:',
      formatTable(
        [{ header: 'host' }, { header: 'dev' }, right('good rx'), right('good tx'), right('missed'), right('no rx buf')],
        json.hw.map((s) => [s.host, s.dev, s.gprc, s.gptc, s.mpc, s.rnbc]),
      ),
    ].join('\n');
    return { json, human, ok: true };
  },
};
