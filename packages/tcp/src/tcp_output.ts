// net/ipv4/tcp_output.c: building and sending segments. tcpWriteXmit applies cwnd, rwnd,
// Nagle and TSO deferral; tcpTransmitSkb clones the queued skb, writes header and options,
// fills the checksum and hands the clone to icsk_af_ops->queue_xmit.
import type { DstEntry, SkBuff } from '@knet/include';
import { dstMetricAdvmss, dstMtu } from '@knet/include';
import {
  TCPHDR_ACK, TCPHDR_FIN, TCPHDR_PSH, TCPHDR_RST, TCPHDR_SYN, TCP_CLOSE, TCP_SYN_SENT, TCP_LISTEN,
  CHECKSUM_PARTIAL, CHECKSUM_NONE, IPPROTO_TCP, NETIF_F_HW_CSUM, NETIF_F_IP_CSUM, NETIF_F_TSO, NETIF_F_GSO,
  SKB_GSO_TCPV4, MAX_TCP_HEADER, CA_EVENT_TX_START, CA_EVENT_CWND_RESTART, TCP_CA_Open, TCP_CA_CWR, TCP_CA_Recovery, SKB_DROP_REASON,
  SOCK_DEAD, SOCK_NOSPACE, EBUSY, SKB_TRUESIZE_OVERHEAD, TCP_ESTABLISHED, TCP_CLOSE_WAIT, NET_XMIT_CN, SK_PACING_NONE,
  TCP_FIN_WAIT1, TCP_CLOSING, TCP_LAST_ACK,
} from '@knet/include';
import {
  allocSkb, skbReserve, skbPush, skbPut, skbClone, skbCloned, pskbCopy, skbTrim, skbCopyBits, skbQueueTail,
  skbUnlink, skbInsertAfter, kfreeSkb, csumPartial, csumTcpudpMagic, skbPull, consumeSkb, skbPeek, type SkbCb,
} from '@knet/skbuff';
import { skSetOwnerW, sysctlInt, traceEvent } from '@knet/netdevice';
import {
  tcpSetSource, tcpSetDest, tcpSetSeq, tcpSetAckSeq, tcpSetHdrLen, tcpSetFlags, tcpSetWindow, tcpSetCheck,
  tcpSetUrgPtr, TCP_HLEN, TCP_CSUM_OFFSET,
} from './tcp_hdr.js';
import {
  TcpOutOptions, tcpOptionsSize, tcpOptionsWrite, OPTION_MSS, OPTION_SACK_ADVERTISE, OPTION_TS, OPTION_WSCALE,
  OPTION_FAST_OPEN_COOKIE, TCPOLEN_TSTAMP_ALIGNED, MAX_TCP_OPTION_SPACE, TCP_MAX_WSCALE, tcpFastopenOptionSize,
} from './tcp_options.js';
import { tcpFastopenCookieCheck } from './tcp_fastopen.js';
import { after, before, seqAdd, between } from './tcp_seq.js';
import {
  TCP_NAGLE_CORK, TCP_NAGLE_OFF, TCP_NAGLE_PUSH, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS, TCPCB_LOST,
  TCPCB_EVER_RETRANS, TCPCB_TAGBITS, TCPCB_EOR, TCP_RTO_MAX, TCP_TIMEOUT_INIT, TCP_MSS_DEFAULT, TCP_DELACK_MAX,
  TCP_ATO_MIN, TCP_RESOURCE_PROBE_INTERVAL, TCP_PROBE0_MAX, MAX_TCP_WINDOW, TCP_INIT_CWND,
} from './tcp_defs.js';
import { tcpNet } from './tcp_net.js';
import {
  ICSK_ACK_SCHED, ICSK_ACK_TIMER, ICSK_TIME_DACK, ICSK_TIME_RETRANS, ICSK_TIME_PROBE0, ICSK_TIME_LOSS_PROBE, ICSK_TIME_REO_TIMEOUT,
  type TcpSock, type TcpRequestSock,
} from './tcp_sock.js';
import { inetCskResetXmitTimer, inetCskClearXmitTimer, tcpResetXmitTimer } from './tcp_timer.js';
import { tcpRateSkbSent } from './tcp_rate.js';
import { tcpEnterCwr } from './tcp_input.js';
import { tcpMtupInit, tcpMtuProbe } from './tcp_mtu_probe.js';
import { tcpEcnClearSyn, tcpEcnMakeSynack, tcpEcnSend, tcpEcnSendSyn, tcpEcnSendSynack } from './tcp_ecn.js';
import { TCP_CHRONO_BUSY, TCP_CHRONO_RWND_LIMITED, TCP_CHRONO_SNDBUF_LIMITED, tcpChronoStart, tcpChronoStop } from './tcp_chrono.js';

const opts = new TcpOutOptions();

/** struct tcp_skb_cb accessors */
export function tcpSkbPcount(skb: SkBuff): number {
  const s = skb.shinfo.gsoSegs;
  return s > 0 ? s : 1;
}
export function tcpSkbMss(skb: SkBuff): number {
  return skb.shinfo.gsoSize;
}

/** tcp_set_skb_tso_segs: how many MSS-sized segments the skb stands for. */
export function tcpSetSkbTsoSegs(skb: SkBuff, mssNow: number): void {
  if (skb.len <= mssNow) {
    skb.shinfo.gsoSegs = 1;
    skb.shinfo.gsoSize = 0;
    skb.shinfo.gsoType = 0;
  } else {
    skb.shinfo.gsoSegs = Math.ceil(skb.len / mssNow);
    skb.shinfo.gsoSize = mssNow;
    skb.shinfo.gsoType = SKB_GSO_TCPV4;
  }
}

/** tcp_init_tso_segs */
export function tcpInitTsoSegs(skb: SkBuff, mssNow: number): number {
  let segs = tcpSkbPcount(skb);
  if (!segs || (segs > 1 && tcpSkbMss(skb) !== mssNow) || (segs === 1 && skb.len > mssNow)) {
    tcpSetSkbTsoSegs(skb, mssNow);
    segs = tcpSkbPcount(skb);
  }
  return segs;
}

export function tcpSendHead(sk: TcpSock): SkBuff | null {
  return sk.sendHead;
}

export function tcpWriteQueueEmpty(sk: TcpSock): boolean {
  return sk.skWriteQueue.first === null;
}

/** tcp_in_cwnd_reduction: CWR or Recovery, where PRR paces what is sent. */
export function tcpInCwndReduction(sk: TcpSock): boolean {
  return sk.icskCaState === TCP_CA_CWR || sk.icskCaState === TCP_CA_Recovery;
}

/** tcp_packets_in_flight (RFC 6675 "pipe"): out − (sacked + lost) + retrans. */
export function tcpPacketsInFlight(sk: TcpSock): number {
  return sk.packetsOut - (sk.sackedOut + sk.lostOut) + sk.retransOut;
}

export function tcpIsSack(sk: TcpSock): boolean {
  return sk.rxOpt.sackOk;
}

/** tcp_wnd_end */
export function tcpWndEnd(sk: TcpSock): number {
  return (sk.sndUna + sk.sndWnd) >>> 0;
}

/** __tcp_mtu_to_mss */
export function tcpMtuToMss(sk: TcpSock, pmtu: number): number {
  let mss = pmtu - sk.icskAfOps.netHeaderLen - TCP_HLEN;
  if (mss > sk.rxOpt.mssClamp && sk.rxOpt.mssClamp) mss = sk.rxOpt.mssClamp;
  mss -= sk.icskExtHdrLen;
  const minSnd = tcpNet(sk.skNet).sysctl.tcp_min_snd_mss;
  if (mss < minSnd) mss = minSnd;
  // Room for the options every segment carries (TS).
  mss -= sk.tcpHeaderLen - TCP_HLEN;
  return mss;
}

/** tcp_mss_to_mtu */
export function tcpMssToMtu(sk: TcpSock, mss: number): number {
  return mss + sk.tcpHeaderLen + sk.icskExtHdrLen + sk.icskAfOps.netHeaderLen;
}

/** tcp_bound_to_half_wnd: never send segments larger than half the peer's largest window. */
export function tcpBoundToHalfWnd(sk: TcpSock, pktsize: number): number {
  const cutoff = sk.maxWindow > TCP_MSS_DEFAULT ? sk.maxWindow >>> 1 : sk.maxWindow;
  if (cutoff && pktsize > cutoff) return Math.max(cutoff, 68 - sk.tcpHeaderLen);
  return pktsize;
}

/** tcp_sync_mss: recompute mss_cache for a path MTU. */
export function tcpSyncMss(sk: TcpSock, pmtu: number): number {
  if (sk.mtupSearchHigh > pmtu) sk.mtupSearchHigh = pmtu;
  let mss = tcpMtuToMss(sk, pmtu);
  sk.icskPmtuCookie = pmtu;
  mss = tcpBoundToHalfWnd(sk, mss);
  // While searching (RFC 4821), send at the known-good size; only probes go above it.
  if (sk.mtupEnabled) mss = Math.min(mss, tcpMtuToMss(sk, sk.mtupSearchLow));
  sk.mssCache = mss;
  return mss;
}

/** dst_mtu of the socket's cached route (__sk_dst_get: not revalidated here), 0 without one. */
function skDstMtu(sk: TcpSock): number {
  return sk.skDst === null ? 0 : dstMtu(sk.skDst);
}

/** tcp_mss_clamp: TCP_MAXSEG, when set, caps an MSS from the route. */
export function tcpMssClamp(sk: TcpSock, mss: number): number {
  return sk.userMss && sk.userMss < mss ? sk.userMss : mss;
}

/** tcp_established_options' size: TS and SACK blocks on a synchronised connection. */
function tcpEstablishedOptions(sk: TcpSock, o: TcpOutOptions): number {
  o.clear();
  let size = 0;
  if (sk.rxOpt.tstampOk) {
    o.options |= OPTION_TS;
    o.tsval = tcpTimeStamp(sk);
    o.tsecr = sk.rxOpt.tsRecent;
    size += TCPOLEN_TSTAMP_ALIGNED;
  }
  const eff = sk.rxOpt.numSacks + (sk.rxOpt.dsack ? 1 : 0);
  if (eff > 0) {
    const remaining = MAX_TCP_OPTION_SPACE - size;
    const n = Math.min(eff, Math.floor((remaining - 4) / 8));
    if (n > 0) {
      o.numSackBlocks = n;
      size += 4 + n * 8;
    }
  }
  return size;
}

/** tcp_current_mss: the MSS for the next segment, following PMTU and the options in use. */
export function tcpCurrentMss(sk: TcpSock): number {
  let mssNow = sk.mssCache;
  const mtu = skDstMtu(sk);
  if (mtu && mtu !== sk.icskPmtuCookie) mssNow = tcpSyncMss(sk, mtu);
  const headerLen = tcpEstablishedOptions(sk, opts) + TCP_HLEN;
  // A SACK block steals option space from the payload.
  if (headerLen !== sk.tcpHeaderLen) {
    const delta = headerLen - sk.tcpHeaderLen;
    mssNow -= delta;
  }
  return mssNow;
}

/** tcp_time_stamp_ts: the TSval clock (ms, offset per connection). */
export function tcpTimeStamp(sk: TcpSock): number {
  return (Math.floor(sk.skNet.clock.now()) + sk.tsOffset) >>> 0;
}

export function tcpClockUs(sk: TcpSock): number {
  return Math.floor(sk.skNet.clock.now() * 1000);
}

/** Step between passes at one virtual instant: a binary fraction, exact in a double. */
const TCP_MSTAMP_STEP = 1 / 1024;

/**
 * tcp_mstamp_refresh: the µs stamp of this pass. Linux's ns clock moves on between two ACKs
 * of one NAPI batch; virtual time stands still while a softirq runs, so passes at one
 * instant are spaced by a fraction of a µs. Without it an earlier pass's new data and a
 * later retransmission tie, and RACK's sent-after order (RFC 8985 §6.1) falls back to
 * sequence order and declares the retransmission lost.
 */
export function tcpMstampRefresh(sk: TcpSock): number {
  const now = Math.floor(sk.skNet.clock.now() * 1000);
  sk.tcpMstamp = now > sk.tcpMstamp ? now : sk.tcpMstamp + TCP_MSTAMP_STEP;
  return sk.tcpMstamp;
}

/** tcp_win_from_space with tcp_adv_win_scale. */
export function tcpWinFromSpace(sk: TcpSock, space: number): number {
  const s = tcpNet(sk.skNet).sysctl.tcp_adv_win_scale;
  return s <= 0 ? space >> -s : space - (space >> s);
}

/** tcp_space / tcp_full_space */
export function tcpSpace(sk: TcpSock): number {
  return tcpWinFromSpace(sk, sk.skRcvbuf - sk.skBacklogLen - sk.skRmemAlloc);
}
export function tcpFullSpace(sk: TcpSock): number {
  return tcpWinFromSpace(sk, sk.skRcvbuf);
}

/** tcp_receive_window: what is left of the window we advertised. */
export function tcpReceiveWindow(sk: TcpSock): number {
  const win = ((sk.rcvWup + sk.rcvWnd - sk.rcvNxt) | 0);
  return win < 0 ? 0 : win;
}

/** __tcp_select_window: receiver-side SWS avoidance (RFC 1122 4.2.3.3) with Linux's rounding. */
export function __tcpSelectWindow(sk: TcpSock): number {
  let mss = sk.icskAck.rcvMss;
  let freeSpace = tcpSpace(sk);
  const allowedSpace = tcpFullSpace(sk);
  const fullSpace = Math.min(sk.windowClamp, allowedSpace);
  const ws = sk.rxOpt.rcvWscale;
  if (mss > fullSpace) {
    mss = fullSpace;
    if (mss <= 0) return 0;
  }
  if (freeSpace < (fullSpace >> 1)) {
    sk.icskAck.quick = 0;
    freeSpace = (freeSpace >> ws) << ws;
    if (freeSpace < (allowedSpace >> 4) || freeSpace < mss) return 0;
  }
  if (freeSpace > sk.rcvSsthresh) freeSpace = sk.rcvSsthresh;
  let window = sk.rcvWnd;
  if (ws) {
    window = freeSpace;
    if (((window >> ws) << ws) !== window) window = ((window >> ws) + 1) << ws;
  } else {
    if (window <= freeSpace - mss || window > freeSpace) window = Math.floor(freeSpace / mss) * mss;
    else if (mss === fullSpace && freeSpace > window + (fullSpace >> 1)) window = freeSpace;
  }
  return window;
}

/** tcp_select_window: the field value to send; the window never shrinks (RFC 9293 §3.8.6.2.2). */
export function tcpSelectWindow(sk: TcpSock): number {
  const tn = tcpNet(sk.skNet);
  const oldWin = sk.rcvWnd;
  const curWin = tcpReceiveWindow(sk);
  let newWin = __tcpSelectWindow(sk);
  const ws = sk.rxOpt.rcvWscale;
  if (newWin < curWin) {
    if (newWin === 0) tn.ext.TCPWantZeroWindowAdv++;
    newWin = Math.ceil(curWin / (1 << ws)) * (1 << ws);
  }
  sk.rcvWnd = newWin;
  sk.rcvWup = sk.rcvNxt;
  if (!ws && tn.sysctl.tcp_workaround_signed_windows) newWin = Math.min(newWin, MAX_TCP_WINDOW);
  else newWin = Math.min(newWin, 65535 << ws);
  // ws ≤ 14 (RFC 7323 §2.3): every value here fits an int32.
  newWin >>= ws;
  if (newWin === 0) {
    if (oldWin) tn.ext.TCPToZeroWindowAdv++;
  } else if (oldWin === 0) tn.ext.TCPFromZeroWindowAdv++;
  return newWin;
}

/** Values tcp_select_initial_window computes. */
export class InitialWindow {
  rcvWnd = 0;
  windowClamp = 0;
  rcvWscale = 0;
}
const initWin = new InitialWindow();

/** tcp_select_initial_window: the SYN's window and our shift count (RFC 7323 §2.2). */
export function tcpSelectInitialWindow(sk: TcpSock, space: number, mss: number, windowClamp: number, wscaleOk: boolean): InitialWindow {
  const tn = tcpNet(sk.skNet);
  if (windowClamp === 0) windowClamp = 65535 * 2 ** TCP_MAX_WSCALE;
  space = Math.min(windowClamp, space);
  if (space > mss) space = Math.floor(space / mss) * mss;
  let rcvWnd = tn.sysctl.tcp_workaround_signed_windows ? Math.min(space, MAX_TCP_WINDOW) : Math.min(space, 65535);
  let rcvWscale = 0;
  if (wscaleOk) {
    space = Math.max(space, tn.sysctl.tcp_rmem[2]);
    space = Math.max(space, sysctlInt(sk.skNet, 'net.core.rmem_max', 212992));
    space = Math.min(space, windowClamp);
    rcvWscale = Math.min(Math.max(Math.floor(Math.log2(space)) - 15, 0), TCP_MAX_WSCALE);
  }
  initWin.rcvWnd = rcvWnd;
  initWin.windowClamp = Math.min(65535 * 2 ** rcvWscale, windowClamp);
  initWin.rcvWscale = rcvWscale;
  return initWin;
}

/** tcp_v4_send_check: full checksum, or CHECKSUM_PARTIAL seeded with the pseudo-header. */
export function tcpV4SendCheck(sk: TcpSock | null, skb: SkBuff, saddr: number, daddr: number, caps: number): void {
  const th = skb.transportHeader;
  const len = skb.len - (th - skb.data);
  tcpSetCheck(skb.head, th, 0);
  if (caps & (NETIF_F_HW_CSUM | NETIF_F_IP_CSUM)) {
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = th;
    skb.csumOffset = TCP_CSUM_OFFSET;
    tcpSetCheck(skb.head, th, ~csumTcpudpMagic(saddr, daddr, len, IPPROTO_TCP, 0) & 0xffff);
  } else {
    skb.ipSummed = CHECKSUM_NONE;
    tcpSetCheck(skb.head, th, csumTcpudpMagic(saddr, daddr, len, IPPROTO_TCP, csumPartial(skb.head, th, len, 0)));
  }
  void sk;
}

/** tcp_event_data_sent: idle restart (RFC 2861 via cwnd restart) and lsndtime. */
function tcpEventDataSent(sk: TcpSock): void {
  const now = sk.jiffies;
  if (sk.packetsOut === 0) {
    const ops = sk.icskCaOps;
    if (ops !== null && ops.cwndEvent) ops.cwndEvent(sk, CA_EVENT_TX_START);
  }
  sk.lsndtime = now;
  // An ACK answering data soon is a sign of an interactive flow (pingpong).
  if (now - sk.icskAck.lrcvtime < sk.icskAck.ato) sk.icskAck.pingpong = Math.min(sk.icskAck.pingpong + 1, 3);
}

/** tcp_event_ack_sent: an ACK went out, so no delayed ACK is due. */
function tcpEventAckSent(sk: TcpSock, rcvNxt: number): void {
  if (sk.icskAck.quick > 0) sk.icskAck.quick--;
  if (rcvNxt !== sk.rcvNxt) return;
  inetCskClearXmitTimer(sk, ICSK_TIME_DACK);
}

/**
 * __tcp_transmit_skb: send `skb` (a write-queue skb, cloned so the queue keeps it; or a
 * one-off control skb when cloneIt is false). Returns 0 or a negative error/NET_XMIT code.
 */
export function tcpTransmitSkb(sk: TcpSock, oskb: SkBuff, cloneIt: boolean, rcvNxt: number = sk.rcvNxt): number {
  const net = sk.skNet;
  if (net.trace !== null) traceEvent(net, 'tcpTransmitSkb');
  const tn = tcpNet(net);
  let skb = oskb;
  // tcp_wstamp_ns: the departure time; under fq it runs ahead of the clock by the pacing debt.
  const priorWstamp = sk.tcpWstampUs;
  const nowUs = tcpMstampRefresh(sk);
  const paced = sk.skPacingStatus !== SK_PACING_NONE;
  sk.tcpWstampUs = paced && priorWstamp > nowUs ? priorWstamp : nowUs;
  if (cloneIt) {
    oskb.cb.whenUs = sk.tcpWstampUs;
    tcpRateSkbSent(sk, oskb);
    // A clone still in a queue below us owns the headroom: take a private header copy.
    skb = skbCloned(oskb) ? pskbCopy(oskb) : skbClone(oskb);
  }
  const cb = skb.cb;
  let flags = cb.tcpFlags;
  const isSyn = (flags & TCPHDR_SYN) !== 0;
  let optSize: number;
  if (isSyn) optSize = tcpSynOptions(sk, opts);
  else {
    optSize = tcpEstablishedOptions(sk, opts);
    // Linux 5.4+ forces PSH on every GSO packet (on the copy sent, not the queued skb): the
    // receiver's GRO flushes at once. 1-MSS packets keep theirs, as under congestion.
    if (tcpSkbPcount(skb) > 1) flags |= TCPHDR_PSH;
  }
  const hdrLen = TCP_HLEN + optSize;
  const th = skbPush(skb, hdrLen);
  skb.transportHeader = th;
  if (!isSyn) flags = tcpEcnSend(sk, skb, flags, hdrLen);
  const b = skb.head;
  tcpSetSource(b, th, sk.inetSport);
  tcpSetDest(b, th, sk.inetDport);
  tcpSetSeq(b, th, cb.seq);
  tcpSetAckSeq(b, th, rcvNxt);
  tcpSetHdrLen(b, th, hdrLen);
  tcpSetFlags(b, th, flags);
  tcpSetUrgPtr(b, th, 0);
  // RFC 7323 §2.2: the window in a SYN is never scaled.
  if (isSyn) tcpSetWindow(b, th, Math.min(sk.rcvWnd, 65535));
  else tcpSetWindow(b, th, tcpSelectWindow(sk));
  const dsack = sk.rxOpt.dsack && opts.numSackBlocks > 0 ? sk.duplicateSack[0] : null;
  tcpOptionsWrite(b, th + TCP_HLEN, opts, dsack, sk.selectiveAcks);
  if (dsack !== null) sk.rxOpt.dsack = false;
  if (flags & TCPHDR_ACK) tcpEventAckSent(sk, rcvNxt);
  if (skb.len !== hdrLen) {
    tcpEventDataSent(sk);
    sk.dataSegsOut += tcpSkbPcount(skb);
    sk.bytesSent += skb.len - hdrLen;
  }
  if (after(cb.endSeq, sk.sndNxt) || cb.seq === cb.endSeq) {
    tn.mib.OutSegs += tcpSkbPcount(skb);
  } else tn.mib.OutSegs += tcpSkbPcount(skb);
  sk.segsOut += tcpSkbPcount(skb);
  skb.shinfo.gsoSegs = tcpSkbPcount(oskb);
  skb.priority = sk.skPriority;
  skb.mark = sk.skMark;
  if (sk.icskAfOps.sendCheck) sk.icskAfOps.sendCheck(sk, skb);
  else tcpV4SendCheck(sk, skb, sk.inetSaddr, sk.inetDaddr, sk.skRouteCaps);
  skSetOwnerW(skb, sk);
  // Only packets that carry sequence space count for TSQ (pure ACKs keep sock_wfree).
  if (cb.seq !== cb.endSeq || (flags & (TCPHDR_SYN | TCPHDR_FIN))) skb.destructor = tcpWfree;
  // EDT (Linux 4.20+): the qdisc (sch_fq) holds the packet until this departure time.
  if (paced) skb.tstamp = sk.tcpWstampUs / 1000;
  let err = sk.icskAfOps.queueXmit(sk, skb, null);
  if (err > 0) {
    // Local congestion (a qdisc drop or NET_XMIT_CN) reduces cwnd as an ECN echo would; a
    // dropped skb stays unsent (net_xmit_eval), so the caller keeps it queued.
    tcpEnterCwr(sk);
    err = err === NET_XMIT_CN ? 0 : err;
  }
  if (err === 0 && paced) tcpUpdateSkbAfterSend(sk, oskb, priorWstamp);
  return err;
}

const TSQF_THROTTLED = 1, TSQF_QUEUED = 2;

/**
 * tcp_wfree: our packet left the qdisc/device. A TSQ-throttled socket gets its write queue
 * pushed again, from a later task (Linux's TSQ tasklet), not from inside the xmit path.
 */
function tcpWfree(skb: SkBuff): void {
  const sk = skb.sk as TcpSock | null;
  if (sk === null) return;
  sk.skWmemAlloc -= skb.truesize;
  const flags = sk.tsqFlags;
  if (!(flags & TSQF_THROTTLED) || (flags & TSQF_QUEUED)) return;
  sk.tsqFlags = (flags & ~TSQF_THROTTLED) | TSQF_QUEUED;
  sk.skNet.clock.defer(() => tcpTsqHandler(sk));
}

/** tcp_tasklet_func → tcp_tsq_handler → tcp_tsq_write */
function tcpTsqHandler(sk: TcpSock): void {
  sk.tsqFlags &= ~TSQF_QUEUED;
  const st = sk.skState;
  if (st !== TCP_ESTABLISHED && st !== TCP_FIN_WAIT1 && st !== TCP_CLOSING && st !== TCP_CLOSE_WAIT && st !== TCP_LAST_ACK) return;
  if (sk.lostOut > sk.retransOut && sk.sndCwnd > tcpPacketsInFlight(sk)) {
    tcpMstampRefresh(sk);
    tcpXmitRetransmitQueue(sk);
  }
  tcpWriteXmit(sk, tcpCurrentMss(sk), sk.nonagle, 0);
}

/**
 * tcp_small_queue_check (TSQ): stop while more than ~1 ms at the pacing rate (at least two
 * skbs) of ours still sits in qdisc/device queues; tcp_wfree resumes. Without it a pacing
 * qdisc would hold a whole cwnd and the flow would look cwnd-limited long before it is.
 */
function tcpSmallQueueCheck(sk: TcpSock, skb: SkBuff, factor: number): boolean {
  // sk_pacing_shift 10: about 1 ms worth of bytes.
  let limit = Math.max(2 * skb.truesize, Math.floor(sk.skPacingRate / 1024));
  if (sk.skPacingStatus === SK_PACING_NONE) limit = Math.min(limit, tcpNet(sk.skNet).sysctl.tcp_limit_output_bytes);
  limit *= 2 ** factor;
  if (sk.skWmemAlloc <= limit) return false;
  // tcp_rtx_queue_empty_or_single_skb: no TX completion may be due to call us back.
  const first = sk.skWriteQueue.first as SkBuff | null;
  if (first === null || first === sk.sendHead || first.next === sk.sendHead) return false;
  sk.tsqFlags |= TSQF_THROTTLED;
  return true;
}

/**
 * tcp_update_skb_after_send: the next departure is len/pacing_rate later, less up to half of
 * it as credit for lateness. The first 10 segments go unpaced, as original sch_fq did.
 */
function tcpUpdateSkbAfterSend(sk: TcpSock, skb: SkBuff, priorWstamp: number): void {
  const rate = sk.skPacingRate;
  // ~0UL (no RTT sample yet) means unpaced.
  if (rate >= 2 ** 64 - 1 || rate === 0 || sk.dataSegsOut < 10) return;
  let lenUs = (skb.len * 1e6) / rate;
  const credit = sk.tcpWstampUs - priorWstamp;
  lenUs -= Math.min(lenUs / 2, credit);
  sk.tcpWstampUs += lenUs;
}

/** tcp_syn_options: MSS, SACK_PERM, TS, WSCALE for our SYN (RFC 9293 §3.7.1, 7323, 2018). */
function tcpSynOptions(sk: TcpSock, o: TcpOutOptions): number {
  const tn = tcpNet(sk.skNet);
  o.clear();
  o.options = OPTION_MSS;
  o.mss = tcpAdvertiseMss(sk);
  let size = 4;
  if (tn.sysctl.tcp_timestamps) {
    o.options |= OPTION_TS;
    o.tsval = tcpTimeStamp(sk);
    o.tsecr = sk.rxOpt.tsRecent;
    size += TCPOLEN_TSTAMP_ALIGNED;
  }
  if (tn.sysctl.tcp_window_scaling) {
    o.ws = sk.rxOpt.rcvWscale;
    o.options |= OPTION_WSCALE;
    size += 4;
  }
  if (tn.sysctl.tcp_sack) {
    o.options |= OPTION_SACK_ADVERTISE;
    if (!(o.options & OPTION_TS)) size += 4;
  }
  // RFC 7413 §4.1.1: the cookie, or an empty option asking for one, if it still fits.
  const fo = sk.fastopenReq;
  if (fo !== null && fo.cookie.len >= 0) {
    const need = tcpFastopenOptionSize(fo.cookie);
    if (MAX_TCP_OPTION_SPACE - size >= need) {
      o.options |= OPTION_FAST_OPEN_COOKIE;
      o.fastopenCookie = fo.cookie;
      size += need;
      sk.synFastopen = true;
      sk.synFastopenExp = fo.cookie.exp;
    }
  }
  return size;
}

/** tcp_advertise_mss: the MSS we put in our SYN, from the route (RFC 9293 §3.7.1). */
export function tcpAdvertiseMss(sk: TcpSock): number {
  let mss = sk.advmss;
  if (sk.skDst !== null) {
    const metric = dstMetricAdvmss(sk.skDst);
    if (metric < mss) {
      mss = metric;
      sk.advmss = mss;
    }
  }
  return mss;
}

/**
 * tcp_slow_start_after_idle_check: data queued after more than an RTO of silence restarts
 * from the initial window (RFC 5681 §4.1, Linux's tcp_cwnd_restart).
 */
export function tcpSlowStartAfterIdleCheck(sk: TcpSock): void {
  if (!tcpNet(sk.skNet).sysctl.tcp_slow_start_after_idle || sk.packetsOut) return;
  const delta = sk.jiffies - sk.lsndtime;
  if (delta > sk.icskRto) tcpCwndRestart(sk, delta);
}

/** tcp_cwnd_restart: halve cwnd for every RTO of idleness, down to the restart window. */
export function tcpCwndRestart(sk: TcpSock, delta: number): void {
  const restartCwnd = Math.min(TCP_INIT_CWND, sk.sndCwnd);
  let cwnd = sk.sndCwnd;
  const ops = sk.icskCaOps;
  if (ops !== null && ops.cwndEvent) ops.cwndEvent(sk, CA_EVENT_CWND_RESTART);
  // tcp_current_ssthresh: remember three quarters of the old window.
  const inReduction = sk.icskCaState === TCP_CA_CWR || sk.icskCaState === TCP_CA_Recovery;
  sk.sndSsthresh = inReduction ? sk.sndSsthresh : Math.max(sk.sndSsthresh, (sk.sndCwnd >> 1) + (sk.sndCwnd >> 2));
  while ((delta -= sk.icskRto) > 0 && cwnd > restartCwnd) cwnd >>= 1;
  sk.sndCwnd = Math.max(cwnd, restartCwnd);
  sk.sndCwndStamp = sk.jiffies;
  sk.sndCwndUsed = 0;
}

/** skb_entail: queue a new skb at the tail of the write queue. */
export function skbEntail(sk: TcpSock, skb: SkBuff): void {
  tcpSlowStartAfterIdleCheck(sk);
  skb.cb.seq = skb.cb.endSeq = sk.writeSeq;
  skb.cb.tcpFlags = TCPHDR_ACK;
  skb.cb.sacked = 0;
  skbQueueTail(sk.skWriteQueue, skb);
  sk.skWmemQueued += skb.truesize;
  sk.skForwardAlloc -= skb.truesize;
  if (sk.sendHead === null) {
    sk.sendHead = skb;
    tcpChronoStart(sk, TCP_CHRONO_BUSY);
  }
}

/**
 * sk_stream_alloc_skb: an skb for `size` bytes of payload with MAX_TCP_HEADER headroom.
 * Linux keeps the payload in page frags and grows truesize by what is copied in, so the
 * charge follows the bytes held, not the pool's size class: start at the header's share
 * and let tcpSkbAddData add the payload.
 */
export function skStreamAllocSkb(sk: TcpSock, size: number): SkBuff {
  const skb = allocSkb(size + MAX_TCP_HEADER);
  skbReserve(skb, MAX_TCP_HEADER);
  // tcp_stream_alloc_skb: SKB_TRUESIZE of Linux's head, MAX_TCP_HEADER plus skb_shared_info in a
  // kmalloc-1k object, so the send buffer holds as many skbs as Linux's does.
  skb.truesize = 1024 + SKB_STRUCT_SIZE;
  skb.shinfo.gsoSegs = 0;
  skb.shinfo.gsoSize = 0;
  skb.shinfo.gsoType = 0;
  void sk;
  return skb;
}

/** skb_copy_to_page_nocache's accounting: `len` payload bytes joined a write-queue skb. */
export function tcpSkbAddData(sk: TcpSock, skb: SkBuff, len: number): void {
  skb.truesize += len;
  sk.skWmemQueued += len;
  sk.skForwardAlloc -= len;
}

/** sk_wmem_free_skb: an skb leaves the write queue. */
export function skWmemFreeSkb(sk: TcpSock, skb: SkBuff): void {
  sk.skWmemQueued -= skb.truesize;
  sk.skForwardAlloc += skb.truesize;
  consumeSkb(skb);
}

/** tcp_advance_send_head + tcp_event_new_data_sent */
export function tcpEventNewDataSent(sk: TcpSock, skb: SkBuff): void {
  const tn = tcpNet(sk.skNet);
  const priorPackets = sk.packetsOut;
  sk.sendHead = skb.next;
  sk.sndNxt = skb.cb.endSeq;
  sk.packetsOut += tcpSkbPcount(skb);
  if (!priorPackets || sk.icskPending === ICSK_TIME_LOSS_PROBE) tcpRearmRto(sk);
  tn.ext.TCPOrigDataSent += tcpSkbPcount(skb);
}

/** tcp_rearm_rto: RFC 6298 §5.3, restart the timer on new data or an ACK of new data. */
export function tcpRearmRto(sk: TcpSock): void {
  if (sk.packetsOut === 0) {
    inetCskClearXmitTimer(sk, ICSK_TIME_RETRANS);
    return;
  }
  let rto = sk.icskRto;
  if (sk.icskPending === ICSK_TIME_REO_TIMEOUT || sk.icskPending === ICSK_TIME_LOSS_PROBE) {
    // Keep the RTO anchored at the head's send time, as tcp_rearm_rto does for RACK/TLP.
    const head = skbPeek(sk.skWriteQueue);
    if (head !== null && head !== sk.sendHead) {
      const elapsed = Math.max(0, Math.floor((tcpClockUs(sk) - head.cb.whenUs) / 1000));
      rto = Math.max(rto - elapsed, 1);
    }
  }
  tcpResetXmitTimer(sk, ICSK_TIME_RETRANS, rto, TCP_RTO_MAX);
}

/** tcp_minshall_check: a small segment is still unacknowledged (Minshall's Nagle variant). */
function tcpMinshallCheck(sk: TcpSock): boolean {
  return after(sk.sndSml, sk.sndUna) && !after(sk.sndSml, sk.sndNxt);
}

function tcpMinshallUpdate(sk: TcpSock, mssNow: number, skb: SkBuff): void {
  if (skb.len < tcpSkbPcount(skb) * mssNow) sk.sndSml = skb.cb.endSeq;
}

/** tcp_nagle_check: true when Nagle says wait (RFC 1122 4.2.3.4, with Minshall's tweak). */
function tcpNagleCheck(partial: boolean, sk: TcpSock, nonagle: number): boolean {
  return partial && ((nonagle & TCP_NAGLE_CORK) !== 0 || (!nonagle && sk.packetsOut !== 0 && tcpMinshallCheck(sk)));
}

/** tcp_nagle_test: may this skb go now? */
function tcpNagleTest(sk: TcpSock, skb: SkBuff, curMss: number, nonagle: number): boolean {
  if (nonagle & TCP_NAGLE_PUSH) return true;
  if (skb.cb.tcpFlags & TCPHDR_FIN) return true;
  return !tcpNagleCheck(skb.len < curMss, sk, nonagle);
}

/** tcp_snd_wnd_test: does the first segment of skb fit in the peer's window? */
function tcpSndWndTest(sk: TcpSock, skb: SkBuff, curMss: number): boolean {
  let endSeq = skb.cb.endSeq;
  if (skb.len > curMss) endSeq = (skb.cb.seq + curMss) >>> 0;
  return !after(endSeq, tcpWndEnd(sk));
}

/** tcp_cwnd_test: how many segments cwnd allows now (half-cwnd cap for TSO bursts). */
function tcpCwndTest(sk: TcpSock, skb: SkBuff): number {
  if ((skb.cb.tcpFlags & TCPHDR_FIN) && tcpSkbPcount(skb) === 1) return 1;
  const inFlight = tcpPacketsInFlight(sk);
  const cwnd = sk.sndCwnd;
  if (inFlight >= cwnd) return 0;
  const halfcwnd = Math.max(cwnd >> 1, 1);
  return Math.min(halfcwnd, cwnd - inFlight);
}

/**
 * tcp_tso_autosize: about 1 ms worth of the pacing rate per GSO packet (sk_pacing_shift 10),
 * plus a bonus that grows as min_rtt shrinks (tcp_tso_rtt_log), never below min_tso_segs.
 */
function tcpTsoAutosize(sk: TcpSock, mssNow: number, minTsoSegs: number): number {
  const tn = tcpNet(sk.skNet);
  const gsoMax = sk.skGsoMaxSize || 65536;
  let bytes = Math.floor(sk.skPacingRate / 1024);
  const minRtt = sk.minRtt.get();
  if (minRtt !== 0xffffffff) {
    // min_rtt is a u32 of µs: an unsigned shift is exact.
    const r = minRtt >>> tn.sysctl.tcp_tso_rtt_log;
    if (r < 32) bytes += gsoMax >>> r;
  }
  if (bytes > gsoMax) bytes = gsoMax;
  return Math.max(Math.floor(bytes / mssNow), minTsoSegs);
}

/** tcp_tso_segs: the most segments one GSO packet may carry now. */
export function tcpTsoSegs(sk: TcpSock, mssNow: number): number {
  const segs = tcpTsoAutosize(sk, mssNow, tcpNet(sk.skNet).sysctl.tcp_min_tso_segs);
  const maxSegs = sk.skGsoMaxSegs || 65535;
  return segs < maxSegs ? segs : maxSegs;
}

/** tcp_mss_split_point: bytes of a TSO skb to send now given window and cwnd quota. */
function tcpMssSplitPoint(sk: TcpSock, skb: SkBuff, mssNow: number, maxSegs: number, nonagle: number): number {
  const windowLen = ((tcpWndEnd(sk) - skb.cb.seq) | 0);
  const maxLen = mssNow * maxSegs;
  // Only the tail can still grow: a middle skb goes in max_segs pieces, the tail's sub-MSS
  // end waits for Nagle/cork below.
  if (maxLen <= windowLen && skb !== sk.skWriteQueue.last) return maxLen;
  const neededLen = Math.min(skb.len, windowLen);
  if (maxLen <= neededLen) return maxLen;
  const partial = neededLen % mssNow;
  if (tcpNagleCheck(partial !== 0, sk, nonagle)) return neededLen - partial;
  return neededLen;
}

/** tcp_tso_should_defer: wait for more window rather than send a small TSO chunk. */
function tcpTsoShouldDefer(sk: TcpSock, skb: SkBuff, maxSegs: number): boolean {
  if (sk.icskCaState >= TCP_CA_Recovery) return false;
  // Defer only right after a write (1 ms): an idle or ACK-clocked sender sends at once.
  const now = tcpClockUs(sk);
  if (now - sk.tcpWstampUs - 1000 > 0) return false;
  const tn = tcpNet(sk.skNet);
  const inFlight = tcpPacketsInFlight(sk);
  const sendWin = ((tcpWndEnd(sk) - skb.cb.seq) | 0);
  const congWin = (sk.sndCwnd - inFlight) * sk.mssCache;
  const limit = Math.min(sendWin, congWin);
  // A full-sized TSO skb can go, or a middle skb that will get no more data fits.
  if (limit >= maxSegs * sk.mssCache) return false;
  if (skb !== sk.skWriteQueue.last && limit >= skb.len) return false;
  const div = tn.sysctl.tcp_tso_win_divisor;
  if (div) {
    const chunk = Math.floor(Math.min(sk.sndWnd, sk.sndCwnd * sk.mssCache) / div);
    if (limit >= chunk) return false;
  } else if (limit > TCP_MAX_TSO_DEFERRED_MSS * sk.mssCache) return false;
  const head = sk.skWriteQueue.first;
  if (head === null || head === sk.sendHead) return false;
  // Do not wait for an ACK due later than half an RTT from now.
  const srtt = sk.srttUs >> 3;
  if (head.cb.whenUs + srtt - now - (srtt >> 1) > 0) return false;
  // A record end or FIN gets no more data: no point waiting.
  if (skb.cb.tcpFlags & (TCPHDR_FIN | TCPCB_EOR)) return false;
  return true;
}
/** tcp_max_tso_deferred_mss: the receiver ACKs every second segment, so 3 is past one ACK. */
const TCP_MAX_TSO_DEFERRED_MSS = 3;

/** tso_fragment / tcp_fragment: split `skb` so its first `len` bytes stand alone. */
export function tcpFragment(sk: TcpSock, skb: SkBuff, len: number, mssNow: number): number {
  const nlen = skb.len - len;
  if (nlen <= 0) return 0;
  const buff = skStreamAllocSkb(sk, nlen);
  skbPut(buff, nlen);
  skbCopyBits(skb, len, buff.head, buff.data, nlen);
  // The payload's charge moves with it; only the new head is charged anew.
  sk.skWmemQueued += buff.truesize;
  sk.skForwardAlloc -= buff.truesize;
  if (skb.truesize - nlen >= SKB_TRUESIZE_OVERHEAD) {
    skb.truesize -= nlen;
    buff.truesize += nlen;
  }
  const oldFactor = tcpSkbPcount(skb);
  buff.cb.seq = (skb.cb.seq + len) >>> 0;
  buff.cb.endSeq = skb.cb.endSeq;
  skb.cb.endSeq = buff.cb.seq;
  // PSH, FIN and the record end (eor) go with the tail.
  const flags = skb.cb.tcpFlags;
  skb.cb.tcpFlags = flags & ~(TCPHDR_FIN | TCPHDR_PSH | TCPCB_EOR);
  buff.cb.tcpFlags = flags;
  buff.cb.sacked = skb.cb.sacked;
  buff.cb.whenUs = skb.cb.whenUs;
  buff.cb.txCount = skb.cb.txCount;
  buff.cb.ackSeq = skb.cb.ackSeq;
  buff.cb.layerPriv = skb.cb.layerPriv;
  skbTrim(skb, len);
  tcpSetSkbTsoSegs(skb, mssNow);
  tcpSetSkbTsoSegs(buff, mssNow);
  // tcp_adjust_pcount: sent skbs change the in-flight accounting by the pcount difference.
  if (!before(sk.sndNxt, buff.cb.endSeq) || sk.sendHead !== skb && skbSent(sk, skb)) {
    const diff = oldFactor - tcpSkbPcount(skb) - tcpSkbPcount(buff);
    if (diff) tcpAdjustPcount(sk, skb, diff);
  }
  skbInsertAfter(sk.skWriteQueue, skb, buff);
  return 0;
}

function skbSent(sk: TcpSock, skb: SkBuff): boolean {
  return !after(skb.cb.endSeq, sk.sndNxt) && sk.sendHead !== skb;
}

/** tcp_adjust_pcount */
function tcpAdjustPcount(sk: TcpSock, skb: SkBuff, decr: number): void {
  sk.packetsOut -= decr;
  const s = skb.cb.sacked;
  if (s & TCPCB_SACKED_ACKED) sk.sackedOut -= decr;
  if (s & TCPCB_SACKED_RETRANS) sk.retransOut -= decr;
  if (s & TCPCB_LOST) sk.lostOut -= decr;
  if (sk.packetsOut < 0) sk.packetsOut = 0;
  if (sk.sackedOut < 0) sk.sackedOut = 0;
  if (sk.retransOut < 0) sk.retransOut = 0;
  if (sk.lostOut < 0) sk.lostOut = 0;
}

/**
 * sk_setup_caps: the route's device features, plus GSO always on for TCP (segmented in
 * software when the device lacks it), so size goals and PSH on GSO packets do not depend
 * on the device.
 */
export function skSetupCaps(sk: TcpSock, dst: DstEntry): void {
  sk.skRouteCaps = dst.dev.features | NETIF_F_GSO;
  sk.skGsoMaxSize = dst.dev.gsoMaxSize;
  sk.skGsoMaxSegs = dst.dev.gsoMaxSegs;
  sk.skDst = dst;
}

/** The size goal of tcp_sendmsg: one MSS, or a 64 KiB GSO chunk when the route does GSO/TSO. */
export function tcpSendMssGoal(sk: TcpSock, mssNow: number): number {
  if (!(sk.skRouteCaps & (NETIF_F_TSO | NETIF_F_GSO))) {
    sk.xmitSizeGoalSegs = 1;
    return mssNow;
  }
  const gsoMax = sk.skGsoMaxSize || 65536;
  let goal = tcpBoundToHalfWnd(sk, gsoMax - 1 - MAX_TCP_HEADER);
  const segs = Math.max(1, Math.min(Math.floor(goal / mssNow), sk.skGsoMaxSegs || 65535));
  sk.xmitSizeGoalSegs = segs;
  goal = segs * mssNow;
  return goal;
}

/** tcp_cwnd_validate (RFC 7661 in spirit): remember whether cwnd limited the sender. */
function tcpCwndValidate(sk: TcpSock, isCwndLimited: boolean): void {
  if (!before(sk.sndUna, sk.cwndUsageSeq) || isCwndLimited || (!sk.cwndLimited && sk.packetsOut > sk.maxPacketsOut)) {
    sk.cwndLimited = isCwndLimited;
    sk.maxPacketsOut = sk.packetsOut;
    sk.cwndUsageSeq = sk.sndNxt;
  }
  if (tcpPacketsInFlight(sk) >= sk.sndCwnd) {
    sk.sndCwndUsed = 0;
    sk.sndCwndStamp = sk.jiffies;
  } else if (tcpPacketsInFlight(sk) > sk.sndCwndUsed) sk.sndCwndUsed = tcpPacketsInFlight(sk);
}

/**
 * tcp_write_xmit: send what the windows allow. Returns true when nothing could be sent
 * while data is pending and nothing is in flight (the caller arms the persist timer).
 */
export function tcpWriteXmit(sk: TcpSock, mssNow: number, nonagle: number, pushOne: number): boolean {
  const net = sk.skNet;
  if (net.trace !== null) traceEvent(net, 'tcpWriteXmit');
  let sentPkts = 0;
  let isCwndLimited = false, isRwndLimited = false;
  const maxSegs = tcpTsoSegs(sk, mssNow);
  if (!pushOne) {
    const probe = tcpMtuProbe(sk);
    if (probe === 0) return false;
    if (probe > 0) sentPkts = 1;
  }
  let skb: SkBuff | null;
  while ((skb = sk.sendHead) !== null) {
    const tsoSegs = tcpInitTsoSegs(skb, mssNow);
    let cwndQuota = tcpCwndTest(sk, skb);
    if (!cwndQuota) {
      if (pushOne === 2) cwndQuota = 1; // TLP may exceed cwnd by one
      else {
        isCwndLimited = true;
        break;
      }
    }
    if (!tcpSndWndTest(sk, skb, mssNow)) {
      isRwndLimited = true;
      break;
    }
    if (tsoSegs === 1) {
      if (!tcpNagleTest(sk, skb, mssNow, skb === sk.skWriteQueue.last ? nonagle : TCP_NAGLE_PUSH)) break;
    } else if (!pushOne && tcpTsoShouldDefer(sk, skb, maxSegs)) break;
    let limit = mssNow;
    if (tsoSegs > 1) limit = tcpMssSplitPoint(sk, skb, mssNow, Math.min(cwndQuota, maxSegs), nonagle);
    if (skb.len > limit) tcpFragment(sk, skb, limit, mssNow);
    if (tcpSmallQueueCheck(sk, skb, 0)) break;
    if (tcpTransmitSkb(sk, skb, true) !== 0) break;
    tcpEventNewDataSent(sk, skb);
    tcpMinshallUpdate(sk, mssNow, skb);
    sentPkts += tcpSkbPcount(skb);
    if (pushOne) break;
  }
  if (isRwndLimited) tcpChronoStart(sk, TCP_CHRONO_RWND_LIMITED);
  else tcpChronoStop(sk, TCP_CHRONO_RWND_LIMITED);
  if (sentPkts || isCwndLimited) {
    isCwndLimited = isCwndLimited || tcpPacketsInFlight(sk) >= sk.sndCwnd;
    tcpCwndValidate(sk, isCwndLimited);
    // Starved by the send buffer: sent what there was, not cwnd-limited, and the writer is
    // waiting for space (tcp_cwnd_validate's SNDBUF_LIMITED check).
    if (!sk.isCwndLimited && sk.sendHead === null && sk.skSocket !== null && (sk.skFlags & SOCK_NOSPACE) &&
      (sk.skState === TCP_ESTABLISHED || sk.skState === TCP_CLOSE_WAIT)) tcpChronoStart(sk, TCP_CHRONO_SNDBUF_LIMITED);
    if (sentPkts && tcpInCwndReduction(sk)) sk.prrOut += sentPkts;
    if (sentPkts && tcpNet(net).sysctl.tcp_early_retrans >= 3 && pushOne !== 2) tcpScheduleLossProbe(sk, false);
    return false;
  }
  return sk.packetsOut === 0 && sk.sendHead !== null;
}

/** __tcp_push_pending_frames */
export function __tcpPushPendingFrames(sk: TcpSock, curMss: number, nonagle: number): void {
  if (sk.skState === TCP_CLOSE) return;
  if (tcpWriteXmit(sk, curMss, nonagle, 0)) tcpCheckProbeTimer(sk);
}

export function tcpPushPendingFrames(sk: TcpSock): void {
  if (sk.sendHead !== null) __tcpPushPendingFrames(sk, tcpCurrentMss(sk), sk.nonagle);
}

/** tcp_push_one */
export function tcpPushOne(sk: TcpSock, mssNow: number): void {
  tcpWriteXmit(sk, mssNow, TCP_NAGLE_PUSH, 1);
}

/** tcp_check_probe_timer: nothing in flight but data waits: probe the zero window (RFC 9293 §3.8.6.1). */
export function tcpCheckProbeTimer(sk: TcpSock): void {
  if (!sk.packetsOut && !sk.icskPending) tcpResetXmitTimer(sk, ICSK_TIME_PROBE0, tcpProbe0Base(sk), TCP_RTO_MAX);
}

export function tcpProbe0Base(sk: TcpSock): number {
  return Math.max(sk.icskRto, TCP_RTO_MIN_PROBE);
}
const TCP_RTO_MIN_PROBE = 200;

/** tcp_probe0_when: exponential backoff of the persist timer, capped at TCP_RTO_MAX. */
export function tcpProbe0When(sk: TcpSock, maxWhen: number): number {
  const backoff = Math.min(sk.icskBackoff, 20);
  return Math.min(tcpProbe0Base(sk) * 2 ** backoff, maxWhen);
}

/** tcp_schedule_loss_probe (RFC 8985 §7.2): arm the TLP timer at PTO = 2·SRTT (+ delayed-ACK allowance). */
export function tcpScheduleLossProbe(sk: TcpSock, advanced: boolean): boolean {
  const tn = tcpNet(sk.skNet);
  if (sk.icskPending === ICSK_TIME_REO_TIMEOUT) return false;
  const early = tn.sysctl.tcp_early_retrans;
  if ((early !== 3 && early !== 4) || !sk.packetsOut || !tcpIsSack(sk) || sk.icskCaState !== TCP_CA_Open) return false;
  if (sk.tlpHighSeq !== 0) return false;
  let timeout: number;
  if (sk.srttUs) {
    timeout = Math.ceil((sk.srttUs >> 2) / 1000);
    if (sk.packetsOut === 1) timeout += TCP_RTO_MIN;
    else timeout += 2; // TCP_TIMEOUT_MIN
  } else timeout = TCP_TIMEOUT_INIT;
  // Never fire later than the RTO would.
  let rtoDelta = sk.icskRto;
  if (!advanced && sk.icskPending === ICSK_TIME_RETRANS) rtoDelta = Math.max(0, sk.icskTimeout - sk.jiffies);
  if (rtoDelta > 0 && timeout > rtoDelta) timeout = rtoDelta;
  tcpResetXmitTimer(sk, ICSK_TIME_LOSS_PROBE, timeout, TCP_RTO_MAX);
  return true;
}
const TCP_RTO_MIN = 200;

/**
 * tcp_send_loss_probe: send one new segment, or retransmit the last one, to get a SACK that
 * reveals a tail loss (RFC 8985 §7.3).
 */
export function tcpSendLossProbe(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  const mssNow = tcpCurrentMss(sk);
  sk.tlpRetrans = false;
  let skb = sk.sendHead;
  if (skb !== null && tcpSndWndTest(sk, skb, mssNow)) {
    const pcount = sk.packetsOut;
    tcpWriteXmit(sk, mssNow, TCP_NAGLE_OFF, 2);
    if (sk.packetsOut > pcount) {
      sk.tlpHighSeq = sk.sndNxt;
      tn.ext.TCPLossProbes++;
      sk.icskPending = 0;
      tcpRearmRto(sk);
      return;
    }
  }
  skb = sk.sendHead !== null ? (sk.sendHead.prev as SkBuff | null) : sk.skWriteQueue.last;
  if (skb === null || sk.tlpHighSeq !== 0) {
    sk.icskPending = 0;
    tcpRearmRto(sk);
    return;
  }
  const pcount = tcpSkbPcount(skb);
  if (pcount > 1 && skb.len > (pcount - 1) * mssNow) tcpFragment(sk, skb, (pcount - 1) * mssNow, mssNow), (skb = skb.next!);
  if (!(skb.cb.sacked & TCPCB_SACKED_ACKED) && tcpRetransmitSkb(sk, skb, 1) === 0) {
    sk.tlpHighSeq = sk.sndNxt;
    sk.tlpRetrans = true;
    tn.ext.TCPLossProbes++;
  }
  sk.icskPending = 0;
  tcpRearmRto(sk);
}

/**
 * __tcp_retransmit_skb: resend the first `segs` segments of `skb`. Trims what the peer
 * already has and splits off the rest, as Linux does.
 */
export function tcpRetransmitSkb(sk: TcpSock, skb: SkBuff, segs: number): number {
  const tn = tcpNet(sk.skNet);
  if (before(skb.cb.seq, sk.sndUna)) {
    if (before(skb.cb.endSeq, sk.sndUna) || skb.cb.endSeq === sk.sndUna) return -22;
    const oldPc = tcpSkbPcount(skb);
    tcpTrimHead(sk, skb, (sk.sndUna - skb.cb.seq) >>> 0);
    // The trimmed bytes are delivered: they leave the in-flight count here.
    const diff = oldPc - tcpSkbPcount(skb);
    if (diff > 0) tcpAdjustPcount(sk, skb, diff);
  }
  // skb_still_in_host_queue: the last transmission still sits in a qdisc, driver ring or
  // neighbour queue (its clone is alive and still charged to us). Sending again would put a
  // duplicate on the wire, e.g. a second SYN when both leave once ARP resolves.
  if (skbCloned(skb) && sk.skWmemAlloc > 0) {
    tn.ext.TCPSpuriousRtxHostQueues++;
    return -EBUSY;
  }
  const curMss = tcpCurrentMss(sk);
  // Window check: RFC 9293 says not to retransmit beyond the peer window (except the first).
  if (!before(skb.cb.seq, tcpWndEnd(sk)) && skb.cb.seq !== sk.sndUna) return -11;
  let len = curMss * segs;
  if (skb.len > len) {
    tcpFragment(sk, skb, len, curMss);
  } else if (tcpSkbPcount(skb) > 1 || tcpSkbMss(skb) !== curMss) {
    tcpSetSkbTsoSegs(skb, curMss);
  }
  tcpEcnClearSyn(sk, skb);
  const pc = tcpSkbPcount(skb);
  const err = tcpTransmitSkb(sk, skb, true);
  if (err !== 0) return err;
  tn.mib.RetransSegs += pc;
  sk.totalRetrans += pc;
  sk.bytesRetrans += skb.len;
  if (skb.cb.tcpFlags & TCPHDR_SYN) tn.ext.TCPSynRetrans += pc;
  if (!(skb.cb.sacked & TCPCB_SACKED_RETRANS)) sk.retransOut += pc;
  skb.cb.sacked |= TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS;
  skb.cb.txCount++;
  if (!sk.retransStamp) sk.retransStamp = Math.floor(skb.cb.whenUs / 1000) || 1;
  if (sk.undoRetrans < 0) sk.undoRetrans = 0;
  sk.undoRetrans += pc;
  len = 0;
  return 0;
}

/**
 * tcp_trim_head: drop acknowledged bytes from the front of a partially acked skb. As in Linux
 * the in-flight counters are the caller's: tcp_clean_rtx_queue takes the pcount difference
 * off packets_out itself.
 */
export function tcpTrimHead(sk: TcpSock, skb: SkBuff, len: number): void {
  skbPull(skb, len);
  // The acked bytes are uncharged now, as Linux frees the pages they sat in.
  if (skb.truesize - len >= SKB_TRUESIZE_OVERHEAD) {
    skb.truesize -= len;
    sk.skWmemQueued -= len;
    sk.skForwardAlloc += len;
  }
  skb.cb.seq = (skb.cb.seq + len) >>> 0;
  if (tcpSkbPcount(skb) > 1) tcpSetSkbTsoSegs(skb, tcpSkbMss(skb) || sk.mssCache);
}

/**
 * tcp_xmit_retransmit_queue: retransmit lost segments, limited by the PRR/cwnd budget
 * (RFC 6675 §5 NextSeg rule 1).
 */
export function tcpXmitRetransmitQueue(sk: TcpSock): void {
  if (!sk.packetsOut) return;
  const tn = tcpNet(sk.skNet);
  const maxSegs = tcpTsoSegs(sk, tcpCurrentMss(sk));
  let skb = sk.retransmitSkbHint ?? (sk.skWriteQueue.first as SkBuff | null);
  if (skb !== null && before(skb.cb.seq, sk.sndUna) && !after(skb.cb.endSeq, sk.sndUna)) skb = sk.skWriteQueue.first as SkBuff | null;
  let first = true;
  while (skb !== null && skb !== sk.sendHead) {
    const sacked = skb.cb.sacked;
    const inFlight = tcpPacketsInFlight(sk);
    if (inFlight >= sk.sndCwnd) break;
    if (!first) sk.retransmitSkbHint = skb;
    first = false;
    if ((sacked & TCPCB_LOST) && !(sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS))) {
      // A large skb (SACK shifting) still goes out in packets of at most max_segs.
      const segs = Math.min(Math.max(1, sk.sndCwnd - inFlight), maxSegs);
      if (tcpSmallQueueCheck(sk, skb, 1)) break;
      if (tcpRetransmitSkb(sk, skb, Math.min(segs, tcpSkbPcount(skb))) !== 0) break;
      if (sk.icskCaState === 4) tn.ext.TCPSlowStartRetrans++;
      else tn.ext.TCPFastRetrans++;
      if (tcpInCwndReduction(sk)) sk.prrOut += tcpSkbPcount(skb);
      if (skb === skbPeek(sk.skWriteQueue)) tcpResetXmitTimer(sk, ICSK_TIME_RETRANS, sk.icskRto, TCP_RTO_MAX);
    }
    skb = skb.next as SkBuff | null;
  }
}

/** tcp_send_ack: a bare ACK, now. */
export function tcpSendAck(sk: TcpSock): void {
  __tcpSendAck(sk, sk.rcvNxt);
}

export function __tcpSendAck(sk: TcpSock, rcvNxt: number): void {
  if (sk.skState === TCP_CLOSE) return;
  const buff = skStreamAllocSkb(sk, 0);
  buff.cb.seq = buff.cb.endSeq = tcpAcceptableSeq(sk);
  buff.cb.tcpFlags = TCPHDR_ACK;
  tcpTransmitSkb(sk, buff, false, rcvNxt);
}

/** tcp_acceptable_seq: snd_nxt, or the window's right edge if the window shrank under it. */
export function tcpAcceptableSeq(sk: TcpSock): number {
  if (!before(tcpWndEnd(sk), sk.sndNxt)) return sk.sndNxt;
  return tcpWndEnd(sk);
}

/** tcp_send_delayed_ack: arm the delayed-ACK timer (ATO, at most 200 ms; RFC 1122 4.2.3.2 caps 500 ms). */
export function tcpSendDelayedAck(sk: TcpSock): void {
  let ato = sk.icskAck.ato;
  const now = sk.jiffies;
  if (ato > TCP_DELACK_MIN_) {
    let maxAto = TCP_DELACK_MAX;
    if (sk.icskAck.pingpong || (sk.icskAck.pending & 4)) maxAto = TCP_DELACK_MAX;
    if (sk.srttUs) {
      const rtt = Math.max(Math.floor((sk.srttUs >> 3) / 1000), TCP_DELACK_MIN_);
      if (rtt < maxAto) maxAto = rtt;
    }
    ato = Math.min(ato, maxAto);
  }
  let timeout = now + ato;
  if (sk.icskAck.pending & ICSK_ACK_TIMER) {
    // An ACK was already due: send it now if the old deadline passed.
    if (sk.icskAck.timeout <= now + (ato >> 2)) {
      tcpSendAck(sk);
      return;
    }
    if (timeout > sk.icskAck.timeout) timeout = sk.icskAck.timeout;
  }
  sk.icskAck.pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
  sk.icskAck.timeout = timeout;
  inetCskResetXmitTimer(sk, 2, timeout - now, TCP_RTO_MAX);
}
const TCP_DELACK_MIN_ = 40;

/** tcp_xmit_probe_skb: an ACK with seq snd_una − 1 that forces the peer to answer (RFC 9293 §3.8.4). */
function tcpXmitProbeSkb(sk: TcpSock, urgent: boolean): number {
  const skb = skStreamAllocSkb(sk, 0);
  const seq = urgent ? sk.sndUna : (sk.sndUna - 1) >>> 0;
  skb.cb.seq = skb.cb.endSeq = seq;
  skb.cb.tcpFlags = TCPHDR_ACK;
  tcpNet(sk.skNet).ext.TCPWinProbe++;
  return tcpTransmitSkb(sk, skb, false);
}

/** tcp_write_wakeup: send new data that fits the window, else a window probe. */
export function tcpWriteWakeup(sk: TcpSock): number {
  if (sk.skState === TCP_CLOSE) return -1;
  const skb = sk.sendHead;
  if (skb !== null && before(skb.cb.seq, tcpWndEnd(sk))) {
    const mss = tcpCurrentMss(sk);
    const segSize = Math.min(((tcpWndEnd(sk) - skb.cb.seq) >>> 0), mss);
    if (before(sk.pushedSeq, skb.cb.endSeq)) sk.pushedSeq = skb.cb.endSeq;
    if (segSize < skb.len) tcpFragment(sk, skb, segSize, mss);
    skb.cb.tcpFlags |= TCPHDR_PSH;
    const err = tcpTransmitSkb(sk, skb, true);
    if (!err) tcpEventNewDataSent(sk, skb);
    return err;
  }
  if (between(sk.sndUp, (sk.sndUna + 1) >>> 0, (sk.sndUna + 0xffff) >>> 0)) tcpXmitProbeSkb(sk, true);
  return tcpXmitProbeSkb(sk, false);
}

/** tcp_send_probe0: the persist timer fired (zero-window probe with exponential backoff). */
export function tcpSendProbe0(sk: TcpSock): void {
  const err = tcpWriteWakeup(sk);
  if (sk.packetsOut || sk.sendHead === null) {
    sk.icskProbesOut = 0;
    sk.icskBackoff = 0;
    sk.icskProbesTstamp = 0;
    return;
  }
  sk.icskProbesOut++;
  let timeout: number;
  if (err <= 0) {
    if (sk.icskBackoff < tcpNet(sk.skNet).sysctl.tcp_retries2) sk.icskBackoff++;
    timeout = tcpProbe0When(sk, TCP_RTO_MAX);
  } else {
    // Not sent for local congestion: retry at a fixed pace, without backoff.
    timeout = TCP_RESOURCE_PROBE_INTERVAL;
  }
  tcpResetXmitTimer(sk, ICSK_TIME_PROBE0, tcpClampProbe0ToUserTimeout(sk, timeout), TCP_RTO_MAX);
}

/** tcp_clamp_probe0_to_user_timeout: the next probe comes no later than TCP_USER_TIMEOUT ends. */
function tcpClampProbe0ToUserTimeout(sk: TcpSock, when: number): number {
  if (!sk.icskUserTimeout || !sk.icskProbesTstamp) return when;
  const elapsed = Math.max(sk.jiffies - sk.icskProbesTstamp, 0);
  const remaining = Math.max(sk.icskUserTimeout - elapsed, TCP_TIMEOUT_MIN);
  return Math.min(remaining, when);
}
/** TCP_TIMEOUT_MIN: 2 jiffies. */
const TCP_TIMEOUT_MIN = 2;

/** tcp_send_fin: put FIN on the last queued skb if unsent, else queue a bare FIN. */
export function tcpSendFin(sk: TcpSock): void {
  const tail = sk.skWriteQueue.last as SkBuff | null;
  if (tail !== null && sk.sendHead !== null) {
    tail.cb.tcpFlags |= TCPHDR_FIN;
    tail.cb.endSeq = (tail.cb.endSeq + 1) >>> 0;
    sk.writeSeq = (sk.writeSeq + 1) >>> 0;
  } else {
    const skb = skStreamAllocSkb(sk, 0);
    skbEntail(sk, skb);
    skb.cb.tcpFlags = TCPHDR_ACK | TCPHDR_FIN;
    skb.cb.endSeq = (skb.cb.seq + 1) >>> 0;
    sk.writeSeq = (sk.writeSeq + 1) >>> 0;
  }
  __tcpPushPendingFrames(sk, tcpCurrentMss(sk), TCP_NAGLE_OFF);
}

/** tcp_send_active_reset: RST on abort (close with unread data, SO_LINGER 0, ...). */
export function tcpSendActiveReset(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  tn.mib.OutRsts++;
  const skb = skStreamAllocSkb(sk, 0);
  skb.cb.seq = skb.cb.endSeq = tcpAcceptableSeq(sk);
  skb.cb.tcpFlags = TCPHDR_ACK | TCPHDR_RST;
  tcpTransmitSkb(sk, skb, false);
}

/** tcp_connect_init: the parameters of an active open. */
export function tcpConnectInit(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  sk.tcpHeaderLen = TCP_HLEN + (tn.sysctl.tcp_timestamps ? TCPOLEN_TSTAMP_ALIGNED : 0);
  if (sk.userMss) sk.rxOpt.mssClamp = sk.userMss;
  sk.maxWindow = 0;
  const mtu = skDstMtu(sk) || 1500;
  sk.icskPmtuCookie = 0;
  tcpMtupInit(sk);
  tcpSyncMss(sk, mtu);
  sk.advmss = tcpMssClamp(sk, sk.skDst !== null ? dstMetricAdvmss(sk.skDst) : mtu - sk.icskAfOps.netHeaderLen - TCP_HLEN);
  tcpInitRcvMss(sk);
  if (!sk.windowClamp) sk.windowClamp = sk.windowClampOpt || 0;
  const iw = tcpSelectInitialWindow(sk, tcpFullSpace(sk), sk.advmss - (sk.rxOpt.tsRecentStamp ? sk.tcpHeaderLen - TCP_HLEN : 0),
    sk.windowClamp, tn.sysctl.tcp_window_scaling !== 0);
  sk.rcvWnd = iw.rcvWnd;
  sk.windowClamp = iw.windowClamp;
  sk.rxOpt.rcvWscale = iw.rcvWscale;
  sk.rcvSsthresh = sk.rcvWnd;
  sk.skErr = 0;
  sk.sndWnd = 0;
  sk.sndWl1 = 0;
  sk.sndUna = sk.writeSeq;
  sk.sndSml = sk.writeSeq;
  sk.sndUp = sk.writeSeq;
  sk.sndNxt = sk.writeSeq;
  sk.pushedSeq = sk.writeSeq;
  sk.rcvNxt = 0;
  sk.rcvWup = 0;
  sk.copiedSeq = 0;
  sk.icskRto = TCP_TIMEOUT_INIT;
  sk.icskRetransmits = 0;
  sk.undoMarker = 0;
  sk.retransStamp = 0;
}

/** tcp_initialize_rcv_mss: a guess of the peer's segment size until data arrives. */
export function tcpInitRcvMss(sk: TcpSock): void {
  let hint = Math.min(sk.advmss, sk.mssCache);
  hint = Math.min(hint, sk.rcvWnd >> 1 || hint);
  hint = Math.min(hint, TCP_MSS_DEFAULT);
  hint = Math.max(hint, 88);
  sk.icskAck.rcvMss = hint;
}

/** tcp_connect: queue and send the SYN, arm the SYN retransmit timer. */
export function tcpConnect(sk: TcpSock): number {
  const tn = tcpNet(sk.skNet);
  tcpConnectInit(sk);
  const buff = skStreamAllocSkb(sk, 0);
  buff.cb.seq = sk.writeSeq;
  buff.cb.endSeq = (sk.writeSeq + 1) >>> 0;
  buff.cb.tcpFlags = TCPHDR_SYN;
  buff.cb.sacked = 0;
  tcpEcnSendSyn(sk, buff);
  skbQueueTail(sk.skWriteQueue, buff);
  sk.skWmemQueued += buff.truesize;
  sk.writeSeq = buff.cb.endSeq;
  sk.sendHead = null;
  sk.sndNxt = sk.writeSeq;
  sk.pushedSeq = sk.writeSeq;
  sk.packetsOut += 1;
  sk.retransStamp = sk.jiffies || 1;
  // Fast Open: the SYN carries a cookie (or asks for one), and data when it may.
  if (sk.fastopenReq !== null) tcpSendSynData(sk, buff);
  else tcpTransmitSkb(sk, buff, true);
  tn.mib.ActiveOpens++;
  tcpResetXmitTimer(sk, ICSK_TIME_RETRANS, sk.icskRto, TCP_RTO_MAX);
  return 0;
}

/** Bytes of a Fast Open write that fit one page frag (a 32 KiB compound page). */
const SYN_DATA_FRAG_MAX = 32768;

/**
 * tcp_send_syn_data (RFC 7413 §3): with a cached cookie, send one SYN holding the cookie and
 * the first bytes of the pending write. The SYN stays alone at the head of the queue and the
 * bytes follow as a sent data skb, so an RTO resends a plain SYN and data the SYN-ACK does not
 * acknowledge is resent after it. Without a cookie the SYN asks for one and the write waits
 * for the handshake. Returns 0 or the error of the SYN's transmission.
 */
export function tcpSendSynData(sk: TcpSock, syn: SkBuff): number {
  const fo = sk.fastopenReq!;
  const tn = tcpNet(sk.skNet);
  // The MSS the server announced last time, else our own (tp->advmss).
  const mss = { value: sk.advmss };
  const ok = tcpFastopenCookieCheck(sk, mss, fo.cookie);
  sk.rxOpt.mssClamp = mss.value;
  if (ok) {
    sk.rxOpt.mssClamp = tcpMssClamp(sk, sk.rxOpt.mssClamp);
    tcpSyncMss(sk, sk.icskPmtuCookie);
    // __tcp_mtu_to_mss less the whole option space, for middleboxes that add options.
    let space = tcpMtuToMss(sk, sk.icskPmtuCookie) + (sk.tcpHeaderLen - TCP_HLEN) - MAX_TCP_OPTION_SPACE;
    space = Math.max(0, Math.min(space, fo.size, SYN_DATA_FRAG_MAX));
    const synData = skStreamAllocSkb(sk, space);
    (synData.cb as SkbCb).copyFrom(syn.cb);
    const msg = fo.data;
    let copied = 0;
    if (msg !== null) {
      for (let i = 0; i < msg.iov.length && copied < space; i++) {
        const part = msg.iov[i].subarray(0, space - copied);
        synData.head.set(part, synData.tail + copied);
        copied += part.length;
      }
    }
    synData.tail += copied;
    synData.len += copied;
    synData.truesize += copied;
    if (copied === fo.size) fo.data = null;
    fo.copied = copied;
    // tcp_connect_queue_skb: the bytes take sequence space after the SYN.
    synData.cb.endSeq = (synData.cb.endSeq + copied) >>> 0;
    sk.skWmemQueued += synData.truesize;
    sk.skForwardAlloc -= synData.truesize;
    sk.writeSeq = synData.cb.endSeq;
    if (copied) tcpChronoStart(sk, TCP_CHRONO_BUSY);
    const err = tcpTransmitSkb(sk, synData, true);
    syn.cb.whenUs = synData.cb.whenUs;
    // What stays queued is the data alone; the SYN skb before it is what an RTO resends.
    synData.cb.seq = (synData.cb.seq + 1) >>> 0;
    synData.cb.tcpFlags = TCPHDR_ACK | TCPHDR_PSH;
    skbQueueTail(sk.skWriteQueue, synData);
    if (err === 0) {
      sk.synData = copied > 0;
      sk.packetsOut += tcpSkbPcount(synData);
      sk.sndNxt = sk.pushedSeq = sk.writeSeq;
      tn.ext.TCPOrigDataSent++;
      fo.cookie.len = -1;
      return 0;
    }
    // Not sent: the bytes wait in the write queue for the handshake, as any write would.
    sk.sendHead = synData;
  }
  // A plain SYN with a cookie request (RFC 7413 §4.1.1).
  if (fo.cookie.len > 0) fo.cookie.len = 0;
  const err = tcpTransmitSkb(sk, syn, true);
  if (err) sk.synFastopen = false;
  // Retransmitted SYNs carry no Fast Open option.
  fo.cookie.len = -1;
  return err;
}

/** The ACK of a simultaneous open's SYN: resend the SYN with ACK set (tcp_send_synack). */
export function tcpSendSynackSelf(sk: TcpSock): void {
  const skb = sk.skWriteQueue.first as SkBuff | null;
  if (skb === null || !(skb.cb.tcpFlags & TCPHDR_SYN)) return;
  skb.cb.tcpFlags |= TCPHDR_ACK;
  tcpEcnSendSynack(sk, skb);
  tcpTransmitSkb(sk, skb, true);
}

/**
 * tcp_make_synack + send: the SYN-ACK of a request sock, sent from the listener through
 * afOps.buildAndSendPkt. Returns 0 or -errno.
 */
export function tcpSendSynack(listener: TcpSock, req: TcpRequestSock): number {
  const tn = tcpNet(listener.skNet);
  const af = listener.icskAfOps;
  const fl = { daddr: req.inetDaddr, saddr: req.inetRcvSaddr, oif: listener.skBoundDevIf, tos: 0, proto: IPPROTO_TCP, sport: req.inetNum, dport: req.inetDport, mark: listener.skMark };
  const dst = af.routeOutput(listener.skNet, fl);
  if (typeof dst === 'number') return dst;
  const o = opts;
  o.clear();
  o.options = OPTION_MSS;
  o.mss = tcpMssClamp(listener, dstMetricAdvmss(dst));
  let size = 4;
  if (req.tstampOk) {
    o.options |= OPTION_TS;
    o.tsval = (Math.floor(listener.skNet.clock.now()) + req.tsOff) >>> 0;
    if (req.cookieTs !== 0) o.tsval = req.cookieTs;
    o.tsecr = req.tsRecent;
    size += 12;
  }
  if (req.wscaleOk) {
    o.options |= OPTION_WSCALE;
    o.ws = req.rcvWscale;
    size += 4;
  }
  if (req.sackOk) {
    o.options |= OPTION_SACK_ADVERTISE;
    if (!req.tstampOk) size += 4;
  }
  const hdrLen = TCP_HLEN + size;
  const skb = allocSkb(MAX_TCP_HEADER + hdrLen);
  skbReserve(skb, MAX_TCP_HEADER);
  const th = skbPush(skb, hdrLen);
  skb.transportHeader = th;
  const b = skb.head;
  tcpSetSource(b, th, req.inetNum);
  tcpSetDest(b, th, req.inetDport);
  tcpSetSeq(b, th, req.sndIsn);
  tcpSetAckSeq(b, th, (req.rcvIsn + 1) >>> 0);
  tcpSetHdrLen(b, th, hdrLen);
  tcpSetFlags(b, th, TCPHDR_SYN | TCPHDR_ACK | tcpEcnMakeSynack(req));
  tcpSetWindow(b, th, Math.min(req.rcvWnd, 65535));
  tcpSetUrgPtr(b, th, 0);
  tcpOptionsWrite(b, th + TCP_HLEN, o, null, listener.selectiveAcks);
  tcpV4SendCheck(null, skb, req.inetRcvSaddr, req.inetDaddr, 0);
  // 0 means "no sample" (tcp_synack_rtt_meas); virtual time can start at 0.
  req.sntSynack = tcpClockUs(listener) || 1;
  tn.mib.OutSegs++;
  const err = af.buildAndSendPkt(skb, listener, req.inetRcvSaddr, req.inetDaddr, dst);
  return err > 0 ? 0 : err;
}

/** tcp_check_space: only a writer that found the buffer full (SOCK_NOSPACE) needs waking. */
export function tcpCheckSpace(sk: TcpSock): void {
  if (sk.skSocket !== null && (sk.skFlags & SOCK_NOSPACE) && !(sk.skFlags & SOCK_DEAD)) {
    tcpNewSpace(sk);
    if (!(sk.skFlags & SOCK_NOSPACE)) tcpChronoStop(sk, TCP_CHRONO_SNDBUF_LIMITED);
  }
}

/** tcp_new_space: grow the send buffer while cwnd is not filled, then sk_write_space. */
function tcpNewSpace(sk: TcpSock): void {
  if (tcpShouldExpandSndbuf(sk)) {
    tcpSndbufExpand(sk);
    sk.sndCwndStamp = sk.jiffies;
  }
  sk.skWriteSpace(sk);
}

/** tcp_should_expand_sndbuf (no global memory pressure model here). */
function tcpShouldExpandSndbuf(sk: TcpSock): boolean {
  if (sk.skUserlocks & 1) return false; // SOCK_SNDBUF_LOCK
  return tcpPacketsInFlight(sk) < sk.sndCwnd;
}

/** tcp_sndbuf_expand: grow sk_sndbuf to hold two windows of segments (unless SO_SNDBUF was set). */
export function tcpSndbufExpand(sk: TcpSock): void {
  if (sk.skUserlocks & 1) return; // SOCK_SNDBUF_LOCK
  const tn = tcpNet(sk.skNet);
  // The peer's MSS (mss_clamp), not ours, sizes a segment; the overheads are x86-64 Linux's
  // MAX_TCP_HEADER and SKB_DATA_ALIGN'd struct skb_shared_info / struct sk_buff, so the
  // buffer has Linux's size (our own headroom constant is smaller).
  let perMss = Math.max(sk.rxOpt.mssClamp, sk.mssCache) + LINUX_MAX_TCP_HEADER + SKB_SHINFO_SIZE;
  perMss = roundPow2(perMss) + SKB_STRUCT_SIZE;
  const nrSegs = Math.max(TCP_INIT_CWND, sk.sndCwnd, sk.reordering + 1);
  const sndmem = 2 * nrSegs * perMss;
  if (sk.skSndbuf < sndmem) sk.skSndbuf = Math.min(sndmem, tn.sysctl.tcp_wmem[2]);
}
const LINUX_MAX_TCP_HEADER = 320, SKB_SHINFO_SIZE = 320, SKB_STRUCT_SIZE = 256;

/** roundup_pow_of_two */
function roundPow2(x: number): number {
  return x <= 1 ? 1 : x > 0x40000000 ? 2 ** (32 - Math.clz32(x - 1)) : 1 << (32 - Math.clz32(x - 1));
}

