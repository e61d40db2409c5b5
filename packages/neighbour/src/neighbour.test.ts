import { describe, expect, test } from 'vitest';
import {
  ENOBUFS, NUD_DELAY, NUD_FAILED, NUD_INCOMPLETE, NUD_PERMANENT, NUD_PROBE, NUD_REACHABLE, NUD_STALE,
} from '@knet/include';
import { devClose, sysctlGet, sysctlSet } from '@knet/netdevice';
import { neighAdd, neighDel, neighFlush, neighShow, type Neighbour } from './index.js';
import { A, B, NOBODY, bench, drops, sendTagged } from './test/bench.js';

describe('neighbour: resolution and the arp_queue', () => {
  test('packets queued while INCOMPLETE are sent in order once the reply arrives', () => {
    const { clock, a, b } = bench();
    for (let i = 1; i <= 3; i++) expect(sendTagged(a, B, i)).toBe(0);
    const n = a.tbl.lookup(B, a.dev)!;
    expect(n.nudState).toBe(NUD_INCOMPLETE);
    expect(n.arpQueue.qlen).toBe(3);
    clock.runFor(10);
    expect(b.rx).toEqual([1, 2, 3]);
    expect(n.nudState).toBe(NUD_REACHABLE);
    expect(Array.from(n.ha)).toEqual(Array.from(b.dev.devAddr));
    // The request taught B about A, as STALE (RFC 826: merge the sender's pair).
    expect(b.tbl.lookup(A, b.dev)!.nudState).toBe(NUD_STALE);
    expect(a.net.gen.neighbour!.stats.sentRequests).toBe(1);
    expect(b.net.gen.neighbour!.stats.sentReplies).toBe(1);
  });

  test('failed resolution: 3 broadcast probes, queued packets reported and dropped NEIGH_FAILED', () => {
    const { clock, a } = bench();
    sendTagged(a, NOBODY, 7);
    sendTagged(a, NOBODY, 8);
    clock.runFor(2_500);
    const n = a.tbl.lookup(NOBODY, a.dev)!;
    expect(n.nudState).toBe(NUD_INCOMPLETE);
    clock.runFor(1_000);
    expect(n.nudState).toBe(NUD_FAILED);
    expect(a.net.gen.neighbour!.stats.sentRequests).toBe(3);
    expect(a.reported).toEqual([7, 8]);
    expect(drops(a, 'NEIGH_FAILED')).toBe(2);
    expect(a.tbl.stats.resFailed).toBe(1);
    // A packet to a FAILED entry starts resolution over again.
    sendTagged(a, NOBODY, 9);
    expect(n.nudState).toBe(NUD_INCOMPLETE);
  });

  test('unres_qlen bounds the queue; the oldest packets go with NEIGH_QUEUEFULL', () => {
    const { clock, a, b } = bench();
    expect(sysctlSet(a.net, 'net.ipv4.neigh.default.unres_qlen', 2)).toBe(0);
    expect(sysctlGet(a.net, 'net.ipv4.neigh.default.unres_qlen')).toBe(2);
    for (let i = 1; i <= 5; i++) sendTagged(a, B, i);
    clock.runFor(10);
    expect(b.rx.length).toBeGreaterThan(0);
    expect(b.rx).toEqual([1, 2, 3, 4, 5].slice(5 - b.rx.length));
    expect(drops(a, 'NEIGH_QUEUEFULL')).toBe(5 - b.rx.length);
    expect(a.tbl.stats.unresDiscards).toBe(5 - b.rx.length);
  });

  test('defaults are Linux', () => {
    const { a } = bench();
    const g = (k: string) => sysctlGet(a.net, `net.ipv4.neigh.default.${k}`);
    expect(g('base_reachable_time_ms')).toBe(30_000);
    expect(g('delay_first_probe_time')).toBe(5);
    expect(g('retrans_time_ms')).toBe(1_000);
    expect(g('ucast_solicit')).toBe(3);
    expect(g('mcast_solicit')).toBe(3);
    expect(g('app_solicit')).toBe(0);
    expect(g('unres_qlen_bytes')).toBe(212_992);
    expect([g('gc_thresh1'), g('gc_thresh2'), g('gc_thresh3')]).toEqual([128, 512, 1024]);
    expect(g('gc_interval')).toBe(30);
    expect(g('gc_stale_time')).toBe(60);
    const rt = a.tbl.parms.reachableTime;
    expect(rt).toBeGreaterThanOrEqual(15_000);
    expect(rt).toBeLessThan(45_000);
  });
});

describe('neighbour: NUD transitions on the virtual clock', () => {
  test('REACHABLE → STALE → DELAY → PROBE → REACHABLE', () => {
    const { clock, a, b } = bench(3);
    sendTagged(a, B, 1);
    clock.runFor(10);
    const n = a.tbl.lookup(B, a.dev)! as Neighbour;
    expect(n.nudState).toBe(NUD_REACHABLE);
    // Timers have wheel slack (up to 1/8 of the delay), as Linux's.
    clock.runFor(a.tbl.parms.reachableTime + 4_000);
    expect(n.nudState).toBe(NUD_STALE);
    // Use of a STALE entry sends at once and arms the delay timer.
    sendTagged(a, B, 2);
    expect(n.nudState).toBe(NUD_DELAY);
    clock.runFor(10);
    expect(b.rx).toEqual([1, 2]);
    const reqBefore = a.net.gen.neighbour!.stats.sentRequests;
    clock.runFor(5_700);
    // No confirmation within delay_first_probe_time: unicast probe, answered, REACHABLE again.
    expect(a.net.gen.neighbour!.stats.sentRequests).toBe(reqBefore + 1);
    expect(b.tbl.stats.rcvProbesUcast).toBe(1);
    expect(n.nudState).toBe(NUD_REACHABLE);
  });

  test('PROBE without answers → FAILED after ucast_solicit probes', () => {
    const { clock, a, b } = bench(4);
    sendTagged(a, B, 1);
    clock.runFor(10);
    const n = a.tbl.lookup(B, a.dev)!;
    // Timers have wheel slack (up to 1/8 of the delay), as Linux's.
    clock.runFor(a.tbl.parms.reachableTime + 4_000);
    expect(n.nudState).toBe(NUD_STALE);
    devClose(b.dev);
    sendTagged(a, B, 2);
    clock.runFor(5_700);
    expect(n.nudState).toBe(NUD_PROBE);
    clock.runFor(3_500);
    expect(n.nudState).toBe(NUD_FAILED);
  });
});

describe('neighbour: garbage collection', () => {
  test('forced GC at gc_thresh3 removes old unreferenced entries; a full table refuses', () => {
    const { clock, a } = bench();
    sysctlSet(a.net, 'net.ipv4.neigh.default.gc_thresh1', 2);
    sysctlSet(a.net, 'net.ipv4.neigh.default.gc_thresh2', 4);
    sysctlSet(a.net, 'net.ipv4.neigh.default.gc_thresh3', 8);
    for (let i = 0; i < 8; i++) expect(neighAdd(a.net, 0xc6130000 + i, '02:00:00:00:00:01', a.dev, { state: 'stale' })).toBe(0);
    expect(a.tbl.entries).toBe(8);
    clock.runFor(6_000);
    expect(typeof a.tbl.create(0xc6130100, a.dev)).toBe('object');
    expect(a.tbl.stats.forcedGcRuns).toBe(1);
    expect(a.tbl.entries).toBe(5);
    neighFlush(a.net);
    for (let i = 0; i < 8; i++) neighAdd(a.net, 0xc6130200 + i, '02:00:00:00:00:02', a.dev);
    expect(a.tbl.create(0xc6130300, a.dev)).toBe(-ENOBUFS);
    expect(a.tbl.stats.tableFulls).toBe(1);
  });

  test('periodic GC drops entries unused for gc_stale_time once above gc_thresh1', () => {
    const { clock, a } = bench();
    sysctlSet(a.net, 'net.ipv4.neigh.default.gc_thresh1', 2);
    for (let i = 0; i < 3; i++) neighAdd(a.net, 0xc6130000 + i, '02:00:00:00:00:01', a.dev, { state: 'stale' });
    neighAdd(a.net, 0xc6130010, '02:00:00:00:00:03', a.dev);
    clock.runFor(120_000);
    expect(a.tbl.stats.periodicGcRuns).toBeGreaterThan(0);
    expect(neighShow(a.net).map((r) => r.state)).toEqual(['PERMANENT']);
  });
});

describe('ip neigh', () => {
  test('add, show, del and flush', () => {
    const { a } = bench();
    expect(neighAdd(a.net, '198.18.0.5', '02:aa:bb:cc:dd:ee', a.dev)).toBe(0);
    expect(neighAdd(a.net, '198.18.0.6', '02:aa:bb:cc:dd:ef', a.dev, { permanent: false })).toBe(0);
    expect(neighAdd(a.net, '198.18.0.7', 'zz', a.dev)).toBeLessThan(0);
    expect(neighShow(a.net)).toEqual([
      { dst: '198.18.0.5', dev: 'veth0', lladdr: '02:aa:bb:cc:dd:ee', state: 'PERMANENT' },
      { dst: '198.18.0.6', dev: 'veth0', lladdr: '02:aa:bb:cc:dd:ef', state: 'REACHABLE' },
    ]);
    expect(a.tbl.lookup(0xc6120005, a.dev)!.nudState).toBe(NUD_PERMANENT);
    expect(neighFlush(a.net, a.dev)).toBe(1);
    expect(neighDel(a.net, '198.18.0.5', a.dev)).toBe(0);
    expect(neighDel(a.net, '198.18.0.5', a.dev)).toBeLessThan(0);
    expect(neighShow(a.net)).toEqual([]);
  });

  test('a PERMANENT entry is used without ARP and not overridden by what is heard', () => {
    const { clock, a, b } = bench();
    neighAdd(a.net, B, b.dev.devAddr, a.dev);
    sendTagged(a, B, 42);
    clock.runFor(10);
    expect(b.rx).toEqual([42]);
    expect(a.net.gen.neighbour!.stats.sentRequests).toBe(0);
  });
});
