// net/sched/sch_fifo.c: pfifo (packet limit) and bfifo (byte limit), drop tail.
import type { Qdisc, QdiscOps, SkBuff } from '@knet/include';
import { EINVAL } from '@knet/include';
import { SkBuffHead, skbQueuePurge } from '@knet/skbuff';
import { qdiscDequeueHead, qdiscDrop, qdiscEnqueueTail } from '@knet/netdevice';

function fifoList(q: Qdisc): SkBuffHead {
  return q.priv as SkBuffHead;
}

function pfifoEnqueue(skb: SkBuff, q: Qdisc): number {
  if (q.qlen < q.limit) return qdiscEnqueueTail(skb, q, fifoList(q));
  return qdiscDrop(skb, q);
}

function bfifoEnqueue(skb: SkBuff, q: Qdisc): number {
  if (q.stats.backlog + skb.len <= q.limit) return qdiscEnqueueTail(skb, q, fifoList(q));
  return qdiscDrop(skb, q);
}

function fifoDequeue(q: Qdisc): SkBuff | null {
  return qdiscDequeueHead(q, fifoList(q));
}

function fifoPeek(q: Qdisc): SkBuff | null {
  return fifoList(q).first;
}

function fifoReset(q: Qdisc): void {
  skbQueuePurge(fifoList(q));
  q.qlen = 0;
  q.stats.backlog = 0;
}

function defaultLimit(q: Qdisc, bytes: boolean): number {
  const dev = q.devQueue.dev;
  // As fifo_init: tx_queue_len packets, or that many MTU-sized packets' worth of bytes.
  const pkts = Math.max(dev.txQueueLen, 1);
  return bytes ? pkts * Math.max(dev.mtu + dev.hardHeaderLen, 1) : pkts;
}

function fifoChange(q: Qdisc, opts: Record<string, unknown>): number {
  const l = opts.limit;
  if (l === undefined) return 0;
  if (typeof l !== 'number' || !Number.isInteger(l) || l < 0) return -EINVAL;
  q.limit = l;
  return 0;
}

function makeInit(bytes: boolean) {
  return (q: Qdisc, opts: Record<string, unknown> | undefined): number => {
    q.priv = new SkBuffHead();
    q.limit = defaultLimit(q, bytes);
    return opts === undefined ? 0 : fifoChange(q, opts);
  };
}

function fifoDump(q: Qdisc): Record<string, unknown> {
  return { limit: q.limit };
}

export const pfifoOps: QdiscOps = Object.freeze({
  id: 'pfifo',
  name: 'pfifo',
  enqueue: pfifoEnqueue,
  dequeue: fifoDequeue,
  peek: fifoPeek,
  init: makeInit(false),
  reset: fifoReset,
  change: fifoChange,
  dump: fifoDump,
});

export const bfifoOps: QdiscOps = Object.freeze({
  id: 'bfifo',
  name: 'bfifo',
  enqueue: bfifoEnqueue,
  dequeue: fifoDequeue,
  peek: fifoPeek,
  init: makeInit(true),
  reset: fifoReset,
  change: fifoChange,
  dump: fifoDump,
});
