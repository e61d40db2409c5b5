import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Net, NetDevice, SkBuff as ISkBuff } from '@knet/include';
import {
  CHECKSUM_NONE, CTX_SOFTIRQ, ENOMEM, NET_IP_ALIGN, NET_SKB_PAD, SKB_DROP_REASON, SKB_TRUESIZE_OVERHEAD,
} from '@knet/include';
import {
  allocSkb, allocSkbWithHeadroom, consumeSkb, kfreeSkb, kfreeSkbReason, netdevAllocSkb, orphanDropCounts,
  pskbExpandHead, skbCloned, skbGet, skbHeadlen, skbHeadroom, skbNetworkHeaderLen, skbNetworkOffset,
  skbPoolStats, skbPull, skbPush, skbPut, skbPutData, skbReserve, skbResetNetworkHeader,
  skbResetTransportHeader, skbTailroom, skbTransportOffset, skbTrim,
} from './skbuff.js';
import { skbClone, skbCopy, skbCow, skbUnshare } from './skbuff_clone.js';

function fakeNet() {
  const events: { fn: string; cpu: number; ctx: number; info?: string }[] = [];
  const net = {
    curCpu: 1,
    cpus: [{ ctx: 0 }, { ctx: CTX_SOFTIRQ }],
    dropCounts: new Array<number>(SKB_DROP_REASON.MAX).fill(0),
    trace: { event: (fn: string, cpu: number, ctx: number, info?: string) => events.push({ fn, cpu, ctx, info }) },
  } as unknown as Net;
  const dev = { ndNet: net } as unknown as NetDevice;
  return { net, dev, events };
}

const bytesOf = (skb: ISkBuff) => skb.head.slice(skb.data, skb.tail);

describe('skbuff', () => {
  test('allocSkb gives an empty, fully reset skb', () => {
    const skb = allocSkb(1500);
    expect(skb.end).toBeGreaterThanOrEqual(1500);
    expect([skb.data, skb.tail, skb.len, skb.dataLen, skb.users]).toEqual([0, 0, 0, 0, 1]);
    expect([skb.macHeader, skb.networkHeader, skb.transportHeader]).toEqual([-1, -1, -1]);
    expect([skb.dev, skb.sk, skb.dst, skb.destructor, skb.next, skb.prev]).toEqual([null, null, null, null, null, null]);
    expect(skb.ipSummed).toBe(CHECKSUM_NONE);
    expect(skb.cb.seq + skb.cb.endSeq + skb.cb.layerPriv).toBe(0);
    expect(skb.shinfo.dataref).toBe(1);
    expect(skb.shinfo.frags.length).toBe(0);
    expect(skb.truesize).toBe(skb.head.length + SKB_TRUESIZE_OVERHEAD);
    skb.cb.seq = 7;
    skb.mark = 9;
    skb.networkHeader = 3;
    consumeSkb(skb);
    const again = allocSkb(1500);
    expect([again.cb.seq, again.mark, again.networkHeader]).toEqual([0, 0, -1]);
    consumeSkb(again);
  });

  test('netdevAllocSkb reserves NET_SKB_PAD + NET_IP_ALIGN and sets dev', () => {
    const { dev } = fakeNet();
    const skb = netdevAllocSkb(dev, 1514);
    expect(skbHeadroom(skb)).toBe(NET_SKB_PAD + NET_IP_ALIGN);
    expect(skbTailroom(skb)).toBeGreaterThanOrEqual(1514);
    expect(skb.dev).toBe(dev);
    consumeSkb(skb);
    const h = allocSkbWithHeadroom(160, 1000);
    expect(skbHeadroom(h)).toBe(160);
    expect(skbTailroom(h)).toBeGreaterThanOrEqual(1000);
    consumeSkb(h);
  });

  test('put past the end and push past the head are programmer errors; pull past headlen is -1', () => {
    const skb = allocSkbWithHeadroom(16, 0);
    expect(() => skbPut(skb, skb.end)).toThrow(/skb_over_panic/);
    expect(() => skbPush(skb, 17)).toThrow(/skb_under_panic/);
    skbPut(skb, 10);
    expect(skbPull(skb, 11)).toBe(-1);
    expect(skbPull(skb, 4)).toBe(20);
    expect(skb.len).toBe(6);
    consumeSkb(skb);
  });

  test('header offsets follow data', () => {
    const skb = allocSkbWithHeadroom(64, 100);
    skbPut(skb, 60);
    skbResetNetworkHeader(skb);
    skbPull(skb, 20);
    skbResetTransportHeader(skb);
    expect(skbNetworkHeaderLen(skb)).toBe(20);
    expect(skbTransportOffset(skb)).toBe(0);
    expect(skbNetworkOffset(skb)).toBe(-20);
    consumeSkb(skb);
  });

  test.prop([
    fc.integer({ min: 0, max: 200 }),
    fc.uint8Array({ maxLength: 1500 }),
    fc.uint8Array({ maxLength: 60 }),
    fc.nat(),
  ])('put, push, pull and trim keep the bytes intact', (headroom, payload, hdr, cut) => {
    const skb = allocSkbWithHeadroom(headroom + hdr.length, payload.length);
    skbPutData(skb, payload, 0, payload.length);
    const at = skbPush(skb, hdr.length);
    skb.head.set(hdr, at);
    expect(skb.len).toBe(hdr.length + payload.length);
    expect(bytesOf(skb)).toEqual(Uint8Array.from([...hdr, ...payload]));
    expect(skbPull(skb, hdr.length)).toBe(at + hdr.length);
    expect(bytesOf(skb)).toEqual(payload);
    const keep = payload.length === 0 ? 0 : cut % payload.length;
    skbTrim(skb, keep);
    expect(skb.len).toBe(keep);
    expect(bytesOf(skb)).toEqual(payload.subarray(0, keep));
    consumeSkb(skb);
  });

  test('clone shares the data, unshare separates it', () => {
    const skb = allocSkbWithHeadroom(32, 100);
    skbPut(skb, 100);
    skb.head.fill(0xaa, skb.data, skb.tail);
    skbResetNetworkHeader(skb);
    skb.cb.seq = 1234;
    skb.sk = {} as never;
    const c = skbClone(skb);
    expect(c.head).toBe(skb.head);
    expect(c.shinfo).toBe(skb.shinfo);
    expect(skb.shinfo.dataref).toBe(2);
    expect(skbCloned(skb) && skbCloned(c)).toBe(true);
    expect([c.data, c.len, c.networkHeader, c.cb.seq]).toEqual([skb.data, 100, skb.networkHeader, 1234]);
    expect(c.sk).toBeNull();
    skb.sk = null;
    skb.head[skb.data] = 1;
    expect(c.head[c.data]).toBe(1);

    const u = skbUnshare(c);
    expect(u).not.toBe(c);
    expect(u.head).not.toBe(skb.head);
    expect(bytesOf(u)).toEqual(bytesOf(skb));
    expect(u.networkHeader).toBe(skb.networkHeader);
    expect(skbCloned(skb)).toBe(false);
    u.head[u.data] = 2;
    expect(skb.head[skb.data]).toBe(1);
    expect(skbUnshare(skb)).toBe(skb);
    consumeSkb(skb);
    consumeSkb(u);
  });

  test('skbCow gives a cloned skb a private head with the headroom asked for', () => {
    const skb = allocSkbWithHeadroom(8, 40);
    skbPut(skb, 40);
    skb.head.fill(7, skb.data, skb.tail);
    skbResetNetworkHeader(skb);
    const c = skbClone(skb);
    expect(skbCow(c, 100)).toBe(0);
    expect(skbHeadroom(c)).toBeGreaterThanOrEqual(100);
    expect(c.head).not.toBe(skb.head);
    expect(c.networkHeader).toBe(c.data);
    expect(bytesOf(c)).toEqual(bytesOf(skb));
    expect(skb.shinfo.dataref).toBe(1);
    consumeSkb(c);
    consumeSkb(skb);
  });

  test('pskbExpandHead moves headers and data by nhead and refuses a shared skb', () => {
    const skb = allocSkbWithHeadroom(14, 60);
    skbPut(skb, 60);
    for (let i = 0; i < 60; i++) skb.head[skb.data + i] = i;
    skbResetNetworkHeader(skb);
    skbPush(skb, 14);
    skb.macHeader = skb.data;
    const before = bytesOf(skb);
    const nh = skb.networkHeader;
    expect(pskbExpandHead(skb, 100, 0)).toBe(0);
    expect(skb.networkHeader).toBe(nh + 100);
    expect(skb.macHeader).toBe(skb.data);
    expect(bytesOf(skb)).toEqual(before);
    skbGet(skb);
    expect(pskbExpandHead(skb, 10, 0)).toBe(-ENOMEM);
    kfreeSkb(skb);
    consumeSkb(skb);
  });

  test('skbCopy is private and equal', () => {
    const skb = allocSkbWithHeadroom(20, 30);
    skbPut(skb, 30);
    skb.head.fill(3, skb.data, skb.tail);
    skb.mark = 5;
    const c = skbCopy(skb);
    expect(c.head).not.toBe(skb.head);
    expect([skbHeadroom(c), c.len, c.mark, skbCloned(c)]).toEqual([20, 30, 5, false]);
    expect(bytesOf(c)).toEqual(bytesOf(skb));
    consumeSkb(c);
    consumeSkb(skb);
  });

  test('pools reuse skbs and buffers: alloc/free cycles do not grow them', () => {
    const cycle = () => {
      const a = netdevAllocSkb(null, 1514);
      const b = allocSkb(100);
      const c = skbClone(a);
      const d = allocSkb(9000);
      kfreeSkbReason(a, SKB_DROP_REASON.NOT_SPECIFIED);
      consumeSkb(b);
      consumeSkb(c);
      consumeSkb(d);
    };
    cycle();
    const s0 = skbPoolStats();
    for (let i = 0; i < 1000; i++) cycle();
    const s1 = skbPoolStats();
    expect(s1.skbCreated).toBe(s0.skbCreated);
    expect(s1.skbInUse).toBe(s0.skbInUse);
    expect(s1.data.map((c) => c.created)).toEqual(s0.data.map((c) => c.created));
    expect(s1.data.map((c) => c.inUse)).toEqual(s0.data.map((c) => c.inUse));
  });

  test('a buffer goes back to the pool only when the last clone is freed', () => {
    const cls = (s: ReturnType<typeof skbPoolStats>) => s.data.find((c) => c.size >= 16384 && c.size < 65536)!;
    const skb = allocSkb(10000);
    const c = skbClone(skb);
    const inUse = cls(skbPoolStats()).inUse;
    consumeSkb(skb);
    expect(cls(skbPoolStats()).inUse).toBe(inUse);
    consumeSkb(c);
    expect(cls(skbPoolStats()).inUse).toBe(inUse - 1);
  });

  test('kfreeSkbReason counts per namespace, traces, and waits for the last user', () => {
    const { net, dev, events } = fakeNet();
    const skb = allocSkb(64);
    skb.dev = dev;
    let destroyed = 0;
    skb.destructor = () => destroyed++;
    skbGet(skb);
    kfreeSkbReason(skb, SKB_DROP_REASON.IP_CSUM);
    expect(net.dropCounts[SKB_DROP_REASON.IP_CSUM]).toBe(0);
    expect(destroyed).toBe(0);
    kfreeSkbReason(skb, SKB_DROP_REASON.IP_CSUM);
    expect(net.dropCounts[SKB_DROP_REASON.IP_CSUM]).toBe(1);
    expect(destroyed).toBe(1);
    expect(events).toEqual([{ fn: 'kfreeSkbReason', cpu: 1, ctx: CTX_SOFTIRQ, info: 'IP_CSUM' }]);
    expect(() => kfreeSkb(skb)).toThrow(/already freed/);

    const viaSock = allocSkb(64);
    viaSock.sk = { skNet: net } as never;
    kfreeSkb(viaSock);
    expect(net.dropCounts[SKB_DROP_REASON.NOT_SPECIFIED]).toBe(1);

    const orphan = allocSkb(64);
    const before = orphanDropCounts[SKB_DROP_REASON.NO_SOCKET];
    kfreeSkbReason(orphan, SKB_DROP_REASON.NO_SOCKET);
    expect(orphanDropCounts[SKB_DROP_REASON.NO_SOCKET]).toBe(before + 1);

    const consumed = allocSkb(64);
    consumed.dev = dev;
    consumeSkb(consumed);
    expect(net.dropCounts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(events.length).toBe(2);
  });

  test('skbReserve moves data and tail together', () => {
    const skb = allocSkb(100);
    skbReserve(skb, 10);
    expect([skb.data, skb.tail, skbHeadlen(skb)]).toEqual([10, 10, 0]);
    consumeSkb(skb);
  });
});
