import { describe, expect, test } from 'vitest';
import type { NapiStruct, PacketOffload, SkBuff } from '@knet/include';
import { ETH_P_IP, GRO_HELD, GRO_MERGED_FREE, GRO_NORMAL } from '@knet/include';
import { irqEnter, irqExit } from '@knet/softirq';
import { devAddOffload, devRemoveOffload, napiGroReceive } from './gro.js';
import { devAddPack } from './dev_rx.js';
import { napiCompleteDone, napiEnable, napiSchedule, netifNapiAdd } from './napi.js';
import { MAC_A, MAC_B, bench, frame, ipv4Payload, recorder, rxSkb, testDev } from './test/bench.js';

/** Flows keyed by source port: a packet merges into a held one of the same port (counted in cb.groCount); port 9 asks to flush. */
const portOf = (s: SkBuff): number => (s.head[s.data + 20]! << 8) | s.head[s.data + 21]!;
function testOffload(completes: number[]): PacketOffload {
  return {
    name: 'test-gro',
    type: ETH_P_IP,
    groReceive(list: SkBuff[], skb: SkBuff): number {
      const port = portOf(skb);
      if (port === 9) return GRO_NORMAL;
      for (const p of list) {
        if (portOf(p) === port) {
          p.cb.groCount++;
          if (p.cb.groCount === 4) p.cb.groFlush = 1;
          return GRO_MERGED_FREE;
        }
      }
      return GRO_HELD;
    },
    groComplete(skb: SkBuff): number {
      completes.push(skb.cb.groCount);
      return 0;
    },
  };
}

describe('GRO', () => {
  test('without an offload, napi_gro_receive passes packets straight up', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    const ip = recorder(ETH_P_IP);
    devAddPack(net, ip);
    const napi = netifNapiAdd(dev, (n: NapiStruct) => {
      expect(napiGroReceive(n, rxSkb(dev, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, 5, 80))))).toBe(GRO_NORMAL);
      napiCompleteDone(n, 1);
      return 1;
    });
    napiEnable(napi);
    napiSchedule(napi);
    clock.runUntilIdle();
    expect(ip.got).toHaveLength(1);
  });

  test('same-flow packets merge, a full flow is flushed early, the rest at napi_complete_done', () => {
    const { net, clock } = bench();
    const dev = testDev(net);
    const ip = recorder(ETH_P_IP);
    devAddPack(net, ip);
    const completes: number[] = [];
    const off = testOffload(completes);
    expect(devAddOffload(net, off)).toBe(0);
    const ports = [1000, 1000, 2000, 1000, 9, 1000, 2000, 1000];
    const napi = netifNapiAdd(dev, (n: NapiStruct) => {
      for (const p of ports) napiGroReceive(n, rxSkb(dev, frame(MAC_A, MAC_B, ETH_P_IP, ipv4Payload(1, 2, p, 80))));
      // Port 9 went up at once; the 1000 flow filled up at its fourth packet and went up.
      expect(ip.got).toHaveLength(2);
      expect(n.groList).toHaveLength(2);
      napiCompleteDone(n, ports.length);
      return ports.length;
    });
    napiEnable(napi);
    irqEnter(net.cpus[0]!);
    napiSchedule(napi);
    irqExit(net.cpus[0]!);
    clock.runUntilIdle();
    // Delivered: port 9, the full 1000 flow (4 merged), then 2000 (2) and a new 1000 flow (1).
    expect(completes).toEqual([4, 2]);
    expect(ip.got).toHaveLength(4);
    expect(napi.groList).toHaveLength(0);
    expect(devRemoveOffload(net, off)).toBe(0);
    expect(devAddOffload(net, off)).toBe(0);
    expect(devAddOffload(net, off)).toBeLessThan(0);
  });
});
