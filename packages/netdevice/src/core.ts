// Per-namespace state of net/core, hung off net.gen.core (net_generic).
import type { NapiStruct, Net, NetDevice, PacketOffload } from '@knet/include';

export interface CoreNet {
  /** net.core.netdev_max_backlog */
  netdevMaxBacklog: number;
  /** net.core.netdev_budget */
  netdevBudget: number;
  /** net.core.netdev_budget_usecs */
  netdevBudgetUsecs: number;
  /** net.core.dev_weight (backlog NAPI weight) */
  devWeight: number;
  /** dev_tx_weight: packets per __qdisc_run before yielding to NET_TX_SOFTIRQ. */
  devTxWeight: number;
  /** net.core.rps_sock_flow_entries (RFS table size; stored, RFS itself is not modelled). */
  rpsSockFlowEntries: number;
  /** net.core.default_qdisc */
  defaultQdisc: string;
  /** offload_base: GRO/GSO callbacks by ETH_P_* type. */
  offloads: PacketOffload[];
  /** Per-CPU scratch for net_rx_action's repoll list. */
  repoll: NapiStruct[][];
  /** dev_xmit_recursion: nested devQueueXmit depth. */
  xmitRecursion: number;
  /** The `ret` out-parameter of dev_hard_start_xmit. */
  xmitRc: number;
  /** Stand-in device for the per-CPU backlog NAPIs, which have no device in Linux. */
  backlogDev: NetDevice | null;
  /** Count of devices with RPS on, so the RX fast path skips getRpsCpu entirely. */
  rpsNeeded: number;
}

declare module '@knet/include' {
  interface NetGeneric {
    core?: CoreNet;
  }
}

export function netCore(net: Net): CoreNet {
  return net.gen.core!;
}
