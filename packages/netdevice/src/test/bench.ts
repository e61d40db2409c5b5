// Shared test bench: a Net on the virtual clock and a recording Ethernet driver.
import type { Net, NetDevice, NetDeviceOps, PacketType, QdiscOps, SkBuff } from '@knet/include';
import { ETH_HLEN, NET_RX_SUCCESS, NETDEV_TX_BUSY, NETDEV_TX_OK } from '@knet/include';
import { consumeSkb, netdevAllocSkb, skbPutData } from '@knet/skbuff';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { allocEtherdev } from '../eth.js';
import { devOpen, registerNetdev, netifTxStopQueue } from '../dev.js';
import { allocNet } from '../net_namespace.js';
import { ethTypeTrans } from '../eth.js';
import { netifRx } from '../dev_rx.js';
import { registerQdisc, qdiscLookupOps } from '../sch_api.js';
import { qdiscDequeueHead, qdiscDrop, qdiscEnqueueTail } from '../sch_generic.js';
import { SkBuffHead } from '@knet/skbuff';

export interface Bench {
  net: Net;
  clock: VirtualClock;
}

export function bench(cpus = 1, seed = 1): Bench {
  const clock = createVirtualClock({ seed });
  const net = allocNet({ name: 'h1', clock, cpus });
  return { net, clock };
}

/** What the recording driver saw: a copy of each frame's bytes and the skb fields we check. */
export interface Sent {
  bytes: Uint8Array;
  ipSummed: number;
  gsoSize: number;
  cpu: number;
}

export interface TestDrv {
  sent: Sent[];
  /** Accept this many more frames, then stop the queue and answer NETDEV_TX_BUSY (-1: never). */
  budget: number;
  busyReturns: number;
}

function copyFrame(skb: SkBuff): Uint8Array {
  const out = new Uint8Array(skb.len);
  out.set(skb.head.subarray(skb.data, skb.tail), 0);
  let o = skb.tail - skb.data;
  for (const f of skb.shinfo.frags) {
    out.set(f.page.subarray(f.off, f.off + f.len), o);
    o += f.len;
  }
  return out;
}

export const testOps: NetDeviceOps = Object.freeze({
  name: 'testdrv',
  ndoStartXmit(skb: SkBuff, dev: NetDevice): number {
    const d = dev.priv as TestDrv;
    if (d.budget === 0) {
      netifTxStopQueue(dev.txQueues[skb.queueMapping]!);
      d.busyReturns++;
      return NETDEV_TX_BUSY;
    }
    if (d.budget > 0) d.budget--;
    d.sent.push({ bytes: copyFrame(skb), ipSummed: skb.ipSummed, gsoSize: skb.shinfo.gsoSize, cpu: dev.ndNet.curCpu });
    consumeSkb(skb);
    return NETDEV_TX_OK;
  },
});

export const MAC_A = new Uint8Array([0x02, 0, 0, 0, 0, 0x0a]);
export const MAC_B = new Uint8Array([0x02, 0, 0, 0, 0, 0x0b]);

/** A registered, up Ethernet device driven by the recording driver. */
export function testDev(net: Net, name = 'eth%d', features = 0, opts?: { txqs?: number; rxqs?: number }): NetDevice {
  const dev = allocEtherdev(net, name, opts);
  dev.netdevOps = testOps;
  dev.priv = { sent: [], budget: -1, busyReturns: 0 } satisfies TestDrv;
  dev.devAddr.set(MAC_A);
  dev.features = features;
  registerNetdev(dev);
  devOpen(dev);
  return dev;
}

export function drv(dev: NetDevice): TestDrv {
  return dev.priv as TestDrv;
}

/** An Ethernet frame: dst, src, type, then `payload`. */
export function frame(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(ETH_HLEN + payload.length);
  b.set(dst, 0);
  b.set(src, 6);
  b[12] = type >> 8;
  b[13] = type & 0xff;
  b.set(payload, ETH_HLEN);
  return b;
}

/** A minimal IPv4 header + 8 bytes of UDP-like ports, for flow hashing. */
export function ipv4Payload(saddr: number, daddr: number, sport: number, dport: number, extra = 0): Uint8Array {
  const b = new Uint8Array(28 + extra);
  b[0] = 0x45;
  b[2] = (b.length >> 8) & 0xff;
  b[3] = b.length & 0xff;
  b[8] = 64;
  b[9] = 17;
  for (let i = 0; i < 4; i++) {
    b[12 + i] = (saddr >>> (24 - 8 * i)) & 0xff;
    b[16 + i] = (daddr >>> (24 - 8 * i)) & 0xff;
  }
  b[20] = sport >> 8;
  b[21] = sport & 0xff;
  b[22] = dport >> 8;
  b[23] = dport & 0xff;
  return b;
}

/** A received frame as a driver builds it: allocated, filled, eth_type_trans'd. */
export function rxSkb(dev: NetDevice, bytes: Uint8Array): SkBuff {
  const skb = netdevAllocSkb(dev, bytes.length);
  skbPutData(skb, bytes, 0, bytes.length);
  ethTypeTrans(skb, dev);
  return skb;
}

/** netif_rx a frame from process context. */
export function inject(dev: NetDevice, bytes: Uint8Array): number {
  return netifRx(rxSkb(dev, bytes));
}

/** A ptype_base handler that records (and frees) what it gets. */
export function recorder(type: number, dev: NetDevice | null = null): PacketType & { got: { len: number; cpu: number; pktType: number; dev: string }[] } {
  const got: { len: number; cpu: number; pktType: number; dev: string }[] = [];
  return {
    name: `rec-${type.toString(16)}`,
    type,
    dev,
    got,
    func(skb: SkBuff, d: NetDevice): number {
      got.push({ len: skb.len, cpu: d.ndNet.curCpu, pktType: skb.pktType, dev: d.name });
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
}

/** A plain FIFO discipline for the core's tests (the real ones live in @knet/qdisc). */
export const testFifoOps: QdiscOps = Object.freeze({
  id: 'test_fifo',
  name: 'test_fifo',
  enqueue(skb, q) {
    return q.qlen < q.limit ? qdiscEnqueueTail(skb, q, q.priv as SkBuffHead) : qdiscDrop(skb, q);
  },
  dequeue(q) {
    return qdiscDequeueHead(q, q.priv as SkBuffHead);
  },
  peek(q) {
    return (q.priv as SkBuffHead).first;
  },
  init(q) {
    q.priv = new SkBuffHead();
    q.limit = Math.max(q.devQueue.dev.txQueueLen, 1);
    return 0;
  },
});

export function useTestFifo(net: Net): void {
  if (qdiscLookupOps(testFifoOps.id) === null) registerQdisc(testFifoOps);
  net.sysctls.get('net.core.default_qdisc')!.set('test_fifo');
}
