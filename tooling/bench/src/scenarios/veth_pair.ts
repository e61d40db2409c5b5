// Two hosts on one virtual clock joined by a veth pair, with a counting ETH_P_IP handler on the
// far side: the smallest path through devQueueXmit → pfifo_fast → veth → netifRx → ptype_base.
import { ETH_ALEN, ETH_FRAME_LEN, ETH_HLEN, ETH_P_IP, NET_RX_SUCCESS, type Net, type NetDevice, type PacketType, type SkBuff } from '@knet/include';
import type { CoreApi, VirtualClockLike } from './core_api.js';

export interface VethPair {
  clock: VirtualClockLike;
  a: Net;
  b: Net;
  dev0: NetDevice;
  dev1: NetDevice;
  received: number;
  receivedBytes: number;
  /** Queue one frame of `len` bytes from veth0 to veth1; returns devQueueXmit's result. */
  send(len?: number): number;
}

export function makeVethPair(api: CoreApi): VethPair {
  const clock = api.createVirtualClock({ seed: 1 });
  const a = api.allocNet({ name: 'a', clock, cpus: 1 });
  const b = api.allocNet({ name: 'b', clock, cpus: 1 });
  const [dev0, dev1] = api.vethNewLink(a, 'veth0', 'veth1', b);
  // veth defaults to noqueue, as in Linux; put a real qdisc on the path.
  api.qdiscRegisterAll();
  const err = api.tcQdiscReplace(dev0, 'pfifo_fast');
  if (err < 0) throw new Error(`tc qdisc replace dev veth0 root pfifo_fast: error ${err}`);
  api.devOpen(dev0);
  api.devOpen(dev1);
  // The Ethernet header never changes: built once, copied into each frame.
  const eth = ethHeader(dev1.devAddr, dev0.devAddr, ETH_P_IP);
  const pair: VethPair = {
    clock, a, b, dev0, dev1, received: 0, receivedBytes: 0,
    send(len = ETH_FRAME_LEN) {
      const skb = api.allocSkb(len + 64);
      api.skbReserve(skb, 2);
      const off = api.skbPut(skb, len);
      skb.head.set(eth, off);
      skb.macHeader = off;
      skb.networkHeader = off + ETH_HLEN;
      skb.dev = dev0;
      skb.protocol = ETH_P_IP;
      return api.devQueueXmit(skb);
    },
  };
  const counter: PacketType = {
    name: 'count',
    type: ETH_P_IP,
    dev: null,
    func(skb: SkBuff) {
      pair.received++;
      pair.receivedBytes += skb.len;
      api.consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  api.devAddPack(b, counter);
  return pair;
}

function ethHeader(dst: Uint8Array, src: Uint8Array, proto: number): Uint8Array {
  const buf = new Uint8Array(ETH_HLEN);
  buf.set(dst.subarray(0, ETH_ALEN), 0);
  buf.set(src.subarray(0, ETH_ALEN), ETH_ALEN);
  buf[12] = proto >>> 8;
  buf[13] = proto & 0xff;
  return buf;
}
