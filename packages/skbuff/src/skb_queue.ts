// struct sk_buff_head and the __skb_queue_* list operations of include/linux/skbuff.h.
// The queue is a null-terminated doubly linked list through skb.next/prev; every op but purge
// is O(1). Callers serialise, as with the lockless __ variants.
import type { SkBuff as ISkBuff, SkBuffHead as ISkBuffHead } from '@knet/include';
import { SKB_DROP_REASON } from '@knet/include';
import { kfreeSkbReason } from './skbuff.js';

export class SkBuffHead implements ISkBuffHead {
  first: ISkBuff | null = null;
  last: ISkBuff | null = null;
  qlen = 0;
}

export function skbQueueHeadInit(list: ISkBuffHead): void {
  list.first = null;
  list.last = null;
  list.qlen = 0;
}

export function skbQueueLen(list: ISkBuffHead): number {
  return list.qlen;
}

export function skbQueueEmpty(list: ISkBuffHead): boolean {
  return list.first === null;
}

export function skbPeek(list: ISkBuffHead): ISkBuff | null {
  return list.first;
}

export function skbPeekTail(list: ISkBuffHead): ISkBuff | null {
  return list.last;
}

/** skb_peek_next: the skb after `skb`, or null at the end of `list`. */
export function skbPeekNext(skb: ISkBuff, _list: ISkBuffHead): ISkBuff | null {
  return skb.next;
}

/** skb_queue_is_last */
export function skbQueueIsLast(list: ISkBuffHead, skb: ISkBuff): boolean {
  return list.last === skb;
}

/** __skb_queue_after: link `newsk` after `prev`; a null `prev` means the front of the queue. */
export function skbInsertAfter(list: ISkBuffHead, prev: ISkBuff | null, newsk: ISkBuff): void {
  const next = prev === null ? list.first : prev.next;
  newsk.prev = prev;
  newsk.next = next;
  if (prev === null) list.first = newsk;
  else prev.next = newsk;
  if (next === null) list.last = newsk;
  else next.prev = newsk;
  list.qlen++;
}

/** __skb_queue_before: link `newsk` before `next`; a null `next` means the tail. */
export function skbInsertBefore(list: ISkBuffHead, next: ISkBuff | null, newsk: ISkBuff): void {
  skbInsertAfter(list, next === null ? list.last : next.prev, newsk);
}

export function skbQueueTail(list: ISkBuffHead, newsk: ISkBuff): void {
  skbInsertAfter(list, list.last, newsk);
}

export function skbQueueHead(list: ISkBuffHead, newsk: ISkBuff): void {
  skbInsertAfter(list, null, newsk);
}

/** skb_append: place `newsk` after `old` on `list`. */
export function skbAppend(old: ISkBuff, newsk: ISkBuff, list: ISkBuffHead): void {
  skbInsertAfter(list, old, newsk);
}

/** __skb_unlink: `skb` must be on `list`. */
export function skbUnlink(skb: ISkBuff, list: ISkBuffHead): void {
  const next = skb.next;
  const prev = skb.prev;
  if (prev === null) list.first = next;
  else prev.next = next;
  if (next === null) list.last = prev;
  else next.prev = prev;
  skb.next = null;
  skb.prev = null;
  list.qlen--;
}

export function skbDequeue(list: ISkBuffHead): ISkBuff | null {
  const skb = list.first;
  if (skb !== null) skbUnlink(skb, list);
  return skb;
}

export function skbDequeueTail(list: ISkBuffHead): ISkBuff | null {
  const skb = list.last;
  if (skb !== null) skbUnlink(skb, list);
  return skb;
}

/**
 * skb_queue_splice_init: move all of `list` to the front of `head`. `list` is left empty
 * (Linux leaves it undefined without _init; emptying it costs nothing and is safer).
 */
export function skbQueueSplice(list: ISkBuffHead, head: ISkBuffHead): void {
  if (list.first === null) return;
  const first = list.first;
  const last = list.last!;
  last.next = head.first;
  if (head.first === null) head.last = last;
  else head.first.prev = last;
  head.first = first;
  first.prev = null;
  head.qlen += list.qlen;
  skbQueueHeadInit(list);
}

/** skb_queue_splice_tail_init: move all of `list` to the back of `head`, leaving `list` empty. */
export function skbQueueSpliceTail(list: ISkBuffHead, head: ISkBuffHead): void {
  if (list.first === null) return;
  const first = list.first;
  const last = list.last!;
  first.prev = head.last;
  if (head.last === null) head.first = first;
  else head.last.next = first;
  head.last = last;
  last.next = null;
  head.qlen += list.qlen;
  skbQueueHeadInit(list);
}

/** skb_queue_purge_reason: free everything queued, counted as `reason` (QUEUE_PURGE by default). */
export function skbQueuePurge(list: ISkBuffHead, reason: number = SKB_DROP_REASON.QUEUE_PURGE): void {
  let skb: ISkBuff | null;
  while ((skb = skbDequeue(list)) !== null) kfreeSkbReason(skb, reason);
}
