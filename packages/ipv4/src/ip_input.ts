// net/ipv4/ip_input.c: ip_rcv → ip_rcv_finish → ip_local_deliver → the transport.
import type { Net, NetDevice, PacketType, SkBuff, Sock } from '@knet/include';
import {
  NET_RX_DROP, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING, PACKET_OTHERHOST, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason, pskbMayPull, pskbTrim, skbPull } from '@knet/skbuff';
import { traceEvent } from '@knet/netdevice';
import { dstInput } from './dst.js';
import {
  IPV4_HLEN, ipHdrCsum, ipHdrDaddr, ipHdrIhl, ipHdrLen, ipHdrProtocol, ipHdrSaddr, ipHdrTos, ipHdrTotLen,
  ipHdrVersion, ipIsFragment,
} from './ip_hdr.js';
import { NF_HOOK } from './netfilter.js';
import { ipv4Net } from './netns_ipv4.js';
import { ipRouteInputNoref, rtInputDropReason } from './route.js';
import { ipDefrag } from './ip_fragment.js';
import { icmpSend, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH } from './icmp.js';

/**
 * ip_rcv (ip_rcv_core): validate the header in Linux's order: not for another host, at least
 * 20 bytes, version 4 and ihl ≥ 5, the whole header present, header checksum, then total
 * length against the frame. Options are accepted and passed through unparsed.
 */
export function ipRcv(skb: SkBuff, dev: NetDevice, _pt: PacketType, _orig: NetDevice): number {
  const net = dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'ipRcv');
  const ip = ipv4Net(net);
  // RFC 1122 §3.3.4: frames not addressed to us at the link layer are not ours to route.
  if (skb.pktType === PACKET_OTHERHOST) {
    kfreeSkbReason(skb, SKB_DROP_REASON.OTHERHOST);
    return NET_RX_DROP;
  }
  const mib = ip.mib;
  mib.ip.InReceives++;
  mib.ipExt.InOctets += skb.len;
  if (!pskbMayPull(skb, IPV4_HLEN)) return inhdrError(skb, mib, SKB_DROP_REASON.PKT_TOO_SMALL);
  let b = skb.head;
  let o = skb.data;
  if (ipHdrIhl(b, o) < 5 || ipHdrVersion(b, o) !== 4) return inhdrError(skb, mib, SKB_DROP_REASON.IP_INHDR);
  const hlen = ipHdrLen(b, o);
  if (!pskbMayPull(skb, hlen)) return inhdrError(skb, mib, SKB_DROP_REASON.IP_INHDR);
  b = skb.head;
  o = skb.data;
  if (ipHdrCsum(b, o, hlen) !== 0) {
    mib.ipExt.InCsumErrors++;
    return inhdrError(skb, mib, SKB_DROP_REASON.IP_CSUM);
  }
  const len = ipHdrTotLen(b, o);
  if (skb.len < len) {
    mib.ipExt.InTruncatedPkts++;
    kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_SMALL);
    return NET_RX_DROP;
  }
  if (len < hlen) return inhdrError(skb, mib, SKB_DROP_REASON.IP_INHDR);
  // Link layers pad short frames (Ethernet to 60 bytes): the IP length is the truth.
  if (pskbTrim(skb, len) !== 0) {
    mib.ip.InDiscards++;
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return NET_RX_DROP;
  }
  skb.networkHeader = o;
  skb.transportHeader = o + hlen;
  skb.cb.ipFlags = 0;
  skb.cb.ipOptLen = hlen - IPV4_HLEN;
  skb.cb.fragMaxSize = 0;
  return NF_HOOK(NF_INET_PRE_ROUTING, net, null, skb, dev, null, ipRcvFinish);
}

function inhdrError(skb: SkBuff, mib: ReturnType<typeof ipv4Net>['mib'], reason: number): number {
  mib.ip.InHdrErrors++;
  kfreeSkbReason(skb, reason);
  return NET_RX_DROP;
}

export const ipPacketType: PacketType = Object.freeze({
  name: 'ip',
  type: 0x0800,
  dev: null,
  func: ipRcv,
});

/** ip_rcv_finish: route the packet (unless loopback kept its dst) and hand it to dst.input. */
export function ipRcvFinish(net: Net, _sk: Sock | null, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'ipRcvFinish');
  const b = skb.head;
  const o = skb.networkHeader;
  if (skb.dst === null) {
    const err = ipRouteInputNoref(skb, ipHdrDaddr(b, o), ipHdrSaddr(b, o), ipHdrTos(b, o), skb.dev!);
    if (err !== 0) {
      kfreeSkbReason(skb, rtInputDropReason);
      return NET_RX_DROP;
    }
  }
  return dstInput(skb);
}

/** ip_local_deliver: reassemble fragments, then NF LOCAL_IN. */
export function ipLocalDeliver(skb: SkBuff): number {
  const net = (skb.dev ?? skb.dst!.dev).ndNet;
  if (net.trace !== null) traceEvent(net, 'ipLocalDeliver');
  if (ipIsFragment(skb.head, skb.networkHeader)) {
    const whole = ipDefrag(net, skb);
    if (whole === null) return 0;
    skb = whole;
  }
  return NF_HOOK(NF_INET_LOCAL_IN, net, null, skb, skb.dev, null, ipLocalDeliverFinish);
}

/**
 * ip_local_deliver_finish + ip_protocol_deliver_rcu: skb.data moves to the transport header
 * and the registered protocol takes it. No handler: ICMP protocol unreachable (RFC 1122
 * §3.2.2.1). Raw sockets are not implemented.
 */
export function ipLocalDeliverFinish(net: Net, _sk: Sock | null, skb: SkBuff): number {
  if (net.trace !== null) traceEvent(net, 'ipLocalDeliverFinish');
  const ip = ipv4Net(net);
  skbPull(skb, skb.transportHeader - skb.data);
  const proto = ipHdrProtocol(skb.head, skb.networkHeader);
  const prot = ip.protos[proto];
  if (prot !== undefined) {
    ip.mib.ip.InDelivers++;
    prot.handler(skb);
    return 0;
  }
  ip.mib.ip.InUnknownProtos++;
  icmpSend(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
  kfreeSkbReason(skb, SKB_DROP_REASON.IP_NOPROTO);
  return 0;
}
