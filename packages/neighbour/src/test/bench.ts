// Two hosts on one virtual clock, joined by a veth pair, with ARP and a counting IPv4 sink.
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import { ETH_P_IP, NET_RX_SUCCESS, SKB_DROP_REASON } from '@knet/include';
import { allocSkbWithHeadroom, consumeSkb, getUint32, putUint32, skbPut } from '@knet/skbuff';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { allocNet, devAddPack, devOpen } from '@knet/netdevice';
import { vethNewLink } from '@knet/veth';
import { arpInit, type Neighbour, type NeighTableImpl } from '../index.js';

export interface BenchHost {
  net: Net;
  dev: NetDevice;
  addrs: Set<number>;
  tbl: NeighTableImpl;
  /** IPv4 frames received: the 32-bit tag each test packet carries. */
  rx: number[];
  /** Packets reported by the table's errorReport hook. */
  reported: number[];
}

export const A = 0xc6120001; // 198.18.0.1
export const B = 0xc6120002; // 198.18.0.2
export const NOBODY = 0xc6120063; // 198.18.0.99

function host(clock: VirtualClock, name: string): Net {
  return allocNet({ name, clock });
}

function setup(net: Net, dev: NetDevice, addr: number): BenchHost {
  const h: BenchHost = { net, dev, addrs: new Set([addr]), tbl: null as unknown as NeighTableImpl, rx: [], reported: [] };
  h.tbl = arpInit(net, {
    isLocal: (_n, a) => h.addrs.has(a),
    selectSource: () => [...h.addrs][0] ?? 0,
    errorReport: (_n, skb) => h.reported.push(getUint32(skb.head, skb.networkHeader + 20)),
  });
  const pt: PacketType = {
    name: 'ip-sink', type: ETH_P_IP, dev: null,
    func: (skb: SkBuff) => {
      h.rx.push(getUint32(skb.head, skb.data + 20));
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(net, pt);
  return h;
}

export function bench(seed = 1): { clock: VirtualClock; a: BenchHost; b: BenchHost } {
  const clock = createVirtualClock({ seed });
  const na = host(clock, 'a');
  const nb = host(clock, 'b');
  const [da, db] = vethNewLink(na, 'veth0', 'veth1', nb);
  devOpen(da);
  devOpen(db);
  return { clock, a: setup(na, da, A), b: setup(nb, db, B) };
}

/** A 24-byte IPv4-shaped packet carrying `tag` after the header, sent to `dst` via the table. */
export function sendTagged(h: BenchHost, dst: number, tag: number): number {
  const skb = allocSkbWithHeadroom(64, 24);
  skb.networkHeader = skb.data;
  const o = skbPut(skb, 24);
  skb.head.fill(0, o, o + 24);
  skb.head[o] = 0x45;
  putUint32(skb.head, o + 12, [...h.addrs][0]!);
  putUint32(skb.head, o + 16, dst);
  putUint32(skb.head, o + 20, tag);
  skb.protocol = ETH_P_IP;
  skb.dev = h.dev;
  const n = h.tbl.create(dst, h.dev) as Neighbour;
  return n.output(n, skb);
}

export function drops(h: BenchHost, reason: keyof typeof SKB_DROP_REASON): number {
  return h.net.dropCounts[SKB_DROP_REASON[reason]] ?? 0;
}
