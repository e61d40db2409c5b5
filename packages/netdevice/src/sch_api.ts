// net/sched/sch_api.c: the Qdisc_ops registry (qdisc_base) and qdisc create/replace/destroy.
import type { Net, NetDevice, NetdevQueue, Qdisc, QdiscOps, SkBuff } from '@knet/include';
import { EEXIST, EINVAL, ENOENT, SKB_DROP_REASON } from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import { noqueueQdiscOps } from './sch_generic.js';

/** TC_H_ROOT / TC_H_UNSPEC */
export const TC_H_ROOT = 0xffffffff, TC_H_UNSPEC = 0;

// Ops are code, not per-namespace state, so one registry serves every Net (as qdisc_base).
const qdiscBase = new Map<string, QdiscOps>();

/** register_qdisc: 0, or -EEXIST when the id is taken. */
export function registerQdisc(ops: QdiscOps): number {
  if (qdiscBase.has(ops.id)) return -EEXIST;
  qdiscBase.set(ops.id, ops);
  return 0;
}

/** unregister_qdisc: 0, or -ENOENT when `ops` is not the registered one. */
export function unregisterQdisc(ops: QdiscOps): number {
  if (qdiscBase.get(ops.id) !== ops) return -ENOENT;
  qdiscBase.delete(ops.id);
  return 0;
}

/** qdisc_lookup_ops. The registry is global; a Net (or null) may be passed first for symmetry. */
export function qdiscLookupOps(netOrId: Net | string | null, id?: string): QdiscOps | null {
  const key = typeof netOrId === 'string' ? netOrId : id;
  if (key === undefined) return null;
  const ops = qdiscBase.get(key);
  if (ops !== undefined) return ops;
  // noqueue is part of the core, so it resolves even before any qdisc module registers.
  return key === noqueueQdiscOps.id ? noqueueQdiscOps : null;
}

/** Ids of the registered disciplines. */
export function qdiscListOps(): string[] {
  return [...qdiscBase.keys()];
}

/** qdisc_alloc: a zeroed Qdisc on `txq`. */
export function qdiscAlloc(txq: NetdevQueue, ops: QdiscOps, handle = 0, parent = TC_H_ROOT): Qdisc {
  return {
    ops,
    handle,
    parent,
    devQueue: txq,
    limit: 0,
    qlen: 0,
    stats: { bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 },
    state: 0,
    gsoSkb: null,
    priv: null,
    nextSched: null,
  };
}

/** qdisc_create: allocate and init; the Qdisc, or a negative errno. */
export function qdiscCreate(
  dev: NetDevice,
  txq: NetdevQueue,
  ops: QdiscOps,
  opts?: Record<string, unknown>,
): Qdisc | number {
  if (txq.dev !== dev) return -EINVAL;
  const handle = typeof opts?.handle === 'number' ? opts.handle : 0;
  const parent = dev.numTxQueues > 1 ? txq.index + 1 : TC_H_ROOT;
  const q = qdiscAlloc(txq, ops, handle, parent);
  if (ops.init !== undefined) {
    const err = ops.init(q, opts);
    if (err < 0) {
      ops.destroy?.(q);
      return err;
    }
  }
  return q;
}

/** qdisc_reset: drop everything queued, including a requeued packet. */
export function qdiscReset(q: Qdisc): void {
  q.ops.reset?.(q);
  let skb: SkBuff | null = q.gsoSkb;
  q.gsoSkb = null;
  while (skb !== null) {
    const next: SkBuff | null = skb.next;
    skb.next = null;
    kfreeSkbReason(skb, SKB_DROP_REASON.QUEUE_PURGE);
    skb = next;
  }
  q.qlen = 0;
  q.stats.qlen = 0;
  q.stats.backlog = 0;
}

/** qdisc_destroy: reset, let the discipline free its state, and never run again. */
export function qdiscDestroy(q: Qdisc): void {
  q.state |= __QDISC_STATE_DEACTIVATED;
  qdiscReset(q);
  q.ops.destroy?.(q);
}

/** Qdisc->state bits (__QDISC_STATE_*). */
export const __QDISC_STATE_SCHED = 1 << 0, __QDISC_STATE_DEACTIVATED = 1 << 1,
  __QDISC_STATE_RUNNING = 1 << 2;
