import type { SkBuff } from './skbuff.js';
import type { NetDevice } from './netdevice.js';
import type { SkBuffHead } from './net.js';

// include/uapi/linux/neighbour.h
export const NUD_INCOMPLETE = 0x01, NUD_REACHABLE = 0x02, NUD_STALE = 0x04, NUD_DELAY = 0x08,
  NUD_PROBE = 0x10, NUD_FAILED = 0x20, NUD_NOARP = 0x40, NUD_PERMANENT = 0x80, NUD_NONE = 0x00;
export const NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;
export const NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
export const NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;

/** struct neigh_ops: per-entry behaviour (arp_generic_ops, arp_direct_ops ...). */
export interface NeighOps {
  readonly name: string;
  readonly family: number;
  /** Send a resolution request (ARP who-has) for `n`; `skb` is the packet that triggered it. */
  solicit(n: Neighbour, skb: SkBuff | null): void;
  /** Resolution failed: report (ICMP host unreachable) and free `skb`. */
  errorReport(n: Neighbour, skb: SkBuff): void;
  /** Output while the entry is not known good (neigh_resolve_output). */
  output(n: Neighbour, skb: SkBuff): number;
  /** Output when the entry is connected (neigh_connected_output). */
  connectedOutput(n: Neighbour, skb: SkBuff): number;
}

/** struct neighbour */
export interface Neighbour {
  /** IPv4 address, host order. */
  primaryKey: number;
  dev: NetDevice;
  ha: Uint8Array;
  nudState: number;
  ops: NeighOps;
  /** Current output function: ops.output or ops.connectedOutput per state. */
  output: (n: Neighbour, skb: SkBuff) => number;
  /** Packets waiting for resolution (arp_queue), bounded by unres_qlen. */
  arpQueue: SkBuffHead;
  /** Times in ms: last confirmed reachable, last state update, last use. */
  confirmed: number;
  updated: number;
  used: number;
  probes: number;
  dead: boolean;
  refcnt: number;
}

/** The interface of a neigh_table (arp_tbl) that ipv4 uses. */
export interface NeighTable {
  readonly name: string;
  readonly family: number;
  lookup(key: number, dev: NetDevice): Neighbour | null;
  /** __neigh_create: a new entry (NUD_NONE) or the existing one; -errno on table full. */
  create(key: number, dev: NetDevice): Neighbour | number;
  /** Bring the entry up: start resolution if needed, queue or send `skb`. (neigh_event_send) */
  eventSend(n: Neighbour, skb: SkBuff | null): boolean;
  /** Update from a received packet (neigh_update). */
  update(n: Neighbour, lladdr: Uint8Array | null, state: number, flags: number): number;
}
