import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { getUint16, getUint32, putUint16, putUint32 } from './bytes.js';
import {
  csumAdd, csumBlockAdd, csumFold, csumPartial, csumReplace2, csumReplace4, csumSub, csumTcpudpMagic,
  csumTcpudpNofold, ipFastCsum,
} from './checksum.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

/** RFC 1071 by the book: 16-bit words, carries folded back after each add. */
function naiveSum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) {
    s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
    s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}
const naiveCsum = (b: Uint8Array, off: number, len: number) => ~naiveSum(b, off, len) & 0xffff;
/** Ones'-complement has two zeros (RFC 1624 §3): 0x0000 and 0xffff are the same checksum. */
const sameCsum = (a: number, b: number) => a === b || (a | b) === 0xffff && (a & b) === 0;

// 192.0.2.1:49374 -> 192.0.2.2:80 SYN seq 1, window 0xfaf0, no options.
const SRC = 0xc0000201, DST = 0xc0000202;
const SYN = hex('c0de 0050 00000001 00000000 5002 faf0 0000 0000');

describe('checksum', () => {
  test('RFC 1071 §3 example: words 0001 f203 f4f5 f6f7', () => {
    const b = hex('0001 f203 f4f5 f6f7');
    expect(csumPartial(b, 0, 8, 0)).toBe(0x2ddf0);
    expect(csumFold(csumPartial(b, 0, 8, 0))).toBe(0x220d);
  });

  test('IPv4 header: the checksum of a real header is b861, and verifying gives 0', () => {
    const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(ipFastCsum(h, 0, 5)).toBe(0xb861);
    putUint16(h, 10, 0xb861);
    expect(ipFastCsum(h, 0, 5)).toBe(0);
  });

  test('TCP SYN with pseudo-header: hand-computed 6fbe', () => {
    // pseudo 1841d + segment 20c21 = 3903e -> 903e + 3 = 9041 -> ~ = 6fbe
    expect(csumTcpudpNofold(SRC, DST, 20, 6, 0)).toBe(0x1841d);
    expect(csumTcpudpMagic(SRC, DST, SYN.length, 6, csumPartial(SYN, 0, SYN.length, 0))).toBe(0x6fbe);
    const seg = SYN.slice();
    putUint16(seg, 16, 0x6fbe);
    expect(csumTcpudpMagic(SRC, DST, seg.length, 6, csumPartial(seg, 0, seg.length, 0))).toBe(0);
  });

  test('odd length pads the last byte as a high half; odd offset changes nothing', () => {
    const b = hex('ff 0102 03');
    expect(csumPartial(b, 1, 3, 0)).toBe(0x0102 + 0x0300);
    expect(csumPartial(b, 0, 1, 0)).toBe(0xff00);
  });

  test('big-endian helpers', () => {
    const b = new Uint8Array(6);
    putUint32(b, 1, 0xdeadbeef);
    expect([...b]).toEqual([0, 0xde, 0xad, 0xbe, 0xef, 0]);
    expect(getUint32(b, 1)).toBe(0xdeadbeef);
    expect(getUint16(b, 2)).toBe(0xadbe);
  });

  const buf = fc.uint8Array({ minLength: 0, maxLength: 300 });

  test.prop([buf, fc.nat(), fc.nat(), fc.nat({ max: 0xffffffff })])(
    'csumPartial equals the RFC 1071 reference for any offset, length and start sum',
    (b, a, c, start) => {
      const off = b.length === 0 ? 0 : a % (b.length + 1);
      const len = (b.length - off === 0) ? 0 : c % (b.length - off + 1);
      const s = csumPartial(b, off, len, start);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(0xffffffff);
      expect(Number.isInteger(s)).toBe(true);
      const ref = naiveSum(b, off, len) + (start >>> 16) + (start & 0xffff);
      expect(s % 0xffff).toBe(ref % 0xffff);
      if (start === 0) expect(csumFold(s)).toBe(naiveCsum(b, off, len));
    },
  );

  test.prop([buf, buf])('a block at an odd position is merged with csumBlockAdd', (a, b) => {
    const all = new Uint8Array(a.length + b.length);
    all.set(a);
    all.set(b, a.length);
    const merged = csumBlockAdd(csumPartial(a, 0, a.length, 0), csumPartial(b, 0, b.length, 0), a.length);
    expect(csumFold(merged)).toBe(csumFold(csumPartial(all, 0, all.length, 0)));
  });

  test.prop([fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })])('csumSub undoes csumAdd', (a, b) => {
    expect(sameCsum(csumFold(csumSub(csumAdd(a, b), b)), csumFold(a))).toBe(true);
  });

  const header = fc.uint8Array({ minLength: 20, maxLength: 60 }).map((b) => b.subarray(0, b.length & ~3));

  test.prop([header, fc.nat(), fc.nat({ max: 0xffff })])('csumReplace2 matches recomputing the header', (h, at, v) => {
    putUint16(h, 10, 0);
    putUint16(h, 10, ipFastCsum(h, 0, h.length / 4));
    const pos = ((at % (h.length / 2 - 1)) * 2 + 12) % h.length;
    if (pos === 10) return;
    const old = getUint16(h, pos);
    putUint16(h, pos, v);
    csumReplace2(h, 10, old, v);
    const stored = getUint16(h, 10);
    putUint16(h, 10, 0);
    expect(sameCsum(stored, ipFastCsum(h, 0, h.length / 4))).toBe(true);
  });

  test.prop([header, fc.nat({ max: 0xffffffff })])('csumReplace4 (a NAT address rewrite) matches recomputing', (h, v) => {
    putUint16(h, 10, 0);
    putUint16(h, 10, ipFastCsum(h, 0, h.length / 4));
    const old = getUint32(h, 12);
    putUint32(h, 12, v);
    csumReplace4(h, 10, old, v);
    const stored = getUint16(h, 10);
    putUint16(h, 10, 0);
    expect(sameCsum(stored, ipFastCsum(h, 0, h.length / 4))).toBe(true);
  });

  test.prop([fc.uint8Array({ minLength: 8, maxLength: 200 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })])(
    'a UDP datagram with its magic checksum stored verifies to 0',
    (d, s, t) => {
      putUint16(d, 6, 0);
      putUint16(d, 6, csumTcpudpMagic(s, t, d.length, 17, csumPartial(d, 0, d.length, 0)));
      expect(csumTcpudpMagic(s, t, d.length, 17, csumPartial(d, 0, d.length, 0))).toBe(0);
    },
  );

  // The word path (64 bytes and up) starts at any alignment of the underlying buffer and any
  // parity of `off`; both must agree with RFC 1071 by the book.
  test.prop([fc.uint8Array({ minLength: 64, maxLength: 3000 }), fc.nat(7), fc.nat(3), fc.nat(0xffffffff)])(
    'word-at-a-time csum_partial equals the by-the-book sum at every alignment',
    (data, shift, trim, seed) => {
      const host = new Uint8Array(data.length + 16);
      // The view starts 0-3 bytes into its buffer and `off` 0-3 bytes into the view.
      const view = new Uint8Array(host.buffer, shift & 3, host.length - 4);
      const off = shift >> 1;
      view.set(data, off);
      const len = data.length - trim;
      const want = ~((naiveSum(view, off, len) + (seed % 0xffff)) % 0xffff) & 0xffff;
      const got = csumFold(csumPartial(view, off, len, seed % 0xffff));
      expect(sameCsum(got, want)).toBe(true);
    },
  );
});
