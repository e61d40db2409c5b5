// net/core/gro.c and the GSO half of net/core/dev.c (offload_base, dev_gro_receive,
// skb_mac_gso_segment).
import type { NapiStruct, Net, PacketOffload, SkBuff } from '@knet/include';
import {
  EEXIST, ENOENT, GRO_HELD, GRO_MERGED, GRO_MERGED_FREE, GRO_NORMAL, MAX_GRO_SKBS,
  NETIF_F_GRO, NETIF_F_TSO, SKB_DROP_REASON, SKB_GSO_DODGY, SKB_GSO_TCP_ECN, SKB_GSO_TCPV4,
} from '@knet/include';
import { consumeSkb, kfreeSkbReason, skbPull, skbPush } from '@knet/skbuff';
import { netCore } from './core.js';
import { netifReceiveSkb } from './dev_rx.js';
import { traceEvent } from './tracepoint.js';

/** dev_add_offload: 0, or -EEXIST when `off.type` already has callbacks. */
export function devAddOffload(net: Net, off: PacketOffload): number {
  const list = netCore(net).offloads;
  for (const o of list) if (o.type === off.type) return -EEXIST;
  list.push(off);
  return 0;
}

/** dev_remove_offload: 0, or -ENOENT when `off` is not registered. */
export function devRemoveOffload(net: Net, off: PacketOffload): number {
  const list = netCore(net).offloads;
  const i = list.indexOf(off);
  if (i < 0) return -ENOENT;
  list.splice(i, 1);
  return 0;
}

/** gro_find_receive_by_type / gro_find_complete_by_type */
export function findOffload(net: Net, type: number): PacketOffload | null {
  const list = netCore(net).offloads;
  for (let i = 0; i < list.length; i++) if (list[i]!.type === type) return list[i]!;
  return null;
}

/** napi_gro_complete: let L3/L4 fix the merged headers, then send it up. */
function napiGroComplete(skb: SkBuff): void {
  const dev = skb.dev!;
  const off = findOffload(dev.ndNet, skb.protocol);
  if (skb.cb.groCount > 1 && off !== null && off.groComplete !== undefined) {
    if (off.groComplete(skb) < 0) {
      kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
      return;
    }
  }
  skb.cb.groCount = 0;
  skb.cb.groFlush = 0;
  netifReceiveSkb(skb);
}

/** napi_gro_flush: every held packet goes up, oldest first. */
export function napiGroFlush(napi: NapiStruct): void {
  const list = napi.groList;
  if (list.length === 0) return;
  traceEvent(napi.dev.ndNet, 'napiGroFlush');
  for (let i = 0; i < list.length; i++) napiGroComplete(list[i]!);
  list.length = 0;
  napi.groCount = 0;
}

/**
 * napi_gro_receive → dev_gro_receive: offer `skb` to the offload of its protocol, which may
 * merge it into a held packet, hold it, or send it up now. Without an offload the packet
 * goes straight to netifReceiveSkb.
 */
export function napiGroReceive(napi: NapiStruct, skb: SkBuff): number {
  const dev = skb.dev!;
  const net = dev.ndNet;
  traceEvent(net, 'napiGroReceive');
  const off = (dev.features & NETIF_F_GRO) !== 0 ? findOffload(net, skb.protocol) : null;
  if (off === null || off.groReceive === undefined) {
    netifReceiveSkb(skb);
    return GRO_NORMAL;
  }
  const list = napi.groList;
  skb.cb.groCount = 1;
  skb.cb.groFlush = 0;
  const ret = off.groReceive(list, skb);
  // Held packets the offload marked (Linux's `pp`) go up now.
  for (let i = 0; i < list.length; ) {
    const p = list[i]!;
    if (p.cb.groFlush !== 0) {
      list.splice(i, 1);
      napiGroComplete(p);
    } else i++;
  }
  napi.groCount = list.length;
  if (ret === GRO_MERGED) return ret;
  if (ret === GRO_MERGED_FREE) {
    consumeSkb(skb);
    return ret;
  }
  if (ret !== GRO_HELD || skb.cb.groFlush !== 0) {
    skb.cb.groCount = 0;
    netifReceiveSkb(skb);
    return GRO_NORMAL;
  }
  if (list.length >= MAX_GRO_SKBS) {
    // gro_flush_oldest: make room by sending the oldest flow up.
    const old = list.shift()!;
    napiGroComplete(old);
  }
  list.push(skb);
  napi.groCount = list.length;
  return GRO_HELD;
}

/** net_gso_ok / skb_gso_ok: can the device segment this GSO type itself? */
export function skbGsoOk(skb: SkBuff, features: number): boolean {
  const t = skb.shinfo.gsoType & ~(SKB_GSO_DODGY | SKB_GSO_TCP_ECN);
  if (t === SKB_GSO_TCPV4) return (features & NETIF_F_TSO) !== 0;
  return false;
}

/** netif_needs_gso */
export function netifNeedsGso(skb: SkBuff, features: number): boolean {
  return skb.shinfo.gsoSize !== 0 && !skbGsoOk(skb, features);
}

/**
 * __skb_gso_segment → skb_mac_gso_segment: split a GSO packet with the offload of its
 * protocol. Returns the segments linked through `next`, each with data at its mac header,
 * or null on failure (the caller drops the original).
 */
export function skbGsoSegment(skb: SkBuff, features: number): SkBuff | null {
  const dev = skb.dev!;
  const net = dev.ndNet;
  traceEvent(net, 'skbGsoSegment');
  const off = findOffload(net, skb.protocol);
  if (off === null || off.gsoSegment === undefined) return null;
  // Data sits at the mac header here; the network header says where L3 starts (mac_len).
  if (skb.macHeader < 0) skb.macHeader = skb.data;
  const nh = skb.networkHeader;
  const macLen = nh >= skb.macHeader && nh <= skb.tail ? nh - skb.macHeader : dev.hardHeaderLen;
  skb.macLen = macLen;
  if (skbPull(skb, macLen) < 0) return null;
  skb.networkHeader = skb.data;
  const segs = off.gsoSegment(skb, features);
  skbPush(skb, macLen);
  for (let s = segs; s !== null; s = s.next) {
    if (s.macHeader >= 0 && s.macHeader < s.data) skbPush(s, s.data - s.macHeader);
    if (s.dev === null) s.dev = dev;
  }
  return segs;
}
