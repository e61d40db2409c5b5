// net/ipv4/tcp_offload.c: GRO (merge in-order segments of one flow) and GSO (split a TSO skb
// into MSS-sized segments with the right sequence numbers, flags and checksums).
import type { NetOffload, SkBuff } from '@knet/include';
import {
  TCPHDR_CWR, TCPHDR_FIN, TCPHDR_PSH, TCPHDR_RST, TCPHDR_SYN, TCPHDR_URG, CHECKSUM_UNNECESSARY, CHECKSUM_PARTIAL,
  CHECKSUM_COMPLETE, CHECKSUM_NONE, IPPROTO_TCP, NETIF_F_HW_CSUM, NETIF_F_IP_CSUM, SKB_GSO_TCPV4, MAX_TCP_HEADER,
} from '@knet/include';
import { allocSkb, skbReserve, skbPut, pskbExpandHead, skbTailroom, consumeSkb, csumPartial, csumTcpudpMagic, skbCopyBits, ipFastCsum } from '@knet/skbuff';
import { tcpHdrLen, tcpFlags, tcpSeq, tcpSetSeq, tcpSetFlags, tcpSetCheck, TCP_CSUM_OFFSET } from './tcp_hdr.js';

const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

function payloadLen(skb: SkBuff): number {
  return skb.tail - skb.transportHeader - tcpHdrLen(skb.head, skb.transportHeader);
}

function sameFlow(p: SkBuff, skb: SkBuff): boolean {
  const a = p.head, b = skb.head;
  const ni = p.networkHeader, nj = skb.networkHeader, ti = p.transportHeader, tj = skb.transportHeader;
  return u32(a, ni + 12) === u32(b, nj + 12) && u32(a, ni + 16) === u32(b, nj + 16) && u32(a, ti) === u32(b, tj);
}

function csumOk(skb: SkBuff): boolean {
  if (skb.ipSummed === CHECKSUM_UNNECESSARY) return true;
  const b = skb.head, th = skb.transportHeader, iph = skb.networkHeader;
  const len = skb.tail - th;
  const sum = skb.ipSummed === CHECKSUM_COMPLETE ? skb.csum : csumPartial(b, th, len, 0);
  return csumTcpudpMagic(u32(b, iph + 12), u32(b, iph + 16), len, IPPROTO_TCP, sum) === 0;
}

/** Options equal except the TSval (RFC 7323 timestamps tick between segments of a burst). */
function optionsMatch(a: Uint8Array, ta: number, b: Uint8Array, tb: number, len: number): boolean {
  let i = 20;
  while (i < len) {
    const kind = a[ta + i];
    if (kind !== b[tb + i]) return false;
    if (kind === 8 && i + 10 <= len && a[ta + i + 1] === 10) {
      if (u32(a, ta + i + 6) !== u32(b, tb + i + 6)) return false; // TSecr must match
      i += 10;
      continue;
    }
    i++;
  }
  return true;
}

/**
 * tcp4_gro_receive. On a merge the payload of `skb` is appended to the held packet, whose index
 * is returned; the caller frees `skb`. -1: hold skb as a new flow; -2: deliver at once (a held
 * packet of the same flow is marked to go up first).
 */
function tcp4GroReceive(held: SkBuff[], skb: SkBuff): number {
  const b = skb.head, th = skb.transportHeader;
  if (th < 0 || skb.tail - th < 20) return -2;
  const flags = tcpFlags(b, th);
  const thlen = tcpHdrLen(b, th);
  if (thlen < 20 || skb.tail - th < thlen || skb.dataLen) return -2;
  const len = payloadLen(skb);
  for (let i = 0; i < held.length; i++) {
    const p = held[i];
    if (p.transportHeader < 0 || !sameFlow(p, skb)) continue;
    const pb = p.head, pt = p.transportHeader;
    const pflags = tcpFlags(pb, pt);
    let flush = p.cb.groFlush !== 0 || (flags & TCPHDR_CWR) !== 0 || ((flags ^ pflags) & ~(TCPHDR_CWR | TCPHDR_FIN | TCPHDR_PSH)) !== 0;
    flush = flush || u32(pb, pt + 8) !== u32(b, th + 8) || tcpHdrLen(pb, pt) !== thlen || !optionsMatch(pb, pt, b, th, thlen);
    const mss = p.shinfo.gsoSize || payloadLen(p);
    const plen = p.tail - pt - thlen;
    flush = flush || len === 0 || len > mss || ((tcpSeq(pb, pt) + plen) >>> 0) !== tcpSeq(b, th);
    flush = flush || plen + len > 65535 - 60 || !csumOk(skb) || !csumOk(p) || (pflags & (TCPHDR_PSH | TCPHDR_FIN)) !== 0;
    // The held train goes up before this segment, so the receiver sees them in order.
    if (flush || (skbTailroom(p) < len && pskbExpandHead(p, 0, len + 2048 - skbTailroom(p)) !== 0)) {
      p.cb.groFlush = 1;
      return -2;
    }
    const dst = skbPut(p, len);
    p.head.set(b.subarray(th + thlen, th + thlen + len), dst);
    // PSH (and the window/ack of the newest segment) carry over to the merged header.
    tcpSetFlags(p.head, p.transportHeader, pflags | (flags & TCPHDR_PSH));
    p.head.set(b.subarray(th + 14, th + 16), p.transportHeader + 14);
    p.shinfo.gsoSize = mss;
    p.shinfo.gsoSegs = (p.shinfo.gsoSegs || 1) + 1;
    p.shinfo.gsoType = SKB_GSO_TCPV4;
    p.ipSummed = CHECKSUM_UNNECESSARY;
    // A short segment or one of the closing flags ends the train.
    if (len < mss || (flags & (TCPHDR_URG | TCPHDR_PSH | TCPHDR_RST | TCPHDR_SYN | TCPHDR_FIN))) p.cb.groFlush = 1;
    // The caller frees `skb` (GRO_MERGED_FREE) and counts the merge.
    return i;
  }
  if (flags & (TCPHDR_URG | TCPHDR_PSH | TCPHDR_RST | TCPHDR_SYN | TCPHDR_FIN) || len === 0) return -2;
  return -1;
}

/** tcp4_gro_complete: the merged packet is delivered as one checksum-verified segment train. */
function tcp4GroComplete(skb: SkBuff): void {
  // inet_gro_complete has already fixed the IP total length and header checksum.
  skb.ipSummed = CHECKSUM_UNNECESSARY;
  const iph = skb.networkHeader, th = skb.transportHeader;
  if ((skb.shinfo.gsoSegs || 1) > 1 && iph >= 0 && th >= 0) {
    // tcp_gro_complete: a merged train leaves as CHECKSUM_PARTIAL with the pseudo-header sum
    // in th->check, so a forwarding host can hand it to TSO or software GSO unchanged.
    skb.shinfo.gsoType = SKB_GSO_TCPV4;
    const pseudo = ~csumTcpudpMagic(u32(skb.head, iph + 12), u32(skb.head, iph + 16), skb.tail - th, IPPROTO_TCP, 0) & 0xffff;
    skb.head[th + 16] = pseudo >>> 8;
    skb.head[th + 17] = pseudo & 0xff;
    skb.csumStart = th;
    skb.csumOffset = 16;
    skb.ipSummed = CHECKSUM_PARTIAL;
  }
}

/**
 * tcp4_gso_segment: split a GSO skb (network and transport headers set, data at the IP
 * header) into gso_size segments linked through `next`. The original is left to the caller.
 */
function tcp4GsoSegment(skb: SkBuff, features: number): SkBuff | null {
  const b = skb.head;
  const iph = skb.networkHeader, th = skb.transportHeader;
  if (iph < 0 || th < 0) return null;
  const thlen = tcpHdrLen(b, th);
  const hdrs = th + thlen - iph;
  const mss = skb.shinfo.gsoSize;
  const total = skb.len - (th + thlen - skb.data);
  if (mss <= 0 || total <= 0) return null;
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  const ihl = (b[iph] & 0xf) * 4;
  let id = u16(b, iph + 4);
  const flags0 = tcpFlags(b, th);
  let seq = tcpSeq(b, th);
  // skb_segment copies the link-layer header too: each segment leaves with the frame's
  // mac header in front of its IP header (the caller pushes data back to it).
  const mac = skb.macHeader >= 0 && skb.macHeader <= iph ? skb.macHeader : iph;
  const macLen = iph - mac;
  const headroom = Math.min(mac, MAX_TCP_HEADER);
  let first: SkBuff | null = null, last: SkBuff | null = null;
  for (let off = 0; off < total; off += mss) {
    const len = Math.min(mss, total - off);
    const seg = allocSkb(headroom + macLen + hdrs + len);
    skbReserve(seg, headroom + macLen);
    const start = skbPut(seg, hdrs + len);
    if (macLen > 0) seg.head.set(b.subarray(mac, iph), start - macLen);
    seg.head.set(b.subarray(iph, iph + hdrs), start);
    skbCopyBits(skb, th + thlen - skb.data + off, seg.head, start + hdrs, len);
    seg.networkHeader = start;
    seg.transportHeader = start + ihl;
    seg.macHeader = macLen > 0 ? start - macLen : -1;
    seg.macLen = macLen;
    // __copy_skb_header: the segments stay on the TX queue netdev_pick_tx chose, or a
    // later single-segment skb of the flow could overtake them on another ring.
    seg.queueMapping = skb.queueMapping;
    seg.hash = skb.hash;
    seg.protocol = skb.protocol;
    seg.priority = skb.priority;
    seg.mark = skb.mark;
    seg.dev = skb.dev;
    seg.dst = skb.dst;
    const sb = seg.head, st = seg.transportHeader;
    const isLast = off + len >= total;
    let f = flags0;
    if (off > 0) f &= ~TCPHDR_CWR;
    if (!isLast) f &= ~(TCPHDR_FIN | TCPHDR_PSH);
    tcpSetFlags(sb, st, f);
    tcpSetSeq(sb, st, seq);
    seq = (seq + len) >>> 0;
    // IP header of the segment (inet_gso_segment's part).
    const tot = hdrs + len;
    sb[start + 2] = tot >>> 8;
    sb[start + 3] = tot & 0xff;
    sb[start + 4] = id >>> 8;
    sb[start + 5] = id & 0xff;
    id = (id + 1) & 0xffff;
    sb[start + 10] = sb[start + 11] = 0;
    const ic = ipFastCsum(sb, start, ihl >> 2);
    sb[start + 10] = ic >>> 8;
    sb[start + 11] = ic & 0xff;
    const tl = thlen + len;
    tcpSetCheck(sb, st, 0);
    if (features & (NETIF_F_HW_CSUM | NETIF_F_IP_CSUM)) {
      seg.ipSummed = CHECKSUM_PARTIAL;
      seg.csumStart = st;
      seg.csumOffset = TCP_CSUM_OFFSET;
      tcpSetCheck(sb, st, ~csumTcpudpMagic(saddr, daddr, tl, IPPROTO_TCP, 0) & 0xffff);
    } else {
      seg.ipSummed = CHECKSUM_NONE;
      tcpSetCheck(sb, st, csumTcpudpMagic(saddr, daddr, tl, IPPROTO_TCP, csumPartial(sb, st, tl, 0)));
    }
    if (last === null) first = seg;
    else last.next = seg;
    last = seg;
  }
  return first;
}

export const tcpv4Offload: NetOffload = Object.freeze({
  name: 'tcpv4',
  groReceive: tcp4GroReceive,
  groComplete: tcp4GroComplete,
  gsoSegment: tcp4GsoSegment,
});
