import { describe, expect, it } from 'vitest';
import { loadIgbApi } from './igb_api.js';
import { makeIgbPair } from './igb_pair.js';

describe('the igb_frames set-up', () => {
  it('delivers every frame it sends across the igb pair', async () => {
    const api = await loadIgbApi();
    if ('missing' in api) throw new Error(api.missing);
    const pair = makeIgbPair(api);
    for (let i = 0; i < 100; i++) expect(pair.send()).toBe(0);
    expect(pair.waitFor(100)).toBe(true);
    expect(pair.received).toBe(100);
    expect(pair.devA.txQueues[0]!.qdiscSleeping.ops.id).toBe('pfifo_fast');
  });

  it('a 64 KiB TSO send arrives as its MSS-sized segments', async () => {
    const api = await loadIgbApi();
    if ('missing' in api) throw new Error(api.missing);
    const pair = makeIgbPair(api);
    let segs = 0;
    for (let i = 0; i < 8; i++) segs += pair.sendTso(65536 - 40 - 14, 1448);
    expect(segs).toBe(8 * 46);
    expect(pair.waitFor(segs)).toBe(true);
    expect(pair.received).toBe(segs);
  });
});
