import { describe, expect, test } from 'vitest';
import type { NetDevice, NetDeviceOps, SkBuff } from '@knet/include';
import { ETH_P_IP, NET_XMIT_DROP, NETDEV_TX_OK, SKB_DROP_REASON } from '@knet/include';
import { allocSkb, consumeSkb, skbPutData, skbReserve } from '@knet/skbuff';
import { createVirtualClock } from '@knet/softirq';
import {
  allocEtherdev, allocNet, devOpen, devQueueXmit, ethHeader, netifTxStopQueue, netifTxWakeQueue,
  registerNetdev,
} from '@knet/netdevice';
import { pfifoFastBandLens, prio2band } from './sch_pfifo_fast.js';
import { qdiscRegisterAll, tcQdiscReplace, tcQdiscShow } from './tc.js';

qdiscRegisterAll();

const sent: number[] = [];
const ops: NetDeviceOps = {
  name: 'rec',
  ndoStartXmit(skb: SkBuff): number {
    sent.push(skb.head[skb.data + 14]!);
    consumeSkb(skb);
    return NETDEV_TX_OK;
  },
};

function host(): { dev: NetDevice; run: () => void } {
  const clock = createVirtualClock({ seed: 3 });
  const net = allocNet({ name: 'q', clock });
  const dev = allocEtherdev(net);
  dev.netdevOps = ops;
  registerNetdev(dev);
  devOpen(dev);
  sent.length = 0;
  return { dev, run: () => clock.runUntilIdle() };
}

/** A 100-byte frame tagged with `tag` right after the Ethernet header. */
function pkt(dev: NetDevice, tag: number, priority = 0, len = 100): SkBuff {
  const skb = allocSkb(len + 64);
  skbReserve(skb, 64);
  const p = new Uint8Array(len - 14);
  p[0] = tag;
  skbPutData(skb, p, 0, p.length);
  skb.dev = dev;
  skb.priority = priority;
  ethHeader(skb, dev, ETH_P_IP, null, null, p.length);
  return skb;
}

describe('pfifo_fast', () => {
  test('is the default root qdisc once registered', () => {
    const { dev } = host();
    expect(tcQdiscShow(dev)[0]!.kind).toBe('pfifo_fast');
  });

  test('band 0 (interactive) leaves before band 1 (best effort) before band 2 (bulk)', () => {
    const { dev, run } = host();
    netifTxStopQueue(dev.txQueues[0]!);
    // TC_PRIO_BULK=2 → band 2, TC_PRIO_BESTEFFORT=0 → band 1, TC_PRIO_INTERACTIVE=6 → band 0
    devQueueXmit(pkt(dev, 1, 2));
    devQueueXmit(pkt(dev, 2, 0));
    devQueueXmit(pkt(dev, 3, 6));
    devQueueXmit(pkt(dev, 4, 2));
    devQueueXmit(pkt(dev, 5, 7 | 16)); // only the low 4 bits pick the band
    expect(pfifoFastBandLens(dev.txQueues[0]!.qdisc)).toEqual([2, 1, 2]);
    netifTxWakeQueue(dev.txQueues[0]!);
    run();
    expect(sent).toEqual([3, 5, 2, 1, 4]);
    expect(prio2band).toEqual([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  test('holds txqueuelen packets; the rest are tail drops counted as QDISC_DROP', () => {
    const { dev, run } = host();
    dev.txQueueLen = 4;
    expect(tcQdiscReplace(dev, 'pfifo_fast')).toBe(0);
    netifTxStopQueue(dev.txQueues[0]!);
    const rcs = [];
    for (let i = 0; i < 6; i++) rcs.push(devQueueXmit(pkt(dev, i)));
    expect(rcs.filter((r) => r === NET_XMIT_DROP)).toHaveLength(2);
    const row = tcQdiscShow(dev)[0]!;
    expect(row.stats.drops).toBe(2);
    expect(row.stats.qlen).toBe(4);
    expect(row.stats.backlog).toBe(400);
    expect(dev.ndNet.dropCounts[SKB_DROP_REASON.QDISC_DROP]).toBe(2);
    netifTxWakeQueue(dev.txQueues[0]!);
    run();
    expect(sent).toEqual([0, 1, 2, 3]);
    const after = tcQdiscShow(dev)[0]!.stats;
    expect(after).toMatchObject({ packets: 4, bytes: 400, qlen: 0, backlog: 0 });
  });
});

describe('tc', () => {
  test('replace swaps the root on every TX queue and show reports kind, handle, parent and options', () => {
    const { dev } = host();
    expect(tcQdiscReplace(dev, 'pfifo', { limit: 2, handle: 0x10000 })).toBe(0);
    const rows = tcQdiscShow(dev);
    expect(rows).toEqual([{
      dev: 'eth0', kind: 'pfifo', handle: '1:', parent: 'root',
      stats: { bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 },
      opts: { limit: 2 },
    }]);
    expect(tcQdiscReplace(dev, 'nope')).toBeLessThan(0);
    expect(tcQdiscReplace(dev, 'pfifo', { limit: -1 })).toBeLessThan(0);
    expect(tcQdiscShow(dev)[0]!.opts).toEqual({ limit: 2 });
  });

  test('pfifo counts packets, bfifo counts bytes', () => {
    const { dev, run } = host();
    tcQdiscReplace(dev, 'pfifo', { limit: 2 });
    netifTxStopQueue(dev.txQueues[0]!);
    for (let i = 0; i < 3; i++) devQueueXmit(pkt(dev, i, 0, 1000));
    expect(tcQdiscShow(dev)[0]!.stats.drops).toBe(1);
    tcQdiscReplace(dev, 'bfifo', { limit: 250 });
    // The replaced qdisc's queued packets went with it.
    expect(tcQdiscShow(dev)[0]!.stats.qlen).toBe(0);
    for (let i = 0; i < 3; i++) devQueueXmit(pkt(dev, 10 + i, 0, 100));
    const s = tcQdiscShow(dev)[0]!.stats;
    expect(s.qlen).toBe(2);
    expect(s.drops).toBe(1);
    netifTxWakeQueue(dev.txQueues[0]!);
    run();
    expect(sent).toEqual([10, 11]);
  });

  test('noqueue transmits directly', () => {
    const { dev } = host();
    expect(tcQdiscReplace(dev, 'noqueue')).toBe(0);
    devQueueXmit(pkt(dev, 42));
    expect(sent).toEqual([42]);
    expect(tcQdiscShow(dev)[0]!.kind).toBe('noqueue');
  });
});
