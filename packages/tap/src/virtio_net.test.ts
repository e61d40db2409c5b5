import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, EINVAL, SKB_GSO_DODGY, SKB_GSO_TCP_ECN,
  SKB_GSO_TCPV4,
} from '@knet/include';
import { allocSkb, kfreeSkb, skbAddRxFrag, skbPut, skbReserve } from '@knet/skbuff';
import { describe, expect, it } from 'vitest';
import { VIRTIO_NET_HDR_LEN } from './if_tun.js';
import { virtioNetHdrFromSkb, virtioNetHdrToSkb } from './virtio_net.js';

function frame(linear: number, paged = 0) {
  const skb = allocSkb(2048);
  skbReserve(skb, 64);
  skbPut(skb, linear);
  if (paged > 0) skbAddRxFrag(skb, new Uint8Array(paged), 0, paged, paged);
  return skb;
}

describe('virtioNetHdrToSkb', () => {
  it('NEEDS_CSUM becomes CHECKSUM_PARTIAL at the given start and offset', () => {
    const skb = frame(14 + 20 + 8 + 100);
    // flags=1, gso none, hdr_len 0, gso_size 0, csum_start 34, csum_offset 6 (UDP)
    const h = Uint8Array.of(1, 0, 0, 0, 0, 0, 34, 0, 6, 0);
    expect(virtioNetHdrToSkb(skb, h, 0)).toBe(0);
    expect(skb.ipSummed).toBe(CHECKSUM_PARTIAL);
    expect(skb.csumStart - skb.data).toBe(34);
    expect(skb.csumOffset).toBe(6);
    expect(skb.shinfo.gsoSize).toBe(0);
    kfreeSkb(skb);
  });

  it('DATA_VALID becomes CHECKSUM_UNNECESSARY; no flags stay CHECKSUM_NONE', () => {
    const a = frame(60);
    expect(virtioNetHdrToSkb(a, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0)).toBe(0);
    expect(a.ipSummed).toBe(CHECKSUM_UNNECESSARY);
    const b = frame(60);
    expect(virtioNetHdrToSkb(b, new Uint8Array(10), 0)).toBe(0);
    expect(b.ipSummed).toBe(CHECKSUM_NONE);
    kfreeSkb(a);
    kfreeSkb(b);
  });

  it('a TCPv4 super-frame gets gso fields, marked DODGY with segs left to TCP', () => {
    const skb = frame(1514, 30000);
    // NEEDS_CSUM, TCPV4|ECN, hdr_len 66, gso_size 1448, csum_start 34, csum_offset 16
    const h = Uint8Array.of(1, 0x81, 66, 0, 0xa8, 0x05, 34, 0, 16, 0);
    expect(virtioNetHdrToSkb(skb, h, 0)).toBe(0);
    expect(skb.shinfo.gsoSize).toBe(1448);
    expect(skb.shinfo.gsoType).toBe(SKB_GSO_TCPV4 | SKB_GSO_TCP_ECN | SKB_GSO_DODGY);
    expect(skb.shinfo.gsoSegs).toBe(0);
    expect(skb.ipSummed).toBe(CHECKSUM_PARTIAL);
    kfreeSkb(skb);
  });

  it('refuses what it cannot honour', () => {
    const cases = [
      Uint8Array.of(1, 3, 0, 0, 0xa8, 5, 34, 0, 6, 0), // UFO
      Uint8Array.of(1, 4, 0, 0, 0xa8, 5, 54, 0, 16, 0), // TCPv6
      Uint8Array.of(1, 1, 0, 0, 0, 0, 34, 0, 16, 0), // gso_size 0
      Uint8Array.of(0, 1, 0, 0, 0xa8, 5, 0, 0, 0, 0), // GSO without NEEDS_CSUM
      Uint8Array.of(1, 0, 0, 0, 0, 0, 0xff, 0xff, 6, 0), // csum_start past the linear part
      Uint8Array.of(1, 0, 0, 0, 0, 0, 50, 0, 9, 0), // the field itself past the linear part
    ];
    for (const h of cases) {
      const skb = frame(60);
      expect(virtioNetHdrToSkb(skb, h, 0)).toBe(-EINVAL);
      kfreeSkb(skb);
    }
  });
});

describe('virtioNetHdrFromSkb', () => {
  it('golden bytes for a TSO packet with a partial checksum', () => {
    const skb = frame(14 + 20 + 32 + 1000, 20000);
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.transportHeader = skb.data + 34;
    skb.head[skb.transportHeader + 12] = 8 << 4; // doff 8: 32-byte TCP header
    skb.csumStart = skb.transportHeader;
    skb.csumOffset = 16;
    skb.shinfo.gsoSize = 1448;
    skb.shinfo.gsoType = SKB_GSO_TCPV4 | SKB_GSO_TCP_ECN;
    const h = new Uint8Array(VIRTIO_NET_HDR_LEN + 2).fill(0xee);
    expect(virtioNetHdrFromSkb(skb, h, 1)).toBe(0);
    expect([...h]).toEqual([0xee, 1, 0x81, 66, 0, 0xa8, 0x05, 34, 0, 16, 0, 0xee]);
    kfreeSkb(skb);
  });

  it('an ordinary frame gets an all-zero header; a partial one only the checksum part', () => {
    const skb = frame(60);
    const h = new Uint8Array(10).fill(9);
    expect(virtioNetHdrFromSkb(skb, h, 0)).toBe(0);
    expect([...h]).toEqual(new Array(10).fill(0));
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = skb.data + 34;
    skb.csumOffset = 6;
    expect(virtioNetHdrFromSkb(skb, h, 0)).toBe(0);
    expect([...h]).toEqual([1, 0, 0, 0, 0, 0, 34, 0, 6, 0]);
    kfreeSkb(skb);
  });

  it('refuses a GSO packet whose checksum is not partial', () => {
    const skb = frame(100);
    skb.shinfo.gsoSize = 1000;
    skb.shinfo.gsoType = SKB_GSO_TCPV4;
    skb.transportHeader = skb.data + 34;
    expect(virtioNetHdrFromSkb(skb, new Uint8Array(10), 0)).toBe(-EINVAL);
    kfreeSkb(skb);
  });
});
