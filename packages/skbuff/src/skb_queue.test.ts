import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { SkBuff as ISkBuff, SkBuffHead as ISkBuffHead } from '@knet/include';
import { SKB_DROP_REASON } from '@knet/include';
import { allocSkb, orphanDropCounts } from './skbuff.js';
import {
  SkBuffHead, skbAppend, skbDequeue, skbDequeueTail, skbInsertAfter, skbInsertBefore, skbPeek, skbPeekNext,
  skbPeekTail, skbQueueEmpty, skbQueueHead, skbQueueHeadInit, skbQueueLen, skbQueuePurge, skbQueueSplice,
  skbQueueSpliceTail, skbQueueTail, skbUnlink,
} from './skb_queue.js';

/** Walk both directions and check the links agree with each other and with qlen. */
function walk(list: ISkBuffHead): ISkBuff[] {
  const fwd: ISkBuff[] = [];
  for (let s = skbPeek(list); s !== null; s = skbPeekNext(s, list)) fwd.push(s);
  const back: ISkBuff[] = [];
  for (let s = skbPeekTail(list); s !== null; s = s.prev) back.push(s);
  expect(back.reverse()).toEqual(fwd);
  expect(skbQueueLen(list)).toBe(fwd.length);
  expect(skbQueueEmpty(list)).toBe(fwd.length === 0);
  return fwd;
}

const op = fc.oneof(
  fc.constant({ k: 'tail' as const, i: 0 }),
  fc.constant({ k: 'head' as const, i: 0 }),
  fc.constant({ k: 'deq' as const, i: 0 }),
  fc.constant({ k: 'deqTail' as const, i: 0 }),
  fc.record({ k: fc.constant('unlink' as const), i: fc.nat() }),
  fc.record({ k: fc.constant('after' as const), i: fc.nat() }),
  fc.record({ k: fc.constant('before' as const), i: fc.nat() }),
);

describe('sk_buff_head', () => {
  test.prop([fc.array(op, { maxLength: 80 })])('queue ops keep the order and qlen of an array model', (ops) => {
    const list = new SkBuffHead();
    const model: ISkBuff[] = [];
    for (const o of ops) {
      const pick = model.length ? model[o.i % model.length] : null;
      switch (o.k) {
        case 'tail': { const s = allocSkb(0); skbQueueTail(list, s); model.push(s); break; }
        case 'head': { const s = allocSkb(0); skbQueueHead(list, s); model.unshift(s); break; }
        case 'deq': expect(skbDequeue(list)).toBe(model.shift() ?? null); break;
        case 'deqTail': expect(skbDequeueTail(list)).toBe(model.pop() ?? null); break;
        case 'unlink':
          if (pick) { skbUnlink(pick, list); model.splice(model.indexOf(pick), 1); expect(pick.next).toBeNull(); }
          break;
        case 'after': {
          const s = allocSkb(0);
          skbInsertAfter(list, pick, s);
          model.splice(pick ? model.indexOf(pick) + 1 : 0, 0, s);
          break;
        }
        case 'before': {
          const s = allocSkb(0);
          skbInsertBefore(list, pick, s);
          model.splice(pick ? model.indexOf(pick) : model.length, 0, s);
          break;
        }
      }
      expect(walk(list)).toEqual(model);
    }
    skbQueuePurge(list);
    expect(walk(list)).toEqual([]);
  });

  test.prop([fc.nat({ max: 6 }), fc.nat({ max: 6 })])('splice joins queues in order and empties the source', (a, b) => {
    const mk = (n: number) => {
      const l = new SkBuffHead();
      for (let i = 0; i < n; i++) skbQueueTail(l, allocSkb(0));
      return l;
    };
    const x = mk(a), y = mk(b);
    const xs = walk(x), ys = walk(y);
    skbQueueSplice(x, y);
    expect(walk(y)).toEqual([...xs, ...ys]);
    expect(walk(x)).toEqual([]);
    const z = mk(2);
    const zs = walk(z);
    skbQueueSpliceTail(z, y);
    expect(walk(y)).toEqual([...xs, ...ys, ...zs]);
    skbQueuePurge(y);
  });

  test('append, init, and purge counts QUEUE_PURGE drops', () => {
    const list = new SkBuffHead();
    const a = allocSkb(0), b = allocSkb(0), c = allocSkb(0);
    skbQueueTail(list, a);
    skbQueueTail(list, c);
    skbAppend(a, b, list);
    expect(walk(list)).toEqual([a, b, c]);
    const before = orphanDropCounts[SKB_DROP_REASON.QUEUE_PURGE];
    skbQueuePurge(list);
    expect(orphanDropCounts[SKB_DROP_REASON.QUEUE_PURGE]).toBe(before + 3);
    expect(a.users).toBe(0);
    const other = new SkBuffHead();
    skbQueueTail(other, allocSkb(0));
    const held = other.first!;
    skbQueueHeadInit(other);
    expect(walk(other)).toEqual([]);
    skbQueueTail(other, held);
    skbQueuePurge(other);
  });
});
