import { describe, expect, test } from 'vitest';
import {
  ECONNRESET, ErrnoError, errnoName, inetAton, inetNtoa, SKB_DROP_REASON, SKB_DROP_REASON_NAMES,
  TCP_STATE_NAMES, TCP_LISTEN, NET_RX_SOFTIRQ, SOFTIRQ_NAMES,
} from './index.js';

describe('include', () => {
  test('errno names and errors carry Linux codes', () => {
    expect(errnoName(-ECONNRESET)).toBe('ECONNRESET');
    const e = new ErrnoError(-ECONNRESET, 'read');
    expect(e.code).toBe('ECONNRESET');
    expect(e.errno).toBe(-104);
    expect(e.message).toBe('read ECONNRESET');
  });
  test('address text round-trips and rejects junk', () => {
    expect(inetAton('198.18.0.2')).toBe(0xc6120002);
    expect(inetNtoa(0xc6120002)).toBe('198.18.0.2');
    for (const bad of ['198.18.0', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5', '']) expect(inetAton(bad)).toBe(-1);
  });
  test('drop reason names are unique and indexed by value', () => {
    const vals = Object.values(SKB_DROP_REASON);
    expect(new Set(vals).size).toBe(vals.length);
    expect(SKB_DROP_REASON_NAMES[SKB_DROP_REASON.NO_SOCKET]).toBe('NO_SOCKET');
  });
  test('tables line up with their numbers', () => {
    expect(TCP_STATE_NAMES[TCP_LISTEN]).toBe('LISTEN');
    expect(SOFTIRQ_NAMES[NET_RX_SOFTIRQ]).toBe('NET_RX');
  });
});
