// net/ethernet/eth.c: eth_type_trans, eth_header_ops, ether_setup, and address helpers.
import type { Clock, HeaderOps, Net, NetDevice, SkBuff } from '@knet/include';
import {
  ARPHRD_ETHER, DEFAULT_TX_QUEUE_LEN, ETH_ALEN, ETH_DATA_LEN, ETH_HLEN, ETH_MIN_MTU,
  ETH_P_802_3_MIN, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, IFF_NOARP, PACKET_BROADCAST,
  PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST,
} from '@knet/include';
import { skbPull, skbPush } from '@knet/skbuff';
import { type AllocNetdevOpts, allocNetdev } from './dev.js';

/** ETH_P_802_3 / ETH_P_802_2: what a length field (not a type) in h_proto means. */
export const ETH_P_802_3 = 0x0001, ETH_P_802_2 = 0x0004;

// struct ethhdr field offsets
export const ETH_DEST_OFF = 0, ETH_SOURCE_OFF = 6, ETH_PROTO_OFF = 12;

/** Enough bytes for an Ethernet header; the accessors below assume this passed. */
export function ethHdrChecked(b: Uint8Array, off: number, avail: number): boolean {
  return off >= 0 && avail >= ETH_HLEN && off + ETH_HLEN <= b.length;
}
/** The linear part of `skb` holds a whole Ethernet header at data. */
export function skbEthHdrChecked(skb: SkBuff): boolean {
  return skb.tail - skb.data >= ETH_HLEN;
}

export const ethProto = (b: Uint8Array, o: number): number => (b[o + ETH_PROTO_OFF]! << 8) | b[o + ETH_PROTO_OFF + 1]!;
export function ethSetProto(b: Uint8Array, o: number, v: number): void {
  b[o + ETH_PROTO_OFF] = (v >>> 8) & 0xff;
  b[o + ETH_PROTO_OFF + 1] = v & 0xff;
}
/** A view (no copy) of the destination address. */
export const ethDest = (b: Uint8Array, o: number): Uint8Array => b.subarray(o + ETH_DEST_OFF, o + ETH_DEST_OFF + ETH_ALEN);
export const ethSource = (b: Uint8Array, o: number): Uint8Array => b.subarray(o + ETH_SOURCE_OFF, o + ETH_SOURCE_OFF + ETH_ALEN);
export function ethSetDest(b: Uint8Array, o: number, addr: Uint8Array): void {
  for (let i = 0; i < ETH_ALEN; i++) b[o + ETH_DEST_OFF + i] = addr[i]!;
}
export function ethSetSource(b: Uint8Array, o: number, addr: Uint8Array): void {
  for (let i = 0; i < ETH_ALEN; i++) b[o + ETH_SOURCE_OFF + i] = addr[i]!;
}
/** Copy the source address into `to` (header_ops->parse). */
export function ethCopySource(b: Uint8Array, o: number, to: Uint8Array): void {
  for (let i = 0; i < ETH_ALEN; i++) to[i] = b[o + ETH_SOURCE_OFF + i]!;
}

/** ether_addr_equal over two byte ranges. */
export function etherAddrEqualAt(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < ETH_ALEN; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
export function etherAddrEqual(a: Uint8Array, b: Uint8Array): boolean {
  return etherAddrEqualAt(a, 0, b, 0);
}
export function isZeroEtherAddr(a: Uint8Array): boolean {
  for (let i = 0; i < ETH_ALEN; i++) if (a[i] !== 0) return false;
  return true;
}
export function isMulticastEtherAddr(a: Uint8Array, off = 0): boolean {
  return (a[off]! & 1) !== 0;
}
export function isBroadcastEtherAddr(a: Uint8Array, off = 0): boolean {
  for (let i = 0; i < ETH_ALEN; i++) if (a[off + i] !== 0xff) return false;
  return true;
}
/** is_valid_ether_addr: not multicast (so not broadcast) and not all zeros. */
export function isValidEtherAddr(a: Uint8Array): boolean {
  return a.length >= ETH_ALEN && !isMulticastEtherAddr(a) && !isZeroEtherAddr(a);
}

/** '02:00:5e:10:00:01' → bytes; null when malformed. */
export function ethAddrFromString(s: string): Uint8Array | null {
  const parts = s.split(/[:-]/);
  if (parts.length !== ETH_ALEN) return null;
  const a = new Uint8Array(ETH_ALEN);
  for (let i = 0; i < ETH_ALEN; i++) {
    const p = parts[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    a[i] = parseInt(p, 16);
  }
  return a;
}

export function ethAddrToString(a: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < ETH_ALEN; i++) s += (i ? ':' : '') + a[off + i]!.toString(16).padStart(2, '0');
  return s;
}

/** eth_random_addr: unicast, locally administered, from the clock's (seeded) random. */
export function ethRandomAddr(clock: Clock): Uint8Array {
  const a = new Uint8Array(ETH_ALEN);
  for (let i = 0; i < ETH_ALEN; i++) a[i] = Math.floor(clock.random() * 256) & 0xff;
  a[0] = (a[0]! & 0xfe) | 0x02;
  return a;
}

/** eth_hw_addr_random */
export function ethHwAddrRandom(dev: NetDevice): void {
  dev.devAddr.set(ethRandomAddr(dev.ndNet.clock));
}

/**
 * eth_type_trans: mark the mac header, pull it, classify the destination, and return (and
 * set) the protocol. The caller has checked the frame holds ETH_HLEN bytes.
 */
export function ethTypeTrans(skb: SkBuff, dev: NetDevice): number {
  skb.dev = dev;
  const b = skb.head;
  const o = skb.data;
  skb.macHeader = o;
  skb.macLen = ETH_HLEN;
  skbPull(skb, ETH_HLEN);
  if ((b[o]! & 1) !== 0) skb.pktType = isBroadcastEtherAddr(b, o) ? PACKET_BROADCAST : PACKET_MULTICAST;
  else if (!etherAddrEqualAt(b, o, dev.devAddr, 0)) skb.pktType = PACKET_OTHERHOST;
  else skb.pktType = PACKET_HOST;
  let proto = ethProto(b, o);
  if (proto < ETH_P_802_3_MIN) {
    // A length field: raw 802.3 (Novell's 0xffff) or 802.2 LLC.
    proto = skb.tail - skb.data >= 2 && b[skb.data] === 0xff && b[skb.data + 1] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
  }
  skb.protocol = proto;
  return proto;
}

/**
 * eth_header: push the 14-byte header. No destination means broadcast, except on loopback
 * and NOARP devices, which get zeros as in Linux.
 */
export function ethHeader(skb: SkBuff, dev: NetDevice, type: number, daddr: Uint8Array | null, saddr: Uint8Array | null, len: number): number {
  const o = skbPush(skb, ETH_HLEN);
  const b = skb.head;
  ethSetProto(b, o, type !== ETH_P_802_3 && type !== ETH_P_802_2 ? type : len);
  ethSetSource(b, o, saddr ?? dev.devAddr);
  if (daddr !== null) ethSetDest(b, o, daddr);
  else if ((dev.flags & (IFF_LOOPBACK | IFF_NOARP)) !== 0) b.fill(0, o, o + ETH_ALEN);
  else ethSetDest(b, o, dev.broadcast);
  return ETH_HLEN;
}

/** eth_header_parse: the sender's address of a received frame. */
export function ethHeaderParse(skb: SkBuff, haddr: Uint8Array): number {
  if (skb.macHeader < 0) return 0;
  ethCopySource(skb.head, skb.macHeader, haddr);
  return ETH_ALEN;
}

export const ethHeaderOps: HeaderOps = Object.freeze({ name: 'eth', create: ethHeader, parse: ethHeaderParse });

/** ether_setup */
export function etherSetup(dev: NetDevice): void {
  dev.type = ARPHRD_ETHER;
  dev.headerOps = ethHeaderOps;
  dev.hardHeaderLen = ETH_HLEN;
  dev.mtu = ETH_DATA_LEN;
  dev.minMtu = ETH_MIN_MTU;
  dev.maxMtu = ETH_DATA_LEN;
  dev.addrLen = ETH_ALEN;
  dev.txQueueLen = DEFAULT_TX_QUEUE_LEN;
  dev.flags = IFF_BROADCAST | IFF_MULTICAST;
  dev.broadcast.fill(0xff);
}

/** alloc_etherdev_mqs: an Ethernet device named after `name` (default eth%d). */
export function allocEtherdev(net: Net, name = 'eth%d', opts?: AllocNetdevOpts): NetDevice {
  return allocNetdev(net, name, etherSetup, opts);
}
