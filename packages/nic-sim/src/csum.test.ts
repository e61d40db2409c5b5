import { describe, expect, test } from 'vitest';
import { csumFinish, onesSum, onesSumBytes } from './csum.js';

/** The byte loop folded the way onesSum returns its accumulator. */
function reference(buf: Uint8Array, off: number, len: number, sum: number): number {
  return csumFinish(onesSumBytes(buf, off, len, sum));
}

describe('onesSum', () => {
  // A deterministic generator, so a failure names its case.
  let x = 0x9e3779b9;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  const backing = new Uint8Array(70000);
  for (let i = 0; i < backing.length; i++) backing[i] = (rnd() * 256) | 0;

  test('matches the byte loop at every alignment of array, start and length', () => {
    for (let base = 0; base < 8; base++) {
      const buf = backing.subarray(base);
      for (let off = 0; off < 8; off++) {
        for (const len of [0, 1, 2, 3, 20, 63, 64, 65, 66, 67, 1448, 1449, 1500, 4097, 65535, 65536]) {
          for (const seed of [0, 6 + 1480, 0x1fffe]) {
            expect(csumFinish(onesSum(buf, off, len, seed))).toBe(reference(buf, off, len, seed));
          }
        }
      }
    }
  });

  test('matches the byte loop on random slices of arrays over their own buffers', () => {
    for (let n = 0; n < 500; n++) {
      const size = 1 + ((rnd() * 3000) | 0);
      const ab = new ArrayBuffer(size + 16);
      const view = new Uint8Array(ab, (rnd() * 16) | 0, size);
      for (let i = 0; i < size; i++) view[i] = (rnd() * 256) | 0;
      const off = (rnd() * size) | 0;
      const len = (rnd() * (size - off)) | 0;
      expect(csumFinish(onesSum(view, off, len, 0))).toBe(reference(view, off, len, 0));
    }
  });

  test('all-zero data sums to zero and all-ones data to 0xffff', () => {
    const z = new Uint8Array(256);
    expect(onesSum(z, 1, 200, 0)).toBe(0);
    const f = new Uint8Array(256).fill(0xff);
    expect(csumFinish(onesSum(f, 1, 200, 0))).toBe(0);
    expect(csumFinish(onesSum(f, 0, 200, 0))).toBe(0);
  });

  test('a frame with its checksum filled in verifies to zero', () => {
    const b = backing.slice(0, 1500);
    b[16] = b[17] = 0;
    const c = csumFinish(onesSum(b, 0, 1500, 0));
    b[16] = c >>> 8;
    b[17] = c & 0xff;
    expect(csumFinish(onesSum(b, 0, 1500, 0))).toBe(0);
  });
});
