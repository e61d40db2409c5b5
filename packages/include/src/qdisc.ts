import type { SkBuff } from './skbuff.js';
import type { NetDevice, NetdevQueue } from './netdevice.js';

/** struct gnet_stats_basic + gnet_stats_queue */
export interface QdiscStats {
  bytes: number;
  packets: number;
  drops: number;
  overlimits: number;
  requeues: number;
  backlog: number;
  qlen: number;
}

/** struct Qdisc: an instance of a queueing discipline on one TX queue. */
export interface Qdisc {
  ops: QdiscOps;
  /** tc handle, major:minor packed as (major << 16) | minor. */
  handle: number;
  parent: number;
  devQueue: NetdevQueue;
  limit: number;
  qlen: number;
  stats: QdiscStats;
  /** __QDISC_STATE_* : running / scheduled / deactivated. */
  state: number;
  /** A packet that the driver refused (NETDEV_TX_BUSY), sent first next time. */
  gsoSkb: SkBuff | null;
  /** Private state of the discipline. */
  priv: unknown;
  /** Next qdisc on softnet_data.output_queue. */
  nextSched: Qdisc | null;
}

/** struct Qdisc_ops: the core → qdisc boundary. */
export interface QdiscOps {
  readonly id: string;
  readonly name: string;
  /** NET_XMIT_SUCCESS, NET_XMIT_DROP or NET_XMIT_CN. On drop the qdisc frees the skb. */
  enqueue(skb: SkBuff, q: Qdisc): number;
  dequeue(q: Qdisc): SkBuff | null;
  peek(q: Qdisc): SkBuff | null;
  init?(q: Qdisc, opts: Record<string, unknown> | undefined): number;
  reset?(q: Qdisc): void;
  destroy?(q: Qdisc): void;
  change?(q: Qdisc, opts: Record<string, unknown>): number;
  /** `tc qdisc show`: the discipline's own parameters. */
  dump?(q: Qdisc): Record<string, unknown>;
}

export type { NetDevice };
