import { ETH_P_IP, NET_RX_SUCCESS, type SkBuff } from '@knet/include';
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

  it('patched header templates carry a valid IPv4 checksum and length for every size and protocol', async () => {
    const api = await loadIgbApi();
    if ('missing' in api) throw new Error(api.missing);
    const pair = makeIgbPair(api);
    const seen: string[] = [];
    api.devAddPack(pair.b, {
      name: 'check',
      type: ETH_P_IP,
      dev: null,
      func(skb: SkBuff) {
        const ip = skb.networkHeader;
        const h = skb.head;
        seen.push(`${(h[ip + 2]! << 8) | h[ip + 3]!}/${h[ip + 9]} ${api.csumFold(api.csumPartial(h, ip, 20, 0))}`);
        api.consumeSkb(skb);
        return NET_RX_SUCCESS;
      },
    });
    for (const len of [60, 1514, 333]) expect(pair.send(len)).toBe(0);
    expect(pair.sendTso(2896, 1448)).toBe(2);
    expect(pair.waitFor(5)).toBe(true);
    expect(seen).toEqual(['46/17 0', '1500/17 0', '319/17 0', '1488/6 0', '1488/6 0']);
  });
});
