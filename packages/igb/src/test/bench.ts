// A two-host bench for the driver tests: each host is a Net with an igb on an emulated 82576,
// the two NICs joined by a cable, all on one virtual clock.
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import { CHECKSUM_PARTIAL, ETH_P_IP, NET_RX_SUCCESS, SKB_GSO_TCPV4 } from '@knet/include';
import { allocNet, devAddPack, devOpen, devQueueXmit } from '@knet/netdevice';
import { Cable, createIgbNic, type Igb82576, type LinkOpts } from '@knet/nic-sim';
import {
  allocSkb, consumeSkb, csumFold, csumPartial, csumTcpudpMagic, getUint16, getUint32, putUint16,
  putUint32, skbAddRxFrag, skbPutData, skbReserve,
} from '@knet/skbuff';
import { createVirtualClock, type VirtualClock } from '@knet/softirq';
import { igbProbe, type IgbProbeOpts } from '../igb_main.js';
import { netdevPriv, type IgbAdapter } from '../igb.js';

export interface RxRecord {
  /** The skb delivered (recycled once the handler returns; compare identity only). */
  skb: SkBuff;
  bytes: Uint8Array;
  ipSummed: number;
  hash: number;
  queue: number;
  cpu: number;
}

export interface Host {
  net: Net;
  dev: NetDevice;
  nic: Igb82576;
  adapter: IgbAdapter;
  rx: RxRecord[];
}

export interface HostOpts extends IgbProbeOpts {
  cpus?: number;
}

export function makeHost(clock: VirtualClock, name: string, last: number, o: HostOpts = {}): Host {
  const net = allocNet({ name, clock, cpus: o.cpus ?? 1 });
  const { nic } = createIgbNic(clock, { mac: new Uint8Array([0x02, 0, 0, 0, 0, last]), name: `${name}-nic` });
  const dev = igbProbe(net, nic, o)!;
  const rx: RxRecord[] = [];
  const pt: PacketType = {
    name: 'test-ip',
    type: ETH_P_IP,
    dev: null,
    func(skb: SkBuff): number {
      rx.push({
        skb,
        bytes: skb.head.slice(skb.macHeader, skb.tail),
        ipSummed: skb.ipSummed,
        hash: skb.hash,
        queue: skb.queueMapping,
        cpu: net.curCpu,
      });
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(net, pt);
  return { net, dev, nic, adapter: netdevPriv(dev), rx };
}

export interface Bench {
  clock: VirtualClock;
  a: Host;
  b: Host;
  cable: Cable;
}

/** Two hosts cabled together, both devices open and the link detected. */
export function twoHosts(o: { seed?: number; a?: HostOpts; b?: HostOpts; link?: LinkOpts } = {}): Bench {
  const clock = createVirtualClock({ seed: o.seed ?? 1 });
  const a = makeHost(clock, 'a', 0xa, o.a);
  const b = makeHost(clock, 'b', 0xb, o.b);
  const cable = new Cable(clock, a.nic.port, b.nic.port, o.link);
  devOpen(a.dev);
  devOpen(b.dev);
  clock.runFor(5);
  return { clock, a, b, cable };
}

export interface FrameSpec {
  saddr?: number;
  daddr?: number;
  sport?: number;
  dport?: number;
  proto?: 6 | 17;
  payload?: number;
  seq?: number;
  id?: number;
}

/** Ethernet + IPv4 + TCP/UDP from a to b, checksums complete, payload patterned by `seq`. */
export function buildFrame(from: Host, to: Host, s: FrameSpec = {}): Uint8Array {
  const proto = s.proto ?? 17;
  const l4h = proto === 6 ? 20 : 8;
  const pay = s.payload ?? 64;
  const b = new Uint8Array(34 + l4h + pay);
  b.set(to.dev.devAddr, 0);
  b.set(from.dev.devAddr, 6);
  putUint16(b, 12, ETH_P_IP);
  b[14] = 0x45;
  putUint16(b, 16, 20 + l4h + pay);
  putUint16(b, 18, s.id ?? 0);
  b[20] = 0x40;
  b[22] = 64;
  b[23] = proto;
  putUint32(b, 26, s.saddr ?? 0xc6120001);
  putUint32(b, 30, s.daddr ?? 0xc6120002);
  putUint16(b, 34, s.sport ?? 40000);
  putUint16(b, 36, s.dport ?? 9);
  if (proto === 6) {
    putUint32(b, 38, s.seq ?? 1);
    b[46] = 0x50;
    b[47] = 0x18;
    putUint16(b, 48, 65535);
  } else putUint16(b, 38, 8 + pay);
  for (let i = 0; i < pay; i++) b[34 + l4h + i] = (i + (s.seq ?? 0)) & 0xff;
  putUint16(b, 24, csumFold(csumPartial(b, 14, 20, 0)));
  const c = csumTcpudpMagic(getUint32(b, 26), getUint32(b, 30), l4h + pay, proto, csumPartial(b, 34, l4h + pay, 0));
  putUint16(b, proto === 6 ? 50 : 40, c === 0 && proto === 17 ? 0xffff : c);
  return b;
}

/** IP header and TCP/UDP checksums of a frame both verify. */
export function checksumsOk(b: Uint8Array): boolean {
  if (getUint16(b, 12) !== ETH_P_IP) return false;
  const ihl = (b[14] & 0xf) * 4;
  if (csumFold(csumPartial(b, 14, ihl, 0)) !== 0) return false;
  const l4len = getUint16(b, 16) - ihl;
  if (14 + ihl + l4len > b.length) return false;
  return csumTcpudpMagic(getUint32(b, 26), getUint32(b, 30), l4len, b[23], csumPartial(b, 14 + ihl, l4len, 0)) === 0;
}

export interface XmitOpts {
  /** Leave the L4 checksum to the NIC (CHECKSUM_PARTIAL). */
  partial?: boolean;
  /** Make it a TSO packet of this MSS. */
  gsoSize?: number;
  /** Put the payload after this many bytes in page frags of `fragSize`. */
  fragFrom?: number;
  fragSize?: number;
}

/** An skb holding `frame`, headers set as the IP layer leaves them, ready for devQueueXmit. */
export function frameSkb(h: Host, frame: Uint8Array, o: XmitOpts = {}): SkBuff {
  const linear = o.fragFrom ?? frame.length;
  const skb = allocSkb(linear + 128);
  skbReserve(skb, 64);
  const at = skbPutData(skb, frame, 0, linear);
  for (let off = linear; off < frame.length; ) {
    const n = Math.min(o.fragSize ?? 4096, frame.length - off);
    const page = frame.slice(off, off + n);
    skbAddRxFrag(skb, page, 0, n, n);
    off += n;
  }
  skb.dev = h.dev;
  skb.protocol = ETH_P_IP;
  skb.macHeader = at;
  skb.networkHeader = at + 14;
  skb.transportHeader = at + 34;
  const proto = frame[23];
  if (o.partial || o.gsoSize) {
    const b = skb.head, l4 = skb.transportHeader;
    const l4len = frame.length - 34;
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = l4;
    skb.csumOffset = proto === 6 ? 16 : 6;
    // What tcp_v4_send_check / udp4_hwcsum leave: the pseudo-header sum, uncomplemented.
    putUint16(b, l4 + skb.csumOffset, ~csumTcpudpMagic(getUint32(b, at + 26), getUint32(b, at + 30), l4len, proto, 0) & 0xffff);
  }
  if (o.gsoSize) {
    skb.shinfo.gsoSize = o.gsoSize;
    skb.shinfo.gsoType = SKB_GSO_TCPV4;
    skb.shinfo.gsoSegs = Math.ceil((frame.length - 54) / o.gsoSize);
  }
  return skb;
}

export function xmit(h: Host, frame: Uint8Array, o: XmitOpts = {}): number {
  return devQueueXmit(frameSkb(h, frame, o));
}
