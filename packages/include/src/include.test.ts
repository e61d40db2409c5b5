import { describe, expect, test } from 'vitest';
import {
  ECONNRESET, ErrnoError, errnoName, inetAton, inetNtoa, SKB_DROP_REASON, SKB_DROP_REASON_NAMES,
  TCP_STATE_NAMES, TCP_LISTEN, NET_RX_SOFTIRQ, SOFTIRQ_NAMES, RTAX_MTU, RTAX_ADVMSS, dstMetricAdvmss, dstMetricLocked, dstMtu,
  type DstEntry, type NetDevice,
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

describe('dst metrics', () => {
  const dst = (over: Partial<DstEntry['metrics']>, pmtu = 0, devMtu = 1500): DstEntry => ({
    dev: { mtu: devMtu } as NetDevice, input: () => 0, output: () => 0, rtType: 1, gateway: 0, flags: 0, pmtu, prefSrc: 0,
    neighbour: null, obsolete: false, error: 0, metrics: { mtu: 0, advmss: 0, initcwnd: 0, rtoMin: 0, lock: 0, ...over },
  });

  test('dst_mtu: learnt PMTU, then the mtu metric, then the device', () => {
    expect(dstMtu(dst({}))).toBe(1500);
    expect(dstMtu(dst({ mtu: 640 }))).toBe(640);
    expect(dstMtu(dst({ mtu: 640 }, 576))).toBe(576);
  });

  test('dst_metric_advmss: the metric, else MTU − 40 within [256, 65495]', () => {
    expect(dstMetricAdvmss(dst({ advmss: 600 }))).toBe(600);
    expect(dstMetricAdvmss(dst({}))).toBe(1460);
    expect(dstMetricAdvmss(dst({ mtu: 640 }))).toBe(600);
    expect(dstMetricAdvmss(dst({}, 0, 200))).toBe(256);
    expect(dstMetricAdvmss(dst({}, 0, 65535))).toBe(65495);
  });

  test('locks are per metric', () => {
    const d = dst({ lock: 1 << RTAX_MTU });
    expect(dstMetricLocked(d, RTAX_MTU)).toBe(true);
    expect(dstMetricLocked(d, RTAX_ADVMSS)).toBe(false);
  });
});
