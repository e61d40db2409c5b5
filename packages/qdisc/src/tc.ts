// A `tc qdisc` style control API over the core's qdisc registry.
import type { NetDevice, QdiscOps, QdiscStats } from '@knet/include';
import { EEXIST } from '@knet/include';
import { noqueueQdiscOps, qdiscChange, qdiscReplace, registerQdisc, TC_H_ROOT } from '@knet/netdevice';
import { bfifoOps, pfifoOps } from './sch_fifo.js';
import { pfifoFastOps } from './sch_pfifo_fast.js';
import { fqOps } from './sch_fq.js';

/** noqueue lives in the core (devQueueXmit must recognise it); re-exported under tc's name. */
export const noqueueOps: QdiscOps = noqueueQdiscOps;

/** pktsched_init: register every discipline of this package; already-registered ones are kept. */
export function qdiscRegisterAll(): number {
  for (const ops of [pfifoFastOps, pfifoOps, bfifoOps, fqOps, noqueueOps]) {
    const err = registerQdisc(ops);
    if (err < 0 && err !== -EEXIST) return err;
  }
  return 0;
}

export interface TcQdiscRow {
  dev: string;
  kind: string;
  handle: string;
  parent: string;
  stats: QdiscStats;
  opts: Record<string, unknown>;
}

/** `tc qdisc replace dev X root <id> [opts]`: 0 or -errno. */
export function tcQdiscReplace(dev: NetDevice, id: string, opts?: Record<string, unknown>): number {
  return qdiscReplace(dev, id, opts);
}

/** `tc qdisc change dev X root [opts]` */
export function tcQdiscChange(dev: NetDevice, opts: Record<string, unknown>): number {
  return qdiscChange(dev, opts);
}

function fmtHandle(h: number): string {
  return `${(h >>> 16).toString(16)}:${(h & 0xffff) === 0 ? '' : (h & 0xffff).toString(16)}`;
}

/** `tc -s qdisc show dev X`: one row per TX queue's root qdisc. */
export function tcQdiscShow(dev: NetDevice): TcQdiscRow[] {
  const rows: TcQdiscRow[] = [];
  for (let i = 0; i < dev.numTxQueues; i++) {
    const q = dev.txQueues[i]!.qdiscSleeping;
    rows.push({
      dev: dev.name,
      kind: q.ops.id,
      handle: fmtHandle(q.handle),
      parent: q.parent === TC_H_ROOT ? 'root' : `:${q.parent.toString(16)}`,
      stats: { ...q.stats, qlen: q.qlen },
      opts: q.ops.dump?.(q) ?? {},
    });
  }
  return rows;
}
