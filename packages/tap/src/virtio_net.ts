// include/linux/virtio_net.h: virtio_net_hdr_to_skb and virtio_net_hdr_from_skb, the
// offload metadata that travels with each frame on a TAP fd opened with IFF_VNET_HDR.
import type { SkBuff } from '@knet/include';
import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, EINVAL, SKB_GSO_DODGY, SKB_GSO_TCP_ECN,
  SKB_GSO_TCPV4,
} from '@knet/include';
import {
  VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_LEN, VNET_CSUM_OFFSET,
  VNET_CSUM_START, VNET_FLAGS, VNET_GSO_SIZE, VNET_GSO_TYPE, VNET_HDR_LEN,
} from './if_tun.js';

const le16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
function putLe16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

/**
 * virtio_net_hdr_to_skb: apply the header at `h[o]` to a received frame whose data starts at
 * the mac header. 0, or -EINVAL for a header the stack cannot honour (the caller drops).
 * NEEDS_CSUM becomes CHECKSUM_PARTIAL as in tun (the receive path treats it as verified);
 * DATA_VALID becomes CHECKSUM_UNNECESSARY as in virtio_net's receive_buf.
 */
export function virtioNetHdrToSkb(skb: SkBuff, h: Uint8Array, o: number): number {
  const flags = h[o + VNET_FLAGS]!;
  const vgso = h[o + VNET_GSO_TYPE]!;
  const gsoSize = le16(h, o + VNET_GSO_SIZE);
  let gsoType = 0;
  if (vgso !== VIRTIO_NET_HDR_GSO_NONE) {
    // Only TCPv4 super-frames mean anything to an IPv4 stack.
    if ((vgso & ~VIRTIO_NET_HDR_GSO_ECN) !== VIRTIO_NET_HDR_GSO_TCPV4 || gsoSize === 0) return -EINVAL;
    gsoType = SKB_GSO_TCPV4;
    if ((vgso & VIRTIO_NET_HDR_GSO_ECN) !== 0) gsoType |= SKB_GSO_TCP_ECN;
  }
  const headlen = skb.len - skb.dataLen;
  if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
    // skb_partial_csum_set: the 16-bit field must lie inside the linear part.
    const start = le16(h, o + VNET_CSUM_START);
    const off = le16(h, o + VNET_CSUM_OFFSET);
    if (start >= headlen || start + off + 2 > headlen) return -EINVAL;
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = skb.data + start;
    skb.csumOffset = off;
    skb.transportHeader = skb.data + start;
  } else if ((flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0) {
    skb.ipSummed = CHECKSUM_UNNECESSARY;
  } else {
    skb.ipSummed = CHECKSUM_NONE;
    // A super-frame whose checksum nobody will finish cannot be segmented correctly.
    if (gsoType !== 0) return -EINVAL;
  }
  if (gsoType !== 0) {
    const sh = skb.shinfo;
    sh.gsoSize = gsoSize;
    // Untrusted source: TCP recomputes the segment count (SKB_GSO_DODGY, gso_segs = 0).
    sh.gsoType = gsoType | SKB_GSO_DODGY;
    sh.gsoSegs = 0;
  }
  return 0;
}

/**
 * virtio_net_hdr_from_skb: describe an outgoing frame (data at the mac header) for the
 * kernel. 0, or -EINVAL for a GSO packet whose checksum is not left to the device.
 */
export function virtioNetHdrFromSkb(skb: SkBuff, h: Uint8Array, o: number): number {
  h.fill(0, o, o + VIRTIO_NET_HDR_LEN);
  const sh = skb.shinfo;
  if (sh.gsoSize !== 0) {
    const t = sh.gsoType & ~(SKB_GSO_DODGY | SKB_GSO_TCP_ECN);
    if (t !== SKB_GSO_TCPV4 || skb.ipSummed !== CHECKSUM_PARTIAL || skb.transportHeader < 0) return -EINVAL;
    // hdr_len covers every header up to the TCP payload (data offset in the TCP header).
    const th = skb.transportHeader;
    const doff = (skb.head[th + 12]! >>> 4) * 4;
    putLe16(h, o + VNET_HDR_LEN, th - skb.data + doff);
    putLe16(h, o + VNET_GSO_SIZE, sh.gsoSize);
    h[o + VNET_GSO_TYPE] = VIRTIO_NET_HDR_GSO_TCPV4 | ((sh.gsoType & SKB_GSO_TCP_ECN) !== 0 ? VIRTIO_NET_HDR_GSO_ECN : 0);
  }
  if (skb.ipSummed === CHECKSUM_PARTIAL) {
    h[o + VNET_FLAGS] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    putLe16(h, o + VNET_CSUM_START, skb.csumStart - skb.data);
    putLe16(h, o + VNET_CSUM_OFFSET, skb.csumOffset);
  }
  return 0;
}
