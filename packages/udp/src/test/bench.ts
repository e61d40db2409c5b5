// One host with raw packet injection, as gVisor's packetimpact does: packets built here go
// straight into udpRcv, and what UDP sends is captured with a real IPv4 header in front.
// The scenario tests over real IPv4 and veth live in @knet/socket.
import type { DstEntry, Flowi4, InetConnectionSockAfOps, Net, NetDevice, SkBuff, Sock } from '@knet/include';
import { CHECKSUM_PARTIAL, ENETUNREACH, IPPROTO_UDP, RTCF_BROADCAST, RTCF_LOCAL, RTN_BROADCAST, RTN_LOCAL, RTN_UNICAST } from '@knet/include';
import {
  allocSkbWithHeadroom, consumeSkb, csumPartial, csumTcpudpMagic, getUint32, ipFastCsum, putUint16, putUint32,
  skbChecksumHelp, skbPull, skbPush, skbPut,
} from '@knet/skbuff';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { allocNet, allocNetdev, registerNetdev } from '@knet/netdevice';
import { udpInit, type UdpNet } from '../udp_sock.js';

export const A = 0xc6120001; // 198.18.0.1 (this host)
export const B = 0xc6120002; // 198.18.0.2
export const C = 0xc6120003; // 198.18.0.3
export const BCAST = 0xc612ffff; // 198.18.255.255, the subnet broadcast
export const UNROUTABLE = 0xc6130063; // 198.19.0.99

export interface Sent {
  /** The whole IPv4 packet, as it would go on the wire (checksum completed if it was partial). */
  bytes: Uint8Array;
  /** The UDP checksum field as UDP left it (the pseudo-header sum when CHECKSUM_PARTIAL). */
  rawCheck: number;
  partial: boolean;
}

export interface UdpBench {
  clock: VirtualClock;
  net: Net;
  dev: NetDevice;
  u: UdpNet;
  sent: Sent[];
  icmp: { type: number; code: number; saddr: number }[];
}

function dst(dev: NetDevice, rtType: number, flags: number, prefSrc: number): DstEntry {
  return {
    dev, rtType, flags, prefSrc, gateway: 0, pmtu: 0, neighbour: null, obsolete: false, error: 0,
    input: (skb) => { consumeSkb(skb); return 0; },
    output: (skb) => { consumeSkb(skb); return 0; },
    metrics: { mtu: 0, advmss: 0, initcwnd: 0, rtoMin: 0, lock: 0 },
  };
}

/** A host at 198.18.0.1/16 on one device; 198.19.0.0/16 has no route. */
export function udpBench(opts: { seed?: number; features?: number; mtu?: number } = {}): UdpBench {
  const clock = createVirtualClock({ seed: opts.seed ?? 1 });
  const net = allocNet({ name: 'h', clock });
  const dev = allocNetdev(net, 'eth0', (d) => {
    d.mtu = opts.mtu ?? 1500;
    d.features = opts.features ?? 0;
  });
  registerNetdev(dev);
  const routes = {
    local: dst(dev, RTN_LOCAL, RTCF_LOCAL, A),
    unicast: dst(dev, RTN_UNICAST, 0, A),
    bcast: dst(dev, RTN_BROADCAST, RTCF_BROADCAST, A),
  };
  const b = { clock, net, dev, sent: [] as Sent[], icmp: [] as UdpBench['icmp'] } as UdpBench;
  const afOps: InetConnectionSockAfOps = {
    name: 'bench-ipv4',
    netHeaderLen: 20,
    queueXmit: (_sk: Sock, skb: SkBuff) => { consumeSkb(skb); return 0; },
    routeOutput: (_n: Net, fl: Flowi4) => {
      if (fl.daddr >>> 16 !== 0xc612 && fl.daddr !== 0xffffffff) return -ENETUNREACH;
      if (fl.saddr === 0) fl.saddr = A;
      if (fl.daddr === A) return routes.local;
      if (fl.daddr === BCAST || fl.daddr === 0xffffffff) return routes.bcast;
      return routes.unicast;
    },
    buildAndSendPkt: (skb: SkBuff, sk: Sock | null, saddr: number, daddr: number) => {
      const th = skb.data;
      const rawCheck = (skb.head[th + 6]! << 8) | skb.head[th + 7]!;
      const partial = skb.ipSummed === CHECKSUM_PARTIAL;
      const nh = skbPush(skb, 20);
      skb.networkHeader = nh;
      const h = skb.head;
      h[nh] = 0x45;
      h[nh + 1] = sk !== null ? sk.tos : 0;
      putUint16(h, nh + 2, skb.len);
      putUint32(h, nh + 4, 0x00004000);
      h[nh + 8] = 64;
      h[nh + 9] = IPPROTO_UDP;
      putUint16(h, nh + 10, 0);
      putUint32(h, nh + 12, saddr);
      putUint32(h, nh + 16, daddr);
      putUint16(h, nh + 10, ipFastCsum(h, nh, 5));
      skbChecksumHelp(skb);
      b.sent.push({ bytes: h.slice(nh, nh + skb.len), rawCheck, partial });
      consumeSkb(skb);
      return 0;
    },
    sendUnicastReply: () => 0,
    isLocalAddr: (_n: Net, a: number) => a === A,
  };
  b.u = udpInit(net, afOps, {
    icmpSend: (skb, type, code) => {
      b.icmp.push({ type, code, saddr: getUint32(skb.head, skb.networkHeader + 12) });
    },
  });
  return b;
}

export interface PktOpts {
  saddr?: number;
  daddr?: number;
  sport: number;
  dport: number;
  payload?: Uint8Array;
  /** Override the UDP length field. */
  ulen?: number;
  /** 'zero' sends no checksum, 'bad' a wrong one. */
  csum?: 'ok' | 'zero' | 'bad';
  broadcast?: boolean;
}

/** An skb as ipLocalDeliver hands it to the UDP handler: data at the UDP header. */
export function udpPacket(b: UdpBench, o: PktOpts): SkBuff {
  const payload = o.payload ?? new Uint8Array(0);
  const saddr = o.saddr ?? B;
  const daddr = o.daddr ?? A;
  const ulen = 8 + payload.length;
  const skb = allocSkbWithHeadroom(64, 20 + ulen);
  const nh = skbPut(skb, 20 + ulen);
  const h = skb.head;
  h.fill(0, nh, nh + 20);
  h[nh] = 0x45;
  putUint16(h, nh + 2, 20 + ulen);
  h[nh + 8] = 64;
  h[nh + 9] = IPPROTO_UDP;
  putUint32(h, nh + 12, saddr);
  putUint32(h, nh + 16, daddr);
  putUint16(h, nh + 10, ipFastCsum(h, nh, 5));
  const th = nh + 20;
  putUint16(h, th, o.sport);
  putUint16(h, th + 2, o.dport);
  putUint16(h, th + 4, o.ulen ?? ulen);
  putUint16(h, th + 6, 0);
  h.set(payload, th + 8);
  let c = csumTcpudpMagic(saddr, daddr, ulen, IPPROTO_UDP, csumPartial(h, th, ulen, 0));
  if (c === 0) c = 0xffff;
  if (o.csum === 'zero') c = 0;
  if (o.csum === 'bad') c = c ^ 0x5a5a;
  putUint16(h, th + 6, c);
  skb.networkHeader = nh;
  skbPull(skb, 20);
  skb.transportHeader = th;
  skb.dev = b.dev;
  if (o.broadcast) skb.dst = dst(b.dev, RTN_BROADCAST, RTCF_BROADCAST, A);
  return skb;
}
