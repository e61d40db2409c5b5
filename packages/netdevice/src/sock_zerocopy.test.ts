import { describe, expect, test } from 'vitest';
import type { Sock } from '@knet/include';
import { EPOLLERR, SOCK_DEAD, SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY } from '@knet/include';
import { allocSkb, consumeSkb, kfreeSkb } from '@knet/skbuff';
import { skSetOwnerW } from './sock.js';
import { skbExtErr, sockDequeueErrSkb } from './sock_errqueue.js';
import {
  msgZerocopyAlloc, msgZerocopyPut, msgZerocopyPutAbort, msgZerocopyRealloc, skbZcopySet,
} from './sock_zerocopy.js';
import { mkSock } from './test/test_sock.js';

/** Read every queued completion as [lo, hi]. */
function drain(sk: Sock): [number, number][] {
  const out: [number, number][] = [];
  for (let skb = sockDequeueErrSkb(sk); skb !== null; skb = sockDequeueErrSkb(sk)) {
    const ee = skbExtErr(skb)!.ee;
    expect(ee.eeOrigin).toBe(SO_EE_ORIGIN_ZEROCOPY);
    expect(ee.eeCode).toBe(SO_EE_CODE_ZEROCOPY_COPIED);
    expect(ee.eeErrno).toBe(0);
    out.push([ee.eeInfo, ee.eeData]);
    consumeSkb(skb);
  }
  return out;
}

describe('MSG_ZEROCOPY completions', () => {
  test('ids count up from 0; completions still queued merge into one range, read ones do not', () => {
    const { sk, wakes } = mkSock();
    for (let i = 0; i < 3; i++) msgZerocopyPut(msgZerocopyAlloc(sk, 100));
    expect(wakes).toEqual([EPOLLERR, EPOLLERR, EPOLLERR]);
    expect(drain(sk)).toEqual([[0, 2]]);
    msgZerocopyPut(msgZerocopyAlloc(sk, 100));
    expect(drain(sk)).toEqual([[3, 3]]);
    // Out of order: 5 completes before 4, so neither extends the other's range.
    const u4 = msgZerocopyAlloc(sk, 1);
    const u5 = msgZerocopyAlloc(sk, 1);
    msgZerocopyPut(u5);
    msgZerocopyPut(u4);
    expect(drain(sk)).toEqual([[5, 5], [4, 4]]);
  });

  test('an aborted send gives its id back, so the next send reuses it and nothing is reported twice', () => {
    const { sk } = mkSock();
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    msgZerocopyPutAbort(msgZerocopyAlloc(sk, 1), true);
    expect(sk.skZckey).toBe(1);
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    expect(drain(sk)).toEqual([[0, 1]]);
  });

  test('realloc extends the completion holding the newest ids, else starts a new one', () => {
    const { sk } = mkSock();
    const u = msgZerocopyAlloc(sk, 10);
    expect(msgZerocopyRealloc(sk, 10, u)).toBe(u);
    expect(msgZerocopyRealloc(sk, 10, u)).toBe(u);
    expect(u.len).toBe(3);
    expect(u.bytelen).toBe(30);
    const other = msgZerocopyAlloc(sk, 1);
    // u no longer ends at sk_zckey: a new completion.
    const n = msgZerocopyRealloc(sk, 1, u);
    expect(n).not.toBe(u);
    expect(n.id).toBe(4);
    msgZerocopyPut(u);
    msgZerocopyPut(other);
    msgZerocopyPut(n);
    expect(drain(sk)).toEqual([[0, 4]]);
  });

  test('the id counter is 32 bits: it wraps, and a range may wrap with it (ee_data < ee_info)', () => {
    const { sk } = mkSock();
    sk.skZckey = 0xfffffffe;
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    expect(sk.skZckey).toBe(0);
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    expect(drain(sk)).toEqual([[0xfffffffe, 0]]);
  });

  test('an skb holding the data completes when it is freed, after its own destructor', () => {
    const { sk } = mkSock();
    const skb = allocSkb(100);
    skSetOwnerW(skb, sk);
    expect(sk.skWmemAlloc).toBe(skb.truesize);
    skbZcopySet(skb, msgZerocopyAlloc(sk, 100));
    expect(sk.skErrorQueue.first).toBeNull();
    kfreeSkb(skb);
    expect(sk.skWmemAlloc).toBe(0);
    expect(drain(sk)).toEqual([[0, 0]]);
  });

  test('a closed socket is told nothing', () => {
    const { sk, wakes } = mkSock();
    sk.skFlags |= SOCK_DEAD;
    msgZerocopyPut(msgZerocopyAlloc(sk, 1));
    expect(sk.skErrorQueue.first).toBeNull();
    expect(wakes).toEqual([]);
  });
});
