import { describe, expect, test } from 'vitest';
import type { Sock } from '@knet/include';
import {
  EAGAIN, ECONNREFUSED, EFAULT, ENOTCONN, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, MSG_DONTWAIT,
  MSG_PEEK, RCV_SHUTDOWN, SHUTDOWN_MASK, SOCK_STREAM, TCP_ESTABLISHED,
  TCP_SYN_SENT,
} from '@knet/include';
import { allocSkb, skbPut, skbPoolStats } from '@knet/skbuff';
import { sockQueueRcvSkb } from './sock.js';
import {
  __skbRecvDatagram, datagramPoll, iovLength, skbCopyDatagramIter, skbFreeDatagram, skbKillDatagram,
  skbRecvDatagram,
} from './datagram.js';
import { mkSock } from './test/test_sock.js';

function queue(sk: Sock, bytes: number[]): void {
  const skb = allocSkb(bytes.length);
  const at = skbPut(skb, bytes.length);
  skb.head.set(bytes, at);
  expect(sockQueueRcvSkb(sk, skb)).toBe(0);
}

describe('__skbRecvDatagram', () => {
  test('dequeues in order, and an empty queue is -EAGAIN', () => {
    const { sk, wakes } = mkSock();
    expect(__skbRecvDatagram(sk, 0)).toBe(-EAGAIN);
    queue(sk, [1, 2, 3]);
    queue(sk, [4]);
    expect(wakes.length).toBe(2);
    const a = skbRecvDatagram(sk, 0);
    expect(typeof a).toBe('object');
    if (typeof a === 'number') return;
    expect(a.len).toBe(3);
    skbFreeDatagram(sk, a);
    const b = skbRecvDatagram(sk, 0);
    if (typeof b === 'number') throw new Error('expected an skb');
    expect(b.len).toBe(1);
    skbFreeDatagram(sk, b);
    expect(sk.skRmemAlloc).toBe(0);
  });

  test('MSG_PEEK leaves the datagram queued; the peek reference is dropped by skbFreeDatagram', () => {
    const { sk } = mkSock();
    queue(sk, [9, 8]);
    const p = __skbRecvDatagram(sk, MSG_PEEK);
    if (typeof p === 'number') throw new Error('expected an skb');
    expect(p.users).toBe(2);
    skbFreeDatagram(sk, p);
    expect(sk.skReceiveQueue.qlen).toBe(1);
    const r = __skbRecvDatagram(sk, 0);
    expect(r).toBe(p);
    skbFreeDatagram(sk, p);
    expect(sk.skReceiveQueue.qlen).toBe(0);
  });

  test('a peek offset skips whole datagrams and reports the offset into the one returned', () => {
    const { sk } = mkSock();
    queue(sk, [1, 2, 3]);
    queue(sk, [4, 5, 6, 7]);
    const off = { off: 5 };
    const p = __skbRecvDatagram(sk, MSG_PEEK, off);
    if (typeof p === 'number') throw new Error('expected an skb');
    expect(p.len).toBe(4);
    expect(off.off).toBe(2);
    skbFreeDatagram(sk, p);
    expect(__skbRecvDatagram(sk, MSG_PEEK, { off: 7 })).toBe(-EAGAIN);
  });

  test('a pending error is returned once and cleared, before queued data', () => {
    const { sk } = mkSock();
    queue(sk, [1]);
    sk.skErr = ECONNREFUSED;
    expect(__skbRecvDatagram(sk, 0)).toBe(-ECONNREFUSED);
    expect(sk.skErr).toBe(0);
    expect(typeof __skbRecvDatagram(sk, 0)).toBe('object');
  });

  test('RCV_SHUTDOWN reads as end of file, except for a non-blocking reader', () => {
    const { sk } = mkSock();
    sk.skShutdown = RCV_SHUTDOWN;
    expect(__skbRecvDatagram(sk, 0)).toBe(0);
    expect(__skbRecvDatagram(sk, MSG_DONTWAIT)).toBe(-EAGAIN);
  });

  test('a connection-based socket that is not connected gets -ENOTCONN', () => {
    const { sk } = mkSock(SOCK_STREAM);
    expect(__skbRecvDatagram(sk, 0)).toBe(-ENOTCONN);
    sk.skState = TCP_ESTABLISHED;
    expect(__skbRecvDatagram(sk, 0)).toBe(-EAGAIN);
  });
});

describe('skbCopyDatagramIter', () => {
  test('copies across iov segments, from an offset into the iov', () => {
    const { sk } = mkSock();
    queue(sk, [10, 11, 12, 13, 14, 15]);
    const skb = skbRecvDatagram(sk, 0);
    if (typeof skb === 'number') throw new Error('expected an skb');
    const iov = [new Uint8Array(2), new Uint8Array(3), new Uint8Array(4)];
    expect(iovLength(iov)).toBe(9);
    expect(skbCopyDatagramIter(skb, 1, iov, 5, 1)).toBe(0);
    expect([...iov[0]!]).toEqual([0, 11]);
    expect([...iov[1]!]).toEqual([12, 13, 14]);
    expect([...iov[2]!]).toEqual([15, 0, 0, 0]);
    expect(skbCopyDatagramIter(skb, 0, [new Uint8Array(2)], 3)).toBe(-EFAULT);
    expect(skbCopyDatagramIter(skb, 4, [new Uint8Array(8)], 3)).toBe(-EFAULT);
    skbFreeDatagram(sk, skb);
  });
});

describe('skbKillDatagram', () => {
  test('unlinks a peeked datagram and frees it, counted as a socket drop', () => {
    const { sk } = mkSock();
    queue(sk, [1, 2]);
    const inUse = skbPoolStats().skbInUse;
    const p = __skbRecvDatagram(sk, MSG_PEEK);
    if (typeof p === 'number') throw new Error('expected an skb');
    expect(skbKillDatagram(sk, p, MSG_PEEK)).toBe(0);
    expect(sk.skReceiveQueue.qlen).toBe(0);
    expect(sk.skDrops).toBe(1);
    expect(skbPoolStats().skbInUse).toBe(inUse - 1);
  });
});

describe('datagramPoll', () => {
  test('readable with data, writable with send space, error and hangup bits', () => {
    const { sk } = mkSock();
    expect(datagramPoll(sk)).toBe(EPOLLOUT | 0x100 | 0x200);
    queue(sk, [1]);
    expect(datagramPoll(sk) & EPOLLIN).toBe(EPOLLIN);
    sk.skErr = ECONNREFUSED;
    expect(datagramPoll(sk) & EPOLLERR).toBe(EPOLLERR);
    sk.skShutdown = SHUTDOWN_MASK;
    expect(datagramPoll(sk) & (EPOLLHUP | EPOLLRDHUP)).toBe(EPOLLHUP | EPOLLRDHUP);
    sk.skWmemAlloc = sk.skSndbuf;
    expect(datagramPoll(sk) & EPOLLOUT).toBe(0);
  });

  test('a connecting stream socket is not writable', () => {
    const { sk } = mkSock(SOCK_STREAM);
    sk.skState = TCP_SYN_SENT;
    expect(datagramPoll(sk) & EPOLLOUT).toBe(0);
  });
});
