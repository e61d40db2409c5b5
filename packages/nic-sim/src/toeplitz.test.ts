import { describe, expect, test } from 'vitest';
import { RSS_VERIFY_KEY, toeplitzHash, toeplitzHashTable, toeplitzTable } from './toeplitz.js';

// Microsoft's "Verifying the RSS Hash Calculation" suite: IPv4, and IPv4 with TCP ports.
const VECTORS: [string, number, string, number, number, number][] = [
  ['66.9.149.187', 2794, '161.142.100.80', 1766, 0x323e8fc2, 0x51ccc178],
  ['199.92.111.2', 14230, '65.69.140.83', 4739, 0xd718262a, 0xc626b0ea],
  ['24.19.198.95', 12898, '12.22.207.184', 38024, 0xd2d0a5de, 0x5c2b394a],
  ['38.27.205.30', 48228, '209.142.163.6', 2217, 0x82989176, 0xafc7327f],
  ['153.39.163.191', 44251, '202.188.127.2', 1303, 0x5d1809c5, 0x10e828a2],
];

function input(src: string, sport: number, dst: string, dport: number): Uint8Array {
  const b = new Uint8Array(12);
  b.set(src.split('.').map(Number), 0);
  b.set(dst.split('.').map(Number), 4);
  b[8] = sport >> 8; b[9] = sport & 0xff; b[10] = dport >> 8; b[11] = dport & 0xff;
  return b;
}

describe('toeplitz', () => {
  test.each(VECTORS)('%s:%i -> %s:%i', (src, sport, dst, dport, ipv4, ipv4tcp) => {
    const b = input(src, sport, dst, dport);
    expect(toeplitzHash(RSS_VERIFY_KEY, b, 0, 8)).toBe(ipv4);
    expect(toeplitzHash(RSS_VERIFY_KEY, b, 0, 12)).toBe(ipv4tcp);
  });
});

describe('toeplitz table', () => {
  const table = new Uint32Array(12 * 256);
  toeplitzTable(RSS_VERIFY_KEY, table, 12);
  test.each(VECTORS)('%s:%i -> %s:%i', (src, sport, dst, dport, ipv4, ipv4tcp) => {
    const b = input(src, sport, dst, dport);
    expect(toeplitzHashTable(table, b, 0, 8)).toBe(ipv4);
    expect(toeplitzHashTable(table, b, 0, 12)).toBe(ipv4tcp);
  });
  test('agrees with the bit loop on other keys and inputs', () => {
    const key = new Uint8Array(40).map((_, i) => (i * 151 + 7) & 0xff);
    const t = new Uint32Array(12 * 256);
    toeplitzTable(key, t, 12);
    const b = new Uint8Array(12);
    for (let n = 0; n < 200; n++) {
      for (let i = 0; i < 12; i++) b[i] = (n * 37 + i * 101 + ((n * i) >> 3)) & 0xff;
      expect(toeplitzHashTable(t, b, 0, 12)).toBe(toeplitzHash(key, b, 0, 12));
      expect(toeplitzHashTable(t, b, 0, 8)).toBe(toeplitzHash(key, b, 0, 8));
    }
  });
});
