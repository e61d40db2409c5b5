// Two hosts on one virtual clock, each an igb on an emulated 82576, joined by a cable, with a
// counting ETH_P_IP handler on b: devQueueXmit → pfifo_fast → igbXmitFrame → wire → MSI-X →
// NAPI → igbCleanRxIrq → napiGroReceive → netifReceiveSkb → PacketType.
import {
  CHECKSUM_PARTIAL, ETH_ALEN, ETH_HLEN, ETH_P_IP, IPPROTO_TCP, NET_RX_SUCCESS, SKB_GSO_TCPV4,
  type Net, type NetDevice, type PacketType, type SkBuff,
} from '@knet/include';
import type { VirtualClock } from '@knet/softirq';
import type { IgbApi } from './igb_api.js';

export interface IgbPair {
  clock: VirtualClock;
  a: Net;
  b: Net;
  devA: NetDevice;
  devB: NetDevice;
  /** Frames b received (TSO sends arrive as their wire segments). */
  received: number;
  /** Queue one `len`-byte frame from a to b; returns devQueueXmit's result. */
  send(len?: number): number;
  /** Queue one TCP send of `payload` bytes as a single TSO skb (MSS `mss`); returns its segment count. */
  sendTso(payload: number, mss: number): number;
  /** Run the clock until b has received `n` frames or `maxMs` of virtual time pass. */
  waitFor(n: number, maxMs?: number): boolean;
}

const A_ADDR = 0xc6120001; // 198.18.0.1
const B_ADDR = 0xc6120002;
const PAGE = 4096;
/** The page every TSO frag points into: the device only reads it, and the sender allocates nothing per packet. */
const PAYLOAD_PAGE = new Uint8Array(PAGE);

/** The cable runs at the 82576's 1 Gbit/s; virtual time absorbs the wire, wall time is the stack's. */
export function makeIgbPair(api: IgbApi): IgbPair {
  api.qdiscRegisterAll();
  const clock = api.createVirtualClock({ seed: 1 });
  const host = (name: string, last: number) => {
    const net = api.allocNet({ name, clock, cpus: 1 });
    const { pdev, port } = api.createIgbNic(clock, { mac: new Uint8Array([0x02, 0x4b, 0x4e, 0, 0, last]), name: `${name}-nic` });
    const dev = api.igbProbe(net, pdev, {});
    if (dev === null) throw new Error(`igb probe on ${name} failed`);
    return { net, dev, port };
  };
  const ha = host('a', 1);
  const hb = host('b', 2);
  new api.Cable(clock, ha.port, hb.port);
  for (const d of [ha.dev, hb.dev]) if (api.devOpen(d) < 0) throw new Error(`opening ${d.name} failed`);
  const pair: IgbPair = {
    clock, a: ha.net, b: hb.net, devA: ha.dev, devB: hb.dev, received: 0,
    send(len = 1514) {
      const skb = api.allocSkb(len + 64);
      api.skbReserve(skb, 64);
      const off = api.skbPut(skb, len);
      header(skb, off, len - ETH_HLEN, 17);
      return api.devQueueXmit(skb);
    },
    sendTso(payload, mss) {
      const hlen = ETH_HLEN + 20 + 20;
      const skb = api.allocSkb(hlen + 64);
      api.skbReserve(skb, 64);
      const off = api.skbPut(skb, hlen);
      header(skb, off, 40 + payload, IPPROTO_TCP);
      // The payload in page frags, as tcp_sendmsg leaves it.
      for (let left = payload; left > 0; left -= PAGE) {
        const n = Math.min(PAGE, left);
        api.skbAddRxFrag(skb, PAYLOAD_PAGE, 0, n, n);
      }
      const b = skb.head;
      const tcp = off + ETH_HLEN + 20;
      b[tcp + 12] = 0x50;
      b[tcp + 13] = 0x18;
      b[tcp + 14] = 0xff;
      b[tcp + 15] = 0xff;
      skb.transportHeader = tcp;
      skb.ipSummed = CHECKSUM_PARTIAL;
      skb.csumStart = tcp;
      skb.csumOffset = 16;
      // What tcp_v4_send_check leaves for the NIC: the pseudo-header sum, uncomplemented.
      const ph = ~api.csumTcpudpMagic(A_ADDR, B_ADDR, 20 + payload, IPPROTO_TCP, 0) & 0xffff;
      b[tcp + 16] = ph >>> 8;
      b[tcp + 17] = ph & 0xff;
      const segs = Math.ceil(payload / mss);
      skb.shinfo.gsoSize = mss;
      skb.shinfo.gsoType = SKB_GSO_TCPV4;
      skb.shinfo.gsoSegs = segs;
      api.devQueueXmit(skb);
      return segs;
    },
    waitFor(n, maxMs = 1000) {
      const end = clock.now() + maxMs;
      // igb's watchdog rearms every 2 s, so the clock is never idle: step it.
      while (pair.received < n && clock.now() < end) clock.runFor(0.5);
      return pair.received >= n;
    },
  };
  // The Ethernet and IPv4 headers are the same every frame but for tot_len and protocol, so
  // they are built once and patched, with the checksum finished from the template's sum.
  const tpl = new Uint8Array(ETH_HLEN + 20);
  tpl.set(hb.dev.devAddr.subarray(0, ETH_ALEN), 0);
  tpl.set(ha.dev.devAddr.subarray(0, ETH_ALEN), ETH_ALEN);
  tpl[12] = ETH_P_IP >>> 8;
  tpl[13] = ETH_P_IP & 0xff;
  tpl[ETH_HLEN] = 0x45;
  tpl[ETH_HLEN + 6] = 0x40;
  tpl[ETH_HLEN + 8] = 64;
  new DataView(tpl.buffer).setUint32(ETH_HLEN + 12, A_ADDR);
  new DataView(tpl.buffer).setUint32(ETH_HLEN + 16, B_ADDR);
  // Folded but not complemented, so adding tot_len and protocol cannot carry out of 32 bits.
  const tplSum = ~api.csumFold(api.csumPartial(tpl, ETH_HLEN, 20, 0)) & 0xffff;
  function header(skb: SkBuff, off: number, ipLen: number, proto: number): void {
    const b = skb.head;
    b.set(tpl, off);
    const ip = off + ETH_HLEN;
    b[ip + 2] = ipLen >>> 8;
    b[ip + 3] = ipLen & 0xff;
    b[ip + 9] = proto;
    const c = api.csumFold(tplSum + ipLen + proto);
    b[ip + 10] = c >>> 8;
    b[ip + 11] = c & 0xff;
    skb.macHeader = off;
    skb.networkHeader = ip;
    skb.transportHeader = ip + 20;
    skb.dev = ha.dev;
    skb.protocol = ETH_P_IP;
  }
  const counter: PacketType = {
    name: 'count',
    type: ETH_P_IP,
    dev: null,
    func(skb: SkBuff) {
      pair.received++;
      api.consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  api.devAddPack(hb.net, counter);
  // Autonegotiation: wait for carrier on both ends.
  const end = clock.now() + 5000;
  while (!(ha.dev.carrier && hb.dev.carrier) && clock.now() < end) clock.runFor(1);
  if (!(ha.dev.carrier && hb.dev.carrier)) throw new Error('igb link did not come up');
  return pair;
}
