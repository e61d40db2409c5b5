// net/ipv4/tcp_input.c: the receive side. Header prediction (tcpRcvEstablished), validation
// (RFC 793/9293, PAWS per RFC 7323, RFC 5961), the ACK engine (RTT per RFC 6298, SACK
// scoreboard per RFC 6675 with D-SACK per RFC 2883, NewReno, RACK, PRR, F-RTO, undo),
// in-order and out-of-order data queueing, delayed ACKs and the state machine.
import type { AckSample, SkBuff } from '@knet/include';
import {
  TCPHDR_ACK, TCPHDR_FIN, TCPHDR_PSH, TCPHDR_RST, TCPHDR_SYN, TCPHDR_URG,
  TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_TIME_WAIT, TCP_CLOSE,
  TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LISTEN, TCP_CLOSING,
  TCP_CA_Open, TCP_CA_Disorder, TCP_CA_CWR, TCP_CA_Recovery, TCP_CA_Loss, CA_EVENT_LOSS, CA_EVENT_COMPLETE_CWR,
  SKB_DROP_REASON, ECONNREFUSED, ECONNRESET, EPIPE, SOCK_DEAD, SOCK_DONE, RCV_SHUTDOWN, SEND_SHUTDOWN,
  SHUTDOWN_MASK, EPOLLIN, EPOLLHUP, EPOLLRDHUP, SOCK_KEEPOPEN,
} from '@knet/include';
import { kfreeSkbReason, consumeSkb, skbPull, skbQueueTail, skbUnlink, skbTailroom, skbPut, skbQueuePurge, allocSkb, skbReserve, skbCloned } from '@knet/skbuff';
import { skSetOwnerR, skbOrphan, skWakeWaiters, traceEvent, skStreamMemoryFree } from '@knet/netdevice';
import {
  tcpFlags as thFlags, tcpWindow as thWindow, tcpHdrLen as thHdrLen,
} from './tcp_hdr.js';
import { tcpParseOptions, tcpFastParseOptions, tcpFastopenOptionGet, type TcpSackBlock, TCP_NUM_SACKS, TCPOLEN_TSTAMP_ALIGNED } from './tcp_options.js';
import { TcpFastopenCookie } from './tcp_fastopen_cookie.js';
import { tcpFastopenCacheSet } from './tcp_metrics.js';
import { after, before, between } from './tcp_seq.js';
import {
  FLAG_DATA, FLAG_WIN_UPDATE, FLAG_DATA_ACKED, FLAG_RETRANS_DATA_ACKED, FLAG_SYN_ACKED, FLAG_DATA_SACKED,
  FLAG_ECE, FLAG_LOST_RETRANS, FLAG_SLOWPATH, FLAG_ORIG_SACK_ACKED, FLAG_SND_UNA_ADVANCED, FLAG_DSACKING_ACK, FLAG_DSACK_TLP,
  FLAG_SET_XMIT_TIMER, FLAG_UPDATE_TS_RECENT, FLAG_NO_CHALLENGE_ACK, FLAG_ACKED, FLAG_NOT_DUP, FLAG_CA_ALERT,
  FLAG_FORWARD_PROGRESS, CA_ACK_SLOWPATH, CA_ACK_WIN_UPDATE, CA_ACK_ECE,
  TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS, TCPCB_LOST, TCPCB_EVER_RETRANS, TCP_MAX_QUICKACKS, TCP_ATO_MIN,
  TCP_RTO_MAX, TCP_RTO_MIN, TCP_PAWS_24DAYS, TCP_PAWS_WINDOW, TCP_MSS_DEFAULT, TCP_MIN_MSS, TCP_TIMEWAIT_LEN,
  TCP_RACK_LOSS_DETECTION, TCP_INFINITE_SSTHRESH, TCP_TIMEOUT_FALLBACK, TCP_INIT_CWND,
} from './tcp_defs.js';
import { tcpNet, type TcpNet } from './tcp_net.js';
import { ICSK_ACK_SCHED, ICSK_ACK_NOW, ICSK_ACK_PUSHED, ICSK_ACK_PUSHED2, ICSK_ACK_TIMER, ICSK_TIME_RETRANS, ICSK_TIME_LOSS_PROBE, ICSK_TIME_REO_TIMEOUT, ICSK_TIME_PROBE0, NO_SACK_BLOCKS, RateSample, tcpSackBlocksAlloc, type TcpSock } from './tcp_sock.js';
import {
  tcpSkbPcount, tcpPacketsInFlight, tcpIsSack, tcpSendAck, tcpSendDelayedAck, tcpPushPendingFrames,
  tcpCurrentMss, tcpSyncMss, tcpXmitRetransmitQueue, tcpRearmRto, tcpScheduleLossProbe, tcpFragment,
  tcpTrimHead, tcpWndEnd, __tcpSelectWindow, tcpReceiveWindow, tcpSpace, tcpWinFromSpace, tcpClockUs, tcpMstampRefresh, tcpSlowStartAfterIdleCheck,
  tcpInitRcvMss, tcpSendSynackSelf, skWmemFreeSkb, __tcpPushPendingFrames, tcpTimeStamp, tcpCheckSpace,
  tcpSkbMss, tcpSndbufExpand, tcpFullSpace, tcpSelectInitialWindow, tcpSendFin, tcpCheckProbeTimer,
} from './tcp_output.js';
import { inetCskClearXmitTimer, inetCskClearXmitTimers, inetCskResetXmitTimer, inetCskResetKeepaliveTimer, tcpFinTime, keepaliveTimeWhen } from './tcp_timer.js';
import { tcpRackAdvance, tcpRackMarkLost, tcpRackUpdateReoWnd } from './tcp_recovery.js';
import { tcpRateSkbDelivered, tcpRateGen } from './tcp_rate.js';
import { tcpInitCongestionControl } from './tcp_cong.js';
import { tcpTimeWait } from './tcp_minisocks.js';
import { tcpSetState, tcpDestroySock } from './tcp.js';
import { TCP_CHRONO_BUSY, tcpChronoStop } from './tcp_chrono.js';
import { tcpMtupInit, tcpMtupProbeFailed, tcpMtupProbeSuccess, tcpSimpleRetransmit } from './tcp_mtu_probe.js';
import {
  ECN_CE_QUICKACK, tcpEcnAcceptCwr, tcpEcnCheckCe, tcpEcnQueueCwr, tcpEcnRcvEcnEcho, tcpEcnRcvSyn, tcpEcnRcvSynack,
  tcpEcnWithdrawCwr,
} from './tcp_ecn.js';

const R = SKB_DROP_REASON;
/** Flags that must be exactly ACK for header prediction (PSH is ignored). */
const HP_MASK = 0xff & ~TCPHDR_PSH;

function net(sk: TcpSock): TcpNet {
  return tcpNet(sk.skNet);
}

/** tcp_drop_reason: a counted drop. */
export function tcpDrop(sk: TcpSock | null, skb: SkBuff, reason: number): void {
  if (sk !== null) sk.skDrops++;
  kfreeSkbReason(skb, reason);
}

// ---------------------------------------------------------------------------------------
// State helpers

/** tcp_done: the connection is finished; wake the owner or free an orphan. */
export function tcpDone(sk: TcpSock): void {
  if (sk.skState === TCP_SYN_SENT || sk.skState === TCP_SYN_RECV) net(sk).mib.AttemptFails++;
  tcpSetState(sk, TCP_CLOSE);
  inetCskClearXmitTimers(sk);
  sk.skShutdown = SHUTDOWN_MASK;
  if (!(sk.skFlags & SOCK_DEAD)) sk.skStateChange(sk);
  else tcpDestroySock(sk);
}

/** tcp_write_queue_purge */
export function tcpWriteQueuePurge(sk: TcpSock): void {
  let skb: SkBuff | null;
  while ((skb = sk.skWriteQueue.first) !== null) {
    skbUnlink(skb, sk.skWriteQueue);
    skWmemFreeSkb(sk, skb);
  }
  sk.sendHead = null;
  tcpChronoStop(sk, TCP_CHRONO_BUSY);
  sk.packetsOut = sk.sackedOut = sk.lostOut = sk.retransOut = 0;
  sk.highestSack = sk.lostSkbHint = sk.retransmitSkbHint = null;
}

/** tcp_reset: the peer reset us; sk_err as BSD reports it. */
export function tcpReset(sk: TcpSock): void {
  let err: number;
  switch (sk.skState) {
    case TCP_SYN_SENT: err = ECONNREFUSED; break;
    case TCP_CLOSE_WAIT: err = EPIPE; break;
    case TCP_CLOSE: return;
    default: err = ECONNRESET;
  }
  tcpWriteQueuePurge(sk);
  sk.skErr = err;
  sk.skErrorReport(sk);
  tcpDone(sk);
}

/** tcp_fin (RFC 9293 §3.10.7.4 eighth step). */
function tcpFin(sk: TcpSock): void {
  sk.icskAck.pending |= ICSK_ACK_SCHED;
  sk.skShutdown |= RCV_SHUTDOWN;
  sk.skFlags |= SOCK_DONE;
  switch (sk.skState) {
    case TCP_SYN_RECV:
    case TCP_ESTABLISHED:
      tcpSetState(sk, TCP_CLOSE_WAIT);
      sk.icskAck.pingpong = 3;
      break;
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
      break;
    case TCP_FIN_WAIT1:
      // Simultaneous close: ACK their FIN and wait for ours to be ACKed.
      tcpSendAck(sk);
      tcpSetState(sk, TCP_CLOSING);
      break;
    case TCP_FIN_WAIT2:
      tcpSendAck(sk);
      tcpTimeWait(sk, TCP_TIME_WAIT, 0);
      break;
  }
  // Out-of-order data past the FIN cannot be delivered.
  ofoPurge(sk);
  if (tcpIsSack(sk)) sk.rxOpt.numSacks = 0;
  if (!(sk.skFlags & SOCK_DEAD)) {
    sk.skStateChange(sk);
    skWakeWaiters(sk, sk.skShutdown === SHUTDOWN_MASK || sk.skState === TCP_CLOSE ? EPOLLHUP | EPOLLIN | EPOLLRDHUP : EPOLLIN | EPOLLRDHUP);
  }
}

function ofoPurge(sk: TcpSock): void {
  let skb: SkBuff | null;
  while ((skb = sk.ooo.pop()) !== null) kfreeSkbReason(skb, R.TCP_OFO_DROP);
}

// ---------------------------------------------------------------------------------------
// RTT and RTO (RFC 6298)

/** tcp_rtt_estimator: srtt (<<3) and mdev (<<2) in µs, Linux's variant of RFC 6298 §2. */
function tcpRttEstimator(sk: TcpSock, mrttUs: number): void {
  let m = mrttUs;
  let srtt = sk.srttUs;
  const rtoMinUs = sk.icskRtoMin * 1000;
  if (srtt !== 0) {
    m -= srtt >> 3;
    srtt += m;
    if (m < 0) {
      m = -m;
      m -= sk.mdevUs >> 2;
      if (m > 0) m >>= 3;
    } else m -= sk.mdevUs >> 2;
    sk.mdevUs += m;
    if (sk.mdevUs > sk.mdevMaxUs) {
      sk.mdevMaxUs = sk.mdevUs;
      if (sk.mdevMaxUs > sk.rttvarUs) sk.rttvarUs = sk.mdevMaxUs;
    }
    if (after(sk.sndUna, sk.rttSeq)) {
      if (sk.mdevMaxUs < sk.rttvarUs) sk.rttvarUs -= (sk.rttvarUs - sk.mdevMaxUs) >> 2;
      sk.rttSeq = sk.sndNxt;
      sk.mdevMaxUs = rtoMinUs;
    }
  } else {
    srtt = m << 3;
    sk.mdevUs = m << 1;
    sk.rttvarUs = Math.max(sk.mdevUs, rtoMinUs);
    sk.mdevMaxUs = sk.rttvarUs;
    sk.rttSeq = sk.sndNxt;
  }
  sk.srttUs = Math.max(1, srtt);
}

/** tcp_set_rto: RTO = SRTT + max(G, 4·RTTVAR) in Linux's form, bounded by TCP_RTO_MAX. */
export function tcpSetRto(sk: TcpSock): void {
  const rto = Math.ceil(((sk.srttUs >> 3) + sk.rttvarUs) / 1000);
  sk.icskRto = Math.min(rto, sk.icskRtoMax);
}

/** tcp_ack_update_rtt: Karn (RFC 6298 §3) via per-skb timestamps, TS echo as a fallback (RFC 7323 §4). */
function tcpAckUpdateRtt(sk: TcpSock, flag: number, seqRttUs: number, sackRttUs: number, caRttUs: number): number {
  if (seqRttUs < 0) seqRttUs = sackRttUs;
  if (seqRttUs < 0 && sk.rxOpt.sawTstamp && sk.rxOpt.rcvTsecr && (flag & FLAG_ACKED)) {
    let delta = (tcpTimeStamp(sk) - sk.rxOpt.rcvTsecr) >>> 0;
    if (delta < 0x7fffffff / 1000) {
      if (!delta) delta = 1;
      seqRttUs = delta * 1000;
      caRttUs = seqRttUs;
    }
  }
  if (sk.rs !== null) sk.rs.rttUs = caRttUs;
  if (seqRttUs < 0) return -1;
  if (caRttUs >= 0) {
    const wlen = net(sk).sysctl.tcp_min_rtt_wlen * 1_000_000;
    sk.minRttUs = sk.minRtt.runningMin(wlen, sk.tcpMstamp, caRttUs || 1);
  }
  tcpRttEstimator(sk, seqRttUs);
  tcpSetRto(sk);
  sk.icskBackoff = 0;
  return seqRttUs;
}

/** tcp_synack_rtt_meas / first sample from the handshake. */
export function tcpSynackRttMeas(sk: TcpSock, rttUs: number): void {
  if (rttUs <= 0) rttUs = 1;
  tcpAckUpdateRtt(sk, FLAG_SYN_ACKED, rttUs, -1, rttUs);
}

// ---------------------------------------------------------------------------------------
// Congestion state

export function tcpSetCaState(sk: TcpSock, state: number): void {
  const ops = sk.icskCaOps;
  if (ops !== null && ops.setState) ops.setState(sk, state);
  sk.icskCaState = state;
}

function tcpCaEvent(sk: TcpSock, ev: number): void {
  const ops = sk.icskCaOps;
  if (ops !== null && ops.cwndEvent) ops.cwndEvent(sk, ev);
}

export function tcpCurrentSsthresh(sk: TcpSock): number {
  if (sk.icskCaState === TCP_CA_CWR || sk.icskCaState === TCP_CA_Recovery) return sk.sndSsthresh;
  return Math.max(sk.sndSsthresh, ((sk.sndCwnd >> 1) + (sk.sndCwnd >> 2)));
}

function tcpInitUndo(sk: TcpSock): void {
  sk.undoMarker = sk.sndUna;
  sk.undoRetrans = sk.retransOut || -1;
}

function tcpIsReno(sk: TcpSock): boolean {
  return !sk.rxOpt.sackOk;
}

function tcpIsRack(sk: TcpSock): boolean {
  return (net(sk).sysctl.tcp_recovery & TCP_RACK_LOSS_DETECTION) !== 0;
}

function tcpAnyRetransDone(sk: TcpSock): boolean {
  if (sk.retransOut) return true;
  const head = sk.skWriteQueue.first;
  return head !== null && head !== sk.sendHead && (head.cb.sacked & TCPCB_EVER_RETRANS) !== 0;
}

/** tcp_init_cwnd_reduction (PRR start, RFC 6937 §3). */
function tcpInitCwndReduction(sk: TcpSock): void {
  sk.highSeq = sk.sndNxt;
  sk.tlpHighSeq = 0;
  sk.sndCwndCnt = 0;
  sk.priorCwnd = sk.sndCwnd;
  sk.prrDelivered = 0;
  sk.prrOut = 0;
  sk.sndSsthresh = (sk.icskCaOps ?? RENO_FALLBACK).ssthresh(sk);
  tcpEcnQueueCwr(sk);
}

/** tcp_enter_cwr: reduce cwnd by PRR without a loss, for an ECN echo (RFC 3168 §6.1.2). */
export function tcpEnterCwr(sk: TcpSock): void {
  sk.priorSsthresh = 0;
  if (sk.icskCaState < TCP_CA_CWR) {
    sk.undoMarker = 0;
    tcpInitCwndReduction(sk);
    tcpSetCaState(sk, TCP_CA_CWR);
  }
}
const RENO_FALLBACK = { ssthresh: (tp: TcpSock) => Math.max(tp.sndCwnd >> 1, 2) };

/** tcp_cwnd_reduction: PRR (RFC 6937 §3) with Linux's SSRB variant. */
export function tcpCwndReduction(sk: TcpSock, newlyAckedSacked: number, newlyLost: number, flag: number): void {
  if (newlyAckedSacked <= 0 || !sk.priorCwnd) return;
  const delta = sk.sndSsthresh - tcpPacketsInFlight(sk);
  sk.prrDelivered += newlyAckedSacked;
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.floor((sk.sndSsthresh * sk.prrDelivered + sk.priorCwnd - 1) / sk.priorCwnd) - sk.prrOut;
  } else if ((flag & FLAG_RETRANS_DATA_ACKED) && !((flag & FLAG_LOST_RETRANS) && newlyLost)) {
    // PRR-SSRB while retransmissions are delivered (pre-5.19 Linux); PRR-CRB otherwise, as for
    // an ECN reduction. A retransmission the RTO already counted lost is no new loss: old
    // kernels cleared retransmit marks in tcp_enter_loss, so they never saw it.
    sndcnt = Math.min(delta, Math.max(sk.prrDelivered - sk.prrOut, newlyAckedSacked) + 1);
  } else {
    sndcnt = Math.min(delta, newlyAckedSacked);
  }
  // Force a fast retransmit upon entering recovery.
  sndcnt = Math.max(sndcnt, sk.prrOut ? 0 : 1);
  sk.sndCwnd = Math.max(tcpPacketsInFlight(sk) + sndcnt, 1);
}

function tcpEndCwndReduction(sk: TcpSock): void {
  if (sk.sndSsthresh < TCP_INFINITE_SSTHRESH && (sk.icskCaState === TCP_CA_CWR || sk.undoMarker)) {
    sk.sndCwnd = sk.sndSsthresh;
    sk.sndCwndStamp = sk.jiffies;
  }
  tcpCaEvent(sk, CA_EVENT_COMPLETE_CWR);
}

/** tcp_enter_recovery: fast recovery begins (RFC 5681 §3.2 / RFC 6675 §5). */
export function tcpEnterRecovery(sk: TcpSock, eceAck: boolean): void {
  const tn = net(sk);
  sk.priorSsthresh = 0;
  tcpInitUndo(sk);
  if (tcpIsReno(sk)) tn.ext.TCPRenoRecovery++;
  else tn.ext.TCPSackRecovery++;
  if (sk.icskCaState < TCP_CA_CWR) {
    if (!eceAck) sk.priorSsthresh = tcpCurrentSsthresh(sk);
    tcpInitCwndReduction(sk);
  }
  tcpSetCaState(sk, TCP_CA_Recovery);
}

/** tcp_mark_skb_lost */
export function tcpMarkSkbLost(sk: TcpSock, skb: SkBuff): void {
  const s = skb.cb.sacked;
  if (s & TCPCB_SACKED_ACKED) return;
  if (sk.retransmitSkbHint !== null && before(skb.cb.seq, sk.retransmitSkbHint.cb.seq)) sk.retransmitSkbHint = skb;
  const pc = tcpSkbPcount(skb);
  if (s & TCPCB_LOST) {
    if (s & TCPCB_SACKED_RETRANS) {
      // A retransmission was lost again.
      skb.cb.sacked &= ~TCPCB_SACKED_RETRANS;
      sk.retransOut -= pc;
      net(sk).ext.TCPLostRetransmit += pc;
    }
  } else {
    sk.lostOut += pc;
    skb.cb.sacked |= TCPCB_LOST;
    sk.lost += pc;
  }
}

function clearRetransHints(sk: TcpSock): void {
  sk.lostSkbHint = null;
  sk.retransmitSkbHint = null;
}

/** tcp_enter_loss: the RTO fired (RFC 5681 §3.1 eq. 4, cwnd = 1 + in flight as Linux). */
export function tcpEnterLoss(sk: TcpSock): void {
  const tn = net(sk);
  const newRecovery = sk.icskCaState < TCP_CA_Recovery;
  // tcp_timeout_mark_lost
  const head = sk.skWriteQueue.first;
  const isReneg = head !== null && (head.cb.sacked & TCPCB_SACKED_ACKED) !== 0;
  if (isReneg) {
    tn.ext.TCPSACKReneging++;
    sk.sackedOut = 0;
  } else if (tcpIsReno(sk)) sk.sackedOut = 0;
  for (let skb = head; skb !== null && skb !== sk.sendHead; skb = skb.next) {
    if (isReneg) skb.cb.sacked &= ~TCPCB_SACKED_ACKED;
    else if (skb !== head && sk.rack.rttUs && sk.tcpMstamp - skb.cb.whenUs < sk.rack.rttUs) continue;
    tcpMarkSkbLost(sk, skb);
  }
  clearRetransHints(sk);
  if (sk.icskCaState <= TCP_CA_Disorder || !after(sk.highSeq, sk.sndUna) || (sk.icskCaState === TCP_CA_Loss && !sk.icskRetransmits)) {
    sk.priorSsthresh = tcpCurrentSsthresh(sk);
    sk.priorCwnd = sk.sndCwnd;
    sk.sndSsthresh = (sk.icskCaOps ?? RENO_FALLBACK).ssthresh(sk);
    tcpCaEvent(sk, CA_EVENT_LOSS);
    tcpInitUndo(sk);
  }
  tcpEcnQueueCwr(sk);
  sk.sndCwnd = tcpPacketsInFlight(sk) + 1;
  sk.sndCwndCnt = 0;
  sk.sndCwndStamp = sk.jiffies;
  const reordering = tn.sysctl.tcp_reordering;
  if (sk.icskCaState <= TCP_CA_Disorder && sk.sackedOut >= reordering) sk.reordering = Math.min(sk.reordering, reordering);
  tcpSetCaState(sk, TCP_CA_Loss);
  sk.highSeq = sk.sndNxt;
  sk.tlpHighSeq = 0;
  // RFC 5682 §3.1 step 1: F-RTO unless a recovery is already under way.
  sk.frto = tn.sysctl.tcp_frto !== 0 && (newRecovery || sk.icskRetransmits > 0);
}

/** tcp_packet_delayed: the peer's TS echo shows it got the original, not our retransmission (Eifel). */
function tcpPacketDelayed(sk: TcpSock): boolean {
  if (!sk.retransStamp || !sk.rxOpt.sawTstamp || !sk.rxOpt.rcvTsecr) return false;
  return before((sk.rxOpt.rcvTsecr - sk.tsOffset) >>> 0, sk.retransStamp >>> 0);
}

function tcpMayUndo(sk: TcpSock): boolean {
  return sk.undoMarker !== 0 && (!sk.undoRetrans || tcpPacketDelayed(sk));
}

/** tcp_undo_cwnd_reduction */
function tcpUndoCwndReduction(sk: TcpSock, unmarkLoss: boolean): void {
  if (unmarkLoss) {
    for (let skb = sk.skWriteQueue.first; skb !== null && skb !== sk.sendHead; skb = skb.next) skb.cb.sacked &= ~TCPCB_LOST;
    sk.lostOut = 0;
    clearRetransHints(sk);
  }
  if (sk.priorSsthresh) {
    sk.sndCwnd = (sk.icskCaOps ?? { undoCwnd: (t: TcpSock) => Math.max(t.sndCwnd, t.priorCwnd) }).undoCwnd(sk);
    if (sk.priorSsthresh > sk.sndSsthresh) sk.sndSsthresh = sk.priorSsthresh;
  }
  sk.sndCwndStamp = sk.jiffies;
  tcpEcnWithdrawCwr(sk);
  sk.undoMarker = 0;
  sk.rack.advanced = true;
}

function tcpTryKeepOpen(sk: TcpSock): void {
  let state = TCP_CA_Open;
  if (sk.sackedOut + sk.lostOut || tcpAnyRetransDone(sk)) state = TCP_CA_Disorder;
  if (sk.icskCaState !== state) {
    tcpSetCaState(sk, state);
    sk.highSeq = sk.sndNxt;
  }
}

function tcpTryToOpen(sk: TcpSock, flag: number): void {
  if (!tcpAnyRetransDone(sk)) sk.retransStamp = 0;
  if (flag & FLAG_ECE) tcpEnterCwr(sk);
  if (sk.icskCaState !== TCP_CA_CWR) tcpTryKeepOpen(sk);
}

/** tcp_try_undo_recovery: true while a Reno sender must hold Recovery (RFC 6582 §3.2 step 3). */
function tcpTryUndoRecovery(sk: TcpSock): boolean {
  const tn = net(sk);
  if (tcpMayUndo(sk)) {
    tcpUndoCwndReduction(sk, false);
    if (sk.icskCaState === TCP_CA_Loss) tn.ext.TCPLossUndo++;
    else tn.ext.TCPFullUndo++;
  } else if (sk.rack.reoWndPersist) sk.rack.reoWndPersist--;
  if (sk.sndUna === sk.highSeq && tcpIsReno(sk)) {
    if (!tcpAnyRetransDone(sk)) sk.retransStamp = 0;
    return true;
  }
  tcpSetCaState(sk, TCP_CA_Open);
  return false;
}

function tcpTryUndoDsack(sk: TcpSock): boolean {
  if (sk.undoMarker && !sk.undoRetrans) {
    sk.rack.reoWndPersist = Math.min(16 + sk.rack.reoWndPersist, 255);
    tcpUndoCwndReduction(sk, false);
    net(sk).ext.TCPDSACKUndo++;
    return true;
  }
  return false;
}

function tcpTryUndoLoss(sk: TcpSock, frtoUndo: boolean): boolean {
  const tn = net(sk);
  if (frtoUndo || tcpMayUndo(sk)) {
    tcpUndoCwndReduction(sk, true);
    tn.ext.TCPLossUndo++;
    if (frtoUndo) tn.ext.TCPSpuriousRTOs++;
    sk.icskRetransmits = 0;
    if (frtoUndo || tcpIsSack(sk)) tcpSetCaState(sk, TCP_CA_Open);
    return true;
  }
  return false;
}

function tcpForceFastRetransmit(sk: TcpSock): boolean {
  return after(highestSackSeq(sk), (sk.sndUna + sk.reordering * sk.mssCache) >>> 0);
}

function tcpTryUndoPartial(sk: TcpSock, priorSndUna: number): boolean {
  if (sk.undoMarker && tcpPacketDelayed(sk)) {
    tcpCheckSackReordering(sk, priorSndUna, 1);
    if (sk.retransOut) return true;
    if (!tcpAnyRetransDone(sk)) sk.retransStamp = 0;
    tcpUndoCwndReduction(sk, true);
    net(sk).ext.TCPPartialUndo++;
    tcpTryKeepOpen(sk);
  }
  return false;
}

/** Reno: duplicate ACKs stand in for SACKed segments (tcp_add_reno_sack). */
function tcpAddRenoSack(sk: TcpSock, numDupack: number): void {
  if (numDupack) {
    const prior = sk.sackedOut;
    sk.sackedOut += numDupack;
    // Never count more dupacks than outstanding segments.
    if (sk.sackedOut + sk.lostOut > sk.packetsOut) sk.sackedOut = Math.max(0, sk.packetsOut - sk.lostOut);
    if (sk.sackedOut > prior) sk.delivered += sk.sackedOut - prior;
  }
}

function tcpRemoveRenoSacks(sk: TcpSock, acked: number): void {
  if (acked > 0) {
    sk.delivered += Math.max(0, acked - sk.sackedOut);
    if (acked - 1 >= sk.sackedOut) sk.sackedOut = 0;
    else sk.sackedOut -= acked - 1;
  }
}

/** tcp_newreno_mark_lost (RFC 6582): the head is lost after dupthresh dupacks or a partial ACK. */
function tcpNewrenoMarkLost(sk: TcpSock, sndUnaAdvanced: boolean): void {
  const state = sk.icskCaState;
  if ((state < TCP_CA_Recovery && sk.sackedOut >= sk.reordering) || (state === TCP_CA_Recovery && sndUnaAdvanced)) {
    const skb = sk.skWriteQueue.first;
    if (skb === null || skb === sk.sendHead || (skb.cb.sacked & TCPCB_LOST)) return;
    const mss = tcpSkbMss(skb);
    if (tcpSkbPcount(skb) > 1 && mss && skb.len > mss) tcpFragment(sk, skb, mss, mss);
    tcpMarkSkbLost(sk, skb);
  }
}

/** tcp_identify_packet_loss */
function tcpIdentifyPacketLoss(sk: TcpSock, flagRef: { flag: number }): void {
  if (sk.skWriteQueue.first === null || sk.skWriteQueue.first === sk.sendHead) return;
  if (tcpIsReno(sk)) tcpNewrenoMarkLost(sk, (flagRef.flag & FLAG_SND_UNA_ADVANCED) !== 0);
  else if (tcpIsRack(sk)) {
    const priorRetrans = sk.retransOut;
    if (tcpRackMarkLost(sk)) flagRef.flag &= ~FLAG_SET_XMIT_TIMER;
    if (priorRetrans > sk.retransOut) flagRef.flag |= FLAG_LOST_RETRANS;
  }
}

/** tcp_time_to_recover */
function tcpTimeToRecover(sk: TcpSock): boolean {
  if (sk.lostOut) return true;
  if (!tcpIsRack(sk) && (tcpIsReno(sk) ? sk.sackedOut : sk.sackedOut + 1) > sk.reordering) return true;
  return false;
}

/** Mark the head lost for non-RACK SACK senders (tcp_update_scoreboard / tcp_mark_head_lost). */
function tcpUpdateScoreboard(sk: TcpSock): void {
  let cnt = 0;
  const limit = Math.max(sk.sackedOut - sk.reordering, 1);
  for (let skb = sk.skWriteQueue.first; skb !== null && skb !== sk.sendHead; skb = skb.next) {
    if (skb.cb.sacked & TCPCB_SACKED_ACKED) {
      cnt += tcpSkbPcount(skb);
      continue;
    }
    if (cnt >= limit) break;
    tcpMarkSkbLost(sk, skb);
    cnt += tcpSkbPcount(skb);
  }
}

const REXMIT_NONE = 0, REXMIT_LOST = 1, REXMIT_NEW = 2;
const flagBox = { flag: 0 };

/** tcp_process_loss: F-RTO (RFC 5682 §3.1, SACK-enhanced) and Loss-state recovery. */
function tcpProcessLoss(sk: TcpSock, flag: number, numDupack: number): number {
  const recovered = !before(sk.sndUna, sk.highSeq);
  if ((flag & FLAG_SND_UNA_ADVANCED) && tcpTryUndoLoss(sk, false)) return REXMIT_NONE;
  if (sk.frto) {
    // Step 3.b: new data was acked without being retransmitted, so the timeout was spurious.
    if ((flag & FLAG_ORIG_SACK_ACKED) && tcpTryUndoLoss(sk, true)) return REXMIT_NONE;
    if (after(sk.sndNxt, sk.highSeq)) {
      if ((flag & FLAG_DATA_SACKED) || numDupack) sk.frto = false; // Step 3.a: loss was real
    } else if ((flag & FLAG_SND_UNA_ADVANCED) && !recovered) {
      sk.highSeq = sk.sndNxt;
      // Step 2.b: send new data instead of retransmitting, if the window allows.
      if (sk.sendHead !== null && after(tcpWndEnd(sk), sk.sndNxt)) return REXMIT_NEW;
      sk.frto = false;
    }
  }
  if (recovered) {
    tcpTryUndoRecovery(sk);
    return REXMIT_NONE;
  }
  if (tcpIsReno(sk)) {
    if (flag & FLAG_SND_UNA_ADVANCED) sk.sackedOut = 0;
    else tcpAddRenoSack(sk, numDupack);
  }
  return REXMIT_LOST;
}

/** tcp_fastretrans_alert: the congestion state machine on dubious ACKs. */
function tcpFastretransAlert(sk: TcpSock, priorSndUna: number, numDupack: number, fr: { flag: number }): number {
  const flag = fr.flag;
  const eceAck = (flag & FLAG_ECE) !== 0;
  let rexmit = REXMIT_NONE;
  if (!sk.packetsOut && sk.sackedOut) sk.sackedOut = 0;
  if (eceAck) sk.priorSsthresh = 0;
  if (sk.icskCaState === TCP_CA_Open) sk.retransStamp = 0;
  else if (!before(sk.sndUna, sk.highSeq)) {
    switch (sk.icskCaState) {
      case TCP_CA_CWR:
        if (sk.sndUna !== sk.highSeq) {
          tcpEndCwndReduction(sk);
          tcpSetCaState(sk, TCP_CA_Open);
        }
        break;
      case TCP_CA_Recovery:
        if (tcpIsReno(sk)) sk.sackedOut = 0;
        if (tcpTryUndoRecovery(sk)) return REXMIT_NONE;
        tcpEndCwndReduction(sk);
        break;
    }
  }
  const st = sk.icskCaState;
  if (st === TCP_CA_Recovery) {
    if (!(flag & FLAG_SND_UNA_ADVANCED)) {
      if (tcpIsReno(sk)) tcpAddRenoSack(sk, numDupack);
    } else if (tcpTryUndoPartial(sk, priorSndUna)) return REXMIT_NONE;
    if (tcpTryUndoDsack(sk)) tcpTryToOpen(sk, flag);
    tcpIdentifyPacketLoss(sk, fr);
    return REXMIT_LOST;
  }
  if (st === TCP_CA_Loss) {
    rexmit = tcpProcessLoss(sk, flag, numDupack);
    tcpIdentifyPacketLoss(sk, fr);
    // Leave Loss handling only when cwnd was undone or a retransmission was lost.
    if (!((sk.icskCaState as number) === TCP_CA_Open || (fr.flag & FLAG_LOST_RETRANS))) return rexmit;
  }
  if (tcpIsReno(sk)) {
    if (flag & FLAG_SND_UNA_ADVANCED) sk.sackedOut = 0;
    tcpAddRenoSack(sk, numDupack);
  }
  if (sk.icskCaState <= TCP_CA_Disorder) tcpTryUndoDsack(sk);
  tcpIdentifyPacketLoss(sk, fr);
  if (!tcpTimeToRecover(sk)) {
    tcpTryToOpen(sk, flag);
    return REXMIT_NONE;
  }
  // The MTU probe at the head was lost: the path is narrower, not congested. Keep cwnd
  // (give back what the probe took) and resend in current-MSS packets.
  if (sk.icskCaState < TCP_CA_CWR && sk.mtupProbeSize && sk.sndUna === sk.mtuProbeSeqStart) {
    tcpMtupProbeFailed(sk);
    sk.sndCwnd += 1;
    tcpSimpleRetransmit(sk);
    return REXMIT_NONE;
  }
  tcpEnterRecovery(sk, eceAck);
  if (!tcpIsRack(sk) && !tcpIsReno(sk)) tcpUpdateScoreboard(sk);
  return REXMIT_LOST;
}

// ---------------------------------------------------------------------------------------
// SACK scoreboard

function highestSackSeq(sk: TcpSock): number {
  const h = sk.highestSack;
  if (h === null || h === sk.sendHead) return sk.sndUna;
  return h.cb.endSeq;
}

/** tcp_check_sack_reordering: a hole filled below the highest SACK means reordering. */
function tcpCheckSackReordering(sk: TcpSock, lowSeq: number, ts: number): void {
  const tn = net(sk);
  const fack = highestSackSeq(sk);
  if (!before(lowSeq, fack)) return;
  const metric = (fack - lowSeq) >>> 0;
  if (metric > sk.reordering * sk.mssCache && sk.mssCache) {
    sk.reordering = Math.min(tn.sysctl.tcp_max_reordering, Math.floor((metric + sk.mssCache - 1) / sk.mssCache));
  }
  sk.reordSeen++;
  if (ts) tn.ext.TCPTSReorder++;
  else if (tcpIsReno(sk)) tn.ext.TCPRenoReorder++;
  else tn.ext.TCPSACKReorder++;
}

class SackState {
  flag = 0;
  reord = 0;
  firstSackt = 0;
  lastSackt = 0;
  sackDelivered = 0;
}
const sackState = new SackState();
/** The SACK blocks of the ACK being processed: on tcp_sacktag_write_queue's stack in Linux, so one for all socks. */
const sackScratch: TcpSackBlock[] = tcpSackBlocksAlloc(TCP_NUM_SACKS);

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** tcp_sacktag_one */
function tcpSacktagOne(sk: TcpSock, st: SackState, skb: SkBuff, dupSack: boolean): void {
  let sacked = skb.cb.sacked;
  const pcount = tcpSkbPcount(skb);
  const startSeq = skb.cb.seq, endSeq = skb.cb.endSeq;
  if (dupSack && (sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS))) {
    if (sk.undoMarker && sk.undoRetrans > 0 && after(endSeq, sk.undoMarker)) sk.undoRetrans = Math.max(0, sk.undoRetrans - pcount);
    if ((sacked & TCPCB_SACKED_ACKED) && before(startSeq, st.reord)) st.reord = startSeq;
  }
  if (!after(endSeq, sk.sndUna)) return;
  if (!(sacked & TCPCB_SACKED_ACKED)) {
    tcpRackAdvance(sk, sacked, endSeq, skb.cb.whenUs);
    if (sacked & TCPCB_SACKED_RETRANS) {
      if (sacked & TCPCB_LOST) {
        sacked &= ~(TCPCB_LOST | TCPCB_SACKED_RETRANS);
        sk.lostOut -= pcount;
        sk.retransOut -= pcount;
      }
    } else {
      if (!(sacked & TCPCB_EVER_RETRANS)) {
        if (before(startSeq, highestSackSeq(sk)) && before(startSeq, st.reord)) st.reord = startSeq;
        if (!after(endSeq, sk.highSeq)) st.flag |= FLAG_ORIG_SACK_ACKED;
        if (st.firstSackt === 0) st.firstSackt = skb.cb.whenUs;
        st.lastSackt = skb.cb.whenUs;
      }
      if (sacked & TCPCB_LOST) {
        sacked &= ~TCPCB_LOST;
        sk.lostOut -= pcount;
      }
    }
    sacked |= TCPCB_SACKED_ACKED;
    st.flag |= FLAG_DATA_SACKED;
    sk.sackedOut += pcount;
    st.sackDelivered += pcount;
    tcpRateSkbDelivered(sk, skb);
    if (sk.highestSack === null || sk.highestSack === sk.sendHead || after(endSeq, highestSackSeq(sk))) sk.highestSack = skb;
  }
  if (dupSack && (sacked & TCPCB_SACKED_RETRANS)) {
    sacked &= ~TCPCB_SACKED_RETRANS;
    sk.retransOut -= pcount;
  }
  skb.cb.sacked = sacked;
}

/**
 * tcp_sacktag_write_queue: apply the SACK blocks of an ACK to the retransmit queue.
 * Blocks are validated (tcp_is_sackblock_valid), D-SACK detected (RFC 2883 §4), partially
 * covered TSO skbs split at MSS boundaries.
 */
function tcpSacktagWriteQueue(sk: TcpSock, skb: SkBuff, priorSndUna: number): number {
  const tn = net(sk);
  const b = skb.head;
  const off = sk.rxOpt.sackOff;
  const num = Math.min((b[off + 1] - 2) >> 3, TCP_NUM_SACKS);
  const st = sackState;
  st.flag = 0;
  st.reord = sk.sndNxt;
  st.firstSackt = 0;
  st.lastSackt = 0;
  st.sackDelivered = 0;
  const blocks = sackScratch;
  let n = 0;
  let dsackIdx = -1;
  for (let i = 0; i < num; i++) {
    blocks[n].startSeq = u32(b, off + 2 + i * 8);
    blocks[n].endSeq = u32(b, off + 6 + i * 8);
    n++;
  }
  // tcp_check_dsack
  if (n > 0) {
    const s0 = blocks[0].startSeq, e0 = blocks[0].endSeq;
    let dup = false;
    if (before(s0, skb.cb.ackSeq)) {
      dup = true;
      tn.ext.TCPDSACKRecv++;
    } else if (n > 1 && !after(e0, blocks[1].endSeq) && !before(s0, blocks[1].startSeq)) {
      dup = true;
      tn.ext.TCPDSACKOfoRecv++;
    }
    if (dup) {
      dsackIdx = 0;
      sk.rack.dsackSeen = true;
      sk.dsackDups++;
      tn.ext.TCPDSACKRecvSegs++;
      st.flag |= FLAG_DSACKING_ACK;
      // tcp_dsack_seen: a one-segment D-SACK ending at tlp_high_seq reports the probe itself.
      if (sk.tlpHighSeq && sk.tlpHighSeq === e0 && ((e0 - s0) >>> 0) <= sk.mssCache) st.flag |= FLAG_DSACK_TLP;
      // D-SACK for data already acked: count it against undo_retrans directly.
      if (sk.undoMarker && sk.undoRetrans > 0 && !after(e0, priorSndUna) && after(e0, sk.undoMarker)) sk.undoRetrans--;
    }
  }
  // The D-SACK is counted above even with nothing in flight (tcp_ack's no_queue path undoes).
  if (!sk.packetsOut) return st.flag;
  const maxWin = sk.maxWindow;
  for (let i = 0; i < n; i++) {
    const blk = blocks[i];
    const dup = i === dsackIdx;
    // tcp_is_sackblock_valid: within [snd_una - max_window, snd_nxt], non-empty, not absurd.
    if (!after(blk.endSeq, blk.startSeq) || after(blk.endSeq, sk.sndNxt)) {
      if (dup) tn.ext.TCPDSACKIgnoredNoUndo++;
      else tn.ext.TCPSACKDiscard++;
      continue;
    }
    if (!dup && !after(blk.endSeq, sk.sndUna)) continue;
    if (dup && before(blk.startSeq, (sk.sndUna - maxWin) >>> 0)) {
      tn.ext.TCPDSACKIgnoredOld++;
      continue;
    }
    sacktagRange(sk, st, blk, dup);
  }
  tcpRackUpdateReoWnd(sk, dsackIdx >= 0);
  if (st.reord !== sk.sndNxt && before(st.reord, highestSackSeq(sk))) tcpCheckSackReordering(sk, st.reord, 0);
  // Remember the blocks (recv_sack_cache) for diagnostics.
  if (sk.recvSackCache === NO_SACK_BLOCKS) sk.recvSackCache = tcpSackBlocksAlloc(TCP_NUM_SACKS);
  for (let i = 0; i < TCP_NUM_SACKS; i++) {
    const c = sk.recvSackCache[i];
    if (i < n) {
      c.startSeq = blocks[i].startSeq;
      c.endSeq = blocks[i].endSeq;
    } else c.startSeq = c.endSeq = 0;
  }
  return st.flag;
}

function sacktagRange(sk: TcpSock, st: SackState, blk: TcpSackBlock, dup: boolean): void {
  for (let skb = sk.skWriteQueue.first; skb !== null && skb !== sk.sendHead; skb = skb.next) {
    const s = skb.cb.seq, e = skb.cb.endSeq;
    if (!after(e, blk.startSeq)) continue;
    if (!before(s, blk.endSeq)) break;
    const inS = !before(s, blk.startSeq), inE = !after(e, blk.endSeq);
    if (!(inS && inE)) {
      // Partly covered: split a multi-segment skb at an MSS boundary (tcp_match_skb_to_sack).
      const pc = tcpSkbPcount(skb);
      const mss = tcpSkbMss(skb);
      if (pc <= 1 || !mss) continue;
      if (!inS) {
        let len = (blk.startSeq - s) >>> 0;
        len = Math.ceil(len / mss) * mss;
        if (len >= skb.len) continue;
        tcpFragment(sk, skb, len, mss);
        continue; // the next iteration sees the tail
      }
      let len = (blk.endSeq - s) >>> 0;
      len = Math.floor(len / mss) * mss;
      if (len === 0) continue;
      tcpFragment(sk, skb, len, mss);
    }
    tcpSacktagOne(sk, st, skb, dup);
  }
}

// ---------------------------------------------------------------------------------------
// The ACK

function tcpUpdateWl(sk: TcpSock, seq: number): void {
  sk.sndWl1 = seq;
}

function tcpMayUpdateWindow(sk: TcpSock, ack: number, ackSeq: number, nwin: number): boolean {
  return after(ack, sk.sndUna) || after(ackSeq, sk.sndWl1) || (ackSeq === sk.sndWl1 && (nwin > sk.sndWnd || !nwin));
}

function tcpSndUnaUpdate(sk: TcpSock, ack: number): void {
  const delta = (ack - sk.sndUna) >>> 0;
  sk.bytesAcked += delta;
  sk.sndUna = ack;
}

/** tcp_ack_update_window (RFC 9293 §3.10.7.4 fifth step, SND.WL1/WL2 rule). */
function tcpAckUpdateWindow(sk: TcpSock, skb: SkBuff, ack: number, ackSeq: number): number {
  let flag = 0;
  const th = skb.transportHeader;
  let nwin = thWindow(skb.head, th);
  if (!(skb.cb.tcpFlags & TCPHDR_SYN)) nwin <<= sk.rxOpt.sndWscale;
  if (tcpMayUpdateWindow(sk, ack, ackSeq, nwin)) {
    flag |= FLAG_WIN_UPDATE;
    tcpUpdateWl(sk, ackSeq);
    if (sk.sndWnd !== nwin) {
      sk.sndWnd = nwin;
      // A window reopening after a long stall restarts like an idle sender.
      if (sk.skWriteQueue.first !== null) tcpSlowStartAfterIdleCheck(sk);
      if (nwin > sk.maxWindow) {
        sk.maxWindow = nwin;
        tcpSyncMss(sk, sk.icskPmtuCookie);
      }
    }
  }
  tcpSndUnaUpdate(sk, ack);
  return flag;
}

/** struct ack_sample, reused: the modules read it during the call only. */
const ackSample: AckSample = { pktsAcked: 0, rttUs: 0, inFlight: 0 };

/** tcp_clean_rtx_queue: drop what the cumulative ACK covers; RTT samples; returns flags. */
function tcpCleanRtxQueue(sk: TcpSock, priorFack: number, priorSndUna: number, st: SackState): number {
  const tn = net(sk);
  const now = sk.tcpMstamp;
  let firstAckt = 0, lastAckt = 0;
  let flag = 0;
  let pktsAcked = 0;
  let reord = sk.packetsOut ? sk.sndNxt : 0;
  let skb: SkBuff | null;
  while ((skb = sk.skWriteQueue.first) !== null && skb !== sk.sendHead) {
    const scb = skb.cb;
    const sacked = scb.sacked;
    let ackedPcount: number;
    let fully = true;
    if (after(scb.endSeq, sk.sndUna)) {
      // Partially acked TSO skb (tcp_tso_acked).
      if (tcpSkbPcount(skb) === 1 || !after(sk.sndUna, scb.seq)) break;
      const before_ = tcpSkbPcount(skb);
      tcpTrimHead(sk, skb, (sk.sndUna - scb.seq) >>> 0);
      ackedPcount = Math.max(0, before_ - tcpSkbPcount(skb));
      if (!ackedPcount) break;
      fully = false;
    } else ackedPcount = tcpSkbPcount(skb);
    if (sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS)) {
      if (sacked & TCPCB_SACKED_RETRANS) sk.retransOut -= ackedPcount;
      flag |= FLAG_RETRANS_DATA_ACKED;
    } else if (!(sacked & TCPCB_SACKED_ACKED)) {
      lastAckt = scb.whenUs;
      if (!firstAckt) firstAckt = lastAckt;
      if (before(scb.seq, reord)) reord = scb.seq;
      if (!after(scb.endSeq, sk.highSeq)) flag |= FLAG_ORIG_SACK_ACKED;
    }
    if (sacked & TCPCB_SACKED_ACKED) sk.sackedOut -= ackedPcount;
    else if (tcpIsSack(sk)) {
      sk.delivered += ackedPcount;
      tcpRackAdvance(sk, sacked, scb.endSeq, scb.whenUs);
    }
    if (sacked & TCPCB_LOST) sk.lostOut -= ackedPcount;
    sk.packetsOut -= ackedPcount;
    pktsAcked += ackedPcount;
    tcpRateSkbDelivered(sk, skb);
    if (!(scb.tcpFlags & TCPHDR_SYN)) flag |= FLAG_DATA_ACKED;
    else {
      flag |= FLAG_SYN_ACKED;
      sk.retransStamp = 0;
    }
    if (!fully) break;
    skbUnlink(skb, sk.skWriteQueue);
    if (skb === sk.retransmitSkbHint) sk.retransmitSkbHint = null;
    if (skb === sk.lostSkbHint) sk.lostSkbHint = null;
    if (skb === sk.highestSack) sk.highestSack = null;
    skWmemFreeSkb(sk, skb);
  }
  // Everything sent is acked: busy only while unsent data waits.
  if (skb === null || skb === sk.sendHead) tcpChronoStop(sk, TCP_CHRONO_BUSY);
  if (!before(sk.sndUna, sk.undoMarker) && sk.undoMarker && false) sk.undoMarker = 0;
  if (flag & FLAG_ACKED) sk.skFlags |= 1 << 10; // SOCK_QUEUE_SHRUNK
  const seqRttUs = firstAckt ? now - firstAckt : -1;
  const caRttUs = lastAckt ? now - lastAckt : -1;
  const sackRttUs = st.firstSackt ? now - st.firstSackt : -1;
  const rttUpdate = tcpAckUpdateRtt(sk, flag, seqRttUs, sackRttUs, caRttUs >= 0 ? caRttUs : (st.lastSackt ? now - st.lastSackt : -1)) >= 0;
  if (flag & FLAG_ACKED) {
    flag |= FLAG_SET_XMIT_TIMER;
    if (sk.mtupProbeSize && !after(sk.mtuProbeSeqEnd, sk.sndUna)) tcpMtupProbeSuccess(sk);
    if (tcpIsReno(sk)) {
      tcpRemoveRenoSacks(sk, pktsAcked);
      if (flag & FLAG_RETRANS_DATA_ACKED) flag &= ~FLAG_ORIG_SACK_ACKED;
    } else if (before(reord, priorFack) && reord) tcpCheckSackReordering(sk, reord, 0);
  } else if (rttUpdate && sackRttUs >= 0) flag |= FLAG_SET_XMIT_TIMER;
  const ops = sk.icskCaOps;
  if (ops !== null && ops.pktsAcked) {
    const s = ackSample;
    s.pktsAcked = pktsAcked;
    s.rttUs = sk.rs!.rttUs;
    s.inFlight = tcpPacketsInFlight(sk);
    ops.pktsAcked(sk, s);
  }
  void priorSndUna;
  void tn;
  return flag;
}

/** tcp_send_challenge_ack: RFC 5961 §3-5, limited per socket and per host. */
export function tcpSendChallengeAck(sk: TcpSock): void {
  const tn = net(sk);
  if (oowRateLimited(sk, tn, 'TCPACKSkippedChallenge')) return;
  const limit = tn.sysctl.tcp_challenge_ack_limit;
  if (limit !== 0x7fffffff) {
    const nowS = Math.floor(sk.jiffies / 1000);
    if (nowS !== tn.challengeTimestamp) {
      const half = (limit + 1) >> 1;
      tn.challengeTimestamp = nowS;
      tn.challengeCount = half + Math.floor(sk.skNet.clock.random() * limit);
    }
    if (tn.challengeCount <= 0) return;
    tn.challengeCount--;
  }
  tn.ext.TCPChallengeACK++;
  tcpSendAck(sk);
}

/** __tcp_oow_rate_limited: one out-of-window ACK per tcp_invalid_ratelimit ms per socket. */
function oowRateLimited(sk: TcpSock, tn: TcpNet, mib: 'TCPACKSkippedChallenge' | 'TCPACKSkippedPAWS' | 'TCPACKSkippedSeq'): boolean {
  const now = sk.jiffies;
  if (sk.lastOowAckTime) {
    const elapsed = now - (sk.lastOowAckTime - 1);
    if (elapsed >= 0 && elapsed < tn.sysctl.tcp_invalid_ratelimit) {
      tn.ext[mib]++;
      return true;
    }
  }
  sk.lastOowAckTime = now + 1;
  return false;
}

/**
 * Rate samples for tcp_ack, which keeps one on its stack in Linux: a sock holds one only while
 * its ACK is processed, so idle sockets carry none. Indexed by depth in case ACK processing
 * ever nests.
 */
const rateSamples: RateSample[] = [];
let rateDepth = 0;

/** tcp_ack. Returns >0 processed, 0 old ACK, <0 -reason to drop. */
function tcpAck(sk: TcpSock, skb: SkBuff, flag: number): number {
  const rs = (rateSamples[rateDepth] ??= new RateSample());
  rateDepth++;
  rs.reset();
  const outer = sk.rs;
  sk.rs = rs;
  try {
    return tcpAckSample(sk, skb, flag);
  } finally {
    sk.rs = outer;
    rateDepth--;
  }
}

function tcpAckSample(sk: TcpSock, skb: SkBuff, flag: number): number {
  const tn = net(sk);
  const ack = skb.cb.ackSeq;
  const ackSeq = skb.cb.seq;
  const priorSndUna = sk.sndUna;
  const priorPackets = sk.packetsOut;
  const priorDelivered = sk.delivered;
  const priorLost = sk.lost;
  let numDupack = 0;
  let rexmit = REXMIT_NONE;
  const priorFack = tcpIsSack(sk) ? highestSackSeq(sk) : sk.sndUna;
  if (before(ack, priorSndUna)) {
    // RFC 5961 §5.2: an ACK older than the window gets a challenge ACK.
    if (before(ack, (priorSndUna - sk.maxWindow) >>> 0)) {
      if (!(flag & FLAG_NO_CHALLENGE_ACK)) tcpSendChallengeAck(sk);
      return -R.TCP_TOO_OLD_ACK;
    }
    // Old ACK: still use its SACK information.
    if (sk.rxOpt.sackOff) {
      flag |= tcpSacktagWriteQueue(sk, skb, priorSndUna);
      flagBox.flag = flag;
      rexmit = tcpFastretransAlert(sk, priorSndUna, numDupack, flagBox);
      tcpXmitRecovery(sk, rexmit);
    }
    return 0;
  }
  // RFC 9293 §3.10.7.4: an ACK for data not yet sent is dropped (and answered by an ACK).
  if (after(ack, sk.sndNxt)) return -R.TCP_ACK_UNSENT_DATA;
  if (after(ack, priorSndUna)) {
    flag |= FLAG_SND_UNA_ADVANCED;
    sk.icskRetransmits = 0;
  }
  sk.rs!.priorInFlight = tcpPacketsInFlight(sk);
  if (flag & FLAG_UPDATE_TS_RECENT) tcpReplaceTsRecent(sk, skb.cb.seq);
  const ops = sk.icskCaOps;
  if ((flag & (FLAG_SLOWPATH | FLAG_SND_UNA_ADVANCED)) === FLAG_SND_UNA_ADVANCED) {
    tcpUpdateWl(sk, ackSeq);
    tcpSndUnaUpdate(sk, ack);
    flag |= FLAG_WIN_UPDATE;
    if (ops !== null && ops.inAckEvent) ops.inAckEvent(sk, CA_ACK_WIN_UPDATE);
    tn.ext.TCPHPAcks++;
  } else {
    let ev = CA_ACK_SLOWPATH;
    if (ackSeq !== skb.cb.endSeq) flag |= FLAG_DATA;
    else tn.ext.TCPPureAcks++;
    flag |= tcpAckUpdateWindow(sk, skb, ack, ackSeq);
    if (sk.rxOpt.sackOff) flag |= tcpSacktagWriteQueue(sk, skb, priorSndUna);
    else sackState.firstSackt = sackState.lastSackt = 0, sackState.sackDelivered = 0;
    if (tcpEcnRcvEcnEcho(sk, skb.cb.tcpFlags)) {
      flag |= FLAG_ECE;
      ev |= CA_ACK_ECE;
    }
    if (tcpIsSack(sk) && sackState.sackDelivered && (flag & FLAG_DATA_SACKED)) sk.delivered += sackState.sackDelivered;
    if (flag & FLAG_WIN_UPDATE) ev |= CA_ACK_WIN_UPDATE;
    if (ops !== null && ops.inAckEvent) ops.inAckEvent(sk, ev);
  }
  sk.skErrSoft = 0;
  sk.icskProbesOut = 0;
  sk.rcvTstamp = sk.jiffies;
  sk.lastAckRecv = sk.rcvTstamp;
  if (!priorPackets) {
    // Nothing in flight: maybe a window update opening a zero window (tcp_ack_probe).
    if (flag & FLAG_DSACKING_ACK) {
      flagBox.flag = flag;
      tcpFastretransAlert(sk, priorSndUna, numDupack, flagBox);
    }
    tcpAckProbe(sk);
    if (sk.tlpHighSeq) tcpProcessTlpAck(sk, ack, flag);
    return 1;
  }
  if (!(flag & FLAG_SLOWPATH) || !sk.rxOpt.sackOff) {
    sackState.firstSackt = sackState.lastSackt = 0;
  }
  flag |= tcpCleanRtxQueue(sk, priorFack, priorSndUna, sackState);
  if (sk.tlpHighSeq) tcpProcessTlpAck(sk, ack, flag);
  if (!(flag & FLAG_NOT_DUP) || (flag & FLAG_CA_ALERT) || sk.icskCaState !== TCP_CA_Open) {
    if (!(flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DSACKING_ACK))) numDupack = 1;
    flagBox.flag = flag;
    rexmit = tcpFastretransAlert(sk, priorSndUna, numDupack, flagBox);
    flag = flagBox.flag;
  }
  if (flag & FLAG_SET_XMIT_TIMER) {
    if (!tcpScheduleLossProbe(sk, true)) tcpRearmRto(sk);
  }
  const delivered = sk.delivered - priorDelivered;
  // tcp_count_delivered: what an ECE ACK delivers was CE-marked (tcpi_delivered_ce).
  if (flag & FLAG_ECE) {
    sk.deliveredCe += delivered;
    tn.ext.TCPDeliveredCE += delivered;
  }
  const lost = sk.lost - priorLost;
  tcpRateGen(sk, delivered, lost);
  tcpCongControl(sk, ack, delivered, flag, lost);
  tcpXmitRecovery(sk, rexmit);
  return 1;
}

/**
 * tcp_update_pacing_rate: mss·cwnd/srtt at tcp_pacing_ss_ratio % in slow start (below half
 * ssthresh), tcp_pacing_ca_ratio % after. Nothing paces here (no sch_fq); it sizes GSO
 * packets (tcp_tso_autosize) and is reported in tcpi_pacing_rate.
 */
export function tcpUpdatePacingRate(sk: TcpSock): void {
  const tn = net(sk);
  const ratio = sk.sndCwnd < sk.sndSsthresh / 2 ? tn.sysctl.tcp_pacing_ss_ratio : tn.sysctl.tcp_pacing_ca_ratio;
  // srtt_us is kept <<3: rate = mss · 8·10^6/100 · ratio · max(cwnd, packets_out) / srtt_us.
  let rate = sk.mssCache * 80000 * ratio * Math.max(sk.sndCwnd, sk.packetsOut);
  if (sk.srttUs) rate = Math.floor(rate / sk.srttUs);
  sk.skPacingRate = rate;
}

/** tcp_cong_control: PRR during reduction, else the module's cong_avoid. */
function tcpCongControl(sk: TcpSock, ack: number, ackedSacked: number, flag: number, lost: number): void {
  if (sk.icskCaState === TCP_CA_CWR || sk.icskCaState === TCP_CA_Recovery) {
    tcpCwndReduction(sk, ackedSacked, lost, flag);
    tcpUpdatePacingRate(sk);
    return;
  }
  const tn = net(sk);
  const mayRaise = sk.reordering > tn.sysctl.tcp_reordering ? (flag & FLAG_FORWARD_PROGRESS) !== 0 : (flag & FLAG_DATA_ACKED) !== 0;
  if (mayRaise && sk.icskCaState !== TCP_CA_Loss || (mayRaise && sk.icskCaState === TCP_CA_Loss)) {
    const ops = sk.icskCaOps;
    if (ops !== null) {
      ops.congAvoid(sk, ack, ackedSacked);
      sk.sndCwndStamp = sk.jiffies;
    }
  }
  tcpUpdatePacingRate(sk);
}

function tcpXmitRecovery(sk: TcpSock, rexmit: number): void {
  if (rexmit === REXMIT_NONE || sk.skState === TCP_SYN_SENT) return;
  if (rexmit === REXMIT_NEW) {
    __tcpPushPendingFrames(sk, tcpCurrentMss(sk), 1);
    if (after(sk.sndNxt, sk.highSeq)) return;
    sk.frto = false;
  }
  tcpXmitRetransmitQueue(sk);
}

/** tcp_process_tlp_ack: the TLP's own ACK or a D-SACK of it tells whether a loss happened. */
function tcpProcessTlpAck(sk: TcpSock, ack: number, flag: number): void {
  const tn = net(sk);
  if (before(ack, sk.tlpHighSeq)) return;
  if (!sk.tlpRetrans) {
    // A probe of new data was acked.
    sk.tlpHighSeq = 0;
  } else if (flag & FLAG_DSACK_TLP) {
    // The D-SACK means both the original and the probe arrived: no loss.
    sk.tlpHighSeq = 0;
  } else if (after(ack, sk.tlpHighSeq)) {
    // The ACK advances past the probe: there was a loss, so reduce cwnd (RFC 8985 §7.4.2);
    // tcp_init_cwnd_reduction clears tlp_high_seq.
    tcpInitCwndReduction(sk);
    tcpSetCaState(sk, TCP_CA_CWR);
    tcpEndCwndReduction(sk);
    tcpTryKeepOpen(sk);
    tn.ext.TCPLossProbeRecovery++;
  } else if (!(flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DATA_SACKED))) {
    // A pure dupack: the original and the probe arrived; no loss.
    sk.tlpHighSeq = 0;
  }
}

/** tcp_ack_probe: the window reopened; stop the persist timer. */
function tcpAckProbe(sk: TcpSock): void {
  const head = sk.sendHead;
  if (head === null) return;
  if (!after(head.cb.endSeq, tcpWndEnd(sk))) {
    sk.icskBackoff = 0;
    sk.icskProbesTstamp = 0;
    inetCskClearXmitTimer(sk, ICSK_TIME_PROBE0);
  } else {
    const when = Math.min(Math.max(sk.icskRto, 200) * 2 ** sk.icskBackoff, TCP_RTO_MAX);
    inetCskResetXmitTimer(sk, ICSK_TIME_PROBE0, when, TCP_RTO_MAX);
  }
}

// ---------------------------------------------------------------------------------------
// Timestamps (RFC 7323)

function tcpStoreTsRecent(sk: TcpSock): void {
  sk.rxOpt.tsRecent = sk.rxOpt.rcvTsval;
  sk.rxOpt.tsRecentStamp = Math.floor(sk.skNet.clock.now() / 1000);
}

/** tcp_replace_ts_recent: RFC 7323 §4.3 (2): update when the segment covers Last.ACK.sent. */
function tcpReplaceTsRecent(sk: TcpSock, seq: number): void {
  if (sk.rxOpt.sawTstamp && !after(seq, sk.rcvWup)) {
    if ((((sk.rxOpt.rcvTsval - sk.rxOpt.tsRecent) | 0) >= 0) || !tcpPawsCheck(sk, 0)) tcpStoreTsRecent(sk);
  }
}

/** tcp_paws_check: true when the timestamp is acceptable. */
function tcpPawsCheck(sk: TcpSock, win: number): boolean {
  const o = sk.rxOpt;
  if (((o.tsRecent - o.rcvTsval) | 0) <= win) return true;
  if (Math.floor(sk.skNet.clock.now() / 1000) >= o.tsRecentStamp + TCP_PAWS_24DAYS) return true;
  if (!o.tsRecent) return true;
  return false;
}

/** tcp_disordered_ack: a pure duplicate ACK with an old timestamp is reordering, not a wrap (RFC 7323 §5.3). */
function tcpDisorderedAck(sk: TcpSock, skb: SkBuff): boolean {
  const seq = skb.cb.seq, ack = skb.cb.ackSeq;
  return (skb.cb.tcpFlags & TCPHDR_ACK) !== 0 && seq === skb.cb.endSeq && seq === sk.rcvNxt && ack === sk.sndUna &&
    !tcpMayUpdateWindow(sk, ack, seq, (thWindow(skb.head, skb.transportHeader) << sk.rxOpt.sndWscale)) &&
    ((sk.rxOpt.tsRecent - sk.rxOpt.rcvTsval) | 0) <= Math.floor((sk.icskRto * 1024) / 1000);
}

function tcpPawsDiscard(sk: TcpSock, skb: SkBuff): boolean {
  return !tcpPawsCheck(sk, TCP_PAWS_WINDOW) && !tcpDisorderedAck(sk, skb);
}

function tcpRcvRttUpdate(sk: TcpSock, sample: number, winDep: boolean): void {
  let newSample = sk.rcvRttUs;
  let m = sample;
  if (newSample !== 0) {
    if (!winDep) {
      m -= newSample >> 3;
      newSample += m;
    } else {
      m <<= 3;
      if (m < newSample) newSample = m;
    }
  } else newSample = m << 3;
  sk.rcvRttUs = newSample;
}

/** tcp_rcv_rtt_measure: a receiver-side RTT estimate once per window (for DRS). */
function tcpRcvRttMeasure(sk: TcpSock): void {
  if (sk.rcvRttTime === 0) {
    sk.rcvRttSeq = (sk.rcvNxt + sk.rcvWnd) >>> 0;
    sk.rcvRttTime = sk.tcpMstamp;
    return;
  }
  if (before(sk.rcvNxt, sk.rcvRttSeq)) return;
  const delta = sk.tcpMstamp - sk.rcvRttTime;
  if (delta > 0) tcpRcvRttUpdate(sk, delta, true);
  sk.rcvRttSeq = (sk.rcvNxt + sk.rcvWnd) >>> 0;
  sk.rcvRttTime = sk.tcpMstamp;
}

function tcpRcvRttMeasureTs(sk: TcpSock, skb: SkBuff): void {
  if (!sk.rxOpt.sawTstamp || !sk.rxOpt.rcvTsecr) return;
  if (skb.cb.endSeq === skb.cb.seq) return;
  const delta = ((tcpTimeStamp(sk) - sk.rxOpt.rcvTsecr) >>> 0) * 1000;
  if (delta > 0 && delta < 0x7fffffff) tcpRcvRttUpdate(sk, delta, false);
}

/** tcp_rcv_space_adjust: DRS receive-buffer autotuning, from the bytes the reader consumed per RTT. */
export function tcpRcvSpaceAdjust(sk: TcpSock): void {
  const tn = net(sk);
  const now = tcpClockUs(sk);
  const time = now - sk.rcvqSpaceTime;
  if (time < (sk.rcvRttUs >> 3) || sk.rcvRttUs === 0) return;
  const copied = (sk.copiedSeq - sk.rcvqSpaceSeq) >>> 0;
  if (copied > sk.rcvqSpace) {
    if (tn.sysctl.tcp_moderate_rcvbuf && !(sk.skUserlocks & 2)) {
      let rcvwin = copied * 2 + 16 * sk.advmss;
      const grow = Math.floor((rcvwin * (copied - sk.rcvqSpace)) / Math.max(sk.rcvqSpace, 1));
      rcvwin += grow * 2;
      // tcp_space_from_win: invert adv_win_scale.
      const s = tn.sysctl.tcp_adv_win_scale;
      const space = s <= 0 ? rcvwin << -s : Math.floor((rcvwin * (1 << s)) / ((1 << s) - 1));
      const rcvbuf = Math.min(space * 2, tn.sysctl.tcp_rmem[2]);
      if (rcvbuf > sk.skRcvbuf) {
        sk.skRcvbuf = rcvbuf;
        sk.windowClamp = tcpWinFromSpace(sk, rcvbuf);
      }
    }
    sk.rcvqSpace = copied;
  }
  sk.rcvqSpaceSeq = sk.copiedSeq;
  sk.rcvqSpaceTime = now;
}

// ---------------------------------------------------------------------------------------
// Delayed ACK and receive-side bookkeeping

function tcpIncrQuickack(sk: TcpSock, maxQuickacks: number): void {
  let q = Math.floor(sk.rcvWnd / (2 * Math.max(sk.icskAck.rcvMss, 1)));
  if (q === 0) q = 2;
  q = Math.min(q, maxQuickacks);
  if (q > sk.icskAck.quick) sk.icskAck.quick = q;
}

/** tcp_enter_quickack_mode: ACK every segment for a while (after loss, reordering or idle). */
export function tcpEnterQuickackMode(sk: TcpSock, maxQuickacks: number): void {
  tcpIncrQuickack(sk, maxQuickacks);
  sk.icskAck.pingpong = 0;
  sk.icskAck.ato = TCP_ATO_MIN;
}

function tcpInQuickackMode(sk: TcpSock): boolean {
  return sk.icskAck.quick > 0 && !sk.icskAck.pingpong;
}

/** tcp_measure_rcv_mss: estimate the peer's MSS from what arrives (for delayed ACK decisions). */
function tcpMeasureRcvMss(sk: TcpSock, skb: SkBuff): void {
  const a = sk.icskAck;
  const lss = a.lastSegSize;
  a.lastSegSize = 0;
  let len = skb.shinfo.gsoSize || skb.len;
  if (len >= a.rcvMss) {
    a.rcvMss = Math.min(len, sk.advmss);
  } else {
    len += skb.data - skb.transportHeader;
    if (len >= TCP_MSS_DEFAULT + 20 || (len >= TCP_MIN_MSS + 20 && !(skb.cb.tcpFlags & (TCPHDR_PSH | TCPHDR_URG | TCPHDR_FIN | TCPHDR_SYN | TCPHDR_RST)))) {
      len -= sk.tcpHeaderLen;
      a.lastSegSize = len;
      if (len === lss) {
        a.rcvMss = len;
        return;
      }
    }
    if (a.pending & ICSK_ACK_PUSHED) a.pending |= ICSK_ACK_PUSHED2;
    a.pending |= ICSK_ACK_PUSHED;
  }
}

/** tcp_grow_window: open rcv_ssthresh as data proves the buffer can hold it. */
function tcpGrowWindow(sk: TcpSock, skb: SkBuff): void {
  const room = Math.min(sk.windowClamp, tcpSpace(sk)) - sk.rcvSsthresh;
  if (room <= 0) return;
  let incr = 0;
  if (tcpWinFromSpace(sk, skb.truesize) <= skb.len) incr = 2 * sk.advmss;
  else {
    let truesize = tcpWinFromSpace(sk, skb.truesize);
    let window = tcpWinFromSpace(sk, sk.skRcvbuf) >> 1;
    while (sk.rcvSsthresh <= window) {
      if (truesize <= skb.len) {
        incr = 2 * sk.icskAck.rcvMss;
        break;
      }
      truesize >>= 1;
      window >>= 1;
    }
  }
  if (incr) {
    incr = Math.max(incr, 2 * skb.len);
    sk.rcvSsthresh += Math.min(room, incr);
    sk.icskAck.quick |= 1;
  }
}

/** tcp_event_data_recv: ATO estimation (Linux's delayed-ACK engine). */
function tcpEventDataRecv(sk: TcpSock, skb: SkBuff): void {
  const a = sk.icskAck;
  a.pending |= ICSK_ACK_SCHED;
  tcpMeasureRcvMss(sk, skb);
  tcpRcvRttMeasure(sk);
  const now = sk.jiffies;
  if (!a.ato) {
    tcpIncrQuickack(sk, TCP_MAX_QUICKACKS);
    a.ato = TCP_ATO_MIN;
  } else {
    const m = now - a.lrcvtime;
    if (m <= TCP_ATO_MIN / 2) a.ato = (a.ato >> 1) + TCP_ATO_MIN / 2;
    else if (m < a.ato) {
      a.ato = (a.ato >> 1) + m;
      if (a.ato > sk.icskRto) a.ato = sk.icskRto;
    } else if (m > sk.icskRto) tcpIncrQuickack(sk, TCP_MAX_QUICKACKS);
  }
  a.lrcvtime = now;
  sk.lastDataRecv = now;
  // A new CE mark, or a Not-ECT retransmission: do not delay the ACK (the sender's cwnd may be tiny).
  if (tcpEcnCheckCe(sk, skb) === ECN_CE_QUICKACK) tcpEnterQuickackMode(sk, 2);
  if (skb.len >= 128) tcpGrowWindow(sk, skb);
}

/** __tcp_ack_snd_check: RFC 5681 §4.2, ACK at least every second full-sized segment. */
function __tcpAckSndCheck(sk: TcpSock, ofoPossible: boolean): void {
  if ((((sk.rcvNxt - sk.rcvWup) >>> 0) > sk.icskAck.rcvMss && __tcpSelectWindow(sk) >= sk.rcvWnd) ||
    tcpInQuickackMode(sk) || (sk.icskAck.pending & ICSK_ACK_NOW)) {
    tcpSendAck(sk);
    return;
  }
  if (!ofoPossible || sk.ooo.length === 0) {
    tcpSendDelayedAck(sk);
    return;
  }
  // Out-of-order data: SACK it at once.
  tcpSendAck(sk);
}

function tcpAckSndCheck(sk: TcpSock): void {
  if (!(sk.icskAck.pending & ICSK_ACK_SCHED)) return;
  __tcpAckSndCheck(sk, true);
}

/** tcp_data_snd_check: new window or ACKs may let queued data go. */
function tcpDataSndCheck(sk: TcpSock): void {
  tcpPushPendingFrames(sk);
  tcpCheckSpace(sk);
}

// ---------------------------------------------------------------------------------------
// D-SACK and SACK blocks we send (RFC 2018 §4, RFC 2883)

function tcpDsackSet(sk: TcpSock, seq: number, endSeq: number): void {
  const tn = net(sk);
  if (tcpIsSack(sk) && tn.sysctl.tcp_dsack) {
    if (before(seq, sk.rcvNxt)) tn.ext.TCPDSACKOldSent++;
    else tn.ext.TCPDSACKOfoSent++;
    sk.rxOpt.dsack = true;
    if (sk.duplicateSack === NO_SACK_BLOCKS) sk.duplicateSack = tcpSackBlocksAlloc(1);
    sk.duplicateSack[0].startSeq = seq;
    sk.duplicateSack[0].endSeq = endSeq;
  }
}

function tcpDsackExtend(sk: TcpSock, seq: number, endSeq: number): void {
  if (!sk.rxOpt.dsack) tcpDsackSet(sk, seq, endSeq);
  else {
    const d = sk.duplicateSack[0];
    if (!after(seq, d.endSeq) && !after(d.startSeq, endSeq)) {
      if (before(seq, d.startSeq)) d.startSeq = seq;
      if (after(endSeq, d.endSeq)) d.endSeq = endSeq;
    }
  }
}

function tcpSackExtend(sp: TcpSackBlock, seq: number, endSeq: number): boolean {
  if (!after(seq, sp.endSeq) && !after(sp.startSeq, endSeq)) {
    if (before(seq, sp.startSeq)) sp.startSeq = seq;
    if (after(endSeq, sp.endSeq)) sp.endSeq = endSeq;
    return true;
  }
  return false;
}

/** tcp_sack_new_ofo_skb: the most recently received block goes first (RFC 2018 §4). */
function tcpSackNewOfoSkb(sk: TcpSock, seq: number, endSeq: number): void {
  if (sk.selectiveAcks === NO_SACK_BLOCKS) sk.selectiveAcks = tcpSackBlocksAlloc(TCP_NUM_SACKS);
  const sp = sk.selectiveAcks;
  let n = sk.rxOpt.numSacks;
  if (!n) {
    sp[0].startSeq = seq;
    sp[0].endSeq = endSeq;
    sk.rxOpt.numSacks = 1;
    return;
  }
  for (let i = 0; i < n; i++) {
    if (tcpSackExtend(sp[i], seq, endSeq)) {
      // Move it to the front, then merge any block it now overlaps.
      const s = sp[i].startSeq, e = sp[i].endSeq;
      for (let j = i; j > 0; j--) {
        sp[j].startSeq = sp[j - 1].startSeq;
        sp[j].endSeq = sp[j - 1].endSeq;
      }
      sp[0].startSeq = s;
      sp[0].endSeq = e;
      for (let j = 1; j < n; ) {
        if (tcpSackExtend(sp[0], sp[j].startSeq, sp[j].endSeq)) {
          for (let k = j; k < n - 1; k++) {
            sp[k].startSeq = sp[k + 1].startSeq;
            sp[k].endSeq = sp[k + 1].endSeq;
          }
          n--;
        } else j++;
      }
      sk.rxOpt.numSacks = n;
      return;
    }
  }
  if (n >= TCP_NUM_SACKS) n = TCP_NUM_SACKS - 1;
  for (let j = n; j > 0; j--) {
    sp[j].startSeq = sp[j - 1].startSeq;
    sp[j].endSeq = sp[j - 1].endSeq;
  }
  sp[0].startSeq = seq;
  sp[0].endSeq = endSeq;
  sk.rxOpt.numSacks = n + 1;
}

/** tcp_sack_remove: drop blocks the cumulative ACK now covers. */
function tcpSackRemove(sk: TcpSock): void {
  const sp = sk.selectiveAcks;
  let n = sk.rxOpt.numSacks;
  if (sk.ooo.length === 0) {
    sk.rxOpt.numSacks = 0;
    return;
  }
  for (let i = 0; i < n; ) {
    if (!before(sk.rcvNxt, sp[i].startSeq)) {
      for (let k = i; k < n - 1; k++) {
        sp[k].startSeq = sp[k + 1].startSeq;
        sp[k].endSeq = sp[k + 1].endSeq;
      }
      n--;
    } else i++;
  }
  sk.rxOpt.numSacks = n;
}

// ---------------------------------------------------------------------------------------
// Receive queues

/** tcp_try_coalesce: append the payload of `from` to the receive-queue tail `to`. */
function tcpTryCoalesce(sk: TcpSock, to: SkBuff, from: SkBuff): boolean {
  if (from.cb.seq !== to.cb.endSeq) return false;
  if (to.cb.tcpFlags & TCPHDR_FIN) return false;
  const len = from.len;
  // A clone shares its buffer (on loopback, with the sender's write queue): never write into it.
  if (len === 0 || skbTailroom(to) < len || to.dataLen || skbCloned(to)) return false;
  const p = skbPut(to, len);
  to.head.set(from.head.subarray(from.data, from.data + len), p);
  to.cb.endSeq = from.cb.endSeq;
  to.cb.ackSeq = from.cb.ackSeq;
  to.cb.tcpFlags |= from.cb.tcpFlags;
  net(sk).ext.TCPRcvCoalesce++;
  return true;
}

/** tcp_queue_rcv: in-sequence data to the receive queue, charged to rcvbuf. */
function tcpQueueRcv(sk: TcpSock, skb: SkBuff): boolean {
  const tail = sk.skReceiveQueue.last;
  let eaten = false;
  if (tail !== null) eaten = tcpTryCoalesce(sk, tail, skb);
  sk.rcvNxt = skb.cb.endSeq;
  if (!eaten) {
    skSetOwnerR(skb, sk);
    skbQueueTail(sk.skReceiveQueue, skb);
  }
  return eaten;
}

/** The payload bytes of a received skb (after the header pull). */
function rcvLen(skb: SkBuff): number {
  return skb.len;
}

/** tcp_prune_ofo_queue: drop the highest-sequence OOO skbs until an eighth of rcvbuf is free. */
function tcpPruneOfoQueue(sk: TcpSock): boolean {
  if (sk.ooo.length === 0) return false;
  const tn = net(sk);
  tn.ext.OfoPruned++;
  const goal = sk.skRcvbuf >> 3;
  let freed = 0;
  while (sk.ooo.length > 0) {
    const skb = sk.ooo.pop()!;
    freed += skb.truesize;
    kfreeSkbReason(skb, R.TCP_OFO_QUEUE_PRUNE);
    if (freed >= goal && sk.skRmemAlloc <= sk.skRcvbuf) break;
  }
  // Blocks we advertised may now be false: reset SACK (tcp_sack_reset).
  sk.rxOpt.numSacks = 0;
  return true;
}

/**
 * tcp_collapse_ofo_queue: copy runs of small OOO skbs into compact ones, so that a flood of
 * tiny segments (SegmentSmack) costs bytes, not skb overhead.
 */
function tcpCollapseOfoQueue(sk: TcpSock): void {
  const q = sk.ooo;
  const tn = net(sk);
  let i = 0;
  const out: SkBuff[] = [];
  while (i < q.length) {
    let j = i;
    let bytes = q.skbs[i].len;
    let truesize = q.skbs[i].truesize;
    while (j + 1 < q.length && !after(q.skbs[j + 1].cb.seq, q.skbs[j].cb.endSeq) && bytes < 16384) {
      j++;
      bytes += q.skbs[j].len;
      truesize += q.skbs[j].truesize;
    }
    if (j > i && truesize > bytes + 2048) {
      const start = q.skbs[i].cb.seq;
      const end = q.skbs[j].cb.endSeq;
      const total = (end - start) >>> 0;
      const n = allocSkb(total);
      skbPut(n, total);
      n.cb.seq = start;
      n.cb.endSeq = end;
      for (let k = i; k <= j; k++) {
        const s = q.skbs[k];
        const from = (s.cb.seq - start) >>> 0;
        const skip = from < 0 ? 0 : 0;
        const l = Math.min(s.len, total - from);
        if (l > 0) n.head.set(s.head.subarray(s.data + skip, s.data + l), n.data + from);
        n.cb.tcpFlags |= s.cb.tcpFlags;
        tn.ext.TCPRcvCollapsed++;
        kfreeSkbReason(s, R.TCP_OFO_QUEUE_PRUNE);
      }
      skSetOwnerR(n, sk);
      out.push(n);
    } else for (let k = i; k <= j; k++) out.push(q.skbs[k]);
    i = j + 1;
  }
  q.skbs.length = 0;
  q.truesize = 0;
  for (const s of out) {
    q.skbs.push(s);
    q.truesize += s.truesize;
  }
}

/** tcp_prune_queue: -1 when even pruning cannot make room. */
function tcpPruneQueue(sk: TcpSock): number {
  const tn = net(sk);
  tn.ext.PruneCalled++;
  if (sk.skRmemAlloc >= sk.skRcvbuf) {
    // tcp_clamp_window
    sk.rcvSsthresh = Math.min(sk.windowClamp, 2 * sk.advmss, sk.rcvSsthresh);
  }
  if (sk.skRmemAlloc <= sk.skRcvbuf) return 0;
  tcpCollapseOfoQueue(sk);
  if (sk.skRmemAlloc <= sk.skRcvbuf) return 0;
  tcpPruneOfoQueue(sk);
  if (sk.skRmemAlloc <= sk.skRcvbuf) return 0;
  tn.ext.RcvPruned++;
  return -1;
}

/** tcp_try_rmem_schedule */
function tcpTryRmemSchedule(sk: TcpSock, size: number): number {
  if (sk.skRmemAlloc + size > sk.skRcvbuf) {
    if (tcpPruneQueue(sk) < 0) return -1;
    while (sk.skRmemAlloc + size > sk.skRcvbuf) {
      if (!tcpPruneOfoQueue(sk)) return -1;
    }
  }
  return 0;
}

/** tcp_ofo_queue: move what became in-sequence from the OOO queue. */
function tcpOfoQueue(sk: TcpSock): void {
  let dsackHigh = sk.rcvNxt;
  let skb: SkBuff | null;
  while ((skb = sk.ooo.first()) !== null) {
    if (after(skb.cb.seq, sk.rcvNxt)) break;
    if (before(skb.cb.seq, dsackHigh)) {
      const d = dsackHigh;
      if (before(skb.cb.endSeq, dsackHigh)) dsackHigh = skb.cb.endSeq;
      tcpDsackExtend(sk, skb.cb.seq, d);
    }
    sk.ooo.shift();
    if (!after(skb.cb.endSeq, sk.rcvNxt)) {
      kfreeSkbReason(skb, R.TCP_OFO_DROP);
      continue;
    }
    const tail = sk.skReceiveQueue.last;
    // An overlapping head is trimmed so the receive queue stays contiguous.
    if (before(skb.cb.seq, sk.rcvNxt)) {
      const trim = (sk.rcvNxt - skb.cb.seq) >>> 0;
      skbPull(skb, trim);
      skb.cb.seq = sk.rcvNxt;
    }
    const eaten = tail !== null && tcpTryCoalesce(sk, tail, skb);
    sk.rcvNxt = skb.cb.endSeq;
    const fin = (skb.cb.tcpFlags & TCPHDR_FIN) !== 0;
    if (!eaten) skbQueueTail(sk.skReceiveQueue, skb);
    else consumeSkb(skb);
    if (fin) {
      tcpFin(sk);
      break;
    }
  }
}

/** tcp_data_queue_ofo: insert into the OOO queue, merging overlaps (D-SACK for duplicates). */
function tcpDataQueueOfo(sk: TcpSock, skb: SkBuff): void {
  const tn = net(sk);
  if (tcpTryRmemSchedule(sk, skb.truesize) < 0) {
    tn.ext.TCPOFODrop++;
    sk.skDataReady(sk);
    tcpDrop(sk, skb, R.PROTO_MEM);
    return;
  }
  sk.icskAck.pending |= ICSK_ACK_SCHED;
  tn.ext.TCPOFOQueue++;
  const seq = skb.cb.seq, endSeq = skb.cb.endSeq;
  const q = sk.ooo;
  if (q.length === 0) {
    if (tcpIsSack(sk)) {
      sk.rxOpt.numSacks = 1;
      if (sk.selectiveAcks === NO_SACK_BLOCKS) sk.selectiveAcks = tcpSackBlocksAlloc(TCP_NUM_SACKS);
      sk.selectiveAcks[0].startSeq = seq;
      sk.selectiveAcks[0].endSeq = endSeq;
    }
    skSetOwnerR(skb, sk);
    q.insertAt(0, skb);
    if (tcpIsSack(sk)) tcpGrowWindow(sk, skb);
    return;
  }
  const idx = q.lowerBound(seq, sk.rcvNxt);
  let cur = -1;
  if (idx > 0) {
    const prev = q.skbs[idx - 1];
    if (before(seq, prev.cb.endSeq)) {
      if (!after(endSeq, prev.cb.endSeq)) {
        // All the bytes are already queued.
        tn.ext.TCPOFOMerge++;
        tcpDrop(sk, skb, R.TCP_OFOMERGE);
        tcpDsackSet(sk, seq, endSeq);
        if (tcpIsSack(sk)) tcpSackNewOfoSkb(sk, seq, endSeq);
        return;
      }
      tcpDsackSet(sk, seq, prev.cb.endSeq);
    } else if (prev.cb.endSeq === seq && tcpTryCoalesce(sk, prev, skb)) {
      consumeSkb(skb);
      cur = idx - 1;
    }
  }
  if (cur < 0) {
    if (idx < q.length && q.skbs[idx].cb.seq === seq && !before(endSeq, q.skbs[idx].cb.endSeq)) {
      // Same start and covers the queued skb: replace it.
      const old = q.removeAt(idx);
      tcpDsackExtend(sk, old.cb.seq, old.cb.endSeq);
      tn.ext.TCPOFOMerge++;
      tcpDrop(sk, old, R.TCP_OFOMERGE);
    }
    skSetOwnerR(skb, sk);
    q.insertAt(idx, skb);
    cur = idx;
  }
  // merge_right: drop later skbs the new range covers.
  const curSkb = q.skbs[cur];
  const end = curSkb.cb.endSeq;
  while (cur + 1 < q.length) {
    const nx = q.skbs[cur + 1];
    if (!after(end, nx.cb.seq)) break;
    if (before(end, nx.cb.endSeq)) {
      tcpDsackExtend(sk, nx.cb.seq, end);
      break;
    }
    q.removeAt(cur + 1);
    tcpDsackExtend(sk, nx.cb.seq, nx.cb.endSeq);
    tn.ext.TCPOFOMerge++;
    tcpDrop(sk, nx, R.TCP_OFOMERGE);
  }
  if (tcpIsSack(sk)) {
    tcpSackNewOfoSkb(sk, seq, endSeq);
    tcpGrowWindow(sk, curSkb);
  }
}

/** tcp_data_queue: step 7 of segment arrival, the text. */
function tcpDataQueue(sk: TcpSock, skb: SkBuff): void {
  const tn = net(sk);
  const n = sk.skNet;
  if (n.trace !== null) traceEvent(n, 'tcpDataQueue');
  if (skb.cb.seq === skb.cb.endSeq) {
    consumeSkb(skb);
    return;
  }
  if (tcpEcnAcceptCwr(sk, skb)) sk.icskAck.pending |= ICSK_ACK_NOW;
  skb.dst = null;
  skbPull(skb, thHdrLen(skb.head, skb.transportHeader));
  sk.rxOpt.dsack = false;
  if (skb.cb.seq === sk.rcvNxt) {
    if (tcpReceiveWindow(sk) === 0) {
      // A bare FIN into a zero window is still accepted (RFC 9293 §3.10.7.4).
      if (!(skb.len === 0 && (skb.cb.tcpFlags & TCPHDR_FIN))) {
        tn.ext.TCPZeroWindowDrop++;
        outOfWindow(sk, skb, R.TCP_ZEROWINDOW);
        return;
      }
    }
    queueAndOut(sk, skb);
    return;
  }
  if (!after(skb.cb.endSeq, sk.rcvNxt)) {
    // A retransmission of data we have: D-SACK it and ACK at once.
    tn.ext.DelayedACKLost++;
    tcpDsackSet(sk, skb.cb.seq, skb.cb.endSeq);
    outOfWindow(sk, skb, R.TCP_OLD_DATA);
    return;
  }
  if (!before(skb.cb.seq, (sk.rcvNxt + tcpReceiveWindow(sk)) >>> 0)) {
    outOfWindow(sk, skb, R.TCP_OVERWINDOW);
    return;
  }
  if (before(skb.cb.seq, sk.rcvNxt)) {
    // Partly old: D-SACK the old part, keep the rest.
    tcpDsackSet(sk, skb.cb.seq, sk.rcvNxt);
    if (!tcpReceiveWindow(sk)) {
      tn.ext.TCPZeroWindowDrop++;
      outOfWindow(sk, skb, R.TCP_ZEROWINDOW);
      return;
    }
    const trim = (sk.rcvNxt - skb.cb.seq) >>> 0;
    skbPull(skb, Math.min(trim, skb.len));
    skb.cb.seq = sk.rcvNxt;
    queueAndOut(sk, skb);
    return;
  }
  tcpDataQueueOfo(sk, skb);
}

function outOfWindow(sk: TcpSock, skb: SkBuff, reason: number): void {
  tcpEnterQuickackMode(sk, TCP_MAX_QUICKACKS);
  sk.icskAck.pending |= ICSK_ACK_SCHED;
  tcpDrop(sk, skb, reason);
}

function queueAndOut(sk: TcpSock, skb: SkBuff): void {
  const tn = net(sk);
  if (tcpTryRmemSchedule(sk, skb.truesize) < 0) {
    sk.icskAck.pending |= ICSK_ACK_NOW | ICSK_ACK_SCHED;
    sk.skDataReady(sk);
    if (sk.skReceiveQueue.qlen && skb.len) {
      tn.ext.TCPRcvQDrop++;
      tcpDrop(sk, skb, R.PROTO_MEM);
      return;
    }
  }
  const len = skb.len;
  const fin = (skb.cb.tcpFlags & TCPHDR_FIN) !== 0;
  sk.bytesReceived += len;
  // tcp_event_data_recv looks at the skb, so run it before the skb may be coalesced away.
  if (len) tcpEventDataRecv(sk, skb);
  const eaten = tcpQueueRcv(sk, skb);
  if (fin) tcpFin(sk);
  if (sk.ooo.length) {
    tcpOfoQueue(sk);
    // RFC 5681 §4.2: ACK at once when a hole is filled.
    if (sk.ooo.length === 0) sk.icskAck.pending |= ICSK_ACK_NOW;
  }
  if (sk.rxOpt.numSacks) tcpSackRemove(sk);
  if (eaten) consumeSkb(skb);
  if (!(sk.skFlags & SOCK_DEAD)) sk.skDataReady(sk);
}

// ---------------------------------------------------------------------------------------
// Validation and the established fast path

/** tcp_sequence (RFC 9293 §3.10.7.4 first check, Linux's acceptance test). */
function tcpSequence(sk: TcpSock, seq: number, endSeq: number): number {
  if (before(endSeq, sk.rcvWup)) return R.TCP_OLD_SEQUENCE;
  if (after(seq, (sk.rcvNxt + tcpReceiveWindow(sk)) >>> 0)) return R.TCP_INVALID_SEQUENCE;
  return 0;
}

function tcpResetCheck(sk: TcpSock, seq: number): boolean {
  return seq === ((sk.rcvNxt - 1) >>> 0) && (sk.skState === TCP_CLOSE_WAIT || sk.skState === TCP_LAST_ACK || sk.skState === TCP_CLOSING);
}

/** tcp_send_dupack: answer an unacceptable segment; D-SACK a duplicate (RFC 2883 §4). */
function tcpSendDupack(sk: TcpSock, skb: SkBuff): void {
  const tn = net(sk);
  if (skb.cb.endSeq !== skb.cb.seq && before(skb.cb.seq, sk.rcvNxt)) {
    tn.ext.DelayedACKLost++;
    tcpEnterQuickackMode(sk, TCP_MAX_QUICKACKS);
    if (tcpIsSack(sk) && tn.sysctl.tcp_dsack) {
      let end = skb.cb.endSeq;
      if (after(end, sk.rcvNxt)) end = sk.rcvNxt;
      tcpDsackSet(sk, skb.cb.seq, end);
    }
  }
  tcpSendAck(sk);
}

function oowLimited(sk: TcpSock, skb: SkBuff, mib: 'TCPACKSkippedPAWS' | 'TCPACKSkippedSeq'): boolean {
  // Data segments without SYN are not part of an ACK loop: always answer them.
  if (skb.cb.seq !== skb.cb.endSeq && !(skb.cb.tcpFlags & TCPHDR_SYN)) return false;
  return oowRateLimited(sk, net(sk), mib);
}

const optSysctls = { windowScaling: true, timestamps: true, sack: true };
function sc(sk: TcpSock) {
  const s = net(sk).sysctl;
  optSysctls.windowScaling = s.tcp_window_scaling !== 0;
  optSysctls.timestamps = s.tcp_timestamps !== 0;
  optSysctls.sack = s.tcp_sack !== 0;
  return optSysctls;
}

/** tcp_validate_incoming: PAWS, sequence check, RST and SYN handling (RFC 5961). */
function tcpValidateIncoming(sk: TcpSock, skb: SkBuff, synInerr: boolean): boolean {
  const tn = net(sk);
  const flags = skb.cb.tcpFlags;
  const b = skb.head, th = skb.transportHeader;
  tcpFastParseOptions(b, th, flags, sk.rxOpt, sc(sk));
  if (sk.rxOpt.sawTstamp && sk.rxOpt.tstampOk && tcpPawsDiscard(sk, skb)) {
    if (!(flags & TCPHDR_RST)) {
      if (flags & TCPHDR_SYN) return synChallenge(sk, skb, synInerr);
      tn.ext.PAWSEstab++;
      if (!oowLimited(sk, skb, 'TCPACKSkippedPAWS')) tcpSendDupack(sk, skb);
      tcpDrop(sk, skb, R.TCP_RFC7323_PAWS);
      return false;
    }
  }
  const reason = tcpSequence(sk, skb.cb.seq, skb.cb.endSeq);
  if (reason) {
    if (!(flags & TCPHDR_RST)) {
      if (flags & TCPHDR_SYN) return synChallenge(sk, skb, synInerr);
      if (!oowLimited(sk, skb, 'TCPACKSkippedSeq')) tcpSendDupack(sk, skb);
    } else if (tcpResetCheck(sk, skb.cb.seq)) {
      tcpReset(sk);
      consumeSkb(skb);
      return false;
    }
    tcpDrop(sk, skb, reason);
    return false;
  }
  if (flags & TCPHDR_RST) {
    // RFC 5961 §3.2: reset only on an exact match with RCV.NXT (or the last SACK edge);
    // any other in-window RST gets a challenge ACK.
    let exact = skb.cb.seq === sk.rcvNxt || tcpResetCheck(sk, skb.cb.seq);
    if (!exact && tcpIsSack(sk) && sk.rxOpt.numSacks > 0) {
      let maxSack = sk.selectiveAcks[0].endSeq;
      for (let i = 1; i < sk.rxOpt.numSacks; i++) if (after(sk.selectiveAcks[i].endSeq, maxSack)) maxSack = sk.selectiveAcks[i].endSeq;
      exact = skb.cb.seq === maxSack;
    }
    if (exact) {
      tcpReset(sk);
      consumeSkb(skb);
      return false;
    }
    tcpSendChallengeAck(sk);
    tcpDrop(sk, skb, R.TCP_RESET);
    return false;
  }
  if (flags & TCPHDR_SYN) {
    // A retransmitted SYN-ACK answered by a socket still in SYN_RECV is fine (simultaneous open).
    if (sk.skState === TCP_SYN_RECV && (flags & TCPHDR_ACK) && ((skb.cb.seq + 1) >>> 0) === skb.cb.endSeq &&
      ((skb.cb.seq + 1) >>> 0) === sk.rcvNxt && skb.cb.ackSeq === sk.sndNxt) return true;
    return synChallenge(sk, skb, synInerr);
  }
  return true;
}

function synChallenge(sk: TcpSock, skb: SkBuff, synInerr: boolean): boolean {
  const tn = net(sk);
  if (synInerr) tn.mib.InErrs++;
  tn.ext.TCPSYNChallenge++;
  tcpSendChallengeAck(sk);
  tcpDrop(sk, skb, R.TCP_INVALID_SYN);
  return false;
}

/** tcp_fast_path_on: header prediction is valid when nothing unusual is pending. */
function fastPathOk(sk: TcpSock): boolean {
  return sk.ooo.length === 0 && sk.rcvWnd !== 0 && sk.skRmemAlloc < sk.skRcvbuf && !sk.urgData;
}

/** tcp_rcv_established: RFC 9293 segment processing with Van Jacobson's header prediction. */
export function tcpRcvEstablished(sk: TcpSock, skb: SkBuff): void {
  const n = sk.skNet;
  if (n.trace !== null) traceEvent(n, 'tcpRcvEstablished');
  const tn = net(sk);
  const b = skb.head, th = skb.transportHeader;
  const flags = skb.cb.tcpFlags;
  const hlen = thHdrLen(b, th);
  const len = skb.len;
  tcpMstampRefresh(sk);
  sk.rxOpt.sawTstamp = false;
  sk.rxOpt.sackOff = 0;
  // Header prediction: pure ACK flags, our usual header length, the same window, in order.
  if ((flags & HP_MASK) === TCPHDR_ACK && hlen === sk.tcpHeaderLen && fastPathOk(sk) &&
    (thWindow(b, th) << sk.rxOpt.sndWscale) === sk.sndWnd && skb.cb.seq === sk.rcvNxt && !after(skb.cb.ackSeq, sk.sndNxt)) {
    let ok = true;
    if (hlen === 20 + TCPOLEN_TSTAMP_ALIGNED) {
      if (b[th + 20] === 1 && b[th + 21] === 1 && b[th + 22] === 8 && b[th + 23] === 10) {
        sk.rxOpt.sawTstamp = true;
        sk.rxOpt.rcvTsval = u32(b, th + 24);
        sk.rxOpt.rcvTsecr = u32(b, th + 28);
        if (((sk.rxOpt.rcvTsval - sk.rxOpt.tsRecent) | 0) < 0) ok = false;
      } else ok = false;
    }
    if (ok) {
      if (len === hlen) {
        if (hlen === 32 && sk.rcvNxt === sk.rcvWup) tcpStoreTsRecent(sk);
        tcpAck(sk, skb, 0);
        consumeSkb(skb);
        tcpDataSndCheck(sk);
        return;
      }
      if (len > hlen && skb.truesize <= sk.skRcvbuf - sk.skRmemAlloc) {
        if (hlen === 32 && sk.rcvNxt === sk.rcvWup) tcpStoreTsRecent(sk);
        tcpRcvRttMeasureTs(sk, skb);
        tn.ext.TCPHPHits++;
        skb.dst = null;
        skbPull(skb, hlen);
        sk.bytesReceived += skb.len;
        tcpEventDataRecv(sk, skb);
        const ackSeq = skb.cb.ackSeq;
        const seq = skb.cb.seq;
        const eaten = tcpQueueRcv(sk, skb);
        let ackScheduled = true;
        if (ackSeq !== sk.sndUna) {
          tcpAck(sk, skb, FLAG_DATA);
          tcpDataSndCheck(sk);
          ackScheduled = (sk.icskAck.pending & ICSK_ACK_SCHED) !== 0;
        } else tcpUpdateWl(sk, seq);
        if (ackScheduled) __tcpAckSndCheck(sk, false);
        if (eaten) consumeSkb(skb);
        sk.skDataReady(sk);
        return;
      }
    }
  }
  // Slow path.
  if (len < hlen) {
    tn.mib.InErrs++;
    tcpDrop(sk, skb, R.PKT_TOO_SMALL);
    return;
  }
  if (!(flags & (TCPHDR_ACK | TCPHDR_RST | TCPHDR_SYN))) {
    tcpDrop(sk, skb, R.TCP_FLAGS);
    return;
  }
  if (!tcpValidateIncoming(sk, skb, true)) return;
  const r = tcpAck(sk, skb, FLAG_SLOWPATH | FLAG_UPDATE_TS_RECENT);
  if (r < 0) {
    tcpDrop(sk, skb, -r);
    return;
  }
  tcpRcvRttMeasureTs(sk, skb);
  tcpDataQueue(sk, skb);
  tcpDataSndCheck(sk);
  tcpAckSndCheck(sk);
}

// ---------------------------------------------------------------------------------------
// Connection establishment

/** tcp_init_cwnd: the route's initcwnd metric, else RFC 6928's ten segments. */
function tcpInitCwnd(sk: TcpSock): number {
  const cwnd = sk.skDst?.metrics.initcwnd || TCP_INIT_CWND;
  return Math.min(cwnd, sk.sndCwndClamp);
}

/** tcp_init_buffer_space / tcp_init_transfer: buffers, rcvq space and congestion control. */
export function tcpInitTransfer(sk: TcpSock): void {
  const tn = net(sk);
  // Now that the peer's MSS is known, the MTU search spans up to it.
  tcpMtupInit(sk);
  tcpSndbufExpand(sk);
  const maxwin = tcpFullSpace(sk);
  if (sk.windowClamp >= maxwin) sk.windowClamp = maxwin;
  sk.rcvSsthresh = Math.min(sk.windowClamp, sk.rcvSsthresh || sk.windowClamp);
  sk.rcvqSpace = Math.min(sk.rcvWnd, TCP_INIT_CWND * sk.advmss);
  sk.rcvqSpaceSeq = sk.copiedSeq;
  sk.rcvqSpaceTime = tcpClockUs(sk);
  sk.lsndtime = sk.jiffies;
  // RFC 6298 §5.7: a lost SYN makes the first data RTO 3 s (unless an RTT was measured).
  if (sk.totalRetrans && !sk.srttUs && sk.icskRto < TCP_TIMEOUT_FALLBACK) sk.icskRto = TCP_TIMEOUT_FALLBACK;
  else if (!sk.icskRetransmits && !sk.srttUs) sk.icskRto = 1000;
  sk.sndCwnd = tcpInitCwnd(sk);
  sk.sndCwndStamp = sk.jiffies;
  tcpInitCongestionControl(sk);
  void tn;
}

/** tcp_finish_connect: SYN_SENT → ESTABLISHED. */
export function tcpFinishConnect(sk: TcpSock): void {
  tcpSetState(sk, TCP_ESTABLISHED);
  sk.icskAck.lrcvtime = sk.jiffies;
  tcpInitTransfer(sk);
  sk.lsndtime = sk.jiffies;
  if (sk.skFlags & SOCK_KEEPOPEN) inetCskResetKeepaliveTimer(sk, keepaliveTimeWhen(sk));
}

/** Negotiated options → header length, window scale, SACK (tcp_rcv_synsent_state_process). */
function applySynOptions(sk: TcpSock): void {
  const o = sk.rxOpt;
  if (!o.wscaleOk) {
    o.sndWscale = o.rcvWscale = 0;
    sk.windowClamp = Math.min(sk.windowClamp, 65535);
  }
  if (o.sawTstamp) {
    o.tstampOk = true;
    sk.tcpHeaderLen = 20 + TCPOLEN_TSTAMP_ALIGNED;
    tcpStoreTsRecent(sk);
  } else {
    o.tstampOk = false;
    sk.tcpHeaderLen = 20;
  }
}

/**
 * tcp_non_congestion_loss_retransmit: resend what is marked lost without calling it congestion
 * (the undo marker is cleared, ssthresh keeps the current estimate).
 */
export function tcpNonCongestionLossRetransmit(sk: TcpSock): void {
  if (sk.icskCaState !== TCP_CA_Loss) {
    sk.highSeq = sk.sndNxt;
    sk.sndSsthresh = tcpCurrentSsthresh(sk);
    sk.priorSsthresh = 0;
    sk.undoMarker = 0;
    tcpSetCaState(sk, TCP_CA_Loss);
  }
  tcpXmitRetransmitQueue(sk);
}

/**
 * tcp_rcv_fastopen_synack: cache the server's cookie and MSS (RFC 7413 §4.1.3), and resend at
 * once the SYN's data the SYN-ACK did not acknowledge (§4.2.2: the server may ignore it).
 * Returns true when data was resent, so the caller sends no separate ACK.
 */
function tcpRcvFastopenSynack(sk: TcpSock, cookie: TcpFastopenCookie): boolean {
  const tn = net(sk);
  const head = sk.skWriteQueue.first as SkBuff | null;
  const data = sk.synData && head !== null && head !== sk.sendHead ? head : null;
  let mss = sk.rxOpt.mssClamp;
  // TCP_MAXSEG clamped it: cache what the server itself announced.
  if (mss === sk.rxOpt.userMss) mss = sk.rxOpt.synMss;
  let tryExp = 0;
  if (!sk.synFastopen) {
    // A cookie we did not ask for is ignored.
    cookie.len = -1;
  } else if (sk.totalRetrans) {
    // The SYN timed out: the SYN-ACK answers a retransmitted plain SYN, so a missing cookie
    // says nothing about the server.
  } else if (cookie.len < 0 && !sk.synData) {
    // A request went unanswered: try the other option format next time.
    tryExp = sk.synFastopenExp ? 2 : 1;
  }
  tcpFastopenCacheSet(tn, sk.inetSaddr, sk.inetDaddr, mss, cookie, tryExp);
  if (data !== null) {
    for (let s: SkBuff | null = data; s !== null && s !== sk.sendHead; s = s.next as SkBuff | null) tcpMarkSkbLost(sk, s);
    tcpNonCongestionLossRetransmit(sk);
    tn.ext.TCPFastOpenActiveFail++;
    return true;
  }
  sk.synDataAcked = sk.synData;
  if (sk.synDataAcked) {
    tn.ext.TCPFastOpenActive++;
    // The SYN and its data were counted as two deliveries.
    if (sk.delivered > 1) sk.delivered--;
  }
  return false;
}

/** The Fast Open option of the SYN-ACK being processed. */
const synackCookie = new TcpFastopenCookie();

/** tcp_rcv_synsent_state_process (RFC 9293 §3.10.7.3). Returns 1 to have the caller send RST. */
function tcpRcvSynsentStateProcess(sk: TcpSock, skb: SkBuff): number {
  const tn = net(sk);
  const b = skb.head, th = skb.transportHeader;
  const flags = skb.cb.tcpFlags;
  const savedClamp = sk.rxOpt.mssClamp;
  tcpParseOptions(b, th, flags, sk.rxOpt, false, sc(sk));
  tcpFastopenOptionGet(b, sk.rxOpt, synackCookie);
  if (sk.rxOpt.sawTstamp && sk.rxOpt.rcvTsecr) sk.rxOpt.rcvTsecr = (sk.rxOpt.rcvTsecr) >>> 0;
  if (flags & TCPHDR_ACK) {
    // An ACK must acknowledge our SYN exactly.
    if (!after(skb.cb.ackSeq, sk.sndUna) || after(skb.cb.ackSeq, sk.sndNxt)) {
      if (flags & TCPHDR_RST) {
        tcpDrop(sk, skb, R.TCP_INVALID_ACK_SEQUENCE);
        return 0;
      }
      return 1; // reset_and_undo
    }
    if (sk.rxOpt.sawTstamp && sk.rxOpt.rcvTsecr && !between(((sk.rxOpt.rcvTsecr - sk.tsOffset) >>> 0), (sk.retransStamp - 1) >>> 0, sk.jiffies >>> 0)) {
      tn.ext.PAWSActive++;
      return 1;
    }
    if (flags & TCPHDR_RST) {
      tcpReset(sk);
      consumeSkb(skb);
      return 0;
    }
    if (!(flags & TCPHDR_SYN)) {
      tcpDrop(sk, skb, R.TCP_FLAGS);
      return 0;
    }
    tcpEcnRcvSynack(sk, flags);
    // SYN-ACK: RFC 9293 step 4.
    sk.rcvNxt = (skb.cb.seq + 1) >>> 0;
    sk.rcvWup = sk.rcvNxt;
    sk.copiedSeq = sk.rcvNxt;
    sk.sndWl1 = skb.cb.seq;
    tcpAck(sk, skb, FLAG_SLOWPATH);
    sk.sndWnd = thWindow(b, th);
    if (!sk.rxOpt.wscaleOk) sk.rxOpt.sndWscale = sk.rxOpt.rcvWscale = 0;
    applySynOptions(sk);
    if (!sk.rxOpt.mssClamp) sk.rxOpt.mssClamp = savedClamp || TCP_MSS_DEFAULT;
    sk.maxWindow = sk.sndWnd;
    tcpSyncMss(sk, sk.icskPmtuCookie);
    tcpInitRcvMss(sk);
    const rtt = sk.srttUs;
    if (!rtt && sk.rxOpt.sawTstamp && sk.rxOpt.rcvTsecr) tcpSynackRttMeas(sk, ((tcpTimeStamp(sk) - sk.rxOpt.rcvTsecr) >>> 0) * 1000);
    tcpFinishConnect(sk);
    const fastopenFail = (sk.synFastopen || sk.synData) && tcpRcvFastopenSynack(sk, synackCookie);
    if (!(sk.skFlags & SOCK_DEAD)) sk.skStateChange(sk);
    if (fastopenFail) {
      // The resent data carries the ACK of the SYN-ACK.
      consumeSkb(skb);
      tcpDataSndCheck(sk);
      return 0;
    }
    // Data in the SYN-ACK (or an immediate reply) is acknowledged at once.
    const hlen = thHdrLen(b, th);
    if (skb.len > hlen || (flags & TCPHDR_FIN)) {
      skb.cb.seq = (skb.cb.seq + 1) >>> 0;
      tcpDataQueue(sk, skb);
      tcpAckSndCheck(sk);
      if (sk.icskAck.pending & ICSK_ACK_SCHED) tcpSendAck(sk);
      return 0;
    }
    tcpSendAck(sk);
    consumeSkb(skb);
    tcpPushPendingFrames(sk);
    return 0;
  }
  if (flags & TCPHDR_RST) {
    tcpDrop(sk, skb, R.TCP_RESET);
    return 0;
  }
  if (sk.rxOpt.tsRecentStamp && sk.rxOpt.sawTstamp && !tcpPawsCheck(sk, 0)) {
    tcpDrop(sk, skb, R.TCP_RFC7323_PAWS);
    return 0;
  }
  if (flags & TCPHDR_SYN) {
    // Simultaneous open (RFC 9293 §3.5, figure 7): SYN_SENT → SYN_RECV, answer SYN-ACK.
    tcpSetState(sk, TCP_SYN_RECV);
    tcpEcnRcvSyn(sk, flags);
    applySynOptions(sk);
    sk.rcvNxt = (skb.cb.seq + 1) >>> 0;
    sk.copiedSeq = sk.rcvNxt;
    sk.rcvWup = sk.rcvNxt;
    sk.sndWnd = thWindow(b, th);
    sk.sndWl1 = skb.cb.seq;
    sk.maxWindow = sk.sndWnd;
    tcpSyncMss(sk, sk.icskPmtuCookie);
    tcpInitRcvMss(sk);
    tcpSendSynackSelf(sk);
    consumeSkb(skb);
    return 0;
  }
  tcpDrop(sk, skb, R.TCP_FLAGS);
  return 0;
}

/**
 * tcp_rcv_state_process: every state but ESTABLISHED and TIME_WAIT (RFC 9293 §3.10.7).
 * Returns 1 when the caller should answer with a RST.
 */
export function tcpRcvStateProcess(sk: TcpSock, skb: SkBuff): number {
  const n = sk.skNet;
  if (n.trace !== null) traceEvent(n, 'tcpRcvStateProcess');
  const tn = net(sk);
  const flags = skb.cb.tcpFlags;
  tcpMstampRefresh(sk);
  sk.rxOpt.sawTstamp = false;
  sk.rxOpt.sackOff = 0;
  switch (sk.skState) {
    case TCP_CLOSE:
      tcpDrop(sk, skb, R.TCP_CLOSE);
      return 0;
    case TCP_LISTEN:
      // Handled by tcpV4Rcv (request socks); anything reaching here is stray.
      if (flags & TCPHDR_ACK) return 1;
      tcpDrop(sk, skb, R.TCP_FLAGS);
      return 0;
    case TCP_SYN_SENT: {
      const r = tcpRcvSynsentStateProcess(sk, skb);
      return r;
    }
  }
  if (!(flags & (TCPHDR_ACK | TCPHDR_RST | TCPHDR_SYN))) {
    tcpDrop(sk, skb, R.TCP_FLAGS);
    return 0;
  }
  if (!tcpValidateIncoming(sk, skb, true)) return 0;
  if (!(flags & TCPHDR_ACK)) {
    tcpDrop(sk, skb, R.TCP_FLAGS);
    return 0;
  }
  const r = tcpAck(sk, skb, FLAG_SLOWPATH | FLAG_UPDATE_TS_RECENT | FLAG_NO_CHALLENGE_ACK);
  if (r <= 0) {
    if (sk.skState === TCP_SYN_RECV) return 1; // send one RST
    if (r < 0) {
      tcpSendChallengeAck(sk);
      tcpDrop(sk, skb, -r);
      return 0;
    }
  }
  switch (sk.skState) {
    case TCP_SYN_RECV: {
      // Simultaneous open completes.
      sk.delivered++;
      tcpSetState(sk, TCP_ESTABLISHED);
      sk.skStateChange(sk);
      sk.sndUna = skb.cb.ackSeq;
      sk.sndWnd = (thWindow(skb.head, skb.transportHeader) << sk.rxOpt.sndWscale);
      sk.sndWl1 = skb.cb.seq;
      sk.icskRetransmits = 0;
      tcpInitTransfer(sk);
      // The SYN-ACK's RTT sample gives the first pacing rate (and with it GSO sizing).
      tcpUpdatePacingRate(sk);
      inetCskClearXmitTimer(sk, ICSK_TIME_RETRANS);
      tcpPushPendingFrames(sk);
      break;
    }
    case TCP_FIN_WAIT1: {
      if (sk.sndUna !== sk.writeSeq) break;
      tcpSetState(sk, TCP_FIN_WAIT2);
      sk.skShutdown |= SEND_SHUTDOWN;
      if (!(sk.skFlags & SOCK_DEAD)) {
        sk.skStateChange(sk);
        break;
      }
      if (sk.linger2 < 0) {
        tcpDone(sk);
        tn.ext.TCPAbortOnData++;
        consumeSkb(skb);
        return 0;
      }
      if (skb.cb.endSeq !== skb.cb.seq && after((skb.cb.endSeq - ((flags & TCPHDR_FIN) ? 1 : 0)) >>> 0, sk.rcvNxt)) {
        // Data after close(): nobody will read it.
        tcpDone(sk);
        tn.ext.TCPAbortOnData++;
        return 1;
      }
      const tmo = tcpFinTime(sk);
      if (tmo > TCP_TIMEWAIT_LEN) inetCskResetKeepaliveTimer(sk, tmo - TCP_TIMEWAIT_LEN);
      else if (flags & TCPHDR_FIN) inetCskResetKeepaliveTimer(sk, tmo);
      else {
        tcpTimeWait(sk, TCP_FIN_WAIT2, tmo);
        consumeSkb(skb);
        return 0;
      }
      break;
    }
    case TCP_CLOSING:
      if (sk.sndUna === sk.writeSeq) {
        tcpTimeWait(sk, TCP_TIME_WAIT, 0);
        consumeSkb(skb);
        return 0;
      }
      break;
    case TCP_LAST_ACK:
      if (sk.sndUna === sk.writeSeq) {
        tcpDone(sk);
        consumeSkb(skb);
        return 0;
      }
      break;
  }
  // Step 7: the segment text.
  const s7 = sk.skState;
  if (s7 === TCP_CLOSE_WAIT || s7 === TCP_CLOSING || s7 === TCP_LAST_ACK) {
    if (!before(skb.cb.seq, sk.rcvNxt)) {
      consumeSkb(skb);
      tcpDataSndCheck(sk);
      tcpAckSndCheck(sk);
      return 0;
    }
  }
  if (s7 === TCP_CLOSE_WAIT || s7 === TCP_CLOSING || s7 === TCP_LAST_ACK || s7 === TCP_FIN_WAIT1 || s7 === TCP_FIN_WAIT2) {
    // RFC 793: after a shutdown(SHUT_RD) with no reader, new data aborts the connection.
    if (sk.skShutdown & RCV_SHUTDOWN) {
      if (skb.cb.endSeq !== skb.cb.seq && after((skb.cb.endSeq - ((flags & TCPHDR_FIN) ? 1 : 0)) >>> 0, sk.rcvNxt)) {
        tn.ext.TCPAbortOnData++;
        tcpReset(sk);
        return 1;
      }
    }
  }
  if (s7 === TCP_ESTABLISHED || s7 === TCP_CLOSE_WAIT || s7 === TCP_CLOSING || s7 === TCP_LAST_ACK || s7 === TCP_FIN_WAIT1 || s7 === TCP_FIN_WAIT2) tcpDataQueue(sk, skb);
  else consumeSkb(skb);
  if (sk.skState !== TCP_CLOSE) {
    tcpDataSndCheck(sk);
    tcpAckSndCheck(sk);
  }
  return 0;
}

