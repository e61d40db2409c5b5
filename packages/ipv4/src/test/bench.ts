// Hosts on one virtual clock, joined by veth pairs: the IPv4 testbench.
import type { Net, NetDevice } from '@knet/include';
import { SKB_DROP_REASON, inetAton } from '@knet/include';
import { allocSkb, csumFold, csumPartial, putUint16, putUint32, skbPut } from '@knet/skbuff';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { allocNet, devOpen, devSetMtu, ethTypeTrans, netifRx } from '@knet/netdevice';
import { vethNewLink } from '@knet/veth';
import { loopbackInit } from '@knet/loopback';
import { arpInit } from '@knet/neighbour';
import { inetAddrAdd, inetInit, inetDevUp, ipv4ArpHooks, icmpEchoReplyHook, ipRouteAdd, type EchoReply } from '../index.js';

export interface Host {
  net: Net;
  lo: NetDevice;
  replies: EchoReply[];
}

export function host(clock: VirtualClock, name: string): Host {
  const net = allocNet({ name, clock });
  const lo = loopbackInit(net);
  devOpen(lo);
  const neighTable = arpInit(net, ipv4ArpHooks);
  inetInit(net, { neighTable });
  inetDevUp(net, lo);
  const h: Host = { net, lo, replies: [] };
  icmpEchoReplyHook(net, (r) => h.replies.push(r));
  return h;
}

/** A veth pair between two hosts with an address on each end. */
export function link(a: Host, b: Host, nameA: string, addrA: string, nameB: string, addrB: string, mtu?: number): [NetDevice, NetDevice] {
  const [da, db] = vethNewLink(a.net, nameA, nameB, b.net);
  if (mtu !== undefined) {
    devSetMtu(da, mtu);
    devSetMtu(db, mtu);
  }
  devOpen(da);
  devOpen(db);
  expectOk(inetAddrAdd(a.net, da, addrA));
  expectOk(inetAddrAdd(b.net, db, addrB));
  return [da, db];
}

function expectOk(r: number): void {
  if (r !== 0) throw new Error(`setup failed: ${r}`);
}

export const ip = (s: string) => inetAton(s);

/**
 * a (198.18.0.1) — r (198.18.0.254 | 198.18.1.254) — b (198.18.1.1), default routes via r.
 * Forwarding on r is off unless `forward`.
 */
export function threeHosts(opts: { forward?: boolean; mtuRB?: number; seed?: number } = {}) {
  const clock = createVirtualClock({ seed: opts.seed ?? 1 });
  const a = host(clock, 'a');
  const r = host(clock, 'r');
  const b = host(clock, 'b');
  const [aEth, rEth0] = link(a, r, 'eth0', '198.18.0.1/24', 'eth0', '198.18.0.254/24');
  const [rEth1, bEth] = link(r, b, 'eth1', '198.18.1.254/24', 'eth0', '198.18.1.1/24', opts.mtuRB);
  expectOk(ipRouteAdd(a.net, { dst: 'default', gw: '198.18.0.254' }));
  expectOk(ipRouteAdd(b.net, { dst: 'default', gw: '198.18.1.254' }));
  if (opts.forward) r.net.sysctls.get('net.ipv4.ip_forward')!.set(1);
  return { clock, a, r, b, aEth, rEth0, rEth1, bEth };
}

export function drops(net: Net, reason: keyof typeof SKB_DROP_REASON): number {
  return net.dropCounts[SKB_DROP_REASON[reason]] ?? 0;
}

export function mib(net: Net, group: string, name: string): number {
  return net.mibs.get(group)?.[name] ?? 0;
}

/** Receive `l3` (IPv4 bytes) on `dev` as if from the wire, addressed to dev's MAC. */
export function injectIp(dev: NetDevice, l3: Uint8Array, dstMac?: Uint8Array): void {
  const skb = allocSkb(l3.length + 128);
  skb.data = skb.tail = 64;
  const o = skbPut(skb, 14 + l3.length);
  skb.head.set(dstMac ?? dev.devAddr, o);
  skb.head.set([2, 0, 0, 0, 0, 0x99], o + 6);
  skb.head[o + 12] = 0x08;
  skb.head[o + 13] = 0x00;
  skb.head.set(l3, o + 14);
  skb.dev = dev;
  ethTypeTrans(skb, dev);
  netifRx(skb);
}

/** Raw Ethernet frame bytes in on `dev`. */
export function injectFrame(dev: NetDevice, frame: Uint8Array): void {
  const skb = allocSkb(frame.length + 128);
  skb.data = skb.tail = 64;
  const o = skbPut(skb, frame.length);
  skb.head.set(frame, o);
  skb.dev = dev;
  if (frame.length >= 14) ethTypeTrans(skb, dev);
  netifRx(skb);
}

export interface PktSpec {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  id?: number;
  ttl?: number;
  tos?: number;
  /** Flags and offset word (DF/MF | offset in 8-byte units). */
  frag?: number;
  options?: Uint8Array;
}

/** An IPv4 packet with a correct header checksum. */
export function ipPacket(p: PktSpec): Uint8Array {
  const opt = p.options ?? new Uint8Array(0);
  const hl = 20 + opt.length;
  const b = new Uint8Array(hl + p.payload.length);
  b[0] = 0x40 | (hl >> 2);
  b[1] = p.tos ?? 0;
  putUint16(b, 2, b.length);
  putUint16(b, 4, p.id ?? 0x1234);
  putUint16(b, 6, p.frag ?? 0);
  b[8] = p.ttl ?? 64;
  b[9] = p.proto;
  putUint32(b, 12, inetAton(p.src));
  putUint32(b, 16, inetAton(p.dst));
  b.set(opt, 20);
  b.set(p.payload, hl);
  putUint16(b, 10, csumFold(csumPartial(b, 0, hl, 0)));
  return b;
}

/** An ICMP echo request with `len` payload bytes. */
export function icmpEcho(id: number, seq: number, len: number): Uint8Array {
  const b = new Uint8Array(8 + len);
  b[0] = 8;
  putUint16(b, 4, id);
  putUint16(b, 6, seq);
  for (let i = 0; i < len; i++) b[8 + i] = i & 0xff;
  putUint16(b, 2, csumFold(csumPartial(b, 0, b.length, 0)));
  return b;
}

export const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
export const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
