import { describe, expect, it } from 'vitest';
import { igbSetup, loopbackSetup, streamGbps } from './tcp_stream.js';
import { tcpStreamIgb, tcpStreamIgbNotso, tcpStreamLoopback } from './tcp_stream.js';

describe('tcp_stream_*', () => {
  it('streams over lo and over the igb pair, with and without offloads', { timeout: 60_000 }, async () => {
    expect(streamGbps(await loopbackSetup(), 50, 1 << 20)).toBeGreaterThan(0);
    expect(streamGbps(await igbSetup(true), 50, 1 << 20)).toBeGreaterThan(0);
    expect(streamGbps(await igbSetup(false), 50, 1 << 20)).toBeGreaterThan(0);
  });

  it('compares against Node\'s stream over the kernel loopback', () => {
    for (const s of [tcpStreamLoopback, tcpStreamIgb, tcpStreamIgbNotso]) {
      expect(s).toMatchObject({ unit: 'Gbit/s', direction: 'higher', reference: 'node_tcp_stream' });
    }
  });
});
