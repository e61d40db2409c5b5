import { describe, expect, test } from 'vitest';
import type { NetDevice, PacketOffload, SkBuff } from '@knet/include';
import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, ENETDOWN, ETH_HLEN, ETH_P_IP, NET_XMIT_CN, NET_XMIT_SUCCESS, NETIF_F_HW_CSUM,
  NETIF_F_SG, NETIF_F_TSO, SKB_DROP_REASON, SKB_GSO_TCPV4,
} from '@knet/include';
import { allocSkb, csumFold, csumPartial, skbPutData, skbReserve } from '@knet/skbuff';
import { devClose, netifTxStopQueue, netifTxWakeQueue } from './dev.js';
import { devQueueXmit } from './dev_xmit.js';
import { ethHeader } from './eth.js';
import { devAddOffload } from './gro.js';
import { TraceRecorder, traceOn } from './tracepoint.js';
import { MAC_B, bench, drv, ipv4Payload, testDev, useTestFifo } from './test/bench.js';

/** An IPv4-ish packet of `len` payload bytes whose byte 28 carries `tag`, ready for devQueueXmit. */
function txSkb(dev: NetDevice, tag: number, extra = 0): SkBuff {
  const skb = allocSkb(128 + extra + 64);
  skbReserve(skb, 64);
  const p = ipv4Payload(0x0a000001, 0x0a000002, 1234, 80, 4 + extra);
  p[28] = tag;
  skbPutData(skb, p, 0, p.length);
  skb.networkHeader = skb.data;
  skb.dev = dev;
  skb.protocol = ETH_P_IP;
  ethHeader(skb, dev, ETH_P_IP, MAC_B, null, p.length);
  return skb;
}

const tags = (dev: NetDevice): number[] => drv(dev).sent.map((s) => s.bytes[ETH_HLEN + 28]!);

describe('dev_queue_xmit through a qdisc', () => {
  test('NETDEV_TX_BUSY requeues the packet; netif_tx_wake_queue sends everything in order', () => {
    const { net, clock } = bench();
    useTestFifo(net);
    const dev = testDev(net);
    drv(dev).budget = 3;
    for (let i = 0; i < 10; i++) expect(devQueueXmit(txSkb(dev, i))).toBe(NET_XMIT_SUCCESS);
    clock.runUntilIdle();
    const q = dev.txQueues[0]!.qdisc;
    expect(tags(dev)).toEqual([0, 1, 2]);
    expect(drv(dev).busyReturns).toBe(1);
    expect(q.stats.requeues).toBe(1);
    expect(q.qlen).toBe(7);
    expect(q.gsoSkb).not.toBeNull();
    drv(dev).budget = -1;
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    expect(tags(dev)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.qlen).toBe(0);
    expect(q.stats.backlog).toBe(0);
    expect(q.stats.packets).toBe(10); // the requeued one counts once, at its first dequeue
    expect(net.dropCounts.reduce((a, b) => a + b, 0)).toBe(0);
  });

  test('a stopped queue holds packets without loss; more than dev_tx_weight go out over NET_TX_SOFTIRQ rounds', () => {
    const { net, clock } = bench();
    useTestFifo(net);
    const dev = testDev(net);
    const txq = dev.txQueues[0]!;
    netifTxStopQueue(txq);
    for (let i = 0; i < 150; i++) devQueueXmit(txSkb(dev, i & 0xff));
    clock.runUntilIdle();
    expect(drv(dev).sent).toHaveLength(0);
    expect(txq.qdisc.qlen).toBe(150);
    const rec = new TraceRecorder(net);
    traceOn(net, rec);
    netifTxWakeQueue(txq);
    clock.runUntilIdle();
    expect(drv(dev).sent).toHaveLength(150);
    // 150 packets at 64 per run: three net_tx_action rounds.
    expect(rec.fns().filter((f) => f === 'netTxAction')).toHaveLength(3);
  });

  test('the qdisc limit drops the tail as QDISC_DROP', () => {
    const { net, clock } = bench();
    useTestFifo(net);
    const dev = testDev(net);
    dev.txQueues[0]!.qdisc.limit = 5;
    netifTxStopQueue(dev.txQueues[0]!);
    for (let i = 0; i < 8; i++) devQueueXmit(txSkb(dev, i));
    expect(dev.txQueues[0]!.qdisc.stats.drops).toBe(3);
    expect(net.dropCounts[SKB_DROP_REASON.QDISC_DROP]).toBe(3);
    netifTxWakeQueue(dev.txQueues[0]!);
    clock.runUntilIdle();
    expect(tags(dev)).toEqual([0, 1, 2, 3, 4]);
  });

  test('the TX path fires its tracepoints in Linux order', () => {
    const { net, clock } = bench();
    useTestFifo(net);
    const dev = testDev(net);
    const rec = new TraceRecorder(net);
    traceOn(net, rec);
    devQueueXmit(txSkb(dev, 1));
    clock.runUntilIdle();
    expect(rec.fns()).toEqual(['devQueueXmit', 'netdevPickTx', 'qdiscEnqueue', '__qdiscRun', 'qdiscRestart',
      'schDirectXmit', 'devHardStartXmit', 'qdiscRestart']);
    expect(rec.entries[2]!.info).toBe('test_fifo');
  });
});

describe('direct transmit (noqueue) and a down device', () => {
  test('noqueue goes straight to the driver; a down device has the noop qdisc, which drops', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    expect(devQueueXmit(txSkb(dev, 7))).toBe(NET_XMIT_SUCCESS);
    expect(tags(dev)).toEqual([7]);
    devClose(dev);
    expect(devQueueXmit(txSkb(dev, 8))).toBe(NET_XMIT_CN);
    clock.runUntilIdle();
    expect(tags(dev)).toEqual([7]);
    expect(net.dropCounts[SKB_DROP_REASON.QDISC_DROP]).toBe(1);
    expect(dev.stats.txDropped).toBe(1);
  });

  test('a stopped noqueue device cannot queue: the packet is dropped with -ENETDOWN', () => {
    const { net } = bench();
    const dev = testDev(net);
    netifTxStopQueue(dev.txQueues[0]!);
    expect(devQueueXmit(txSkb(dev, 8))).toBe(-ENETDOWN);
    expect(net.dropCounts[SKB_DROP_REASON.DEV_READY]).toBe(1);
  });
});

describe('validate_xmit_skb', () => {
  test('CHECKSUM_PARTIAL is finished in software when the device has no checksum offload', () => {
    const { net } = bench();
    const plain = testDev(net, 'plain', 0);
    const offl = testDev(net, 'offl', NETIF_F_HW_CSUM);
    for (const dev of [plain, offl]) {
      const skb = txSkb(dev, 0x5a, 20);
      // Checksum over the "transport" part (from offset 20 of the IP packet), field at +6.
      skb.ipSummed = CHECKSUM_PARTIAL;
      skb.csumStart = skb.data + ETH_HLEN + 20;
      skb.csumOffset = 6;
      devQueueXmit(skb);
    }
    const p = drv(plain).sent[0]!;
    const o = drv(offl).sent[0]!;
    expect(p.ipSummed).toBe(CHECKSUM_NONE);
    expect(o.ipSummed).toBe(CHECKSUM_PARTIAL);
    // The finished checksum verifies: summing the covered bytes folds to zero.
    const b = p.bytes;
    expect(csumFold(csumPartial(b, ETH_HLEN + 20, b.length - ETH_HLEN - 20, 0))).toBe(0);
    expect((o.bytes[ETH_HLEN + 26]! << 8) | o.bytes[ETH_HLEN + 27]!).toBe(0);
  });

  test('a GSO packet is segmented by the registered offload unless the device does TSO', () => {
    const { net } = bench();
    let calls = 0;
    const off: PacketOffload = {
      name: 'test-ip',
      type: ETH_P_IP,
      gsoSegment(skb: SkBuff): SkBuff | null {
        calls++;
        // Split the bytes after a 20-byte header into gsoSize chunks, each with a copy of
        // the mac + network headers.
        const mac = skb.data - skb.macHeader;
        const hdr = 20;
        const payload = skb.len - hdr;
        const mss = skb.shinfo.gsoSize;
        let head: SkBuff | null = null;
        let tail: SkBuff | null = null;
        for (let o = 0; o < payload; o += mss) {
          const n = Math.min(mss, payload - o);
          const s = allocSkb(64 + mac + hdr + n);
          skbReserve(s, 64);
          skbPutData(s, skb.head, skb.macHeader, mac + hdr);
          skbPutData(s, skb.head, skb.data + hdr + o, n);
          s.macHeader = s.data;
          s.data += mac;
          s.len -= mac;
          s.protocol = skb.protocol;
          if (tail === null) head = s;
          else tail.next = s;
          tail = s;
        }
        return head;
      },
    };
    expect(devAddOffload(net, off)).toBe(0);
    const plain = testDev(net, 'plain', NETIF_F_SG | NETIF_F_HW_CSUM);
    const tso = testDev(net, 'tso', NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO);
    for (const dev of [plain, tso]) {
      const skb = txSkb(dev, 1, 3000 - 12); // 3000 bytes after the 20-byte header
      skb.shinfo.gsoSize = 1000;
      skb.shinfo.gsoType = SKB_GSO_TCPV4;
      devQueueXmit(skb);
    }
    expect(calls).toBe(1);
    expect(drv(plain).sent.map((s) => s.bytes.length)).toEqual([ETH_HLEN + 20 + 1000, ETH_HLEN + 20 + 1000, ETH_HLEN + 20 + 1000]);
    expect(drv(tso).sent.map((s) => s.gsoSize)).toEqual([1000]);
    expect(net.dropCounts.reduce((a, b) => a + b, 0)).toBe(0);
  });

  test('a GSO packet with no offload to segment it is an SKB_GSO_SEG drop', () => {
    const { net } = bench();
    const dev = testDev(net);
    const skb = txSkb(dev, 1, 2000);
    skb.shinfo.gsoSize = 1000;
    skb.shinfo.gsoType = SKB_GSO_TCPV4;
    devQueueXmit(skb);
    expect(drv(dev).sent).toHaveLength(0);
    expect(net.dropCounts[SKB_DROP_REASON.SKB_GSO_SEG]).toBe(1);
  });
});
