import { describe, expect, test } from 'vitest';
import type { NapiStruct, PacketType, SkBuff } from '@knet/include';
import {
  ETH_P_ALL, ETH_P_ARP, ETH_P_IP, NET_RX_SUCCESS, PACKET_BROADCAST, PACKET_HOST, PACKET_OUTGOING,
  SKB_DROP_REASON,
} from '@knet/include';
import { consumeSkb } from '@knet/skbuff';
import { irqEnter, irqExit } from '@knet/softirq';
import { netifSetRpsCpus } from './dev.js';
import { devAddPack, devRemovePack, netifReceiveSkb } from './dev_rx.js';
import { devQueueXmit } from './dev_xmit.js';
import { dropCountsByName } from './drop.js';
import { ethHeader } from './eth.js';
import { napiCompleteDone, napiEnable, napiSchedule, netifNapiAdd } from './napi.js';
import { TraceRecorder, traceOn } from './tracepoint.js';
import { allocSkb, skbPutData, skbReserve } from '@knet/skbuff';
import { MAC_A, MAC_B, bench, frame, inject, ipv4Payload, recorder, rxSkb, testDev } from './test/bench.js';

const BCAST = new Uint8Array(6).fill(0xff);

describe('__netif_receive_skb_core dispatch', () => {
  test('ptype_base handlers get packets by protocol; a device-bound one only its own device', () => {
    const { net, clock } = bench();
    const eth0 = testDev(net);
    const eth1 = testDev(net);
    const ip = recorder(ETH_P_IP);
    const arp1 = recorder(ETH_P_ARP, eth1);
    devAddPack(net, ip);
    devAddPack(net, arp1);
    inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, 4)));
    inject(eth0, frame(BCAST, MAC_B, ETH_P_ARP, new Uint8Array(28)));
    inject(eth1, frame(BCAST, MAC_B, ETH_P_ARP, new Uint8Array(28)));
    clock.runUntilIdle();
    expect(ip.got).toEqual([{ len: 28, cpu: 0, pktType: PACKET_HOST, dev: 'eth0' }]);
    expect(arp1.got).toEqual([{ len: 28, cpu: 0, pktType: PACKET_BROADCAST, dev: 'eth1' }]);
    // The ARP frame on eth0 had no handler.
    expect(dropCountsByName(net)).toEqual({ UNHANDLED_PROTO: 1 });
    expect(eth0.stats.rxDropped).toBe(1);
    expect(eth0.stats.rxPackets).toBe(2);
  });

  test('two handlers for one type both get the packet', () => {
    const { net, clock } = bench();
    const eth0 = testDev(net);
    const a = recorder(ETH_P_IP);
    const b = recorder(ETH_P_IP);
    devAddPack(net, a);
    devAddPack(net, b);
    inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, 4)));
    clock.runUntilIdle();
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(1);
    devRemovePack(net, a);
    inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, 4)));
    clock.runUntilIdle();
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(2);
  });

  test('unknown protocol is an UNHANDLED_PROTO drop, counted', () => {
    const { net, clock } = bench();
    const eth0 = testDev(net);
    inject(eth0, frame(MAC_A, MAC_B, 0x88b5, new Uint8Array(46)));
    clock.runUntilIdle();
    expect(net.dropCounts[SKB_DROP_REASON.UNHANDLED_PROTO]).toBe(1);
  });

  test('a tap sees received and transmitted frames, each with its own skb', () => {
    const { net, clock } = bench();
    const eth0 = testDev(net);
    const seen: { type: number; len: number; dataAtMac: boolean }[] = [];
    const tap: PacketType = {
      name: 'tap',
      type: ETH_P_ALL,
      dev: null,
      func(skb: SkBuff) {
        seen.push({ type: skb.pktType, len: skb.len, dataAtMac: skb.data === skb.macHeader });
        // A tap may pull its own copy without disturbing the real receiver.
        skb.data += 4;
        skb.len -= 4;
        consumeSkb(skb);
        return NET_RX_SUCCESS;
      },
    };
    devAddPack(net, tap);
    const ip = recorder(ETH_P_IP);
    devAddPack(net, ip);
    inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, 4)));
    clock.runUntilIdle();
    const skb = allocSkb(128);
    skbReserve(skb, 64);
    skbPutData(skb, ipv4Payload(2, 1, 4, 3), 0, 28);
    skb.dev = eth0;
    skb.protocol = ETH_P_IP;
    ethHeader(skb, eth0, ETH_P_IP, MAC_B, null, 28);
    devQueueXmit(skb);
    clock.runUntilIdle();
    expect(seen).toEqual([
      { type: PACKET_HOST, len: 28, dataAtMac: false },
      { type: PACKET_OUTGOING, len: 42, dataAtMac: true },
    ]);
    expect(ip.got[0]!.len).toBe(28);
  });
});

describe('backlog', () => {
  test('over netdev_max_backlog packets are CPU_BACKLOG drops, and the queue keeps flowing', () => {
    const { net, clock } = bench();
    const eth0 = testDev(net);
    const ip = recorder(ETH_P_IP);
    devAddPack(net, ip);
    expect(net.sysctls.get('net.core.netdev_max_backlog')!.set(10)).toBe(0);
    // From process context nothing runs until ksoftirqd, so all 50 meet the queue.
    for (let i = 0; i < 50; i++) inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, i)));
    clock.runUntilIdle();
    expect(ip.got).toHaveLength(11);
    expect(net.dropCounts[SKB_DROP_REASON.CPU_BACKLOG]).toBe(39);
    expect(net.cpus[0]!.softnet.dropped).toBe(39);
    for (let i = 0; i < 5; i++) inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, i)));
    clock.runUntilIdle();
    expect(ip.got).toHaveLength(16);
  });

  test('RPS steers a flow to the CPU in the rx queue mask', () => {
    const { net, clock } = bench(4);
    const eth0 = testDev(net);
    const ip = recorder(ETH_P_IP);
    devAddPack(net, ip);
    expect(netifSetRpsCpus(eth0, 0, 0b1000)).toBe(0);
    // Driver-style: a NAPI on CPU 0 hands packets to netif_receive_skb.
    const pending: SkBuff[] = [];
    const napi = netifNapiAdd(eth0, (n: NapiStruct, budget: number) => {
      let done = 0;
      while (done < budget && pending.length > 0) {
        netifReceiveSkb(pending.shift()!);
        done++;
      }
      if (done < budget) napiCompleteDone(n, done);
      return done;
    });
    napiEnable(napi);
    for (let i = 0; i < 3; i++) pending.push(rxSkb(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 1000 + i, 80))));
    irqEnter(net.cpus[0]!);
    napiSchedule(napi);
    irqExit(net.cpus[0]!);
    clock.runUntilIdle();
    expect(ip.got.map((g) => g.cpu)).toEqual([3, 3, 3]);
    expect(net.cpus[3]!.softnet.receivedRps).toBeGreaterThan(0);
    expect(net.cpus[3]!.softnet.processed).toBe(3);
  });

  test('RPS spreads different flows over a multi-CPU mask by hash, the same flow to one CPU', () => {
    const { net, clock } = bench(4);
    const eth0 = testDev(net);
    const ip = recorder(ETH_P_IP);
    devAddPack(net, ip);
    netifSetRpsCpus(eth0, 0, 0b1110);
    for (let i = 0; i < 40; i++) inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 1000 + i, 80)));
    for (let i = 0; i < 5; i++) inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 7, 80)));
    clock.runUntilIdle();
    const cpus = new Set(ip.got.slice(0, 40).map((g) => g.cpu));
    expect(cpus.has(0)).toBe(false);
    expect(cpus.size).toBeGreaterThan(1);
    expect(new Set(ip.got.slice(40).map((g) => g.cpu)).size).toBe(1);
  });

  test('the RX path fires its tracepoints in Linux order', () => {
    const { net, clock } = bench();
    const eth0 = testDev(net);
    devAddPack(net, recorder(ETH_P_IP));
    const rec = new TraceRecorder(net);
    traceOn(net, rec);
    inject(eth0, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 3, 4)));
    clock.runUntilIdle();
    expect(rec.fns()).toEqual([
      'netifRx', 'enqueueToBacklog', '____napiSchedule', '__raiseSoftirqIrqoff', '__doSoftirq',
      'netRxAction', 'processBacklog', '__netifReceiveSkb', '__netifReceiveSkbCore', 'deliverSkb',
    ]);
    expect(rec.entries[6]!.fn).toBe('processBacklog');
    expect(rec.entries[6]!.ctx).toBe(1);
  });
});
