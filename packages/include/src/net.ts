import type { Clock } from './clock.js';
import type { SkBuff } from './skbuff.js';
import type { NapiStruct, NetDevice, PacketType } from './netdevice.js';
import type { Qdisc } from './qdisc.js';

/** struct sk_buff_head: a queue with O(1) ends and a length. */
export interface SkBuffHead {
  first: SkBuff | null;
  last: SkBuff | null;
  qlen: number;
}

/** struct softnet_data: per-CPU receive and transmit work. */
export interface SoftnetData {
  /** NAPI instances with work, in poll order (poll_list). */
  pollList: NapiStruct[];
  /** netif_rx's queue (input_pkt_queue), drained by the backlog NAPI. */
  inputPktQueue: SkBuffHead;
  processQueue: SkBuffHead;
  backlog: NapiStruct;
  /** Qdiscs waiting for NET_TX_SOFTIRQ (output_queue). */
  outputQueue: Qdisc[];
  /** skbs freed in net_tx_action (completion_queue). */
  completionQueue: SkBuffHead;
  processed: number;
  timeSqueeze: number;
  dropped: number;
  receivedRps: number;
}

/** One virtual CPU: pending softirq bits, its context, and its softnet_data. */
export interface Cpu {
  readonly id: number;
  readonly net: Net;
  /** Bit n set: softirq n is pending. */
  softirqPending: number;
  /** CTX_PROCESS, CTX_SOFTIRQ or CTX_HARDIRQ */
  ctx: number;
  /** local_bh_disable depth. */
  bhDisabled: number;
  /** ksoftirqd has been woken and will run the rest. */
  ksoftirqdScheduled: boolean;
  softnet: SoftnetData;
  /** Softirq counts per vector, as /proc/softirqs. */
  softirqCount: number[];
}

/** A sysctl entry: `net.ipv4.tcp_sack` and the like. set() returns 0 or -errno. */
export interface SysctlEntry {
  get(): number | string | number[];
  set(v: number | string | number[]): number;
}

/** One trace event, as a tracepoint fires. */
export interface TraceEvent {
  fn: string;
  cpu: number;
  ctx: number;
  t: number;
  info?: string;
}

/** Receives trace events while tracing is on; null means off and costs one check. */
export interface TraceSink {
  event(fn: string, cpu: number, ctx: number, info?: string): void;
}

/**
 * Per-layer state hung off the Net (net_generic). Layers add their own key by declaration
 * merging: `declare module '@knet/include' { interface NetGeneric { ipv4?: Ipv4Net } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NetGeneric {}

/** struct net: one host, one kernel instance. */
export interface Net {
  readonly name: string;
  readonly clock: Clock;
  readonly cpus: Cpu[];
  /** The CPU whose code is running now. */
  curCpu: number;
  devices: NetDevice[];
  devByIndex: (NetDevice | undefined)[];
  devByName: Map<string, NetDevice>;
  ifindexNext: number;
  /** ptype_all taps and ptype_base handlers (by ETH_P_* type). */
  ptypeAll: PacketType[];
  ptypeBase: Map<number, PacketType[]>;
  sysctls: Map<string, SysctlEntry>;
  /** /proc/net/snmp and netstat groups: 'Ip', 'Icmp', 'Tcp', 'Udp', 'TcpExt' ... */
  mibs: Map<string, Record<string, number>>;
  /** kfree_skb_reason counters by SKB_DROP_REASON_* */
  dropCounts: number[];
  trace: TraceSink | null;
  gen: NetGeneric;
}
