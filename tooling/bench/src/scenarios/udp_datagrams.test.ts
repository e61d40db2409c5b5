import { describe, expect, it } from 'vitest';
import { udpDatagrams } from './udp_datagrams.js';

describe('udp_datagrams', () => {
  it('moves datagrams socket to socket and reports them against veth_frames', { timeout: 60_000 }, async () => {
    const out = await udpDatagrams.run({ tap: false, log: () => {}, reference: () => Promise.reject(new Error('unused')) });
    expect(out.value).toBeGreaterThan(0);
    expect(out.referenceName).toBe('veth_frames');
    expect(out.reference).toBeGreaterThan(0);
  });
});
