// net/core/datagram.c: the generic receive side of datagram sockets. Nothing sleeps here:
// where Linux's __skb_wait_for_more_packets would wait, the caller gets -EAGAIN and the
// socket layer waits on the socket's wait queue, woken by skDataReady.
import { traceEvent } from './tracepoint.js';
import type { SkBuff, Sock } from '@knet/include';
import {
  EAGAIN, EFAULT, ENOENT, ENOTCONN, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, MSG_DONTWAIT,
  MSG_PEEK, POLLRDNORM, POLLWRBAND, POLLWRNORM, RCV_SHUTDOWN, SHUTDOWN_MASK, SOCK_NOSPACE, SOCK_SEQPACKET,
  SOCK_STREAM, TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_SENT,
} from '@knet/include';
import { consumeSkb, kfreeSkb, skbCopyBits, skbUnlink } from '@knet/skbuff';
import { skDropsAdd, sockError } from './sock.js';

/** The peek offset in and out of __skbRecvDatagram (Linux's `int *off`). */
export interface PeekOff {
  off: number;
}

function connectionBased(sk: Sock): boolean {
  return sk.skType === SOCK_SEQPACKET || sk.skType === SOCK_STREAM;
}

/**
 * __skb_try_recv_from_queue: the first datagram, unlinked, or with MSG_PEEK an extra reference
 * to it. With a peek offset, whole datagrams below the offset are skipped and `off` is left
 * as the offset into the one returned.
 */
function tryRecvFromQueue(sk: Sock, flags: number, off: PeekOff | null): SkBuff | null {
  const queue = sk.skReceiveQueue;
  let skb = queue.first;
  if ((flags & MSG_PEEK) === 0) {
    if (skb !== null) skbUnlink(skb, queue);
    return skb;
  }
  let o = off !== null && off.off > 0 ? off.off : 0;
  while (skb !== null && o > 0 && o >= skb.len) {
    o -= skb.len;
    skb = skb.next;
  }
  if (skb === null) return null;
  skb.users++;
  if (off !== null) off.off = o;
  return skb;
}

/**
 * __skb_recv_datagram: a datagram, or a number: the pending socket error (-errno, cleared),
 * 0 at end of file (RCV_SHUTDOWN with nothing queued), -ENOTCONN for an unconnected
 * connection-based socket, or -EAGAIN where a blocking reader would sleep. MSG_DONTWAIT keeps
 * Linux's non-blocking rule: an empty queue is -EAGAIN even after shutdown.
 */
export function __skbRecvDatagram(sk: Sock, flags: number, off: PeekOff | null = null): SkBuff | number {
  if (sk.skNet.trace !== null) traceEvent(sk.skNet, '__skbRecvDatagram');
  const err = sockError(sk);
  if (err !== 0) return err;
  const skb = tryRecvFromQueue(sk, flags, off);
  if (skb !== null) return skb;
  if ((flags & MSG_DONTWAIT) !== 0) return -EAGAIN;
  // __skb_wait_for_more_packets' checks, made before it would sleep.
  if ((sk.skShutdown & RCV_SHUTDOWN) !== 0) return 0;
  if (connectionBased(sk) && sk.skState !== TCP_ESTABLISHED && sk.skState !== TCP_LISTEN) return -ENOTCONN;
  return -EAGAIN;
}

/** skb_recv_datagram */
export function skbRecvDatagram(sk: Sock, flags: number): SkBuff | number {
  return __skbRecvDatagram(sk, flags, null);
}

/**
 * skb_copy_datagram_iter: copy `len` bytes from packet offset `offset` into the segments of
 * `iov`, starting `iovOff` bytes into them. 0 or -EFAULT (the iov is too short or the skb is).
 */
export function skbCopyDatagramIter(skb: SkBuff, offset: number, iov: Uint8Array[], len: number, iovOff = 0): number {
  let i = 0;
  while (i < iov.length && iovOff >= iov[i]!.length) {
    iovOff -= iov[i]!.length;
    i++;
  }
  while (len > 0) {
    if (i >= iov.length) return -EFAULT;
    const seg = iov[i]!;
    let n = seg.length - iovOff;
    if (n > len) n = len;
    if (skbCopyBits(skb, offset, seg, iovOff, n) !== 0) return -EFAULT;
    offset += n;
    len -= n;
    iovOff = 0;
    i++;
  }
  return 0;
}

/** Total bytes the segments of an iov hold (iov_iter_count). */
export function iovLength(iov: Uint8Array[]): number {
  let n = 0;
  for (let i = 0; i < iov.length; i++) n += iov[i]!.length;
  return n;
}

/** skb_free_datagram: the reader is done with the skb (drops the peek reference, or frees). */
export function skbFreeDatagram(_sk: Sock, skb: SkBuff): void {
  consumeSkb(skb);
}

/**
 * skb_consume_udp: as skbFreeDatagram; the receive memory goes back through the skb's
 * destructor, which skSetOwnerR installed when it was queued.
 */
export function skbConsumeUdp(sk: Sock, skb: SkBuff, _len: number): void {
  skbFreeDatagram(sk, skb);
}

/**
 * skb_kill_datagram: discard a datagram the reader cannot use (a late checksum error). A
 * peeked one is still queued, so it is unlinked too; -ENOENT if another reader took it.
 */
export function skbKillDatagram(sk: Sock, skb: SkBuff, flags: number): number {
  let err = 0;
  if ((flags & MSG_PEEK) !== 0) {
    const q = sk.skReceiveQueue;
    err = -ENOENT;
    if (skb.next !== null || skb.prev !== null || q.first === skb) {
      skbUnlink(skb, q);
      skb.users--;
      err = 0;
    }
  }
  skDropsAdd(sk);
  kfreeSkb(skb);
  return err;
}

/** sock_writeable: at least half the send buffer is free. */
export function sockWriteable(sk: Sock): boolean {
  return sk.skWmemAlloc < sk.skSndbuf >> 1;
}

/** datagram_poll: EPOLL* readiness of a datagram socket. */
export function datagramPoll(sk: Sock): number {
  let mask = 0;
  // EPOLLPRI for a queued error needs SO_SELECT_ERR_QUEUE, which knet does not offer.
  if (sk.skErr !== 0 || sk.skErrorQueue.first !== null) mask |= EPOLLERR;
  const shutdown = sk.skShutdown;
  if ((shutdown & RCV_SHUTDOWN) !== 0) mask |= EPOLLRDHUP | EPOLLIN | POLLRDNORM;
  if (shutdown === SHUTDOWN_MASK) mask |= EPOLLHUP;
  if (sk.skReceiveQueue.first !== null) mask |= EPOLLIN | POLLRDNORM;
  if (connectionBased(sk)) {
    if (sk.skState === TCP_CLOSE) mask |= EPOLLHUP;
    // A connection in progress is not yet writable.
    if (sk.skState === TCP_SYN_SENT) return mask;
  }
  if (sockWriteable(sk)) mask |= EPOLLOUT | POLLWRNORM | POLLWRBAND;
  else sk.skFlags |= SOCK_NOSPACE;
  return mask;
}
