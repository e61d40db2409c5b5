import type { SkBuff } from './skbuff.js';
import type { Net } from './net.js';
import type { Qdisc } from './qdisc.js';

/** struct rtnl_link_stats64 */
export interface RtnlLinkStats64 {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
  multicast: number;
  collisions: number;
  rxLengthErrors: number;
  rxOverErrors: number;
  rxCrcErrors: number;
  rxFifoErrors: number;
  rxMissedErrors: number;
  txFifoErrors: number;
  txCarrierErrors: number;
}

/** struct net_device_ops: the driver's side of the core → driver boundary. */
export interface NetDeviceOps {
  readonly name: string;
  ndoOpen?(dev: NetDevice): number;
  ndoStop?(dev: NetDevice): number;
  /** NETDEV_TX_OK (the skb is consumed) or NETDEV_TX_BUSY (requeue it). */
  ndoStartXmit(skb: SkBuff, dev: NetDevice): number;
  ndoSelectQueue?(dev: NetDevice, skb: SkBuff): number;
  ndoSetMacAddress?(dev: NetDevice, addr: Uint8Array): number;
  ndoChangeMtu?(dev: NetDevice, mtu: number): number;
  ndoGetStats64?(dev: NetDevice, stats: RtnlLinkStats64): void;
  ndoSetRxMode?(dev: NetDevice): void;
  ndoTxTimeout?(dev: NetDevice, txqueue: number): void;
  ndoValidateAddr?(dev: NetDevice): number;
  ndoInit?(dev: NetDevice): number;
  ndoUninit?(dev: NetDevice): void;
}

/** struct ethtool_ringparam / channels / coalesce, as plain records. */
export interface EthtoolRingparam { rxMaxPending: number; txMaxPending: number; rxPending: number; txPending: number }
export interface EthtoolChannels { maxCombined: number; combinedCount: number }
export interface EthtoolCoalesce { rxCoalesceUsecs: number; txCoalesceUsecs: number }
export interface EthtoolLinkKsettings { speed: number; duplex: 'full' | 'half'; autoneg: boolean; link: boolean }

/** struct ethtool_ops. Members return 0 or -errno. */
export interface EthtoolOps {
  readonly name: string;
  getDrvinfo?(dev: NetDevice): { driver: string; version: string; busInfo: string };
  getLink?(dev: NetDevice): boolean;
  getRingparam?(dev: NetDevice): EthtoolRingparam;
  setRingparam?(dev: NetDevice, ring: EthtoolRingparam): number;
  getChannels?(dev: NetDevice): EthtoolChannels;
  setChannels?(dev: NetDevice, ch: EthtoolChannels): number;
  getCoalesce?(dev: NetDevice): EthtoolCoalesce;
  setCoalesce?(dev: NetDevice, c: EthtoolCoalesce): number;
  getLinkKsettings?(dev: NetDevice): EthtoolLinkKsettings;
  /** `ethtool -S`: name → value. */
  getEthtoolStats?(dev: NetDevice): Record<string, number>;
}

/** struct header_ops: how a link layer builds and parses its header. */
export interface HeaderOps {
  readonly name: string;
  /** Push a link header for `type` to `daddr` (null: broadcast); returns header length or -errno. */
  create(skb: SkBuff, dev: NetDevice, type: number, daddr: Uint8Array | null, saddr: Uint8Array | null, len: number): number;
  /** Copy the source hardware address of a received frame into `haddr`; returns its length. */
  parse?(skb: SkBuff, haddr: Uint8Array): number;
}

/** struct packet_type: an L3 receive handler in ptype_base, or a tap in ptype_all. */
export interface PacketType {
  readonly name: string;
  /** ETH_P_* (ETH_P_ALL for taps). */
  readonly type: number;
  /** Bind to one device, or null for all. */
  readonly dev: NetDevice | null;
  /** Returns NET_RX_SUCCESS or NET_RX_DROP; owns the skb it is given. */
  func(skb: SkBuff, dev: NetDevice, pt: PacketType, origDev: NetDevice): number;
  /** Taps that should not see outgoing frames set this false. */
  readonly ignoreOutgoing?: boolean;
}

/** struct napi_struct */
export interface NapiStruct {
  dev: NetDevice;
  /** NAPI_STATE_* bits */
  state: number;
  weight: number;
  /** Returns work done (≤ budget). */
  poll(napi: NapiStruct, budget: number): number;
  /** Index of the CPU whose poll_list holds it while scheduled. */
  cpu: number;
  /** Linked into softnet_data.pollList. */
  pollNext: NapiStruct | null;
  /** GRO held packets (gro_list), flushed at napiCompleteDone or budget end. */
  groList: SkBuff[];
  groCount: number;
  index: number;
}

/** struct netdev_queue: one TX queue. */
export interface NetdevQueue {
  dev: NetDevice;
  index: number;
  /** __QUEUE_STATE_* bits */
  state: number;
  qdisc: Qdisc;
  qdiscSleeping: Qdisc;
  transStart: number;
  txBytes: number;
  txPackets: number;
  /** CPU that last transmitted; used to pick the softirq CPU. */
  xmitCpu: number;
}

/** struct net_device */
export interface NetDevice {
  name: string;
  ifindex: number;
  /** IFF_* */
  flags: number;
  /** ARPHRD_* */
  type: number;
  mtu: number;
  minMtu: number;
  maxMtu: number;
  hardHeaderLen: number;
  neededHeadroom: number;
  addrLen: number;
  devAddr: Uint8Array;
  broadcast: Uint8Array;
  /** NETIF_F_* currently on, and what the hardware can do. */
  features: number;
  hwFeatures: number;
  gsoMaxSize: number;
  gsoMaxSegs: number;
  txQueueLen: number;
  numTxQueues: number;
  realNumTxQueues: number;
  numRxQueues: number;
  txQueues: NetdevQueue[];
  carrier: boolean;
  operstate: number;
  /** registered and not yet unregistered */
  registered: boolean;
  netdevOps: NetDeviceOps;
  ethtoolOps: EthtoolOps | null;
  headerOps: HeaderOps | null;
  /** Software counters kept by the core (dev->stats plus core drops). */
  stats: RtnlLinkStats64;
  /** The host (network namespace) the device lives in. */
  ndNet: Net;
  /** Driver private data (netdev_priv). */
  priv: unknown;
  /** Per-protocol device data (in_device for IPv4). */
  ipPtr: unknown;
  /** Ingress qdisc / rx_handler hook: returns true when it consumed the skb (bridge, veth peer ...). */
  rxHandler: ((skb: SkBuff) => boolean) | null;
  napiList: NapiStruct[];
  watchdogTimeo: number;
  /** IFF_NO_QUEUE and other netdev_priv_flags; allocNetdev sets 0. */
  privFlags?: number;
  /** RX queues (netdev_rx_queue), each with its RPS CPU mask. */
  rxQueues?: NetdevRxQueue[];
}

/** struct netdev_rx_queue: per RX queue steering state. */
export interface NetdevRxQueue {
  dev: NetDevice;
  index: number;
  /** rps_cpus bitmask (bit n: CPU n); 0 = RPS off for this queue. */
  rpsCpus: number;
  /** The CPUs of `rpsCpus` in order (rps_map), rebuilt when the mask changes. */
  rpsMap: number[];
}

/**
 * struct packet_offload: GRO and GSO callbacks for one ETH_P_* type (net/core/gro.c).
 * gsoSegment sees skb.data at the network header; segments come back linked through `next`,
 * each with macHeader set (data at the network or the mac header); null on failure.
 * groReceive sees this NAPI's held packets (oldest first) and returns GRO_MERGED,
 * GRO_MERGED_FREE (the core frees skb), GRO_HELD (hold skb as a new flow) or GRO_NORMAL
 * (deliver skb now). Setting cb.groFlush on a held packet asks the core to complete and
 * deliver it now (Linux's returned `pp`).
 */
export interface PacketOffload {
  readonly name: string;
  readonly type: number;
  groReceive?(list: SkBuff[], skb: SkBuff): number;
  /** Fix up a merged packet's headers before it goes up; 0 or -errno. */
  groComplete?(skb: SkBuff): number;
  gsoSegment?(skb: SkBuff, features: number): SkBuff | null;
}
