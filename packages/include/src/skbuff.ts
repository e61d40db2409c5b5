import type { NetDevice } from './netdevice.js';
import type { Sock } from './sock.js';
import type { DstEntry } from './dst.js';

/** One page fragment (skb_frag_t): bytes [off, off+len) of `page`. */
export interface SkbFrag {
  page: Uint8Array;
  off: number;
  len: number;
}

/**
 * Per-layer control block (skb->cb): one shape for all layers so call sites stay monomorphic.
 * Each layer owns the fields it names; they are reset when the skb is allocated.
 */
export interface SkbCb {
  // TCP (struct tcp_skb_cb)
  seq: number;
  endSeq: number;
  tcpFlags: number;
  sacked: number;
  ackSeq: number;
  /** Send time in microseconds (tx.when / skb_mstamp). */
  whenUs: number;
  txCount: number;
  // IP (struct inet_skb_parm)
  ipFlags: number;
  ipOptLen: number;
  fragMaxSize: number;
  // GRO (struct napi_gro_cb)
  groCount: number;
  groFlush: number;
  // generic
  layerPriv: number;
}

/** Shared info (skb_shared_info): paged data and GSO state, shared by clones. */
export interface SkbSharedInfo {
  frags: SkbFrag[];
  gsoSize: number;
  gsoSegs: number;
  gsoType: number;
  /** Number of skbs that reference the data (dataref). */
  dataref: number;
}

/**
 * struct sk_buff. Linear data lives in `head[data, tail)`; `len` counts linear plus paged bytes,
 * `dataLen` the paged part. Header positions are absolute offsets into `head`, -1 when unset.
 */
export interface SkBuff {
  next: SkBuff | null;
  prev: SkBuff | null;
  head: Uint8Array;
  data: number;
  tail: number;
  end: number;
  len: number;
  dataLen: number;
  macHeader: number;
  networkHeader: number;
  transportHeader: number;
  macLen: number;
  /** ETH_P_* of the payload (host order). */
  protocol: number;
  pktType: number;
  ipSummed: number;
  csum: number;
  csumStart: number;
  csumOffset: number;
  priority: number;
  mark: number;
  hash: number;
  queueMapping: number;
  /** Arrival or departure time, ms from the host clock. */
  tstamp: number;
  dev: NetDevice | null;
  sk: Sock | null;
  dst: DstEntry | null;
  cb: SkbCb;
  shinfo: SkbSharedInfo;
  /** Reference count (skb->users). */
  users: number;
  /** True for an skb made by skbClone, or the original after a clone was made. */
  cloned: boolean;
  /** Bytes charged to a socket (truesize). */
  truesize: number;
  /** Called by kfreeSkb before the skb goes back to its pool (skb->destructor). */
  destructor: ((skb: SkBuff) => void) | null;
}
