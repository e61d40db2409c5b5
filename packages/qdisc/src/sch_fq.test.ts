import { describe, expect, test } from 'vitest';
import type { NetDevice, NetDeviceOps, SkBuff, Sock } from '@knet/include';
import { ETH_P_IP, NET_XMIT_DROP, NETDEV_TX_OK, SK_PACING_FQ, SK_PACING_NONE, SKB_DROP_REASON, TCP_ESTABLISHED } from '@knet/include';
import { allocSkb, consumeSkb, skbPutData, skbReserve } from '@knet/skbuff';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import {
  allocEtherdev, allocNet, devOpen, devQueueXmit, ethHeader, netifTxStopQueue, netifTxWakeQueue, registerNetdev,
} from '@knet/netdevice';
import { qdiscRegisterAll, tcQdiscReplace, tcQdiscShow } from './tc.js';

qdiscRegisterAll();

const sent: Array<{ tag: number; at: number }> = [];
let clockRef: VirtualClock;
const ops: NetDeviceOps = {
  name: 'rec',
  ndoStartXmit(skb: SkBuff): number {
    sent.push({ tag: skb.head[skb.data + 14]!, at: clockRef.now() });
    consumeSkb(skb);
    return NETDEV_TX_OK;
  },
};

function host(): { dev: NetDevice; clock: VirtualClock } {
  const clock = createVirtualClock({ seed: 5 });
  clockRef = clock;
  const net = allocNet({ name: 'fq', clock });
  const dev = allocEtherdev(net);
  dev.netdevOps = ops;
  registerNetdev(dev);
  devOpen(dev);
  sent.length = 0;
  return { dev, clock };
}

function pkt(dev: NetDevice, tag: number, opts: { hash?: number; sk?: Sock; tstamp?: number; len?: number; priority?: number } = {}): SkBuff {
  const len = opts.len ?? 500;
  const skb = allocSkb(len + 64);
  skbReserve(skb, 64);
  const p = new Uint8Array(len - 14);
  p[0] = tag;
  skbPutData(skb, p, 0, p.length);
  skb.dev = dev;
  skb.hash = opts.hash ?? 0;
  skb.sk = opts.sk ?? null;
  skb.tstamp = opts.tstamp ?? 0;
  skb.priority = opts.priority ?? 0;
  ethHeader(skb, dev, ETH_P_IP, null, null, p.length);
  return skb;
}

/** The fields sch_fq reads from a socket. */
function fakeSock(rate: number): Sock {
  return { skState: TCP_ESTABLISHED, skPacingRate: rate, skPacingStatus: SK_PACING_NONE } as unknown as Sock;
}

const tags = (): number[] => sent.map((s) => s.tag);

describe('fq', () => {
  test('serves flows round robin, a quantum of bytes each turn (DRR)', () => {
    const { dev, clock } = host();
    expect(tcQdiscReplace(dev, 'fq', { quantum: 1000, initial_quantum: 1000 })).toBe(0);
    netifTxStopQueue(dev.txQueues[0]!);
    for (let i = 0; i < 6; i++) devQueueXmit(pkt(dev, i, { hash: 1 }));
    for (let i = 0; i < 3; i++) devQueueXmit(pkt(dev, 10 + i, { hash: 2 }));
    expect(tcQdiscShow(dev)[0]!.opts).toMatchObject({ flows: 2, inactiveFlows: 0 });
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    // Two 500-byte packets per 1000-byte quantum; an emptied flow leaves the rotation.
    expect(tags()).toEqual([0, 1, 10, 11, 2, 3, 12, 4, 5]);
    // As in Linux, the flow emptied last stays listed until a later dequeue finds it empty.
    expect(tcQdiscShow(dev)[0]!.opts).toMatchObject({ flows: 2, inactiveFlows: 1 });
  });

  test('control packets (TC_PRIO_CONTROL) bypass the flows', () => {
    const { dev, clock } = host();
    tcQdiscReplace(dev, 'fq');
    netifTxStopQueue(dev.txQueues[0]!);
    devQueueXmit(pkt(dev, 1, { hash: 1 }));
    devQueueXmit(pkt(dev, 2, { hash: 1, priority: 7 }));
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    expect(tags()).toEqual([2, 1]);
    expect(tcQdiscShow(dev)[0]!.opts).toMatchObject({ highprioPackets: 1 });
  });

  test('holds a packet until its departure time (EDT) and a watchdog sends it then', () => {
    const { dev, clock } = host();
    tcQdiscReplace(dev, 'fq');
    const t0 = clock.now();
    devQueueXmit(pkt(dev, 1, { hash: 1, tstamp: t0 + 5 }));
    devQueueXmit(pkt(dev, 2, { hash: 1, tstamp: t0 + 12 }));
    devQueueXmit(pkt(dev, 3, { hash: 2 }));
    clock.runUntilIdle();
    expect(sent.map((s) => [s.tag, s.at - t0])).toEqual([[3, 0], [1, 5], [2, 12]]);
    expect(tcQdiscShow(dev)[0]!.opts).toMatchObject({ throttled: 2, throttledFlows: 0 });
  });

  test('a stamp earlier than the queued ones is sent first within its flow', () => {
    const { dev, clock } = host();
    tcQdiscReplace(dev, 'fq');
    netifTxStopQueue(dev.txQueues[0]!);
    const t0 = clock.now();
    devQueueXmit(pkt(dev, 1, { hash: 1, tstamp: t0 + 2 }));
    devQueueXmit(pkt(dev, 2, { hash: 1, tstamp: t0 + 1 }));
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    expect(sent.map((s) => [s.tag, s.at - t0])).toEqual([[2, 1], [1, 2]]);
  });

  test('without departure times it paces a socket at sk_pacing_rate and marks it SK_PACING_FQ', () => {
    const { dev, clock } = host();
    tcQdiscReplace(dev, 'fq', { quantum: 1000, initial_quantum: 0 });
    const sk = fakeSock(100_000);
    netifTxStopQueue(dev.txQueues[0]!);
    for (let i = 0; i < 3; i++) devQueueXmit(pkt(dev, i, { sk, len: 1000 }));
    expect(sk.skPacingStatus).toBe(SK_PACING_FQ);
    const t0 = clock.now();
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    // 1000 bytes at 100 kB/s: one packet every 10 ms.
    expect(sent.map((s) => Math.round((s.at - t0) * 1000) / 1000)).toEqual([0, 10, 20]);
  });

  test('maxrate caps a flow that stamps its own departure times', () => {
    const { dev, clock } = host();
    tcQdiscReplace(dev, 'fq', { maxrate: 50_000 });
    const t0 = clock.now();
    for (let i = 0; i < 3; i++) devQueueXmit(pkt(dev, i, { hash: 1, tstamp: t0, len: 500 }));
    clock.runUntilIdle();
    expect(sent.map((s) => Math.round((s.at - t0) * 1000) / 1000)).toEqual([0, 10, 20]);
  });

  test('limit, flow_limit and the horizon drop packets and count them', () => {
    const { dev, clock } = host();
    expect(tcQdiscReplace(dev, 'fq', { limit: 3, flow_limit: 2 })).toBe(0);
    netifTxStopQueue(dev.txQueues[0]!);
    const rcs = [
      devQueueXmit(pkt(dev, 1, { hash: 1 })),
      devQueueXmit(pkt(dev, 2, { hash: 1 })),
      devQueueXmit(pkt(dev, 3, { hash: 1 })), // over flow_limit
      devQueueXmit(pkt(dev, 4, { hash: 2, tstamp: clock.now() + 20_000 })), // beyond the 10 s horizon
      devQueueXmit(pkt(dev, 5, { hash: 2 })),
      devQueueXmit(pkt(dev, 6, { hash: 3 })), // over limit
    ];
    expect(rcs.map((r) => r === NET_XMIT_DROP)).toEqual([false, false, true, true, false, true]);
    const row = tcQdiscShow(dev)[0]!;
    expect(row.stats).toMatchObject({ drops: 3, qlen: 3, backlog: 1500 });
    expect(row.opts).toMatchObject({ flowsPlimit: 1, horizonDrops: 1, limit: 3, flow_limit: 2 });
    expect(dev.ndNet.dropCounts[SKB_DROP_REASON.QDISC_DROP]).toBe(3);
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    expect(tags()).toEqual([1, 2, 5]);
    expect(tcQdiscShow(dev)[0]!.stats).toMatchObject({ packets: 3, qlen: 0, backlog: 0 });
  });

  test('rejects bad options and a replace drops what was queued', () => {
    const { dev } = host();
    expect(tcQdiscReplace(dev, 'fq', { quantum: 0 })).toBeLessThan(0);
    expect(tcQdiscReplace(dev, 'fq', { limit: -1 })).toBeLessThan(0);
    expect(tcQdiscReplace(dev, 'fq')).toBe(0);
    expect(tcQdiscShow(dev)[0]!.opts).toMatchObject({ limit: 10000, flow_limit: 100, quantum: 3028, initial_quantum: 15140 });
    netifTxStopQueue(dev.txQueues[0]!);
    devQueueXmit(pkt(dev, 1, { hash: 1, tstamp: dev.ndNet.clock.now() + 1 }));
    expect(tcQdiscReplace(dev, 'pfifo')).toBe(0);
    expect(dev.ndNet.dropCounts[SKB_DROP_REASON.QUEUE_PURGE]).toBe(1);
  });
});
