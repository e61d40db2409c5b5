// (a) Uint8Array.set of 1514-byte frames: the memory-copy speed the per-packet path aims for.
import type { Reference } from '../types.js';

export const FRAME_LEN = 1514;
const RING = 256;

export function copyFrames(ms: number): number {
  const src = Array.from({ length: RING }, (_, i) => new Uint8Array(FRAME_LEN).fill(i));
  const dst = Array.from({ length: RING }, () => new Uint8Array(2048));
  let frames = 0;
  let sink = 0;
  const end = performance.now() + ms;
  let now = performance.now();
  const start = now;
  while (now < end) {
    for (let i = 0; i < 4096; i++) {
      const k = (frames + i) & (RING - 1);
      dst[k]!.set(src[k]!);
    }
    frames += 4096;
    sink ^= dst[frames & (RING - 1)]![7]!;
    now = performance.now();
  }
  // Keep the copies observable so they are not optimised away.
  if (sink === -1) throw new Error('unreachable');
  return frames / ((now - start) / 1000);
}

export const memcpyFrames: Reference = {
  name: 'memcpy_frames',
  unit: 'frames/s',
  direction: 'higher',
  summary: 'Uint8Array.set of 1514-byte frames',
  async measure() {
    copyFrames(100); // warm-up
    return copyFrames(1000);
  },
};
