// Ethernet/IPv4/UDP frames between two lab hosts with every checksum complete, and the
// ptype_base handlers that answer and count them: a test-set reflector, as RFC 2544 gear uses.
import type { PacketType, SkBuff } from '@knet/include';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_ALEN, ETH_HLEN, ETH_P_IP, IPPROTO_UDP, NET_RX_SUCCESS } from '@knet/include';
import { devAddPack, devQueueXmit } from '@knet/netdevice';
import {
  allocSkb, consumeSkb, csumFold, csumPartial, csumTcpudpMagic, putUint16, putUint32, skbPush, skbPut,
  skbReserve, skbUnshare,
} from '@knet/skbuff';
import type { IgbHost } from './igb_lab.js';

/** Ethernet + IPv4 + UDP headers. */
export const UDP_FRAME_OVERHEAD = ETH_HLEN + 20 + 8;
/** The discard port (RFC 863): frames to it mean nothing to anyone. */
export const DISCARD_PORT = 9;

/**
 * An skb holding one `len`-byte frame from `from` to `to`, as the IP layer would hand it to
 * devQueueXmit: data at the link header, checksums filled in (CHECKSUM_NONE).
 */
export function udpFrameSkb(from: IgbHost, to: IgbHost, len: number, sport: number, id: number): SkBuff {
  if (len < UDP_FRAME_OVERHEAD) throw new RangeError(`a UDP frame needs at least ${UDP_FRAME_OVERHEAD} bytes`);
  const skb = allocSkb(len + 64);
  skbReserve(skb, 64);
  const off = skbPut(skb, len);
  const b = skb.head;
  b.set(to.dev.devAddr.subarray(0, ETH_ALEN), off);
  b.set(from.dev.devAddr.subarray(0, ETH_ALEN), off + ETH_ALEN);
  putUint16(b, off + 12, ETH_P_IP);
  const ip = off + ETH_HLEN;
  const udpLen = len - ETH_HLEN - 20;
  b[ip] = 0x45;
  b[ip + 1] = 0;
  putUint16(b, ip + 2, 20 + udpLen);
  putUint16(b, ip + 4, id & 0xffff);
  putUint16(b, ip + 6, 0x4000); // DF
  b[ip + 8] = 64;
  b[ip + 9] = IPPROTO_UDP;
  putUint16(b, ip + 10, 0);
  putUint32(b, ip + 12, from.addr);
  putUint32(b, ip + 16, to.addr);
  putUint16(b, ip + 10, csumFold(csumPartial(b, ip, 20, 0)));
  const udp = ip + 20;
  putUint16(b, udp, sport);
  putUint16(b, udp + 2, DISCARD_PORT);
  putUint16(b, udp + 4, udpLen);
  putUint16(b, udp + 6, 0);
  for (let i = udp + 8; i < off + len; i++) b[i] = (i - udp + id) & 0xff;
  const c = csumTcpudpMagic(from.addr, to.addr, udpLen, IPPROTO_UDP, csumPartial(b, udp, udpLen, 0));
  putUint16(b, udp + 6, c === 0 ? 0xffff : c); // 0 means "no checksum" in UDP
  skb.macHeader = off;
  skb.networkHeader = ip;
  skb.transportHeader = udp;
  skb.dev = from.dev;
  skb.protocol = ETH_P_IP;
  skb.ipSummed = CHECKSUM_NONE;
  return skb;
}

export interface FrameCounter {
  frames: number;
  bytes: number;
  /** Frames whose IP and UDP checksums the NIC verified (CHECKSUM_UNNECESSARY). */
  csumVerified: number;
}

function count(c: FrameCounter, skb: SkBuff): void {
  c.frames++;
  // skb.len starts at the IP header once eth_type_trans has pulled the link header.
  c.bytes += skb.len + (skb.data - skb.macHeader);
  if (skb.ipSummed === CHECKSUM_UNNECESSARY) c.csumVerified++;
}

/**
 * On `host`, turn every IPv4 frame around: swap the MAC, IP and port pairs and send it back.
 * Swapping leaves both checksums valid (one's-complement sums commute), so nothing is recomputed.
 */
export function addReflector(host: IgbHost): FrameCounter {
  const c: FrameCounter = { frames: 0, bytes: 0, csumVerified: 0 };
  const pt: PacketType = {
    name: 'reflector',
    type: ETH_P_IP,
    dev: host.dev,
    func(rx: SkBuff) {
      count(c, rx);
      // A tap may share this buffer; write only to our own copy.
      const skb = skbUnshare(rx);
      const b = skb.head;
      const m = skb.macHeader;
      swap(b, m, m + ETH_ALEN, ETH_ALEN);
      const ip = skb.data;
      swap(b, ip + 12, ip + 16, 4);
      swap(b, ip + 20, ip + 22, 2);
      skbPush(skb, skb.data - m);
      skb.dev = host.dev;
      skb.ipSummed = CHECKSUM_NONE;
      devQueueXmit(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(host.net, pt);
  return c;
}

/** On `host`, count and free every IPv4 frame. */
export function addCounter(host: IgbHost): FrameCounter {
  const c: FrameCounter = { frames: 0, bytes: 0, csumVerified: 0 };
  devAddPack(host.net, {
    name: 'counter',
    type: ETH_P_IP,
    dev: host.dev,
    func(skb: SkBuff) {
      count(c, skb);
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  });
  return c;
}

function swap(b: Uint8Array, x: number, y: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const t = b[x + i]!;
    b[x + i] = b[y + i]!;
    b[y + i] = t;
  }
}
