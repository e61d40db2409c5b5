// net/ipv4/ip_forward.c: routing a packet on (RFC 1812 §5.2, §5.3). IP options are passed
// through untouched: no source routing, record route or router alert processing here.
import type { Net, SkBuff, Sock } from '@knet/include';
import {
  CHECKSUM_COMPLETE, CHECKSUM_NONE, NF_INET_FORWARD, PACKET_HOST, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason, skbCow } from '@knet/skbuff';
import { traceEvent } from '@knet/netdevice';
import { dstOutput } from './dst.js';
import { IP_DF, ipDecreaseTtl, ipHdrFragOff, ipHdrTtl } from './ip_hdr.js';
import { NF_HOOK } from './netfilter.js';
import { ipv4Net } from './netns_ipv4.js';
import { icmpSend, ICMP_DEST_UNREACH, ICMP_EXC_TTL, ICMP_FRAG_NEEDED, ICMP_TIME_EXCEEDED } from './icmp.js';

/** ip_dst_mtu_maybe_forward: forwarding ignores learnt PMTU and uses the route or device MTU. */
function forwardMtu(skb: SkBuff): number {
  const dst = skb.dst!;
  return dst.metrics.mtu !== 0 ? dst.metrics.mtu : dst.dev.mtu;
}

/** ip_exceeds_mtu: too big and not allowed to be fragmented (DF), GSO aside. */
function ipExceedsMtu(skb: SkBuff, mtu: number): boolean {
  if (skb.len <= mtu) return false;
  if (!(ipHdrFragOff(skb.head, skb.networkHeader) & IP_DF)) return false;
  if (skb.cb.fragMaxSize > mtu) return true;
  if (skb.shinfo.gsoSize !== 0) return false;
  return true;
}

/** ip_forward */
export function ipForward(skb: SkBuff): number {
  const dst = skb.dst!;
  const net = (skb.dev ?? dst.dev).ndNet;
  if (net.trace !== null) traceEvent(net, 'ipForward');
  const ip = ipv4Net(net);
  if (skb.pktType !== PACKET_HOST) {
    kfreeSkbReason(skb, SKB_DROP_REASON.OTHERHOST);
    return 0;
  }
  // skb_forward_csum: a receive-side sum no longer matches once the TTL changes; a GRO train's
  // CHECKSUM_PARTIAL stays, so the output device (or software GSO) fills in each segment's.
  if (skb.ipSummed === CHECKSUM_COMPLETE) skb.ipSummed = CHECKSUM_NONE;
  // RFC 1812 §5.3.1: a packet that would leave with TTL 0 is answered with time exceeded.
  if (ipHdrTtl(skb.head, skb.networkHeader) <= 1) {
    ip.mib.ip.InHdrErrors++;
    icmpSend(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
    kfreeSkbReason(skb, SKB_DROP_REASON.IP_INHDR);
    return 0;
  }
  const mtu = forwardMtu(skb);
  if (ipExceedsMtu(skb, mtu)) {
    ip.mib.ip.FragFails++;
    icmpSend(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
    kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_BIG);
    return 0;
  }
  // The header is about to change: make it ours, with room for the next link header.
  const nh = skb.networkHeader - skb.data;
  if (skbCow(skb, dst.dev.hardHeaderLen + dst.dev.neededHeadroom) !== 0) {
    ip.mib.ip.InDiscards++;
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return 0;
  }
  skb.networkHeader = skb.data + nh;
  ipDecreaseTtl(skb.head, skb.networkHeader);
  return NF_HOOK(NF_INET_FORWARD, net, null, skb, skb.dev, dst.dev, ipForwardFinish);
}

/** ip_forward_finish: ICMP redirects are not generated (RFC 1812 §5.2.7.2 makes them optional). */
export function ipForwardFinish(net: Net, _sk: Sock | null, skb: SkBuff): number {
  const ip = ipv4Net(net);
  ip.mib.ip.ForwDatagrams++;
  ip.mib.ipExt.OutOctets += skb.len;
  return dstOutput(skb);
}
