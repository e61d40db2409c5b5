import { describe, expect, test } from 'vitest';
import {
  ECONNREFUSED, EHOSTUNREACH, EMSGSIZE, ENOMEM, EPOLLERR, SOCK_DEAD, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL,
  SO_EE_ORIGIN_ZEROCOPY,
} from '@knet/include';
import { allocSkb, consumeSkb, skbPut } from '@knet/skbuff';
import {
  SK_ERROR_QUEUE_EMPTY, type SockExterrSkb, skbErrqueuePurge, skbExtErr, sockDequeueErrSkb, sockExtendedErr,
  sockQueueErrSkb,
} from './sock_errqueue.js';
import { msgZerocopyAlloc, msgZerocopyPut } from './sock_zerocopy.js';
import { datagramPoll } from './datagram.js';
import { mkSock } from './test/test_sock.js';

function serr(origin: number, errno: number): SockExterrSkb {
  const ee = sockExtendedErr();
  ee.eeOrigin = origin;
  ee.eeErrno = errno;
  return { ee, addrOffset: -1, port: 0 };
}

function errSkb(len: number) {
  const skb = allocSkb(len);
  skbPut(skb, len);
  return skb;
}

describe('sock_queue_err_skb / sock_dequeue_err_skb', () => {
  test('a sock gets its own queue on first use; queueing charges sk_rmem_alloc and reports EPOLLERR', () => {
    const { sk, wakes } = mkSock();
    expect(sk.skErrorQueue).toBe(SK_ERROR_QUEUE_EMPTY);
    expect(datagramPoll(sk) & EPOLLERR).toBe(0);
    const skb = errSkb(100);
    expect(sockQueueErrSkb(sk, skb, serr(SO_EE_ORIGIN_ICMP, ECONNREFUSED))).toBe(0);
    expect(sk.skErrorQueue).not.toBe(SK_ERROR_QUEUE_EMPTY);
    expect(sk.skRmemAlloc).toBe(skb.truesize);
    expect(wakes).toEqual([EPOLLERR]);
    expect(datagramPoll(sk) & EPOLLERR).toBe(EPOLLERR);
    const got = sockDequeueErrSkb(sk)!;
    expect(got).toBe(skb);
    expect(skbExtErr(got)!.ee.eeErrno).toBe(ECONNREFUSED);
    expect(sockDequeueErrSkb(sk)).toBeNull();
    // The charge and the extended error stay with the skb until the reader frees it.
    expect(sk.skRmemAlloc).toBe(got.truesize);
    consumeSkb(got);
    expect(sk.skRmemAlloc).toBe(0);
    expect(skbExtErr(got)).toBeUndefined();
  });

  test('bounded by sk_rcvbuf: -ENOMEM and nothing queued once the next skb would reach it', () => {
    const { sk } = mkSock();
    const first = errSkb(64);
    sk.skRcvbuf = first.truesize * 2;
    expect(sockQueueErrSkb(sk, first, serr(SO_EE_ORIGIN_LOCAL, EMSGSIZE))).toBe(0);
    const second = errSkb(64);
    expect(sockQueueErrSkb(sk, second, serr(SO_EE_ORIGIN_LOCAL, EMSGSIZE))).toBe(-ENOMEM);
    expect(sk.skErrorQueue.first).toBe(first);
    expect(sk.skErrorQueue.last).toBe(first);
    expect(skbExtErr(second)).toBeUndefined();
  });

  test('sk_err follows the queue: the next ICMP error is pending until the last is read', () => {
    const { sk, wakes } = mkSock();
    sk.skRcvbuf = 1 << 20;
    sockQueueErrSkb(sk, errSkb(8), serr(SO_EE_ORIGIN_ICMP, ECONNREFUSED));
    sockQueueErrSkb(sk, errSkb(8), serr(SO_EE_ORIGIN_ICMP, EHOSTUNREACH));
    sk.skErr = ECONNREFUSED;
    wakes.length = 0;
    sockDequeueErrSkb(sk);
    // Another entry is queued: its errno becomes sk_err and the reader is woken again.
    expect(sk.skErr).toBe(EHOSTUNREACH);
    expect(wakes).toEqual([EPOLLERR]);
    sockDequeueErrSkb(sk);
    expect(sk.skErr).toBe(0);
    expect(wakes).toEqual([EPOLLERR]);
  });

  test('reading a zerocopy completion leaves a pending socket error alone', () => {
    const { sk } = mkSock();
    sk.skZckey = 0;
    const u = msgZerocopyAlloc(sk, 10);
    msgZerocopyPut(u);
    sk.skErr = ECONNREFUSED;
    const skb = sockDequeueErrSkb(sk)!;
    expect(skbExtErr(skb)!.ee.eeOrigin).toBe(SO_EE_ORIGIN_ZEROCOPY);
    expect(sk.skErr).toBe(ECONNREFUSED);
  });

  test('a dead sock still queues but nobody is woken', () => {
    const { sk, wakes } = mkSock();
    sk.skFlags |= SOCK_DEAD;
    expect(sockQueueErrSkb(sk, errSkb(8), serr(SO_EE_ORIGIN_ICMP, ECONNREFUSED))).toBe(0);
    expect(wakes).toEqual([]);
    expect(sk.skErrorQueue.first).not.toBeNull();
  });

  test('skb_errqueue_purge drops errors and keeps zerocopy completions', () => {
    const { sk } = mkSock();
    sockQueueErrSkb(sk, errSkb(8), serr(SO_EE_ORIGIN_ICMP, ECONNREFUSED));
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    sockQueueErrSkb(sk, errSkb(8), serr(SO_EE_ORIGIN_LOCAL, EMSGSIZE));
    skbErrqueuePurge(sk);
    const left = sk.skErrorQueue.first!;
    expect(skbExtErr(left)!.ee.eeOrigin).toBe(SO_EE_ORIGIN_ZEROCOPY);
    expect(left.next).toBeNull();
    expect(sk.skRmemAlloc).toBe(0);
  });
});
