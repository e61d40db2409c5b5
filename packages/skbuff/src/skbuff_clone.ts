// skb_clone, skb_copy, pskb_copy, skb_unshare, skb_cow (net/core/skbuff.c).
import type { SkBuff as ISkBuff } from '@knet/include';
import { NET_SKB_PAD, SKB_TRUESIZE_OVERHEAD } from '@knet/include';
import { memcpy } from './bytes.js';
import { allocFrag, type SkbSharedInfo } from './pool.js';
import {
  allocSkb, consumeSkb, pskbExpandHead, SkbCb, skbCloned, skbHeadAlloc, skbHeadlen, skbHeadroom, skbPut,
  skbReserve, type SkBuff,
} from './skbuff.js';
import { skbCopyBits } from './skbuff_frag.js';

/** __copy_skb_header: everything but the data pointers, ownership and list links. */
function copySkbHeader(n: ISkBuff, o: ISkBuff): void {
  n.tstamp = o.tstamp;
  n.dev = o.dev;
  n.dst = o.dst;
  n.protocol = o.protocol;
  n.pktType = o.pktType;
  n.ipSummed = o.ipSummed;
  n.csum = o.csum;
  n.csumStart = o.csumStart;
  n.csumOffset = o.csumOffset;
  n.priority = o.priority;
  n.mark = o.mark;
  n.hash = o.hash;
  n.queueMapping = o.queueMapping;
  n.macLen = o.macLen;
  n.macHeader = o.macHeader;
  n.networkHeader = o.networkHeader;
  n.transportHeader = o.transportHeader;
  (n.cb as SkbCb).copyFrom(o.cb);
}

/**
 * skb_clone: a second skb over the same head and shared info. Neither may write the shared
 * bytes until skbCow/skbUnshare gives it a private copy. The clone has no socket or destructor.
 */
export function skbClone(skb: ISkBuff): SkBuff {
  const n = skbHeadAlloc();
  copySkbHeader(n, skb);
  n.head = skb.head;
  n.data = skb.data;
  n.tail = skb.tail;
  n.end = skb.end;
  n.len = skb.len;
  n.dataLen = skb.dataLen;
  n.truesize = skb.truesize;
  n.shinfo = skb.shinfo;
  skb.shinfo.dataref++;
  n.cloned = true;
  skb.cloned = true;
  return n;
}

/**
 * Header fields of a copy whose head has `delta` more bytes in front than the original's
 * (skb_copy_header + the offset fix-up of skb_headers_offset_update).
 */
function copyHeaderShifted(n: ISkBuff, o: ISkBuff, delta: number): void {
  copySkbHeader(n, o);
  if (n.macHeader !== -1) n.macHeader += delta;
  if (n.networkHeader !== -1) n.networkHeader += delta;
  if (n.transportHeader !== -1) n.transportHeader += delta;
  n.csumStart += delta;
  const sh = n.shinfo;
  sh.gsoSize = o.shinfo.gsoSize;
  sh.gsoSegs = o.shinfo.gsoSegs;
  sh.gsoType = o.shinfo.gsoType;
}

/** skb_copy: a private, linear copy of the whole packet with the same headroom. */
export function skbCopy(skb: ISkBuff): SkBuff {
  const headroom = skbHeadroom(skb);
  const n = allocSkb(headroom + skb.len);
  skbReserve(n, headroom);
  skbPut(n, skb.len);
  skbCopyBits(skb, 0, n.head, n.data, skb.len);
  copyHeaderShifted(n, skb, n.data - skb.data);
  return n;
}

/** pskb_copy: private header bytes, shared pages (the frag descriptors are duplicated). */
export function pskbCopy(skb: ISkBuff): SkBuff {
  const headroom = skbHeadroom(skb);
  const headlen = skbHeadlen(skb);
  const n = allocSkb(headroom + headlen);
  skbReserve(n, headroom);
  skbPut(n, headlen);
  memcpy(n.head, n.data, skb.head, skb.data, headlen);
  const frags = skb.shinfo.frags;
  const nfrags = (n.shinfo as SkbSharedInfo).frags;
  for (let i = 0; i < frags.length; i++) nfrags.push(allocFrag(frags[i].page, frags[i].off, frags[i].len));
  n.len += skb.dataLen;
  n.dataLen = skb.dataLen;
  // The pages keep the truesize they were charged with on the original.
  const fragTruesize = skb.truesize - skb.head.length - SKB_TRUESIZE_OVERHEAD;
  if (fragTruesize > 0) n.truesize += fragTruesize;
  copyHeaderShifted(n, skb, n.data - skb.data);
  return n;
}

/** skb_unshare: the skb itself if its data is private, else a private copy (the original is released). */
export function skbUnshare(skb: ISkBuff): ISkBuff {
  if (!skbCloned(skb)) return skb;
  const n = skbCopy(skb);
  consumeSkb(skb);
  return n;
}

/** skb_cow: private head with at least `headroom` bytes in front; 0 or -ENOMEM. */
export function skbCow(skb: ISkBuff, headroom: number): number {
  return cow(skb, headroom, skbCloned(skb));
}

/** skb_cow_head: as skbCow, but only the header part must be writable. */
export function skbCowHead(skb: ISkBuff, headroom: number): number {
  return cow(skb, headroom, skbCloned(skb));
}

const NET_SKB_PAD_MASK = NET_SKB_PAD - 1;

function cow(skb: ISkBuff, headroom: number, cloned: boolean): number {
  let delta = 0;
  const have = skbHeadroom(skb);
  // Linux rounds the extra room to NET_SKB_PAD so repeated pushes do not reallocate each time.
  if (headroom > have) delta = headroom - have;
  if (delta > 0 || cloned) {
    const nhead = delta > 0 ? ((delta + NET_SKB_PAD_MASK) & ~NET_SKB_PAD_MASK) : 0;
    return pskbExpandHead(skb, nhead, 0);
  }
  return 0;
}
