// struct sk_buff and the linear-area primitives of include/linux/skbuff.h and net/core/skbuff.c.
import type {
  DstEntry, Net, NetDevice, SkBuff as ISkBuff, SkbCb as ISkbCb, SkbSharedInfo as ISkbSharedInfo, Sock,
} from '@knet/include';
import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, ENOMEM, NET_IP_ALIGN, NET_SKB_PAD, SKB_CONSUMED, SKB_DROP_REASON,
  SKB_DROP_REASON_NAMES, SKB_TRUESIZE_OVERHEAD,
} from '@knet/include';
import { memcpy } from './bytes.js';
import { allocData, allocFrag, dataPoolStats, EMPTY_BUF, releaseData, releaseFrags, SkbSharedInfo, type SkbDataClassStats } from './pool.js';

/** skb->cb: one shape for every layer; see the include contract for who owns which field. */
export class SkbCb implements ISkbCb {
  seq = 0;
  endSeq = 0;
  tcpFlags = 0;
  sacked = 0;
  ackSeq = 0;
  whenUs = 0;
  txCount = 0;
  ipFlags = 0;
  ipOptLen = 0;
  fragMaxSize = 0;
  groCount = 0;
  groFlush = 0;
  layerPriv = 0;

  reset(): void {
    this.seq = 0;
    this.endSeq = 0;
    this.tcpFlags = 0;
    this.sacked = 0;
    this.ackSeq = 0;
    this.whenUs = 0;
    this.txCount = 0;
    this.ipFlags = 0;
    this.ipOptLen = 0;
    this.fragMaxSize = 0;
    this.groCount = 0;
    this.groFlush = 0;
    this.layerPriv = 0;
  }

  /** memcpy of skb->cb, as __copy_skb_header does. */
  copyFrom(o: ISkbCb): void {
    this.seq = o.seq;
    this.endSeq = o.endSeq;
    this.tcpFlags = o.tcpFlags;
    this.sacked = o.sacked;
    this.ackSeq = o.ackSeq;
    this.whenUs = o.whenUs;
    this.txCount = o.txCount;
    this.ipFlags = o.ipFlags;
    this.ipOptLen = o.ipOptLen;
    this.fragMaxSize = o.fragMaxSize;
    this.groCount = o.groCount;
    this.groFlush = o.groFlush;
    this.layerPriv = o.layerPriv;
  }
}

const EMPTY_SHINFO = new SkbSharedInfo(EMPTY_BUF, -1);

/** struct sk_buff. Made only by the allocators below, which recycle it through a pool. */
export class SkBuff implements ISkBuff {
  next: ISkBuff | null = null;
  prev: ISkBuff | null = null;
  head: Uint8Array = EMPTY_BUF;
  data = 0;
  tail = 0;
  end = 0;
  len = 0;
  dataLen = 0;
  macHeader = -1;
  networkHeader = -1;
  transportHeader = -1;
  macLen = 0;
  protocol = 0;
  pktType = 0;
  ipSummed = CHECKSUM_NONE;
  csum = 0;
  csumStart = 0;
  csumOffset = 0;
  priority = 0;
  mark = 0;
  hash = 0;
  queueMapping = 0;
  tstamp = 0;
  dev: NetDevice | null = null;
  sk: Sock | null = null;
  dst: DstEntry | null = null;
  cb: ISkbCb = new SkbCb();
  shinfo: ISkbSharedInfo = EMPTY_SHINFO;
  users = 0;
  cloned = false;
  truesize = 0;
  destructor: ((skb: ISkBuff) => void) | null = null;

  /** Every field back to its allocation state (the memset in __alloc_skb). */
  reset(): void {
    this.next = null;
    this.prev = null;
    this.head = EMPTY_BUF;
    this.data = 0;
    this.tail = 0;
    this.end = 0;
    this.len = 0;
    this.dataLen = 0;
    this.macHeader = -1;
    this.networkHeader = -1;
    this.transportHeader = -1;
    this.macLen = 0;
    this.protocol = 0;
    this.pktType = 0;
    this.ipSummed = CHECKSUM_NONE;
    this.csum = 0;
    this.csumStart = 0;
    this.csumOffset = 0;
    this.priority = 0;
    this.mark = 0;
    this.hash = 0;
    this.queueMapping = 0;
    this.tstamp = 0;
    this.dev = null;
    this.sk = null;
    this.dst = null;
    (this.cb as SkbCb).reset();
    this.shinfo = EMPTY_SHINFO;
    this.users = 0;
    this.cloned = false;
    this.truesize = 0;
    this.destructor = null;
  }
}

// skbuff_head_cache
const SKB_FREE_MAX = 16384;
const freeSkbs: SkBuff[] = [];
let createdSkbs = 0;
let inUseSkbs = 0;

/** A reset skb from the object cache with users = 1 and no data attached. */
export function skbHeadAlloc(): SkBuff {
  let skb: SkBuff;
  if (freeSkbs.length > 0) skb = freeSkbs.pop()!;
  else {
    createdSkbs++;
    skb = new SkBuff();
  }
  inUseSkbs++;
  skb.users = 1;
  return skb;
}

/** Attach fresh data of `size` bytes: data = tail = start of the buffer. */
function skbAttachData(skb: SkBuff, size: number): void {
  const sh = allocData(size);
  skb.shinfo = sh;
  skb.head = sh.buf;
  skb.end = sh.buf.length;
  skb.truesize = sh.buf.length + SKB_TRUESIZE_OVERHEAD;
}

/** alloc_skb: an skb whose linear area holds at least `size` bytes. */
export function allocSkb(size: number): SkBuff {
  const skb = skbHeadAlloc();
  skbAttachData(skb, size > 0 ? size : 0);
  return skb;
}

/** __netdev_alloc_skb + netdev_alloc_skb_ip_align: RX buffer with NET_SKB_PAD and IP alignment. */
export function netdevAllocSkb(dev: NetDevice | null, len: number): SkBuff {
  const skb = allocSkb(len + NET_SKB_PAD + NET_IP_ALIGN);
  skbReserve(skb, NET_SKB_PAD + NET_IP_ALIGN);
  skb.dev = dev;
  return skb;
}

/** An skb with `headroom` reserved and room for `len` bytes after it. */
export function allocSkbWithHeadroom(headroom: number, len: number): SkBuff {
  const skb = allocSkb(headroom + len);
  skbReserve(skb, headroom);
  return skb;
}

/** skb_get: take another reference (the skb becomes shared). */
export function skbGet(skb: ISkBuff): ISkBuff {
  skb.users++;
  return skb;
}

/** skb_shared */
export function skbShared(skb: ISkBuff): boolean {
  return skb.users > 1;
}

/** skb_cloned: the data is referenced by another skb too. */
export function skbCloned(skb: ISkBuff): boolean {
  return skb.cloned && skb.shinfo.dataref !== 1;
}

/** skb_release_data + kfree_skbmem: the last user is gone. */
function skbFreeHead(skb: ISkBuff): void {
  if (skb.destructor !== null) skb.destructor(skb);
  if (skb.shinfo !== EMPTY_SHINFO) releaseData(skb.shinfo as SkbSharedInfo);
  if (!(skb instanceof SkBuff)) return;
  skb.reset();
  inUseSkbs--;
  if (freeSkbs.length < SKB_FREE_MAX) freeSkbs.push(skb);
}

/** skb_unref: false while other users remain. A second free of a dead skb is a caller bug. */
function skbUnref(skb: ISkBuff): boolean {
  if (skb.users <= 0) throw new Error('kfree_skb: skb already freed');
  return --skb.users === 0;
}

/** kfree_skb_reason drops the packet outside any namespace: no device and no socket. */
export const orphanDropCounts: number[] = new Array<number>(SKB_DROP_REASON.MAX).fill(0);

function skbNet(skb: ISkBuff): Net | null {
  if (skb.dev !== null) return skb.dev.ndNet;
  if (skb.sk !== null) return skb.sk.skNet;
  return null;
}

/** kfree_skb_reason: free a dropped packet, counted per reason as dropwatch sees it. */
export function kfreeSkbReason(skb: ISkBuff, reason: number): void {
  if (!skbUnref(skb)) return;
  if (reason === SKB_CONSUMED) {
    skbFreeHead(skb);
    return;
  }
  // Linux warns on an out-of-range reason and still frees; count it as unspecified.
  if (!(reason > SKB_CONSUMED && reason < SKB_DROP_REASON.MAX)) reason = SKB_DROP_REASON.NOT_SPECIFIED;
  const net = skbNet(skb);
  if (net === null) orphanDropCounts[reason]++;
  else {
    net.dropCounts[reason] = (net.dropCounts[reason] ?? 0) + 1;
    const trace = net.trace;
    if (trace !== null) trace.event('kfreeSkbReason', net.curCpu, net.cpus[net.curCpu]?.ctx ?? 0, SKB_DROP_REASON_NAMES[reason]);
  }
  skbFreeHead(skb);
}

/** kfree_skb: a drop with no specific reason. */
export function kfreeSkb(skb: ISkBuff): void {
  kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
}

/** consume_skb: the packet was used, not dropped; nothing is counted. */
export function consumeSkb(skb: ISkBuff): void {
  if (!skbUnref(skb)) return;
  skbFreeHead(skb);
}

export interface SkbPoolStats {
  skbCreated: number;
  skbFree: number;
  skbInUse: number;
  data: SkbDataClassStats[];
  dataUnpooled: number;
  fragsCreated: number;
  fragsFree: number;
}

/** Object and buffer cache counters (as /proc/slabinfo), so reuse can be observed. */
export function skbPoolStats(): SkbPoolStats {
  const d = dataPoolStats();
  return {
    skbCreated: createdSkbs,
    skbFree: freeSkbs.length,
    skbInUse: inUseSkbs,
    data: d.classes,
    dataUnpooled: d.unpooled,
    fragsCreated: d.fragsCreated,
    fragsFree: d.fragsFree,
  };
}

export function skbHeadroom(skb: ISkBuff): number {
  return skb.data;
}

/** Room after tail; 0 for a paged skb, whose tail may not grow (skb_tailroom). */
export function skbTailroom(skb: ISkBuff): number {
  return skb.dataLen !== 0 ? 0 : skb.end - skb.tail;
}

export function skbHeadlen(skb: ISkBuff): number {
  return skb.len - skb.dataLen;
}

export function skbIsNonlinear(skb: ISkBuff): boolean {
  return skb.dataLen !== 0;
}

/** skb_reserve: only valid on an empty skb. */
export function skbReserve(skb: ISkBuff, len: number): void {
  skb.data += len;
  skb.tail += len;
}

/** skb_put: extend the linear data at the tail; returns the offset of the new bytes. */
export function skbPut(skb: ISkBuff, len: number): number {
  const tmp = skb.tail;
  if (skb.dataLen !== 0 || len < 0 || tmp + len > skb.end) {
    throw new RangeError(`skb_over_panic: put ${len} tail ${tmp} end ${skb.end} dataLen ${skb.dataLen}`);
  }
  skb.tail = tmp + len;
  skb.len += len;
  return tmp;
}

/** skb_put_data */
export function skbPutData(skb: ISkBuff, src: Uint8Array, off: number, len: number): number {
  const at = skbPut(skb, len);
  memcpy(skb.head, at, src, off, len);
  return at;
}

/** skb_push: prepend `len` bytes of header room; returns the new data offset. */
export function skbPush(skb: ISkBuff, len: number): number {
  if (len < 0 || skb.data - len < 0) {
    throw new RangeError(`skb_under_panic: push ${len} headroom ${skb.data}`);
  }
  skb.data -= len;
  skb.len += len;
  return skb.data;
}

/** skb_pull: strip `len` bytes from the front of the linear data; new data offset or -1. */
export function skbPull(skb: ISkBuff, len: number): number {
  if (len < 0 || len > skb.len - skb.dataLen) return -1;
  skb.len -= len;
  skb.data += len;
  return skb.data;
}

/** skb_trim for a linear skb; a paged one goes through pskbTrim as __pskb_trim does. */
export function skbTrim(skb: ISkBuff, len: number): void {
  if (skb.len > len) pskbTrim(skb, len);
}

/** pskb_trim: cut the packet to `len` bytes, linear or paged; 0 or -ENOMEM. */
export function pskbTrim(skb: ISkBuff, len: number): number {
  if (len < 0 || len >= skb.len) return 0;
  if (skb.dataLen === 0) {
    skb.len = len;
    skb.tail = skb.data + len;
    return 0;
  }
  // The frag array lives in the shared info, so a clone must not see it shortened.
  if (skbCloned(skb) && pskbExpandHead(skb, 0, 0) !== 0) return -ENOMEM;
  const headlen = skb.len - skb.dataLen;
  const frags = skb.shinfo.frags;
  let offset = headlen;
  let keep = 0;
  for (; keep < frags.length; keep++) {
    if (offset >= len) break;
    const end = offset + frags[keep].len;
    if (end > len) frags[keep].len = len - offset;
    offset = end;
  }
  releaseFrags(frags, keep);
  if (len < headlen) {
    skb.tail = skb.data + len;
    skb.dataLen = 0;
  } else {
    skb.dataLen = len - headlen;
  }
  skb.len = len;
  return 0;
}

export function skbResetMacHeader(skb: ISkBuff): void {
  skb.macHeader = skb.data;
}
export function skbResetNetworkHeader(skb: ISkBuff): void {
  skb.networkHeader = skb.data;
}
export function skbResetTransportHeader(skb: ISkBuff): void {
  skb.transportHeader = skb.data;
}
export function skbSetNetworkHeader(skb: ISkBuff, offset: number): void {
  skb.networkHeader = skb.data + offset;
}
export function skbSetTransportHeader(skb: ISkBuff, offset: number): void {
  skb.transportHeader = skb.data + offset;
}
export function skbSetMacHeader(skb: ISkBuff, offset: number): void {
  skb.macHeader = skb.data + offset;
}
export function skbMacOffset(skb: ISkBuff): number {
  return skb.macHeader - skb.data;
}
export function skbNetworkOffset(skb: ISkBuff): number {
  return skb.networkHeader - skb.data;
}
export function skbTransportOffset(skb: ISkBuff): number {
  return skb.transportHeader - skb.data;
}
export function skbNetworkHeaderLen(skb: ISkBuff): number {
  return skb.transportHeader - skb.networkHeader;
}
export function skbMacHeaderWasSet(skb: ISkBuff): boolean {
  return skb.macHeader !== -1;
}
export function skbTransportHeaderWasSet(skb: ISkBuff): boolean {
  return skb.transportHeader !== -1;
}
/** skb_checksum_start_offset */
export function skbChecksumStartOffset(skb: ISkBuff): number {
  return skb.csumStart - skb.data;
}

/**
 * pskb_expand_head: give the skb a private head with `nhead` more bytes in front and `ntail`
 * more behind. Clones keep the old head. Returns 0 (allocation does not fail here; -ENOMEM
 * stays the documented error, as in Linux, for a shared skb the caller should not touch).
 */
export function pskbExpandHead(skb: ISkBuff, nhead: number, ntail: number): number {
  if (nhead < 0 || ntail < 0 || skb.users > 1) return -ENOMEM;
  const old = skb.shinfo as SkbSharedInfo;
  const osize = skb.end;
  const sh = allocData(osize + nhead + ntail);
  const nbuf = sh.buf;
  // Linux copies from head to tail; the bytes before data may hold a MAC header still in use.
  memcpy(nbuf, nhead, skb.head, 0, skb.tail);
  const ofrags = old.frags;
  for (let i = 0; i < ofrags.length; i++) {
    const f = ofrags[i];
    sh.frags.push(allocFrag(f.page, f.off, f.len));
  }
  sh.gsoSize = old.gsoSize;
  sh.gsoSegs = old.gsoSegs;
  sh.gsoType = old.gsoType;
  if (old !== EMPTY_SHINFO) releaseData(old);
  skb.shinfo = sh;
  skb.head = nbuf;
  skb.data += nhead;
  skb.tail += nhead;
  skb.end = nbuf.length;
  if (skb.macHeader !== -1) skb.macHeader += nhead;
  if (skb.networkHeader !== -1) skb.networkHeader += nhead;
  if (skb.transportHeader !== -1) skb.transportHeader += nhead;
  if (skb.ipSummed === CHECKSUM_PARTIAL) skb.csumStart += nhead;
  skb.cloned = false;
  // A socket was charged the old truesize; keep its accounting balanced (Linux does the same).
  if (skb.sk === null) skb.truesize += nbuf.length - osize;
  return 0;
}
