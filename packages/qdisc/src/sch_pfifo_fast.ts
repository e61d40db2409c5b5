// pfifo_fast (net/sched/sch_generic.c): three FIFO bands picked by skb.priority, band 0 first.
import type { Qdisc, QdiscOps, SkBuff } from '@knet/include';
import { SkBuffHead, skbQueuePurge } from '@knet/skbuff';
import { qdiscDequeueHead, qdiscDrop, qdiscEnqueueTail } from '@knet/netdevice';

export const PFIFO_FAST_BANDS = 3;
export const TC_PRIO_MAX = 15;
/** prio2band: TC_PRIO_* (skb.priority & 15) → band. Interactive traffic (6, 7) gets band 0. */
export const prio2band: readonly number[] = Object.freeze([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);

interface PfifoFastPriv {
  bands: SkBuffHead[];
}

function priv(q: Qdisc): PfifoFastPriv {
  return q.priv as PfifoFastPriv;
}

function pfifoFastEnqueue(skb: SkBuff, q: Qdisc): number {
  if (q.qlen >= q.limit) return qdiscDrop(skb, q);
  const band = prio2band[skb.priority & TC_PRIO_MAX]!;
  return qdiscEnqueueTail(skb, q, priv(q).bands[band]!);
}

function pfifoFastDequeue(q: Qdisc): SkBuff | null {
  const bands = priv(q).bands;
  for (let i = 0; i < PFIFO_FAST_BANDS; i++) {
    if (bands[i]!.qlen !== 0) return qdiscDequeueHead(q, bands[i]!);
  }
  return null;
}

function pfifoFastPeek(q: Qdisc): SkBuff | null {
  const bands = priv(q).bands;
  for (let i = 0; i < PFIFO_FAST_BANDS; i++) if (bands[i]!.first !== null) return bands[i]!.first;
  return null;
}

function pfifoFastInit(q: Qdisc): number {
  q.priv = { bands: [new SkBuffHead(), new SkBuffHead(), new SkBuffHead()] } satisfies PfifoFastPriv;
  // Linux bounds pfifo_fast by tx_queue_len; a zero-length device still gets one slot.
  q.limit = Math.max(q.devQueue.dev.txQueueLen, 1);
  return 0;
}

function pfifoFastReset(q: Qdisc): void {
  for (const b of priv(q).bands) skbQueuePurge(b);
  q.qlen = 0;
  q.stats.backlog = 0;
}

function pfifoFastDump(_q: Qdisc): Record<string, unknown> {
  return { bands: PFIFO_FAST_BANDS, priomap: [...prio2band] };
}

export const pfifoFastOps: QdiscOps = Object.freeze({
  id: 'pfifo_fast',
  name: 'pfifo_fast',
  enqueue: pfifoFastEnqueue,
  dequeue: pfifoFastDequeue,
  peek: pfifoFastPeek,
  init: pfifoFastInit,
  reset: pfifoFastReset,
  dump: pfifoFastDump,
});

/** Per-band queue lengths, for tests and `tc -s`. */
export function pfifoFastBandLens(q: Qdisc): number[] {
  return priv(q).bands.map((b) => b.qlen);
}
