import { describe, expect, test } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import {
  ETH_HLEN, ETH_P_ARP, ETH_P_IP, PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST,
} from '@knet/include';
import { allocSkb, kfreeSkb, netdevAllocSkb, skbPutData, skbReserve } from '@knet/skbuff';
import {
  ETH_P_802_2, ETH_P_802_3, ethAddrFromString, ethAddrToString, ethHdrChecked, ethHeader,
  ethHeaderOps, ethProto, ethRandomAddr, ethSource, ethTypeTrans, isBroadcastEtherAddr,
  isMulticastEtherAddr, isValidEtherAddr,
} from './eth.js';
import { bench, testDev } from './test/bench.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

// Golden frames: dst, src, type, then the start of a payload.
const TO_US = hex('02000000000a 02000000000b 0800 4500');
const BCAST_ARP = hex('ffffffffffff 02000000000b 0806 0001');
const MCAST = hex('01005e000001 02000000000b 0800 4500');
const OTHER = hex('02000000000c 02000000000b 0800 4500');
const LLC = hex('02000000000a 02000000000b 0026 4242');
const RAW8023 = hex('02000000000a 02000000000b 0026 ffff');

describe('eth_type_trans', () => {
  test.each([
    ['to us', TO_US, PACKET_HOST, ETH_P_IP],
    ['broadcast', BCAST_ARP, PACKET_BROADCAST, ETH_P_ARP],
    ['multicast', MCAST, PACKET_MULTICAST, ETH_P_IP],
    ['other host', OTHER, PACKET_OTHERHOST, ETH_P_IP],
    ['802.2 length field', LLC, PACKET_HOST, ETH_P_802_2],
    ['raw 802.3', RAW8023, PACKET_HOST, ETH_P_802_3],
  ])('%s', (_name, bytes, pktType, proto) => {
    const { net } = bench();
    const dev = testDev(net);
    const skb = netdevAllocSkb(dev, bytes.length);
    skbPutData(skb, bytes, 0, bytes.length);
    const start = skb.data;
    expect(ethTypeTrans(skb, dev)).toBe(proto);
    expect(skb.protocol).toBe(proto);
    expect(skb.pktType).toBe(pktType);
    expect(skb.macHeader).toBe(start);
    expect(skb.data).toBe(start + ETH_HLEN);
    expect(skb.len).toBe(bytes.length - ETH_HLEN);
    expect(ethAddrToString(ethSource(skb.head, skb.macHeader))).toBe('02:00:00:00:00:0b');
    kfreeSkb(skb);
  });

  test('a short frame fails the header check', () => {
    expect(ethHdrChecked(new Uint8Array(13), 0, 13)).toBe(false);
    expect(ethHdrChecked(new Uint8Array(14), 0, 14)).toBe(true);
  });
});

describe('eth_header', () => {
  test('pushes dst, src, type; no destination is broadcast', () => {
    const { net } = bench();
    const dev = testDev(net);
    const skb = allocSkb(64);
    skbReserve(skb, 32);
    skbPutData(skb, hex('4500'), 0, 2);
    expect(ethHeaderOps.create(skb, dev, ETH_P_IP, null, null, 2)).toBe(ETH_HLEN);
    expect(Array.from(skb.head.subarray(skb.data, skb.tail))).toEqual(Array.from(hex('ffffffffffff 02000000000a 0800 4500')));
    const skb2 = allocSkb(64);
    skbReserve(skb2, 32);
    ethHeader(skb2, dev, ETH_P_ARP, hex('020000000001'), null, 0);
    expect(ethProto(skb2.head, skb2.data)).toBe(ETH_P_ARP);
    const h = new Uint8Array(6);
    skb2.macHeader = skb2.data;
    expect(ethHeaderOps.parse!(skb2, h)).toBe(6);
    expect(ethAddrToString(h)).toBe('02:00:00:00:00:0a');
    kfreeSkb(skb);
    kfreeSkb(skb2);
  });
});

describe('addresses', () => {
  test('parse, print and classify', () => {
    const a = ethAddrFromString('02:00:5E:10:00:01')!;
    expect(ethAddrToString(a)).toBe('02:00:5e:10:00:01');
    expect(ethAddrFromString('02:00:5e:10:00')).toBeNull();
    expect(ethAddrFromString('02:00:5e:10:00:zz')).toBeNull();
    expect(isValidEtherAddr(a)).toBe(true);
    expect(isMulticastEtherAddr(hex('01005e000001'))).toBe(true);
    expect(isBroadcastEtherAddr(hex('ffffffffffff'))).toBe(true);
    expect(isValidEtherAddr(hex('000000000000'))).toBe(false);
    expect(isValidEtherAddr(hex('ffffffffffff'))).toBe(false);
  });

  test('random addresses are valid, locally administered, and the same for the same seed', () => {
    const a = ethRandomAddr(bench(1, 7).net.clock);
    const b = ethRandomAddr(bench(1, 7).net.clock);
    expect(a).toEqual(b);
    expect(isValidEtherAddr(a)).toBe(true);
    expect(a[0]! & 2).toBe(2);
  });

  fcTest.prop([fc.uint8Array({ minLength: 14, maxLength: 200 })])('eth_type_trans takes any frame of at least 14 bytes', (bytes) => {
    const { net } = bench();
    const dev = testDev(net);
    const skb = netdevAllocSkb(dev, bytes.length);
    skbPutData(skb, bytes, 0, bytes.length);
    const proto = ethTypeTrans(skb, dev);
    expect(proto).toBeGreaterThanOrEqual(1);
    expect(skb.len).toBe(bytes.length - ETH_HLEN);
    kfreeSkb(skb);
  });
});
