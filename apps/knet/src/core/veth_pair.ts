// Two hosts on one virtual clock joined by a veth pair, with a counting ETH_P_IP handler on the
// far side: devQueueXmit → qdisc → veth → netifRx → backlog NAPI → ptype_base.
import { ETH_ALEN, ETH_FRAME_LEN, ETH_HLEN, ETH_P_IP, NET_RX_SUCCESS } from '@knet/include';
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import type { VirtualClock } from '@knet/softirq';
import type { CoreApi } from './api.js';

export interface VethPair {
  clock: VirtualClock;
  a: Net;
  b: Net;
  dev0: NetDevice;
  dev1: NetDevice;
  received: number;
  receivedBytes: number;
  /** Queue one frame of `len` bytes on veth0; returns devQueueXmit's NET_XMIT_* result. */
  send(len?: number): number;
}

/**
 * veth defaults to noqueue, as in Linux; `qdisc` replaces it on veth0 (`tc qdisc replace dev
 * veth0 root pfifo_fast`) so frames go through a real queue and the TX softirq.
 */
export function makeVethPair(api: CoreApi, opts: { seed?: number; qdisc?: string } = {}): VethPair {
  const clock = api.createVirtualClock({ seed: opts.seed ?? 1 });
  const a = api.allocNet({ name: 'a', clock, cpus: 1 });
  const b = api.allocNet({ name: 'b', clock, cpus: 1 });
  const [dev0, dev1] = api.vethNewLink(a, 'veth0', 'veth1', b);
  if (opts.qdisc) {
    api.qdiscRegisterAll();
    const err = api.tcQdiscReplace(dev0, opts.qdisc);
    if (err < 0) throw new Error(`tc qdisc replace dev veth0 root ${opts.qdisc}: error ${err}`);
  }
  api.devOpen(dev0);
  api.devOpen(dev1);
  const pair: VethPair = {
    clock, a, b, dev0, dev1, received: 0, receivedBytes: 0,
    send(len = ETH_FRAME_LEN) {
      const skb = api.allocSkb(len + 64);
      api.skbReserve(skb, 2);
      const off = api.skbPut(skb, len);
      const h = skb.head;
      h.set(dev1.devAddr.subarray(0, ETH_ALEN), off);
      h.set(dev0.devAddr.subarray(0, ETH_ALEN), off + ETH_ALEN);
      h[off + 12] = ETH_P_IP >>> 8;
      h[off + 13] = ETH_P_IP & 0xff;
      skb.macHeader = off;
      skb.networkHeader = off + ETH_HLEN;
      skb.dev = dev0;
      skb.protocol = ETH_P_IP;
      return api.devQueueXmit(skb);
    },
  };
  const counter: PacketType = {
    name: 'knet-demo',
    type: ETH_P_IP,
    dev: null,
    func(skb: SkBuff) {
      pair.received++;
      // skb.len excludes the Ethernet header eth_type_trans pulled; count the whole frame.
      pair.receivedBytes += skb.len + (skb.data - skb.macHeader);
      api.consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  api.devAddPack(b, counter);
  return pair;
}
