// Packetization-layer path MTU discovery (RFC 4821), as Linux's tcp_output.c/tcp_input.c/
// tcp_timer.c do it: with net.ipv4.tcp_mtu_probing=2 (or after a suspected black hole with 1)
// the sender binary-searches the MTU between search_low (known good) and search_high (known or
// assumed bad) by sending one larger segment, the probe, ahead of MSS-sized data. An ACK of the
// probe raises search_low and the MSS; its loss lowers search_high, without a cwnd reduction.
import type { SkBuff } from '@knet/include';
import { TCPHDR_FIN, TCPHDR_PSH, TCP_CA_Open, TCP_SYN_SENT } from '@knet/include';
import { skbCopyBits, skbInsertBefore, skbPut, skbUnlink } from '@knet/skbuff';
import { after } from './tcp_seq.js';
import { TCPCB_EOR } from './tcp_defs.js';
import { tcpNet } from './tcp_net.js';
import type { TcpSock } from './tcp_sock.js';
import {
  skStreamAllocSkb, skWmemFreeSkb, tcpCurrentMss, tcpEventNewDataSent, tcpInitTsoSegs,
  tcpMssToMtu, tcpMtuToMss, tcpPacketsInFlight, tcpSetSkbTsoSegs, tcpSkbAddData, tcpSkbMss, tcpSkbPcount, tcpSyncMss,
  tcpTransmitSkb, tcpTrimHead, tcpWndEnd,
} from './tcp_output.js';
import { tcpCurrentSsthresh, tcpMarkSkbLost, tcpNonCongestionLossRetransmit } from './tcp_input.js';

const TCP_HLEN = 20;

/** tcp_mtup_init: start a search between tcp_base_mss and what the peer's MSS allows. */
export function tcpMtupInit(sk: TcpSock): void {
  const s = tcpNet(sk.skNet).sysctl;
  sk.mtupEnabled = s.tcp_mtu_probing > 1;
  sk.mtupSearchHigh = sk.rxOpt.mssClamp + TCP_HLEN + sk.icskAfOps.netHeaderLen;
  sk.mtupSearchLow = tcpMssToMtu(sk, s.tcp_base_mss);
  sk.mtupProbeSize = 0;
  if (sk.mtupEnabled) sk.mtupProbeTimestamp = sk.jiffies;
}

/** tcp_mtu_check_reprobe: after tcp_probe_interval, search again from the current MSS up. */
function tcpMtuCheckReprobe(sk: TcpSock): void {
  const interval = tcpNet(sk.skNet).sysctl.tcp_probe_interval * 1000;
  if (sk.jiffies - sk.mtupProbeTimestamp < interval) return;
  const mss = tcpCurrentMss(sk);
  sk.mtupProbeSize = 0;
  sk.mtupSearchHigh = sk.rxOpt.mssClamp + TCP_HLEN + sk.icskAfOps.netHeaderLen;
  sk.mtupSearchLow = tcpMssToMtu(sk, mss);
  sk.mtupProbeTimestamp = sk.jiffies;
}

/**
 * tcp_can_coalesce_send_queue_head: the probe may swallow whole skbs only when nothing marks a
 * boundary between them (MSG_EOR).
 */
function tcpCanCoalesceSendQueueHead(sk: TcpSock, len: number): boolean {
  for (let skb = sk.sendHead; skb !== null; skb = skb.next) {
    if (len <= skb.len) break;
    if (skb.cb.tcpFlags & TCPCB_EOR || skb.next === null) return false;
    len -= skb.len;
  }
  return true;
}

/**
 * tcp_mtu_probe: build and send one probe-sized segment from the head of the unsent queue.
 * -1: no probe now (send normally); 0: wait (window or cwnd must drain first); 1: sent.
 */
export function tcpMtuProbe(sk: TcpSock): number {
  const s = tcpNet(sk.skNet).sysctl;
  // Not while probing, recovering, short of cwnd, or SACKing (the options change the size).
  if (!sk.mtupEnabled || sk.mtupProbeSize || sk.icskCaState !== TCP_CA_Open || sk.sndCwnd < 11 ||
    sk.rxOpt.numSacks || sk.rxOpt.dsack) return -1;
  const mssNow = tcpCurrentMss(sk);
  const probeSize = tcpMtuToMss(sk, (sk.mtupSearchHigh + sk.mtupSearchLow) >> 1);
  // Enough data behind the probe for a fast retransmit should it be lost.
  const sizeNeeded = probeSize + (sk.reordering + 1) * sk.mssCache;
  const interval = sk.mtupSearchHigh - sk.mtupSearchLow;
  if (probeSize > tcpMtuToMss(sk, sk.mtupSearchHigh) || interval < s.tcp_probe_threshold) {
    tcpMtuCheckReprobe(sk);
    return -1;
  }
  if (((sk.writeSeq - sk.sndNxt) >>> 0) < sizeNeeded) return -1;
  if (sk.sndWnd < sizeNeeded) return -1;
  if (after((sk.sndNxt + sizeNeeded) >>> 0, tcpWndEnd(sk))) return 0;
  if (tcpPacketsInFlight(sk) + 2 > sk.sndCwnd) return tcpPacketsInFlight(sk) ? 0 : -1;
  if (!tcpCanCoalesceSendQueueHead(sk, probeSize)) return -1;

  const first = sk.sendHead!;
  const nskb = skStreamAllocSkb(sk, probeSize);
  sk.skWmemQueued += nskb.truesize;
  sk.skForwardAlloc -= nskb.truesize;
  nskb.cb.seq = first.cb.seq;
  nskb.cb.endSeq = (first.cb.seq + probeSize) >>> 0;
  nskb.cb.tcpFlags = 0;
  nskb.cb.sacked = 0;
  skbInsertBefore(sk.skWriteQueue, first, nskb);
  sk.sendHead = nskb;

  let len = 0;
  for (let skb: SkBuff | null = first; skb !== null && len < probeSize;) {
    const next: SkBuff | null = skb.next;
    const copy = Math.min(skb.len, probeSize - len);
    const at = skbPut(nskb, copy);
    skbCopyBits(skb, 0, nskb.head, at, copy);
    tcpSkbAddData(sk, nskb, copy);
    if (skb.len <= copy) {
      // Every byte of this skb is in the probe: it goes, its flags (PSH, FIN, EOR) with it.
      nskb.cb.tcpFlags |= skb.cb.tcpFlags;
      skbUnlink(skb, sk.skWriteQueue);
      skWmemFreeSkb(sk, skb);
    } else {
      nskb.cb.tcpFlags |= skb.cb.tcpFlags & ~(TCPHDR_FIN | TCPHDR_PSH);
      tcpTrimHead(sk, skb, copy);
      tcpSetSkbTsoSegs(skb, mssNow);
    }
    len += copy;
    skb = next;
  }
  // One segment whatever the MSS: its size is the question being asked.
  tcpInitTsoSegs(nskb, nskb.len);
  if (tcpTransmitSkb(sk, nskb, true) !== 0) return -1;
  // The probe stands for two segments' worth of data: take one back from cwnd.
  sk.sndCwnd -= 1;
  tcpEventNewDataSent(sk, nskb);
  sk.mtupProbeSize = tcpMssToMtu(sk, nskb.len);
  sk.mtuProbeSeqStart = nskb.cb.seq;
  sk.mtuProbeSeqEnd = nskb.cb.endSeq;
  return 1;
}

/** tcp_mtup_probe_success: the probe's MTU works; keep the bytes in flight, in bigger packets. */
export function tcpMtupProbeSuccess(sk: TcpSock): void {
  sk.priorSsthresh = tcpCurrentSsthresh(sk);
  const cwnd = Math.floor((sk.sndCwnd * tcpMssToMtu(sk, sk.mssCache)) / sk.mtupProbeSize);
  sk.sndCwnd = Math.max(1, cwnd);
  sk.sndCwndCnt = 0;
  sk.sndCwndStamp = sk.jiffies;
  sk.sndSsthresh = tcpCurrentSsthresh(sk);
  sk.mtupSearchLow = sk.mtupProbeSize;
  sk.mtupProbeSize = 0;
  tcpSyncMss(sk, sk.icskPmtuCookie);
  tcpNet(sk.skNet).ext.TCPMTUPSuccess++;
}

/** tcp_mtup_probe_failed: that MTU is too big; search below it. */
export function tcpMtupProbeFailed(sk: TcpSock): void {
  sk.mtupSearchHigh = sk.mtupProbeSize - 1;
  sk.mtupProbeSize = 0;
  tcpNet(sk.skNet).ext.TCPMTUPFail++;
}

/**
 * tcp_mtu_probing: repeated timeouts may mean large packets vanish (an ICMP black hole,
 * RFC 4821 §7.6.3). Start probing, or halve the floor of the search and shrink the MSS.
 */
export function tcpMtuProbing(sk: TcpSock): void {
  const s = tcpNet(sk.skNet).sysctl;
  if (!s.tcp_mtu_probing) return;
  if (!sk.mtupEnabled) {
    sk.mtupEnabled = true;
    sk.mtupProbeTimestamp = sk.jiffies;
  } else {
    let mss = tcpMtuToMss(sk, sk.mtupSearchLow) >> 1;
    mss = Math.min(s.tcp_base_mss, mss);
    mss = Math.max(mss, s.tcp_mtu_probe_floor, s.tcp_min_snd_mss);
    sk.mtupSearchLow = tcpMssToMtu(sk, mss);
  }
  tcpSyncMss(sk, sk.icskPmtuCookie);
}

/** tcp_skb_seglen: the size of the packets an skb goes out as. */
function tcpSkbSeglen(skb: SkBuff): number {
  return tcpSkbPcount(skb) === 1 ? skb.len : tcpSkbMss(skb);
}

/**
 * tcp_simple_retransmit: the MSS shrank (PMTU, failed probe). Resend everything sent in
 * packets now too big, entering Loss without touching cwnd: the data in flight did not grow,
 * only its packaging changed.
 */
export function tcpSimpleRetransmit(sk: TcpSock): void {
  // A SYN with data was queued in two pieces (tcp_send_syn_data); here the path MTU is in
  // question, so take all of it as lost.
  const mss = sk.synData && sk.skState === TCP_SYN_SENT ? -1 : tcpCurrentMss(sk);
  for (let skb = sk.skWriteQueue.first; skb !== null && skb !== sk.sendHead; skb = skb.next) {
    if (tcpSkbSeglen(skb) > mss) tcpMarkSkbLost(sk, skb);
  }
  if (sk.lostOut) tcpNonCongestionLossRetransmit(sk);
}
