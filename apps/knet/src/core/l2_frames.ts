// Raw Ethernet frames of the IEEE 802 local experimental EtherType between two lab hosts, and
// the ptype_base handlers that reflect and count them, as RFC 2544 test gear does. The IP
// stacks never see them: this exercises the driver and the core alone.
import type { PacketType, SkBuff } from '@knet/include';
import { ETH_ALEN, ETH_HLEN, NET_RX_SUCCESS } from '@knet/include';
import { devAddPack, devQueueXmit, devRemovePack } from '@knet/netdevice';
import { allocSkb, consumeSkb, putUint16, putUint32, skbPush, skbPut, skbReserve, skbUnshare } from '@knet/skbuff';
import type { LabHost } from './lab.js';

/** ETH_P_802_EX1: local experimental EtherType 1. */
export const ETH_P_802_EX1 = 0x88b5;
/** The Ethernet header and a 4-byte sequence number. */
export const L2_FRAME_MIN = ETH_HLEN + 4;

/** One `len`-byte frame from `from` to `to`, data at the link header, ready for devQueueXmit. */
export function l2FrameSkb(from: LabHost, to: LabHost, len: number, seq: number): SkBuff {
  if (len < L2_FRAME_MIN) throw new RangeError(`a frame needs at least ${L2_FRAME_MIN} bytes`);
  const skb = allocSkb(len + 64);
  skbReserve(skb, 64);
  const off = skbPut(skb, len);
  const b = skb.head;
  b.set(to.dev.devAddr.subarray(0, ETH_ALEN), off);
  b.set(from.dev.devAddr.subarray(0, ETH_ALEN), off + ETH_ALEN);
  putUint16(b, off + 12, ETH_P_802_EX1);
  putUint32(b, off + ETH_HLEN, seq);
  for (let i = off + L2_FRAME_MIN; i < off + len; i++) b[i] = (i + seq) & 0xff;
  skb.macHeader = off;
  skb.networkHeader = off + ETH_HLEN;
  skb.dev = from.dev;
  skb.protocol = ETH_P_802_EX1;
  return skb;
}

export interface FrameCounter {
  frames: number;
  bytes: number;
}

function count(c: FrameCounter, skb: SkBuff): void {
  c.frames++;
  // skb.len starts after the link header that eth_type_trans pulled.
  c.bytes += skb.len + (skb.data - skb.macHeader);
}

/** On `host`, send every experimental frame back where it came from. */
export function addReflector(host: LabHost): { counter: FrameCounter; remove(): void } {
  const counter: FrameCounter = { frames: 0, bytes: 0 };
  const pt: PacketType = {
    name: 'reflector',
    type: ETH_P_802_EX1,
    dev: host.dev,
    func(rx: SkBuff) {
      count(counter, rx);
      // A tap may share this buffer; write only to our own copy.
      const skb = skbUnshare(rx);
      const b = skb.head;
      const m = skb.macHeader;
      for (let i = 0; i < ETH_ALEN; i++) {
        const t = b[m + i]!;
        b[m + i] = b[m + ETH_ALEN + i]!;
        b[m + ETH_ALEN + i] = t;
      }
      skbPush(skb, skb.data - m);
      skb.dev = host.dev;
      devQueueXmit(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(host.net, pt);
  return { counter, remove: () => devRemovePack(host.net, pt) };
}

/** On `host`, count and free every experimental frame. */
export function addCounter(host: LabHost): { counter: FrameCounter; remove(): void } {
  const counter: FrameCounter = { frames: 0, bytes: 0 };
  const pt: PacketType = {
    name: 'counter',
    type: ETH_P_802_EX1,
    dev: host.dev,
    func(skb: SkBuff) {
      count(counter, skb);
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(host.net, pt);
  return { counter, remove: () => devRemovePack(host.net, pt) };
}
