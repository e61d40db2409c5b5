// net/core/dev.c, receive side: netif_rx, the per-CPU backlog, RPS, and
// __netif_receive_skb_core's dispatch to ptype_all taps and ptype_base handlers.
import type { NapiStruct, Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import {
  ETH_P_ALL, IFF_UP, NAPI_STATE_SCHED, NET_RX_DROP, NET_RX_SUCCESS, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason, skbClone, skbDequeue, skbQueueTail, skbUnlink } from '@knet/skbuff';
import { netCore } from './core.js';
import { reciprocalScale, skbGetHash } from './flow_dissector.js';
import { ____napiSchedule } from './napi.js';
import { traceEvent } from './tracepoint.js';

/** dev_add_pack: a tap (ETH_P_ALL) or an L3 handler for `pt.type`. */
export function devAddPack(net: Net, pt: PacketType): void {
  if (pt.type === ETH_P_ALL) {
    net.ptypeAll.push(pt);
    return;
  }
  let list = net.ptypeBase.get(pt.type);
  if (list === undefined) net.ptypeBase.set(pt.type, (list = []));
  list.push(pt);
}

/** dev_remove_pack */
export function devRemovePack(net: Net, pt: PacketType): void {
  const list = pt.type === ETH_P_ALL ? net.ptypeAll : net.ptypeBase.get(pt.type);
  if (list === undefined) return;
  const i = list.indexOf(pt);
  if (i >= 0) list.splice(i, 1);
}

/**
 * enqueue_to_backlog: queue on `cpu`'s input_pkt_queue and schedule its backlog NAPI when the
 * queue was empty. Over netdev_max_backlog the packet is dropped (CPU_BACKLOG).
 */
export function enqueueToBacklog(skb: SkBuff, cpu: number): number {
  const dev = skb.dev!;
  const net = dev.ndNet;
  traceEvent(net, 'enqueueToBacklog');
  const sd = net.cpus[cpu]!.softnet;
  if ((dev.flags & IFF_UP) === 0) {
    dev.stats.rxDropped++;
    kfreeSkbReason(skb, SKB_DROP_REASON.DEV_READY);
    return NET_RX_DROP;
  }
  const q = sd.inputPktQueue;
  if (q.qlen > netCore(net).netdevMaxBacklog) {
    sd.dropped++;
    dev.stats.rxDropped++;
    kfreeSkbReason(skb, SKB_DROP_REASON.CPU_BACKLOG);
    return NET_RX_DROP;
  }
  if (q.qlen === 0) {
    const backlog = sd.backlog;
    if ((backlog.state & NAPI_STATE_SCHED) === 0) {
      backlog.state |= NAPI_STATE_SCHED;
      if (cpu !== net.curCpu) sd.receivedRps++;
      ____napiSchedule(net, cpu, backlog);
    }
  }
  skbQueueTail(q, skb);
  return NET_RX_SUCCESS;
}

/** process_backlog: the backlog NAPI's poll; releases SCHED itself once the queue is empty. */
export function processBacklog(napi: NapiStruct, quota: number): number {
  const net = napi.dev.ndNet;
  traceEvent(net, 'processBacklog');
  const q = net.cpus[napi.cpu]!.softnet.inputPktQueue;
  let work = 0;
  while (work < quota) {
    const skb = skbDequeue(q);
    if (skb === null) {
      // Only enqueueToBacklog schedules the backlog, and only when it finds the queue empty.
      napi.state = 0;
      break;
    }
    __netifReceiveSkb(skb);
    work++;
  }
  return work;
}

/** netif_rx: queue a packet from any context for this CPU's (or RPS's) softirq. */
export function netifRx(skb: SkBuff): number {
  const net = skb.dev!.ndNet;
  traceEvent(net, 'netifRx');
  skb.tstamp = net.clock.now();
  let cpu = -1;
  if (netCore(net).rpsNeeded !== 0) cpu = getRpsCpu(skb.dev!, skb);
  if (cpu < 0) cpu = net.curCpu;
  return enqueueToBacklog(skb, cpu);
}

/** netif_receive_skb: in softirq; via RPS to a backlog, or straight into the stack. */
export function netifReceiveSkb(skb: SkBuff): number {
  const dev = skb.dev!;
  const net = dev.ndNet;
  traceEvent(net, 'netifReceiveSkb');
  if (netCore(net).rpsNeeded !== 0) {
    const cpu = getRpsCpu(dev, skb);
    if (cpu >= 0) return enqueueToBacklog(skb, cpu);
  }
  return __netifReceiveSkb(skb);
}

/**
 * get_rps_cpu: the CPU the RX queue's rps_cpus map picks for this flow, or -1 when RPS is
 * off for the queue or the packet has no hash.
 */
export function getRpsCpu(dev: NetDevice, skb: SkBuff): number {
  const rxqs = dev.rxQueues!;
  const rxq = rxqs[skb.queueMapping < rxqs.length ? skb.queueMapping : 0];
  if (rxq === undefined) return -1;
  const map = rxq.rpsMap;
  if (map.length === 0) return -1;
  traceEvent(dev.ndNet, 'getRpsCpu');
  const hash = skbGetHash(skb, skb.data);
  if (hash === 0) return -1;
  return map[reciprocalScale(hash, map.length)]!;
}

/** __netif_receive_skb */
export function __netifReceiveSkb(skb: SkBuff): number {
  traceEvent(skb.dev!.ndNet, '__netifReceiveSkb');
  return __netifReceiveSkbCore(skb);
}

/**
 * __netif_receive_skb_core: taps get a clone each, then the device's rx_handler, then the
 * ptype_base handlers for skb.protocol bound to this device or to none. Nobody home is
 * UNHANDLED_PROTO.
 */
export function __netifReceiveSkbCore(skb: SkBuff): number {
  const dev = skb.dev!;
  const net = dev.ndNet;
  traceEvent(net, '__netifReceiveSkbCore');
  skb.networkHeader = skb.data;
  if (skb.transportHeader < 0) skb.transportHeader = skb.data;
  skb.macLen = skb.macHeader >= 0 ? skb.networkHeader - skb.macHeader : 0;
  net.cpus[net.curCpu]!.softnet.processed++;
  dev.stats.rxPackets++;
  dev.stats.rxBytes += skb.len;

  const all = net.ptypeAll;
  for (let i = 0; i < all.length; i++) {
    const pt = all[i]!;
    if (pt.dev === null || pt.dev === dev) pt.func(skbClone(skb), dev, pt, dev);
  }

  const rxHandler = dev.rxHandler;
  if (rxHandler !== null && rxHandler(skb)) return NET_RX_SUCCESS;

  const list = net.ptypeBase.get(skb.protocol);
  let prev: PacketType | null = null;
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const pt = list[i]!;
      if (pt.dev !== null && pt.dev !== dev) continue;
      // Every handler but the last gets its own clone; the last one gets the original.
      if (prev !== null) prev.func(skbClone(skb), dev, prev, dev);
      prev = pt;
    }
  }
  if (prev !== null) {
    // deliver_skb: the handler owns the skb from here.
    traceEvent(net, 'deliverSkb', prev.name);
    return prev.func(skb, dev, prev, dev);
  }
  dev.stats.rxDropped++;
  kfreeSkbReason(skb, SKB_DROP_REASON.UNHANDLED_PROTO);
  return NET_RX_DROP;
}

/** flush_backlog: drop `dev`'s packets still waiting in any CPU's backlog. */
export function flushBacklog(dev: NetDevice): void {
  const net = dev.ndNet;
  for (const cpu of net.cpus) {
    const q = cpu.softnet.inputPktQueue;
    let skb = q.first;
    while (skb !== null) {
      const next: SkBuff | null = skb.next;
      if (skb.dev === dev) {
        skbUnlink(skb, q);
        kfreeSkbReason(skb, SKB_DROP_REASON.DEV_READY);
      }
      skb = next;
    }
  }
}
