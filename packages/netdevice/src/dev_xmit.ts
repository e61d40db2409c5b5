// net/core/dev.c, transmit side: dev_queue_xmit, queue selection, validate_xmit_skb
// (software GSO and checksum), dev_hard_start_xmit and the ptype_all copy of outgoing frames.
import type { NetDevice, NetdevQueue, SkBuff } from '@knet/include';
import {
  CHECKSUM_PARTIAL, ENETDOWN, IFF_UP, NET_XMIT_DROP, NET_XMIT_MASK, NETDEV_TX_BUSY, NETDEV_TX_OK,
  NETIF_F_CSUM_MASK, PACKET_OUTGOING, SKB_DROP_REASON,
} from '@knet/include';
import { consumeSkb, kfreeSkbReason, skbChecksumHelp, skbClone } from '@knet/skbuff';
import { netCore } from './core.js';
import { netifXmitStopped } from './dev.js';
import { reciprocalScale, skbGetHash } from './flow_dissector.js';
import { netifNeedsGso, skbGsoSegment } from './gro.js';
import { qdiscIsNoqueue, qdiscRun } from './sch_generic.js';
import { __QDISC_STATE_DEACTIVATED, __QDISC_STATE_RUNNING } from './sch_api.js';
import { traceEvent } from './tracepoint.js';

/** XMIT_RECURSION_LIMIT: nested transmits (tunnels, veth hairpins) before we give up. */
export const XMIT_RECURSION_LIMIT = 8;

/** dev_xmit_complete: anything but NETDEV_TX_BUSY means the skb is gone. */
export function devXmitComplete(rc: number): boolean {
  return rc < NET_XMIT_MASK;
}

/** netif_skb_features */
export function netifSkbFeatures(skb: SkBuff): number {
  return skb.dev!.features;
}

/** netdev_pick_tx: the driver's choice, or the flow hash over the real TX queues. */
export function netdevPickTx(dev: NetDevice, skb: SkBuff): NetdevQueue {
  traceEvent(dev.ndNet, 'netdevPickTx');
  let idx = 0;
  const n = dev.realNumTxQueues;
  const select = dev.netdevOps.ndoSelectQueue;
  if (select !== undefined) idx = select(dev, skb);
  else if (n > 1) idx = reciprocalScale(skbGetHash(skb, skb.networkHeader), n);
  if (!(idx >= 0 && idx < n)) idx = 0;
  skb.queueMapping = idx;
  return dev.txQueues[idx]!;
}

/**
 * dev_queue_xmit: send `skb` (data at the link header, skb.dev set). Returns NET_XMIT_* or a
 * negative errno; the skb is always consumed.
 */
export function devQueueXmit(skb: SkBuff): number {
  const dev = skb.dev!;
  const net = dev.ndNet;
  traceEvent(net, 'devQueueXmit');
  skb.macHeader = skb.data;
  const txq = netdevPickTx(dev, skb);
  const q = txq.qdisc;
  if (!qdiscIsNoqueue(q)) return __devXmitSkb(skb, dev, txq);

  // noqueue (loopback, veth ...): straight to the driver, nowhere to park a refusal.
  const core = netCore(net);
  if ((dev.flags & IFF_UP) !== 0 && core.xmitRecursion < XMIT_RECURSION_LIMIT) {
    if (!netifXmitStopped(txq)) {
      const segs = validateXmitSkb(skb, dev);
      if (segs === null) return NET_XMIT_DROP;
      core.xmitRecursion++;
      const rest = devHardStartXmit(segs, dev, txq);
      core.xmitRecursion--;
      const rc = core.xmitRc;
      if (devXmitComplete(rc) && rest === null) return rc;
      if (rest !== null) dropList(rest, dev);
      return -ENETDOWN;
    }
  }
  dropList(skb, dev);
  return -ENETDOWN;
}

function dropList(skb: SkBuff | null, dev: NetDevice): void {
  while (skb !== null) {
    const next: SkBuff | null = skb.next;
    skb.next = null;
    dev.stats.txDropped++;
    kfreeSkbReason(skb, SKB_DROP_REASON.DEV_READY);
    skb = next;
  }
}

/** __dev_xmit_skb: into the qdisc, then run it unless it is already running. */
function __devXmitSkb(skb: SkBuff, dev: NetDevice, txq: NetdevQueue): number {
  const q = txq.qdisc;
  const net = dev.ndNet;
  if ((q.state & __QDISC_STATE_DEACTIVATED) !== 0) {
    q.stats.drops++;
    kfreeSkbReason(skb, SKB_DROP_REASON.QDISC_DROP);
    return NET_XMIT_DROP;
  }
  if (net.trace !== null) traceEvent(net, 'qdiscEnqueue', q.ops.id);
  const rc = q.ops.enqueue(skb, q) & NET_XMIT_MASK;
  if ((q.state & __QDISC_STATE_RUNNING) === 0) {
    const core = netCore(net);
    core.xmitRecursion++;
    qdiscRun(q);
    core.xmitRecursion--;
  }
  return rc;
}

/**
 * validate_xmit_skb: segment a GSO packet the device cannot take, and finish a
 * CHECKSUM_PARTIAL checksum the device cannot offload. The packet or segment list to send,
 * or null when it had to be dropped.
 */
export function validateXmitSkb(first: SkBuff, dev: NetDevice): SkBuff | null {
  let skb: SkBuff | null = first;
  const features = netifSkbFeatures(skb);
  if (netifNeedsGso(first, features)) {
    const segs = skbGsoSegment(first, features);
    if (segs === null) {
      dev.stats.txDropped++;
      kfreeSkbReason(first, SKB_DROP_REASON.SKB_GSO_SEG);
      return null;
    }
    consumeSkb(first);
    skb = segs;
  }
  if ((features & NETIF_F_CSUM_MASK) === 0) {
    // Each segment whose checksum is still pending gets it in software.
    let prev: SkBuff | null = null;
    for (let s: SkBuff | null = skb; s !== null; ) {
      const next: SkBuff | null = s.next;
      if (s.ipSummed === CHECKSUM_PARTIAL && skbChecksumHelp(s) < 0) {
        if (prev === null) skb = next;
        else prev.next = next;
        s.next = null;
        dev.stats.txDropped++;
        kfreeSkbReason(s, SKB_DROP_REASON.SKB_CSUM);
      } else prev = s;
      s = next;
    }
  }
  return skb;
}

/** validate_xmit_skb_list */
export function validateXmitSkbList(skb: SkBuff, dev: NetDevice): SkBuff | null {
  return validateXmitSkb(skb, dev);
}

/** dev_queue_xmit_nit: every tap sees a clone of the outgoing frame as PACKET_OUTGOING. */
export function devQueueXmitNit(skb: SkBuff, dev: NetDevice): void {
  const all = dev.ndNet.ptypeAll;
  for (let i = 0; i < all.length; i++) {
    const pt = all[i]!;
    if (pt.ignoreOutgoing === true || (pt.dev !== null && pt.dev !== dev)) continue;
    const c = skbClone(skb);
    c.pktType = PACKET_OUTGOING;
    c.macHeader = c.data;
    pt.func(c, dev, pt, dev);
  }
}

/**
 * dev_hard_start_xmit: hand each skb of the list to ndoStartXmit. Returns what was not sent
 * (null when all went), with the last return code in net.gen.core.xmitRc.
 */
export function devHardStartXmit(first: SkBuff, dev: NetDevice, txq: NetdevQueue): SkBuff | null {
  const net = dev.ndNet;
  const core = netCore(net);
  const ops = dev.netdevOps;
  let skb: SkBuff | null = first;
  let rc = NETDEV_TX_OK;
  while (skb !== null) {
    traceEvent(net, 'devHardStartXmit');
    const next: SkBuff | null = skb.next;
    skb.next = null;
    if (net.ptypeAll.length !== 0) devQueueXmitNit(skb, dev);
    const len = skb.len;
    rc = ops.ndoStartXmit(skb, dev);
    if (!devXmitComplete(rc)) {
      skb.next = next;
      break;
    }
    if (rc === NETDEV_TX_OK) {
      txq.txPackets++;
      txq.txBytes += len;
      dev.stats.txPackets++;
      dev.stats.txBytes += len;
    }
    txq.transStart = net.clock.now();
    txq.xmitCpu = net.curCpu;
    skb = next;
    if (skb !== null && netifXmitStopped(txq)) {
      // The queue stopped halfway through a list.
      rc = NETDEV_TX_BUSY;
      break;
    }
  }
  core.xmitRc = rc;
  return skb;
}
