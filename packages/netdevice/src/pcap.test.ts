import { describe, expect, test } from 'vitest';
import { ETH_P_IP } from '@knet/include';
import { allocSkb, skbPutData, skbReserve } from '@knet/skbuff';
import { devAddPack } from './dev_rx.js';
import { devQueueXmit } from './dev_xmit.js';
import { ethHeader } from './eth.js';
import { PcapBuffer, PcapWriter, pcapTapAdd, pcapTapRemove } from './pcap.js';
import { MAC_A, MAC_B, bench, frame, inject, ipv4Payload, recorder, testDev } from './test/bench.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('pcap', () => {
  test('the global header is classic little-endian pcap 2.4, snaplen 65535, Ethernet', () => {
    const buf = new PcapBuffer();
    new PcapWriter(buf);
    expect(hex(buf.bytes())).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000');
  });

  test('a record carries the clock time and the frame bytes', () => {
    const buf = new PcapBuffer();
    const w = new PcapWriter(buf);
    w.writeRecord(1234.5, new Uint8Array([1, 2, 3]), 3);
    expect(hex(buf.bytes().subarray(24))).toBe('01000000' + '04940300' + '03000000' + '03000000' + '010203');
  });

  test('a tap writes both received and sent frames from the mac header, then stops when removed', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    devAddPack(net, recorder(ETH_P_IP));
    const buf = new PcapBuffer();
    const w = new PcapWriter(buf);
    const tap = pcapTapAdd(net, dev, w);
    clock.runFor(2500);
    const rx = frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, 4));
    inject(dev, rx);
    clock.runUntilIdle();
    const skb = allocSkb(128);
    skbReserve(skb, 64);
    skbPutData(skb, ipv4Payload(2, 1, 4, 3), 0, 28);
    skb.dev = dev;
    ethHeader(skb, dev, ETH_P_IP, MAC_B, null, 28);
    devQueueXmit(skb);
    expect(w.packets).toBe(2);
    const b = buf.bytes();
    // First record: t = 2.5 s, 42 bytes, and exactly the frame we injected.
    expect(hex(b.subarray(24, 40))).toBe('02000000' + '20a10700' + '2a000000' + '2a000000');
    expect(hex(b.subarray(40, 82))).toBe(hex(rx));
    expect(hex(b.subarray(82 + 16, 82 + 16 + 14))).toBe(hex(MAC_B) + hex(MAC_A) + '0800');
    pcapTapRemove(net, tap);
    inject(dev, rx);
    clock.runUntilIdle();
    expect(w.packets).toBe(2);
  });
});
