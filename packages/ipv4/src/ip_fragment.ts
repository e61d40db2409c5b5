// net/ipv4/ip_fragment.c + net/ipv4/inet_fragment.c: reassembly (RFC 791 §3.2, RFC 815).
// A queue (struct ipq) per (saddr, daddr, id, protocol) keeps its fragments as sorted runs of
// contiguous data, as inet_frag_queue_insert's rb-tree of runs does. A fragment inside an
// existing run is a duplicate and is dropped alone; any other overlap kills the whole queue
// (RFC 5722 reasoning, applied by Linux to IPv4 since 4.19).
import type { Net, SkBuff } from '@knet/include';
import { SKB_DROP_REASON } from '@knet/include';
import {
  allocSkb, consumeSkb, kfreeSkbReason, memcpy, pskbTrim, skbCopyBits, skbPull, skbPut, skbReserve,
} from '@knet/skbuff';
import { delTimer, jiffies, modTimer, timerSetup, type TimerList } from '@knet/softirq';
import { traceEvent } from '@knet/netdevice';
import {
  IP_MF, IP_OFFSET, ipHdrDaddr, ipHdrFragOff, ipHdrId, ipHdrLen, ipHdrProtocol, ipHdrSaddr, ipHdrSetFragOff,
  ipHdrSetTotLen, ipSendCheck,
} from './ip_hdr.js';
import { ipv4Net } from './netns_ipv4.js';
import { icmpSend, ICMP_EXC_FRAGTIME, ICMP_TIME_EXCEEDED } from './icmp.js';

const INET_FRAG_FIRST_IN = 1, INET_FRAG_LAST_IN = 2, INET_FRAG_COMPLETE = 4;
export const IP_MAX_DATAGRAM = 65535;

interface FragRun {
  off: number;
  end: number;
  skbs: SkBuff[];
}

/** struct ipq */
export interface Ipq {
  key: string;
  saddr: number;
  daddr: number;
  id: number;
  proto: number;
  flags: number;
  /** Total length once the last fragment is known (q.len). */
  len: number;
  /** Bytes received (q.meat). */
  meat: number;
  /** Charged truesize. */
  mem: number;
  runs: FragRun[];
  /** Largest fragment seen (max_size), so a forwarder refragments no larger. */
  maxSize: number;
  timer: TimerList;
  net: Net;
}

export interface IpFragState {
  queues: Map<string, Ipq>;
  mem: number;
}

export function ipFragStateInit(): IpFragState {
  return { queues: new Map(), mem: 0 };
}

const IPFRAG_OK = 0, IPFRAG_DUP = 1, IPFRAG_OVERLAP = 2;

/** inet_frag_queue_insert */
function fragQueueInsert(q: Ipq, skb: SkBuff, off: number, end: number): number {
  const runs = q.runs;
  const last = runs.length ? runs[runs.length - 1] : null;
  if (last === null || last.end < off) {
    runs.push({ off, end, skbs: [skb] });
    return IPFRAG_OK;
  }
  if (last.end === off) {
    last.skbs.push(skb);
    last.end = end;
    return IPFRAG_OK;
  }
  // Binary search over disjoint runs, as down the rb-tree.
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid];
    if (end <= r.off) hi = mid;
    else if (off >= r.end) lo = mid + 1;
    else if (off >= r.off && end <= r.end) return IPFRAG_DUP;
    else return IPFRAG_OVERLAP;
  }
  runs.splice(lo, 0, { off, end, skbs: [skb] });
  return IPFRAG_OK;
}

function fragOffset(skb: SkBuff): number {
  return skb.cb.layerPriv;
}

/** inet_frag_kill + destroy: unhash, stop the timer, free what was held. */
function ipqKill(q: Ipq, reason: number): void {
  const st = ipv4Net(q.net).frags;
  if (q.flags & INET_FRAG_COMPLETE) return;
  q.flags |= INET_FRAG_COMPLETE;
  if (q.timer.pending) delTimer(q.net, q.timer);
  st.queues.delete(q.key);
  st.mem -= q.mem;
  for (const r of q.runs) for (const s of r.skbs) kfreeSkbReason(s, reason);
  q.runs.length = 0;
  q.mem = 0;
}

/** ip_expire: the reassembly timer ran out (RFC 1122 §3.3.2). */
function ipExpire(q: Ipq): void {
  if (q.flags & INET_FRAG_COMPLETE) return;
  const net = q.net;
  const ip = ipv4Net(net);
  ip.mib.ip.ReasmFails++;
  ip.mib.ip.ReasmTimeout++;
  // Only a datagram whose first fragment arrived is reported: the ICMP must quote its header.
  const head = q.flags & INET_FRAG_FIRST_IN && q.runs.length && q.runs[0].off === 0 ? q.runs[0].skbs[0] : null;
  if (head !== null) {
    q.runs[0].skbs.shift();
    // Undo the pull so the quoted header and first data bytes are in front again.
    head.len += head.data - head.networkHeader;
    head.data = head.networkHeader;
  }
  ipqKill(q, SKB_DROP_REASON.FRAG_REASM_TIMEOUT);
  if (head !== null) {
    if (head.dst !== null) icmpSend(head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
    kfreeSkbReason(head, SKB_DROP_REASON.FRAG_REASM_TIMEOUT);
  }
}

function ipFind(net: Net, skb: SkBuff): Ipq | null {
  const ip = ipv4Net(net);
  const st = ip.frags;
  // inet_frag_find: above ipfrag_high_thresh no fragment is accepted until timers free memory.
  if (ip.sysctl.ipfragHighThresh === 0 || st.mem > ip.sysctl.ipfragHighThresh) return null;
  const b = skb.head;
  const o = skb.networkHeader;
  const saddr = ipHdrSaddr(b, o), daddr = ipHdrDaddr(b, o), id = ipHdrId(b, o), proto = ipHdrProtocol(b, o);
  const key = `${saddr}:${daddr}:${id}:${proto}`;
  let q = st.queues.get(key);
  if (q === undefined) {
    const nq: Ipq = {
      key, saddr, daddr, id, proto, flags: 0, len: 0, meat: 0, mem: 0, runs: [], maxSize: 0, net,
      timer: null as unknown as TimerList,
    };
    nq.timer = timerSetup(() => ipExpire(nq));
    modTimer(net, nq.timer, jiffies(net) + ip.sysctl.ipfragTime * 1000);
    st.queues.set(key, nq);
    q = nq;
  }
  return q;
}

/**
 * ip_defrag: queue a fragment. Returns the reassembled datagram (skb.data and networkHeader at
 * its IP header, transportHeader after it) or null when the fragment was held or dropped.
 */
export function ipDefrag(net: Net, skb: SkBuff): SkBuff | null {
  if (net.trace !== null) traceEvent(net, 'ipDefrag');
  const ip = ipv4Net(net);
  ip.mib.ip.ReasmReqds++;
  const q = ipFind(net, skb);
  if (q === null) {
    ip.mib.ip.ReasmFails++;
    kfreeSkbReason(skb, SKB_DROP_REASON.NOMEM);
    return null;
  }
  return ipFragQueue(q, skb);
}

function discardQp(q: Ipq, skb: SkBuff, reason: number): null {
  ipqKill(q, reason);
  ipv4Net(q.net).mib.ip.ReasmFails++;
  kfreeSkbReason(skb, reason);
  return null;
}

/** ip_frag_queue */
function ipFragQueue(q: Ipq, skb: SkBuff): SkBuff | null {
  if (q.flags & INET_FRAG_COMPLETE) {
    kfreeSkbReason(skb, SKB_DROP_REASON.NOT_SPECIFIED);
    return null;
  }
  const b = skb.head;
  const o = skb.networkHeader;
  const fo = ipHdrFragOff(b, o);
  const offset = (fo & IP_OFFSET) << 3;
  const ihl = ipHdrLen(b, o);
  const fragLen = skb.len - (o - skb.data);
  let end = offset + fragLen - ihl;
  if (!(fo & IP_MF)) {
    // The last fragment fixes the length; data beyond it, or a second different end, is corrupt.
    if (end < q.len || (q.flags & INET_FRAG_LAST_IN && end !== q.len)) return discardQp(q, skb, SKB_DROP_REASON.NOT_SPECIFIED);
    q.flags |= INET_FRAG_LAST_IN;
    q.len = end;
  } else {
    end &= ~7;
    if (end > q.len) {
      if (q.flags & INET_FRAG_LAST_IN) return discardQp(q, skb, SKB_DROP_REASON.NOT_SPECIFIED);
      q.len = end;
    }
  }
  if (end === offset) return discardQp(q, skb, SKB_DROP_REASON.NOT_SPECIFIED);
  if (end + ihl > IP_MAX_DATAGRAM) return discardQp(q, skb, SKB_DROP_REASON.PKT_TOO_BIG);
  skbPull(skb, o - skb.data + ihl);
  pskbTrim(skb, end - offset);
  skb.cb.layerPriv = offset;
  const r = fragQueueInsert(q, skb, offset, end);
  if (r === IPFRAG_DUP) {
    kfreeSkbReason(skb, SKB_DROP_REASON.DUP_FRAG);
    return null;
  }
  if (r === IPFRAG_OVERLAP) return discardQp(q, skb, SKB_DROP_REASON.FRAG_OVERLAP);
  const st = ipv4Net(q.net).frags;
  q.mem += skb.truesize;
  st.mem += skb.truesize;
  q.meat += end - offset;
  if (fragLen > q.maxSize) q.maxSize = fragLen;
  if (offset === 0) q.flags |= INET_FRAG_FIRST_IN;
  if (q.flags & INET_FRAG_FIRST_IN && q.flags & INET_FRAG_LAST_IN && q.meat === q.len) return ipFragReasm(q);
  return null;
}

/** ip_frag_reasm: one linear datagram from the runs, the first fragment's header in front. */
function ipFragReasm(q: Ipq): SkBuff | null {
  const net = q.net;
  const ip = ipv4Net(net);
  const head = q.runs[0].skbs[0];
  const hb = head.head;
  const ho = head.networkHeader;
  const ihl = ipHdrLen(hb, ho);
  const len = ihl + q.len;
  if (len > IP_MAX_DATAGRAM) {
    ip.mib.ip.ReasmFails++;
    ipqKill(q, SKB_DROP_REASON.PKT_TOO_BIG);
    return null;
  }
  const headroom = head.networkHeader > 128 ? 128 : 64;
  const skb = allocSkb(headroom + len);
  skbReserve(skb, headroom);
  const o = skbPut(skb, len);
  memcpy(skb.head, o, hb, ho, ihl);
  for (const r of q.runs) {
    for (const f of r.skbs) skbCopyBits(f, 0, skb.head, o + ihl + fragOffset(f), f.len);
  }
  ipHdrSetFragOff(skb.head, o, 0);
  ipHdrSetTotLen(skb.head, o, len);
  ipSendCheck(skb.head, o);
  skb.networkHeader = o;
  skb.transportHeader = o + ihl;
  skb.dev = head.dev;
  skb.dst = head.dst;
  skb.pktType = head.pktType;
  skb.protocol = head.protocol;
  skb.mark = head.mark;
  skb.tstamp = head.tstamp;
  skb.cb.ipOptLen = ihl - 20;
  skb.cb.fragMaxSize = q.maxSize;
  q.flags |= INET_FRAG_COMPLETE;
  if (q.timer.pending) delTimer(net, q.timer);
  ip.frags.queues.delete(q.key);
  ip.frags.mem -= q.mem;
  for (const r of q.runs) for (const f of r.skbs) consumeSkb(f);
  q.runs.length = 0;
  ip.mib.ip.ReasmOKs++;
  return skb;
}
