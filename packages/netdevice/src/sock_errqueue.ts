// net/core/sock.c sock_queue_err_skb and net/core/skbuff.c sock_dequeue_err_skb: the socket's
// error queue, which carries ICMP and local errors (IP_RECVERR) and MSG_ZEROCOPY completions
// to recvmsg(MSG_ERRQUEUE).
import type { SkBuff, Sock, SockExtendedErr } from '@knet/include';
import {
  ENOMEM, SKB_DROP_REASON, SOCK_DEAD, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_TIMESTAMPING,
  SO_EE_ORIGIN_ZEROCOPY,
} from '@knet/include';
import { SkBuffHead, kfreeSkbReason, skbDequeue, skbQueueTail, skbUnlink } from '@knet/skbuff';

/**
 * The error queue every sock starts with: empty, shared and frozen, so a sock carries no queue
 * head of its own until something is queued to it (skErrorQueueOwn gives it one); a write to
 * this one throws.
 */
export const SK_ERROR_QUEUE_EMPTY: SkBuffHead = Object.freeze(new SkBuffHead()) as SkBuffHead;

/**
 * struct sock_exterr_skb: what an error-queue skb reports. Linux keeps it in skb->cb; knet's cb
 * has one shape for the packet path, so it rides beside the skb until the skb is freed.
 */
export interface SockExterrSkb {
  ee: SockExtendedErr;
  /** The reported address's offset from skb.networkHeader (serr->addr_offset), -1 for none. */
  addrOffset: number;
  /** The reported port, host order (serr->port). */
  port: number;
}

const exterrOf = new WeakMap<SkBuff, SockExterrSkb>();

/** SKB_EXT_ERR(skb): the error an error-queue skb carries, or undefined for any other skb. */
export function skbExtErr(skb: SkBuff): SockExterrSkb | undefined {
  return exterrOf.get(skb);
}

/** A zeroed sock_extended_err. */
export function sockExtendedErr(): SockExtendedErr {
  return { eeErrno: 0, eeOrigin: 0, eeType: 0, eeCode: 0, eePad: 0, eeInfo: 0, eeData: 0 };
}

/** The sock's own error queue head, replacing the shared empty one on first use. */
export function skErrorQueueOwn(sk: Sock): SkBuffHead {
  let q = sk.skErrorQueue;
  if (q === SK_ERROR_QUEUE_EMPTY) {
    q = new SkBuffHead();
    sk.skErrorQueue = q;
  }
  return q as SkBuffHead;
}

/** sock_rmem_free: an error-queue skb gives back its receive-buffer charge (no forward alloc). */
function sockRmemFree(skb: SkBuff): void {
  exterrOf.delete(skb);
  const sk = skb.sk;
  if (sk !== null) sk.skRmemAlloc -= skb.truesize;
}

/** An uncharged notification skb only drops its extended error when freed. */
function skbExtErrFree(skb: SkBuff): void {
  exterrOf.delete(skb);
}

/**
 * sock_queue_err_skb: queue `skb` reporting `serr`, charged to sk_rcvbuf like received data.
 * -ENOMEM when the receive buffer is full; the caller keeps and frees the skb.
 */
export function sockQueueErrSkb(sk: Sock, skb: SkBuff, serr: SockExterrSkb): number {
  if (sk.skRmemAlloc + skb.truesize >= sk.skRcvbuf) return -ENOMEM;
  const d = skb.destructor;
  if (d !== null) {
    skb.destructor = null;
    d(skb);
  }
  skb.sk = sk;
  skb.destructor = sockRmemFree;
  sk.skRmemAlloc += skb.truesize;
  skb.dst = null;
  exterrOf.set(skb, serr);
  skbQueueTail(skErrorQueueOwn(sk), skb);
  if ((sk.skFlags & SOCK_DEAD) === 0) sk.skErrorReport(sk);
  return 0;
}

/**
 * Queue a notification that is not charged to the receive buffer: Linux allocates a zerocopy
 * completion with the send (against the option memory), so queueing it never fails.
 */
export function sockQueueErrSkbUncharged(sk: Sock, skb: SkBuff, serr: SockExterrSkb): void {
  skb.sk = sk;
  skb.destructor = skbExtErrFree;
  exterrOf.set(skb, serr);
  skbQueueTail(skErrorQueueOwn(sk), skb);
}

function isIcmpErrSkb(skb: SkBuff): boolean {
  const serr = exterrOf.get(skb);
  return serr !== undefined && (serr.ee.eeOrigin === SO_EE_ORIGIN_ICMP || serr.ee.eeOrigin === SO_EE_ORIGIN_ICMP6);
}

/**
 * sock_dequeue_err_skb: the oldest notification, or null. sk_err follows the queue: it becomes
 * the next ICMP error's errno, or is cleared once the last ICMP error is read; a reader is woken
 * again while more is queued.
 */
export function sockDequeueErrSkb(sk: Sock): SkBuff | null {
  const q = sk.skErrorQueue;
  if (q.first === null) return null;
  const skb = skbDequeue(q)!;
  const next = q.first;
  let icmpNext = false;
  if (next !== null) {
    icmpNext = isIcmpErrSkb(next);
    if (icmpNext) sk.skErr = exterrOf.get(next)!.ee.eeErrno;
  }
  if (isIcmpErrSkb(skb) && !icmpNext) sk.skErr = 0;
  if (next !== null) sk.skErrorReport(sk);
  return skb;
}

/**
 * skb_errqueue_purge: IP_RECVERR was turned off, so queued errors go; zerocopy completions and
 * timestamps stay, the application still waits for them.
 */
export function skbErrqueuePurge(sk: Sock): void {
  const q = sk.skErrorQueue;
  let skb = q.first;
  while (skb !== null) {
    const next = skb.next;
    const origin = exterrOf.get(skb)?.ee.eeOrigin;
    if (origin !== SO_EE_ORIGIN_ZEROCOPY && origin !== SO_EE_ORIGIN_TIMESTAMPING) {
      skbUnlink(skb, q);
      kfreeSkbReason(skb, SKB_DROP_REASON.QUEUE_PURGE);
    }
    skb = next;
  }
}
