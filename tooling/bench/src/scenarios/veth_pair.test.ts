import { describe, expect, it } from 'vitest';
import { loadCoreApi } from './core_api.js';
import { makeVethPair } from './veth_pair.js';

describe('the veth_frames set-up', () => {
  it('delivers every frame it sends, through pfifo_fast', async () => {
    const api = await loadCoreApi();
    if ('missing' in api) throw new Error(api.missing);
    const pair = makeVethPair(api);
    for (let i = 0; i < 100; i++) expect(pair.send()).toBe(0);
    pair.clock.runUntilIdle();
    expect(pair.received).toBe(100);
    expect(pair.dev0.txQueues[0]!.qdiscSleeping.ops.id).toBe('pfifo_fast');
    expect(pair.dev0.txQueues[0]!.qdiscSleeping.stats.packets).toBe(100);
  });
});
