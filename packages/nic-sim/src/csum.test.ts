import { describe, expect, test } from 'vitest';
import { csumFinish, onesSum, onesSumBytes, onesSumEngine, onesSumWords } from './csum.js';
import { FRAME_BUF_LEN, GATHER_ADDR, GATHER_LEN, engineView, gatherBuffer, newFrameBuffer, simd } from './csum_simd.js';

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
            const want = reference(buf, off, len, seed);
            expect(csumFinish(onesSum(buf, off, len, seed))).toBe(want);
            expect(csumFinish(onesSumWords(buf, off, len, seed))).toBe(want);
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
      expect(csumFinish(onesSumWords(view, off, len, 0))).toBe(reference(view, off, len, 0));
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

describe('SIMD checksum engine', () => {
  test('is available on this Node (WebAssembly SIMD)', () => {
    expect(simd).not.toBeNull();
  });

  test('stages gather-buffer ranges through the scratch area, at any offset, as the byte loop does', () => {
    const g = gatherBuffer;
    expect(g.length).toBe(GATHER_LEN);
    for (let i = 0; i < 70000; i++) g[i] = (i * 2654435761) >>> 24;
    for (const off of [0, 1, 2, 3, 54, 1502, 65535]) {
      for (const len of [128, 129, 1448, 1467, 4096, 65536 - 54]) {
        expect(csumFinish(onesSum(g, off, len, 7))).toBe(reference(g, off, len, 7));
      }
    }
  });

  test('sums engine memory in place by address: the gather buffer and wire frame buffers', () => {
    const g = gatherBuffer;
    for (let i = 0; i < 70000; i++) g[i] = (i * 2654435761) >>> 24;
    for (const off of [0, 1, 2, 3, 54, 1502, 65535]) {
      for (const len of [0, 1, 63, 64, 128, 129, 1448, 1467, 4096]) {
        expect(csumFinish(onesSumEngine(GATHER_ADDR + off, len, 7))).toBe(reference(g, off, len, 7));
      }
    }
    const addr = newFrameBuffer();
    expect(addr).toBeGreaterThanOrEqual(GATHER_LEN);
    const f = engineView(addr, FRAME_BUF_LEN);
    expect(engineView(addr + 5, 10).byteOffset).toBe(f.byteOffset + 5);
    for (let i = 0; i < f.length; i++) f[i] = (i * 97 + 13) & 0xff;
    for (const off of [0, 1, 14, 34]) expect(csumFinish(onesSumEngine(addr + off, 1500, 0))).toBe(reference(f, off, 1500, 0));
  });

  test('the kernel sums any tail length itself: only the range counts, not the bytes after it', () => {
    const g = gatherBuffer;
    for (let i = 0; i < 4096; i++) g[i] = (i * 2654435761) >>> 24;
    for (let len = 0; len <= 200; len++) {
      for (const off of [0, 1, 34]) {
        const want = reference(g, off, len, 0);
        expect(csumFinish(onesSumEngine(GATHER_ADDR + off, len, 0))).toBe(want);
        // Garbage right after the range changes nothing.
        g[off + len] ^= 0xff;
        expect(csumFinish(onesSumEngine(GATHER_ADDR + off, len, 0))).toBe(want);
        g[off + len] ^= 0xff;
      }
    }
  });

  test('ranges longer than the scratch area fall back to 32-bit loads', () => {
    const big = new Uint8Array(200000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 40503) >>> 8;
    expect(csumFinish(onesSum(big, 3, 199990, 0))).toBe(reference(big, 3, 199990, 0));
  });
});
