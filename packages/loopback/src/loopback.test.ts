import { describe, expect, test } from 'vitest';
import type { NetDevice, PacketType, SkBuff } from '@knet/include';
import {
  CHECKSUM_PARTIAL, ETH_P_IP, IFF_LOOPBACK, NET_RX_SUCCESS, NET_XMIT_SUCCESS, PACKET_HOST,
  SKB_GSO_TCPV4,
} from '@knet/include';
import { allocSkb, consumeSkb, skbPutData, skbReserve } from '@knet/skbuff';
import { createVirtualClock } from '@knet/softirq';
import { allocNet, devAddPack, devGetStats, devOpen, devQueueXmit, qdiscIsNoqueue } from '@knet/netdevice';
import { LOOPBACK_MTU, loopbackInit } from './loopback.js';

function ipSkb(dev: NetDevice, len: number): SkBuff {
  const skb = allocSkb(len + 128);
  skbReserve(skb, 64);
  const p = new Uint8Array(len);
  p[0] = 0x45;
  p[len - 1] = 0xee;
  skbPutData(skb, p, 0, len);
  skb.networkHeader = skb.data;
  skb.dev = dev;
  skb.protocol = ETH_P_IP;
  dev.headerOps!.create(skb, dev, ETH_P_IP, null, null, len);
  return skb;
}

describe('loopback', () => {
  test('lo is registered with loopback settings and no queue', () => {
    const net = allocNet({ name: 'h', clock: createVirtualClock({ seed: 1 }) });
    const lo = loopbackInit(net);
    expect(lo.name).toBe('lo');
    expect(lo.ifindex).toBe(1);
    expect(lo.mtu).toBe(LOOPBACK_MTU);
    expect(lo.flags & IFF_LOOPBACK).toBe(IFF_LOOPBACK);
    expect(qdiscIsNoqueue(lo.txQueues[0]!.qdiscSleeping)).toBe(true);
  });

  test('a frame sent on lo comes back through the IPv4 packet type, offloads intact', () => {
    const clock = createVirtualClock({ seed: 1 });
    const net = allocNet({ name: 'h', clock });
    const lo = loopbackInit(net);
    expect(devOpen(lo)).toBe(0);
    const got: { len: number; last: number; pktType: number; ipSummed: number; gsoSize: number; dev: string }[] = [];
    const pt: PacketType = {
      name: 'ip',
      type: ETH_P_IP,
      dev: null,
      func(skb: SkBuff, dev: NetDevice): number {
        got.push({ len: skb.len, last: skb.head[skb.data + skb.len - 1]!, pktType: skb.pktType, ipSummed: skb.ipSummed, gsoSize: skb.shinfo.gsoSize, dev: dev.name });
        consumeSkb(skb);
        return NET_RX_SUCCESS;
      },
    };
    devAddPack(net, pt);
    expect(devQueueXmit(ipSkb(lo, 60))).toBe(NET_XMIT_SUCCESS);
    // A 64 KiB GSO packet with a pending checksum passes as is.
    const big = ipSkb(lo, 65000);
    big.ipSummed = CHECKSUM_PARTIAL;
    big.csumStart = big.data + 14 + 20;
    big.csumOffset = 16;
    big.shinfo.gsoSize = 1448;
    big.shinfo.gsoType = SKB_GSO_TCPV4;
    expect(devQueueXmit(big)).toBe(NET_XMIT_SUCCESS);
    clock.runUntilIdle();
    expect(got).toEqual([
      { len: 60, last: 0xee, pktType: PACKET_HOST, ipSummed: 0, gsoSize: 0, dev: 'lo' },
      { len: 65000, last: 0xee, pktType: PACKET_HOST, ipSummed: CHECKSUM_PARTIAL, gsoSize: 1448, dev: 'lo' },
    ]);
    const s = devGetStats(lo);
    expect(s.txPackets).toBe(2);
    expect(s.rxPackets).toBe(2);
    expect(s.rxBytes).toBe(60 + 65000);
  });

  test('lo down: nothing loops back', () => {
    const clock = createVirtualClock({ seed: 1 });
    const net = allocNet({ name: 'h', clock });
    const lo = loopbackInit(net);
    let n = 0;
    devAddPack(net, { name: 'ip', type: ETH_P_IP, dev: null, func: (skb) => { n++; consumeSkb(skb); return 0; } });
    devQueueXmit(ipSkb(lo, 60));
    clock.runUntilIdle();
    expect(n).toBe(0);
    expect(net.dropCounts.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
