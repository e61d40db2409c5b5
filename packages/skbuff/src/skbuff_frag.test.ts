import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { SkBuff as ISkBuff } from '@knet/include';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL, EFAULT, IPPROTO_TCP, MAX_SKB_FRAGS } from '@knet/include';
import { getUint16 } from './bytes.js';
import { csumFold, csumPartial, csumTcpudpMagic, csumReplace4, ipFastCsum } from './checksum.js';
import { inetProtoCsumReplace4, pskbTrimRcsum, skbChecksum, skbChecksumHelp } from './skb_checksum.js';
import { allocSkbWithHeadroom, consumeSkb, pskbTrim, skbHeadlen, skbPutData, skbPoolStats } from './skbuff.js';
import { pskbCopy, skbClone, skbCopy } from './skbuff_clone.js';
import {
  pskbMayPull, pskbPull, skbAddRxFrag, skbCopyBits, skbFillPageDesc, skbLinearize, skbStoreBits,
} from './skbuff_frag.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

/** An skb with `lin` in the linear area and each of `parts` as a frag at an offset inside a larger page. */
function build(lin: Uint8Array, parts: Uint8Array[]): ISkBuff {
  const skb = allocSkbWithHeadroom(32, lin.length);
  skbPutData(skb, lin, 0, lin.length);
  for (const p of parts) {
    const page = new Uint8Array(p.length + 5);
    page.set(p, 3);
    expect(skbAddRxFrag(skb, page, 3, p.length, page.length)).toBe(0);
  }
  return skb;
}
const concat = (lin: Uint8Array, parts: Uint8Array[]) => Uint8Array.from([...lin, ...parts.flatMap((p) => [...p])]);
const contents = (skb: ISkBuff) => {
  const out = new Uint8Array(skb.len);
  expect(skbCopyBits(skb, 0, out, 0, skb.len)).toBe(0);
  return out;
};

const lin = fc.uint8Array({ maxLength: 200 });
const parts = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 6 });

describe('paged skbs', () => {
  test.prop([lin, parts, fc.nat(), fc.nat()])('copyBits across frags equals the concatenation', (l, ps, a, b) => {
    const skb = build(l, ps);
    const all = concat(l, ps);
    expect(skb.len).toBe(all.length);
    expect(skb.dataLen).toBe(all.length - l.length);
    const off = a % (all.length + 1);
    const len = b % (all.length - off + 1);
    const out = new Uint8Array(len + 2);
    expect(skbCopyBits(skb, off, out, 1, len)).toBe(0);
    expect(out.subarray(1, 1 + len)).toEqual(all.subarray(off, off + len));
    expect(skbCopyBits(skb, off, out, 0, all.length - off + 1)).toBe(-EFAULT);
    consumeSkb(skb);
  });

  test.prop([lin, parts, fc.nat()])('storeBits then copyBits round-trips', (l, ps, a) => {
    const skb = build(l, ps);
    const fresh = Uint8Array.from({ length: skb.len }, (_, i) => (i * 7 + 1) & 0xff);
    const off = a % (skb.len + 1);
    expect(skbStoreBits(skb, off, fresh, off, skb.len - off)).toBe(0);
    const expected = concat(l, ps);
    expected.set(fresh.subarray(off), off);
    expect(contents(skb)).toEqual(expected);
    consumeSkb(skb);
  });

  test.prop([lin, parts, fc.nat()])('pskbPull moves frag bytes into the linear area without changing data', (l, ps, a) => {
    const skb = build(l, ps);
    const all = concat(l, ps);
    const n = a % (all.length + 1);
    expect(pskbMayPull(skb, n)).toBe(true);
    expect(skbHeadlen(skb)).toBeGreaterThanOrEqual(n);
    expect(skb.head.subarray(skb.data, skb.data + n)).toEqual(all.subarray(0, n));
    expect(contents(skb)).toEqual(all);
    expect(pskbMayPull(skb, all.length + 1)).toBe(false);
    expect(pskbPull(skb, n)).toBe(true);
    expect(contents(skb)).toEqual(all.subarray(n));
    expect(skb.dataLen).toBe(skb.shinfo.frags.reduce((s, f) => s + f.len, 0));
    expect(skbLinearize(skb)).toBe(0);
    expect(skb.dataLen).toBe(0);
    expect(skb.shinfo.frags.length).toBe(0);
    expect(skb.head.subarray(skb.data, skb.tail)).toEqual(all.subarray(n));
    consumeSkb(skb);
  });

  test.prop([lin, parts, fc.nat()])('pskbTrim keeps the prefix; a clone keeps its frags', (l, ps, a) => {
    const skb = build(l, ps);
    const all = concat(l, ps);
    const c = skbClone(skb);
    const n = a % (all.length + 1);
    expect(pskbTrim(skb, n)).toBe(0);
    expect(skb.len).toBe(n);
    expect(contents(skb)).toEqual(all.subarray(0, n));
    expect(contents(c)).toEqual(all);
    consumeSkb(skb);
    consumeSkb(c);
  });

  test.prop([lin, parts])('skbCopy linearises and pskbCopy shares pages', (l, ps) => {
    const skb = build(l, ps);
    const all = concat(l, ps);
    const c = skbCopy(skb);
    expect(c.dataLen).toBe(0);
    expect(c.head.subarray(c.data, c.tail)).toEqual(all);
    const p = pskbCopy(skb);
    expect(p.shinfo.frags.length).toBe(ps.length);
    expect(p.shinfo).not.toBe(skb.shinfo);
    expect(contents(p)).toEqual(all);
    if (ps.length > 0) expect(p.shinfo.frags[0].page).toBe(skb.shinfo.frags[0].page);
    consumeSkb(skb);
    consumeSkb(c);
    consumeSkb(p);
  });

  test.prop([lin, parts, fc.nat(), fc.nat()])('skbChecksum over frags equals csumPartial of the bytes', (l, ps, a, b) => {
    const skb = build(l, ps);
    const all = concat(l, ps);
    const off = a % (all.length + 1);
    const len = b % (all.length - off + 1);
    expect(csumFold(skbChecksum(skb, off, len, 0))).toBe(csumFold(csumPartial(all, off, len, 0)));
    consumeSkb(skb);
  });

  test('frag slots are bounded by MAX_SKB_FRAGS; fillPageDesc rewrites a slot', () => {
    const skb = allocSkbWithHeadroom(0, 0);
    const page = new Uint8Array(64);
    for (let i = 0; i < MAX_SKB_FRAGS; i++) expect(skbAddRxFrag(skb, page, i, 1, 64)).toBe(0);
    expect(skbAddRxFrag(skb, page, 0, 1, 64)).toBeLessThan(0);
    expect(skbFillPageDesc(skb, 2, page, 40, 1)).toBe(0);
    expect(skb.shinfo.frags[2].off).toBe(40);
    consumeSkb(skb);
  });

  test('frag descriptors are recycled', () => {
    const page = new Uint8Array(100);
    const cycle = () => {
      const skb = allocSkbWithHeadroom(0, 0);
      for (let i = 0; i < 4; i++) skbAddRxFrag(skb, page, i * 10, 10, 100);
      pskbPull(skb, 15);
      consumeSkb(skb);
    };
    cycle();
    const before = skbPoolStats().fragsCreated;
    for (let i = 0; i < 100; i++) cycle();
    expect(skbPoolStats().fragsCreated).toBe(before);
  });
});

// 192.0.2.1:49374 -> 192.0.2.2:80 SYN seq 1, window 0xfaf0; checksum 6fbe by hand.
const SRC = 0xc0000201, DST = 0xc0000202;
const SYN = hex('c0de 0050 00000001 00000000 5002 faf0 0000 0000');

describe('checksums on skbs', () => {
  test('skbChecksumHelp fills a CHECKSUM_PARTIAL TCP header with the golden value', () => {
    const skb = allocSkbWithHeadroom(64, 20);
    skbPutData(skb, SYN, 0, 20);
    // tcp_v4_send_check: the field holds the uncomplemented pseudo-header sum.
    skb.head[skb.data + 16] = 0;
    const pseudo = ~csumTcpudpMagic(SRC, DST, 20, IPPROTO_TCP, 0) & 0xffff;
    skb.head[skb.data + 16] = pseudo >>> 8;
    skb.head[skb.data + 17] = pseudo & 0xff;
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = skb.data;
    skb.csumOffset = 16;
    const c = skbClone(skb);
    expect(skbChecksumHelp(skb)).toBe(0);
    expect(skb.ipSummed).toBe(CHECKSUM_NONE);
    expect(getUint16(skb.head, skb.data + 16)).toBe(0x6fbe);
    expect(getUint16(c.head, c.data + 16)).toBe(pseudo);
    consumeSkb(skb);
    consumeSkb(c);
  });

  test('skbChecksumHelp sums payload in frags', () => {
    const payload = Uint8Array.from({ length: 333 }, (_, i) => (i * 31) & 0xff);
    const skb = build(SYN, [payload.subarray(0, 101), payload.subarray(101)]);
    const pseudo = ~csumTcpudpMagic(SRC, DST, skb.len, IPPROTO_TCP, 0) & 0xffff;
    skb.head[skb.data + 16] = pseudo >>> 8;
    skb.head[skb.data + 17] = pseudo & 0xff;
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = skb.data;
    skb.csumOffset = 16;
    expect(skbChecksumHelp(skb)).toBe(0);
    const flat = contents(skb);
    expect(csumTcpudpMagic(SRC, DST, flat.length, IPPROTO_TCP, csumPartial(flat, 0, flat.length, 0))).toBe(0);
    consumeSkb(skb);
  });

  test.prop([fc.uint8Array({ minLength: 20, maxLength: 120 }), fc.nat({ max: 0xffffffff })])(
    'NAT of the source address: csumReplace4 on IP and inetProtoCsumReplace4 on TCP match recomputation',
    (seg, newSrc) => {
      const ip = hex('4500 0000 0000 4000 4006 0000 c0000201 c0000202');
      ip[3] = 20 + seg.length;
      ip.set([ipFastCsum(ip, 0, 5) >>> 8, ipFastCsum(ip, 0, 5) & 0xff], 10);
      const skb = allocSkbWithHeadroom(0, 20 + seg.length);
      skbPutData(skb, ip, 0, 20);
      skbPutData(skb, seg, 0, seg.length);
      const th = skb.data + 20;
      skb.head[th + 16] = 0;
      skb.head[th + 17] = 0;
      const c0 = csumTcpudpMagic(SRC, DST, seg.length, IPPROTO_TCP, csumPartial(skb.head, th, seg.length, 0));
      skb.head[th + 16] = c0 >>> 8;
      skb.head[th + 17] = c0 & 0xff;

      skb.head.set([newSrc >>> 24, (newSrc >>> 16) & 0xff, (newSrc >>> 8) & 0xff, newSrc & 0xff], skb.data + 12);
      csumReplace4(skb.head, skb.data + 10, SRC, newSrc);
      inetProtoCsumReplace4(skb, th + 16, SRC, newSrc, true);

      expect(ipFastCsum(skb.head, skb.data, 5)).toBe(0);
      expect(csumTcpudpMagic(newSrc, DST, seg.length, IPPROTO_TCP, csumPartial(skb.head, th, seg.length, 0))).toBe(0);
      consumeSkb(skb);
    },
  );

  test.prop([lin, parts, fc.nat()])('pskbTrimRcsum keeps a CHECKSUM_COMPLETE sum equal to the bytes left', (l, ps, a) => {
    const skb = build(l, ps);
    skb.ipSummed = CHECKSUM_COMPLETE;
    skb.csum = skbChecksum(skb, 0, skb.len, 0);
    const n = a % (skb.len + 1);
    expect(pskbTrimRcsum(skb, n)).toBe(0);
    const left = contents(skb);
    expect(csumFold(skb.csum) % 0xffff).toBe(csumFold(csumPartial(left, 0, left.length, 0)) % 0xffff);
    consumeSkb(skb);
  });
});
