// net/core/skbuff.c msg_zerocopy_*: MSG_ZEROCOPY completion notifications. Each MSG_ZEROCOPY
// send on a SO_ZEROCOPY socket takes the next id of the sock's 32-bit counter (sk_zckey); once
// the stack no longer needs the user's pages it queues [first id, last id] on the error queue.
// knet always copies the payload, so every completion says SO_EE_CODE_ZEROCOPY_COPIED.
import type { SkBuff, Sock } from '@knet/include';
import { SOCK_DEAD, SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY } from '@knet/include';
import { allocSkb } from '@knet/skbuff';
import { skbExtErr, sockExtendedErr, sockQueueErrSkbUncharged } from './sock_errqueue.js';

/** A ubuf_info_msgzc's len is 16 bits; it stops growing one short of USHRT_MAX. */
const ZC_LEN_MAX = 0xffff - 1;

/** struct ubuf_info_msgzc: the ids [id, id+len) of sends whose data one skb (or datagram) holds. */
export class UbufInfoMsgzc {
  len = 1;
  refcnt = 1;
  /** False when the data was copied rather than pinned (always, in knet). */
  zerocopy = false;
  constructor(readonly sk: Sock, readonly id: number, public bytelen: number) {}
}

/** msg_zerocopy_alloc: a completion for the next id; the caller holds its one reference. */
export function msgZerocopyAlloc(sk: Sock, size: number): UbufInfoMsgzc {
  const uarg = new UbufInfoMsgzc(sk, sk.skZckey, size);
  sk.skZckey = (sk.skZckey + 1) >>> 0;
  return uarg;
}

/**
 * msg_zerocopy_realloc: extend `uarg` with the next id when it holds the latest ones (more data
 * for the same corked datagram), else a new completion. Extending takes no extra reference.
 */
export function msgZerocopyRealloc(sk: Sock, size: number, uarg: UbufInfoMsgzc | null): UbufInfoMsgzc {
  if (uarg !== null && uarg.sk === sk && uarg.len < ZC_LEN_MAX && ((uarg.id + uarg.len) >>> 0) === sk.skZckey) {
    uarg.len++;
    uarg.bytelen += size;
    sk.skZckey = (sk.skZckey + 1) >>> 0;
    return uarg;
  }
  return msgZerocopyAlloc(sk, size);
}

/**
 * skb_zerocopy_notify_extend: fold [lo, lo+len) into the queued completion `skb` when it ends
 * right before lo, so a reader that has not caught up sees one range.
 */
function skbZerocopyNotifyExtend(skb: SkBuff, lo: number, len: number): boolean {
  const serr = skbExtErr(skb);
  if (serr === undefined || serr.ee.eeOrigin !== SO_EE_ORIGIN_ZEROCOPY) return false;
  const oldLo = serr.ee.eeInfo;
  const oldHi = serr.ee.eeData;
  // The merged range must still fit the 32-bit id space.
  if (((oldHi - oldLo) >>> 0) + 1 + len >= 2 ** 32) return false;
  if (lo !== ((oldHi + 1) >>> 0)) return false;
  serr.ee.eeData = (oldHi + len) >>> 0;
  return true;
}

/** __msg_zerocopy_callback: the last reference is gone; tell the owner its ids are done. */
function msgZerocopyCallback(uarg: UbufInfoMsgzc): void {
  const sk = uarg.sk;
  // Ids given back by an aborted send, or a socket already closed: nothing to tell.
  if (uarg.len === 0 || (sk.skFlags & SOCK_DEAD) !== 0) return;
  const lo = uarg.id;
  const tail = sk.skErrorQueue.last;
  if (tail === null || !skbZerocopyNotifyExtend(tail, lo, uarg.len)) {
    const ee = sockExtendedErr();
    ee.eeOrigin = SO_EE_ORIGIN_ZEROCOPY;
    if (!uarg.zerocopy) ee.eeCode = SO_EE_CODE_ZEROCOPY_COPIED;
    ee.eeInfo = lo;
    ee.eeData = (lo + uarg.len - 1) >>> 0;
    sockQueueErrSkbUncharged(sk, allocSkb(0), { ee, addrOffset: -1, port: 0 });
  }
  sk.skErrorReport(sk);
}

/** msg_zerocopy_put (net_zcopy_put): drop one reference, completing on the last. */
export function msgZerocopyPut(uarg: UbufInfoMsgzc): void {
  if (--uarg.refcnt === 0) msgZerocopyCallback(uarg);
}

/**
 * msg_zerocopy_put_abort: the send that took the newest id queued nothing, so the id goes back
 * to the counter (the next send reuses it) and, with the caller's reference, is never reported.
 */
export function msgZerocopyPutAbort(uarg: UbufInfoMsgzc, haveUref: boolean): void {
  const sk = uarg.sk;
  sk.skZckey = (sk.skZckey - 1) >>> 0;
  uarg.len--;
  if (haveUref) msgZerocopyPut(uarg);
}

interface SkbZcopy {
  uarg: UbufInfoMsgzc;
  destructor: ((skb: SkBuff) => void) | null;
}
const zcopyOf = new WeakMap<SkBuff, SkbZcopy>();

/** The skb's data is freed: run its own destructor, then release the completion it held. */
function skbZcopyRelease(skb: SkBuff): void {
  const z = zcopyOf.get(skb);
  if (z === undefined) return;
  zcopyOf.delete(skb);
  if (z.destructor !== null) z.destructor(skb);
  msgZerocopyPut(z.uarg);
}

/**
 * skb_zcopy_set: `skb` now holds the data of `uarg`'s sends and takes over the caller's
 * reference; the completion fires when the skb is freed (after transmit, or when dropped), as
 * Linux releases it with the skb's data. The skb's own destructor still runs first.
 */
export function skbZcopySet(skb: SkBuff, uarg: UbufInfoMsgzc): void {
  if (zcopyOf.has(skb)) {
    msgZerocopyPut(uarg);
    return;
  }
  zcopyOf.set(skb, { uarg, destructor: skb.destructor });
  skb.destructor = skbZcopyRelease;
}
