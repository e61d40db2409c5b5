import { describe, expect, it } from 'vitest';
import { crrRate, rrRate, tcpCrr, tcpRr } from './tcp_rr.js';

describe('tcp_rr and tcp_crr', () => {
  it('complete request/response transactions, on one connection and on a new one each', { timeout: 60_000 }, async () => {
    expect(await rrRate(50)).toBeGreaterThan(0);
    expect(await crrRate(50)).toBeGreaterThan(0);
  });

  it('compare against Node\'s own transactions over the kernel loopback', () => {
    expect(tcpRr).toMatchObject({ unit: 'trans/s', direction: 'higher', reference: 'node_tcp_rr' });
    expect(tcpCrr).toMatchObject({ unit: 'conn/s', direction: 'higher', reference: 'node_tcp_crr' });
  });
});
