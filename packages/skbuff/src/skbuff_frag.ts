// Paged data: skb_add_rx_frag, __pskb_pull_tail, skb_copy_bits, skb_store_bits (net/core/skbuff.c).
import type { SkBuff as ISkBuff, SkbFrag } from '@knet/include';
import { EFAULT, EMSGSIZE, ENOMEM, MAX_SKB_FRAGS } from '@knet/include';
import { memcpy } from './bytes.js';
import { allocFrag, releaseFrags } from './pool.js';
import { pskbExpandHead, skbCloned, skbHeadlen } from './skbuff.js';

/** skb_fill_page_desc: set frag `i` (appending when i is the next slot); lengths are the caller's. */
export function skbFillPageDesc(skb: ISkBuff, i: number, page: Uint8Array, off: number, size: number): number {
  const frags = skb.shinfo.frags;
  if (i < frags.length) {
    const f = frags[i];
    f.page = page;
    f.off = off;
    f.len = size;
    return 0;
  }
  if (i !== frags.length || i >= MAX_SKB_FRAGS) return -EMSGSIZE;
  frags.push(allocFrag(page, off, size));
  return 0;
}

/** skb_add_rx_frag: append `size` bytes at page[off] as the next frag; 0 or -EMSGSIZE when full. */
export function skbAddRxFrag(skb: ISkBuff, page: Uint8Array, off: number, size: number, truesize: number): number {
  const frags = skb.shinfo.frags;
  if (frags.length >= MAX_SKB_FRAGS) return -EMSGSIZE;
  frags.push(allocFrag(page, off, size));
  skb.len += size;
  skb.dataLen += size;
  skb.truesize += truesize;
  return 0;
}

/**
 * __pskb_pull_tail: move `delta` bytes from the frags into the linear area, reallocating the
 * head when it is too small or shared. 0, or -EFAULT/-ENOMEM.
 */
export function pskbPullTail(skb: ISkBuff, delta: number): number {
  if (delta <= 0) return 0;
  if (delta > skb.dataLen) return -EFAULT;
  const eat = skb.tail + delta - skb.end;
  // Linux asks for 128 extra bytes so the next pull likely fits.
  if ((eat > 0 || skbCloned(skb)) && pskbExpandHead(skb, 0, eat > 0 ? eat + 128 : 0) !== 0) return -ENOMEM;
  if (skbCopyBits(skb, skbHeadlen(skb), skb.head, skb.tail, delta) !== 0) return -EFAULT;
  const frags = skb.shinfo.frags;
  let left = delta;
  for (let i = 0; i < frags.length && left > 0; i++) {
    const f = frags[i];
    const take = left < f.len ? left : f.len;
    f.off += take;
    f.len -= take;
    left -= take;
  }
  dropEmptyFrags(frags);
  skb.tail += delta;
  skb.dataLen -= delta;
  return 0;
}

/** Stable partition of the emptied descriptors to the end, where they return to the pool. */
function dropEmptyFrags(frags: SkbFrag[]): void {
  let k = 0;
  for (let i = 0; i < frags.length; i++) {
    if (frags[i].len > 0) {
      const t = frags[k];
      frags[k] = frags[i];
      frags[i] = t;
      k++;
    }
  }
  releaseFrags(frags, k);
}

/** pskb_may_pull: make the first `len` bytes linear; false if the packet is shorter. */
export function pskbMayPull(skb: ISkBuff, len: number): boolean {
  const headlen = skb.len - skb.dataLen;
  if (len <= headlen) return true;
  if (len > skb.len) return false;
  return pskbPullTail(skb, len - headlen) === 0;
}

/** pskb_pull: strip `len` bytes, pulling from the frags first if needed; false if too short. */
export function pskbPull(skb: ISkBuff, len: number): boolean {
  if (len < 0 || !pskbMayPull(skb, len)) return false;
  skb.len -= len;
  skb.data += len;
  return true;
}

/** skb_linearize: all data into the linear area; 0 or -errno. */
export function skbLinearize(skb: ISkBuff): number {
  return skb.dataLen === 0 ? 0 : pskbPullTail(skb, skb.dataLen);
}

/** skb_copy_bits: `len` bytes from packet offset `offset` (from data), linear and paged; 0 or -EFAULT. */
export function skbCopyBits(skb: ISkBuff, offset: number, to: Uint8Array, toOff: number, len: number): number {
  if (offset < 0 || len < 0 || offset + len > skb.len || toOff < 0 || toOff + len > to.length) return -EFAULT;
  const headlen = skb.len - skb.dataLen;
  let copy = headlen - offset;
  if (copy > 0) {
    if (copy > len) copy = len;
    memcpy(to, toOff, skb.head, skb.data + offset, copy);
    len -= copy;
    if (len === 0) return 0;
    offset += copy;
    toOff += copy;
  }
  const frags = skb.shinfo.frags;
  let start = headlen;
  for (let i = 0; i < frags.length && len > 0; i++) {
    const f = frags[i];
    const end = start + f.len;
    copy = end - offset;
    if (copy > 0) {
      if (copy > len) copy = len;
      memcpy(to, toOff, f.page, f.off + offset - start, copy);
      len -= copy;
      offset += copy;
      toOff += copy;
    }
    start = end;
  }
  return len === 0 ? 0 : -EFAULT;
}

/** skb_store_bits: write `len` bytes at packet offset `offset`, linear and paged; 0 or -EFAULT. */
export function skbStoreBits(skb: ISkBuff, offset: number, from: Uint8Array, fromOff: number, len: number): number {
  if (offset < 0 || len < 0 || offset + len > skb.len || fromOff < 0 || fromOff + len > from.length) return -EFAULT;
  const headlen = skb.len - skb.dataLen;
  let copy = headlen - offset;
  if (copy > 0) {
    if (copy > len) copy = len;
    memcpy(skb.head, skb.data + offset, from, fromOff, copy);
    len -= copy;
    if (len === 0) return 0;
    offset += copy;
    fromOff += copy;
  }
  const frags = skb.shinfo.frags;
  let start = headlen;
  for (let i = 0; i < frags.length && len > 0; i++) {
    const f = frags[i];
    const end = start + f.len;
    copy = end - offset;
    if (copy > 0) {
      if (copy > len) copy = len;
      memcpy(f.page, f.off + offset - start, from, fromOff, copy);
      len -= copy;
      offset += copy;
      fromOff += copy;
    }
    start = end;
  }
  return len === 0 ? 0 : -EFAULT;
}
