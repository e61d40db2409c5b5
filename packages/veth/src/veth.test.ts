import { describe, expect, test } from 'vitest';
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import {
  ErrnoError, ETH_P_IP, IFF_RUNNING, NET_RX_SUCCESS, PACKET_HOST, SKB_DROP_REASON,
} from '@knet/include';
import { allocSkb, consumeSkb, skbPutData, skbReserve } from '@knet/skbuff';
import { createVirtualClock } from '@knet/softirq';
import {
  allocNet, devAddPack, devClose, devGetByName, devOpen, devQueueXmit, qdiscIsNoqueue,
} from '@knet/netdevice';
import { vethDelLink, vethNewLink, vethPeer } from './veth.js';

function ipSkb(dev: NetDevice, dst: Uint8Array, tag: number): SkBuff {
  const skb = allocSkb(200);
  skbReserve(skb, 64);
  const p = new Uint8Array(40);
  p[0] = 0x45;
  p[1] = tag;
  skbPutData(skb, p, 0, p.length);
  skb.dev = dev;
  skb.protocol = ETH_P_IP;
  dev.headerOps!.create(skb, dev, ETH_P_IP, dst, null, p.length);
  return skb;
}

function ipRecorder(net: Net): { pt: PacketType; got: { tag: number; dev: string; net: string; pktType: number }[] } {
  const got: { tag: number; dev: string; net: string; pktType: number }[] = [];
  const pt: PacketType = {
    name: 'ip',
    type: ETH_P_IP,
    dev: null,
    func(skb: SkBuff, dev: NetDevice): number {
      got.push({ tag: skb.head[skb.data + 1]!, dev: dev.name, net: dev.ndNet.name, pktType: skb.pktType });
      expect(skb.sk).toBeNull();
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(net, pt);
  return { pt, got };
}

describe('veth', () => {
  test('a pair across two hosts: frames cross into the other Net and reach its handler', () => {
    const clock = createVirtualClock({ seed: 5 });
    const h1 = allocNet({ name: 'h1', clock });
    const h2 = allocNet({ name: 'h2', clock, cpus: 2 });
    const [a, b] = vethNewLink(h1, 'veth0', 'veth1', h2);
    expect(devGetByName(h1, 'veth0')).toBe(a);
    expect(devGetByName(h2, 'veth1')).toBe(b);
    expect(vethPeer(a)).toBe(b);
    expect(qdiscIsNoqueue(a.txQueues[0]!.qdiscSleeping)).toBe(true);
    const r2 = ipRecorder(h2);
    const r1 = ipRecorder(h1);
    devOpen(a);
    expect(a.flags & IFF_RUNNING).toBe(0); // carrier waits for the peer
    devOpen(b);
    expect(a.flags & IFF_RUNNING).toBe(IFF_RUNNING);
    expect(b.flags & IFF_RUNNING).toBe(IFF_RUNNING);
    devQueueXmit(ipSkb(a, b.devAddr, 1));
    devQueueXmit(ipSkb(a, b.devAddr, 2));
    devQueueXmit(ipSkb(b, a.devAddr, 3));
    clock.runUntilIdle();
    expect(r2.got).toEqual([
      { tag: 1, dev: 'veth1', net: 'h2', pktType: PACKET_HOST },
      { tag: 2, dev: 'veth1', net: 'h2', pktType: PACKET_HOST },
    ]);
    expect(r1.got).toEqual([{ tag: 3, dev: 'veth0', net: 'h1', pktType: PACKET_HOST }]);
    expect(a.stats.txPackets).toBe(2);
    expect(b.stats.rxPackets).toBe(2);
  });

  test('with the peer down, frames are dropped and counted on the sender', () => {
    const clock = createVirtualClock({ seed: 5 });
    const h1 = allocNet({ name: 'h1', clock });
    const h2 = allocNet({ name: 'h2', clock });
    const [a, b] = vethNewLink(h1, 'veth0', 'veth1', h2);
    const r2 = ipRecorder(h2);
    devOpen(a);
    devOpen(b);
    devClose(b);
    expect(a.flags & IFF_RUNNING).toBe(0);
    // Carrier off means the noop qdisc: dropped before the driver.
    devQueueXmit(ipSkb(a, b.devAddr, 1));
    clock.runUntilIdle();
    expect(r2.got).toHaveLength(0);
    expect(h1.dropCounts[SKB_DROP_REASON.QDISC_DROP]).toBe(1);
    expect(a.stats.txDropped).toBe(1);
  });

  test('the driver itself drops (DEV_READY) when the peer is down behind a live carrier', () => {
    const clock = createVirtualClock({ seed: 5 });
    const h1 = allocNet({ name: 'h1', clock });
    const [a, b] = vethNewLink(h1, 'veth0', 'veth1');
    devOpen(a);
    devOpen(b);
    // The peer's IFF_UP goes away without its ndo_stop (as during unregister teardown).
    b.flags &= ~1;
    devQueueXmit(ipSkb(a, b.devAddr, 1));
    clock.runUntilIdle();
    expect(h1.dropCounts[SKB_DROP_REASON.DEV_READY]).toBe(1);
    expect(a.stats.txDropped).toBe(1);
  });

  test('names must be free; deleting one end deletes both', () => {
    const clock = createVirtualClock({ seed: 5 });
    const h1 = allocNet({ name: 'h1', clock });
    const [a] = vethNewLink(h1, 'v0', 'v1');
    expect(() => vethNewLink(h1, 'v0', 'v2')).toThrow(ErrnoError);
    expect(devGetByName(h1, 'v2')).toBeNull();
    vethDelLink(a);
    expect(devGetByName(h1, 'v0')).toBeNull();
    expect(devGetByName(h1, 'v1')).toBeNull();
  });
});
