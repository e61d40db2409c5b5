import { describe, expect, test } from 'vitest';
import { EEXIST, EINVAL, IFF_RUNNING, IFF_UP } from '@knet/include';
import { allocEtherdev } from './eth.js';
import {
  devClose, devGetByIndex, devGetByName, devGetStats, devOpen, devSetMacAddress, devSetMtu,
  netifCarrierOff, netifCarrierOn, registerNetdev, unregisterNetdev,
} from './dev.js';
import { qdiscIsNoqueue } from './sch_generic.js';
import { bench, testDev, testOps, useTestFifo } from './test/bench.js';

describe('register_netdevice', () => {
  test('names eth%d in order, hands out ifindexes, and finds devices by name and index', () => {
    const { net } = bench();
    const a = allocEtherdev(net);
    const b = allocEtherdev(net);
    expect(registerNetdev(a)).toBe(1);
    expect(registerNetdev(b)).toBe(2);
    expect([a.name, b.name]).toEqual(['eth0', 'eth1']);
    expect(devGetByName(net, 'eth1')).toBe(b);
    expect(devGetByIndex(net, 1)).toBe(a);
    expect(devGetByName(net, 'eth9')).toBeNull();
  });

  test('a taken name is -EEXIST and leaves the first device alone', () => {
    const { net } = bench();
    const a = allocEtherdev(net, 'uplink');
    expect(registerNetdev(a)).toBeGreaterThan(0);
    expect(registerNetdev(allocEtherdev(net, 'uplink'))).toBe(-EEXIST);
    expect(devGetByName(net, 'uplink')).toBe(a);
    expect(net.devices).toHaveLength(1);
  });

  test('unregister forgets the device and frees its name', () => {
    const { net } = bench();
    const a = testDev(net, 'x0');
    unregisterNetdev(a);
    expect(a.registered).toBe(false);
    expect(devGetByName(net, 'x0')).toBeNull();
    expect(devGetByIndex(net, a.ifindex)).toBeNull();
    expect(registerNetdev(allocEtherdev(net, 'x0'))).toBeGreaterThan(0);
  });

  test('without a registered default qdisc, devices transmit directly (noqueue)', () => {
    const { net } = bench();
    const a = testDev(net);
    expect(qdiscIsNoqueue(a.txQueues[0]!.qdisc)).toBe(true);
  });

  test('the default_qdisc sysctl picks the root discipline; txqueuelen 0 still gets noqueue', () => {
    const { net } = bench();
    useTestFifo(net);
    const a = testDev(net);
    expect(a.txQueues[0]!.qdisc.ops.id).toBe('test_fifo');
    const z = allocEtherdev(net);
    z.netdevOps = testOps;
    z.txQueueLen = 0;
    registerNetdev(z);
    devOpen(z);
    expect(qdiscIsNoqueue(z.txQueues[0]!.qdisc)).toBe(true);
    expect(net.sysctls.get('net.core.default_qdisc')!.set('no_such_qdisc')).toBeLessThan(0);
  });
});

describe('dev_open / dev_close / carrier', () => {
  test('up and running follow open, close and the carrier; qdiscs are noop while down', () => {
    const { net } = bench();
    useTestFifo(net);
    const a = testDev(net);
    expect(a.flags & (IFF_UP | IFF_RUNNING)).toBe(IFF_UP | IFF_RUNNING);
    netifCarrierOff(a);
    expect(a.flags & IFF_RUNNING).toBe(0);
    expect(a.txQueues[0]!.qdisc.ops.id).toBe('noop');
    netifCarrierOn(a);
    expect(a.txQueues[0]!.qdisc.ops.id).toBe('test_fifo');
    devClose(a);
    expect(a.flags & IFF_UP).toBe(0);
    expect(a.txQueues[0]!.qdisc.ops.id).toBe('noop');
    expect(devOpen(a)).toBe(0);
    expect(a.txQueues[0]!.qdisc.ops.id).toBe('test_fifo');
  });

  test('mtu and mac address are range-checked', () => {
    const { net } = bench();
    const a = testDev(net);
    expect(devSetMtu(a, 9000)).toBe(-EINVAL);
    expect(devSetMtu(a, 1400)).toBe(0);
    expect(a.mtu).toBe(1400);
    expect(devSetMacAddress(a, new Uint8Array([1, 2, 3, 4, 5, 6]))).toBeLessThan(0);
    expect(devSetMacAddress(a, new Uint8Array([2, 2, 3, 4, 5, 6]))).toBe(0);
    expect(Array.from(a.devAddr)).toEqual([2, 2, 3, 4, 5, 6]);
  });

  test('devGetStats merges the driver counters with the drops the core counted', () => {
    const { net } = bench();
    const a = testDev(net);
    a.stats.rxDropped = 3;
    expect(devGetStats(a).rxDropped).toBe(3);
    a.netdevOps = { ...testOps, ndoGetStats64: (_d, s) => { s.rxPackets = 10; s.rxDropped = 1; } };
    const s = devGetStats(a);
    expect(s.rxPackets).toBe(10);
    expect(s.rxDropped).toBe(4);
  });
});
