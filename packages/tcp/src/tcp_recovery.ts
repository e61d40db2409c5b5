// net/ipv4/tcp_recovery.c: RACK-TLP loss detection (RFC 8985). A segment is lost when a
// segment sent after it was delivered and more than RTT + reordering window has passed.
import type { SkBuff } from '@knet/include';
import { TCP_CA_Recovery } from '@knet/include';
import { TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS, TCPCB_EVER_RETRANS, TCP_RACK_NO_DUPTHRESH, TCP_RTO_MAX } from './tcp_defs.js';
import { ICSK_TIME_REO_TIMEOUT, ICSK_TIME_RETRANS, type TcpSock } from './tcp_sock.js';
import { tcpNet } from './tcp_net.js';
import { after } from './tcp_seq.js';
import { tcpSkbPcount, tcpPacketsInFlight, tcpXmitRetransmitQueue, tcpRearmRto } from './tcp_output.js';
import { inetCskResetXmitTimer } from './tcp_timer.js';
import { tcpEnterRecovery, tcpCwndReduction, tcpMarkSkbLost } from './tcp_input.js';

/** tcp_skb_sent_after: t1/seq1 was sent after t2/seq2 (ties broken by sequence). */
function sentAfter(t1: number, t2: number, seq1: number, seq2: number): boolean {
  return t1 > t2 || (t1 === t2 && after(seq1, seq2));
}

/** tcp_rack_reo_wnd (RFC 8985 §6.2 step 4): min_rtt/4 scaled by steps, 0 before reordering is seen in recovery. */
export function tcpRackReoWnd(sk: TcpSock): number {
  if (!sk.reordSeen) {
    if (sk.icskCaState >= TCP_CA_Recovery) return 0;
    if (sk.sackedOut >= sk.reordering && !(tcpNet(sk.skNet).sysctl.tcp_recovery & TCP_RACK_NO_DUPTHRESH)) return 0;
  }
  const minRtt = sk.minRtt.get() === 0xffffffff ? 0 : sk.minRtt.get();
  return Math.min((minRtt >> 2) * sk.rack.reoWndSteps, sk.srttUs >> 3);
}

/** tcp_rack_detect_loss: mark lost what is overdue; returns the µs until the next candidate expires (0: none). */
function tcpRackDetectLoss(sk: TcpSock): number {
  const reoWnd = tcpRackReoWnd(sk);
  let reoTimeout = 0;
  const now = sk.tcpMstamp;
  for (let skb = sk.skWriteQueue.first as SkBuff | null; skb !== null && skb !== sk.sendHead; skb = skb.next as SkBuff | null) {
    const s = skb.cb.sacked;
    if (s & TCPCB_SACKED_ACKED) continue;
    if ((s & TCPCB_LOST) && !(s & TCPCB_SACKED_RETRANS)) continue;
    if (!sentAfter(sk.rack.mstamp, skb.cb.whenUs, sk.rack.endSeq, skb.cb.endSeq)) continue;
    // Whole µs as in Linux: the sub-µs steps between passes only order sends.
    const remaining = sk.rack.rttUs + reoWnd - (Math.floor(now) - Math.floor(skb.cb.whenUs));
    if (remaining <= 0) tcpMarkSkbLost(sk, skb);
    else if (remaining > reoTimeout) reoTimeout = remaining;
  }
  return reoTimeout;
}

/** tcp_rack_mark_lost: true when a reordering timer was armed. */
export function tcpRackMarkLost(sk: TcpSock): boolean {
  if (!sk.rack.advanced) return false;
  sk.rack.advanced = false;
  const timeout = tcpRackDetectLoss(sk);
  if (timeout) {
    inetCskResetXmitTimer(sk, ICSK_TIME_REO_TIMEOUT, Math.ceil(timeout / 1000) + 2, sk.icskRto);
    return true;
  }
  return false;
}

/** tcp_rack_advance: a (S)ACK delivered a segment sent at xmitTime. */
export function tcpRackAdvance(sk: TcpSock, sacked: number, endSeq: number, xmitTime: number): void {
  const rttUs = Math.floor(sk.tcpMstamp) - Math.floor(xmitTime);
  const minRtt = sk.minRtt.get();
  // A retransmitted segment acked faster than min RTT was probably the original: ambiguous.
  if (rttUs < minRtt && (sacked & (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS))) return;
  sk.rack.advanced = true;
  sk.rack.rttUs = rttUs;
  if (sentAfter(xmitTime, sk.rack.mstamp, endSeq, sk.rack.endSeq)) {
    sk.rack.mstamp = xmitTime;
    sk.rack.endSeq = endSeq;
  }
}

/** tcp_rack_reo_timeout: the reordering timer fired; mark and retransmit. */
export function tcpRackReoTimeout(sk: TcpSock): void {
  const prior = tcpPacketsInFlight(sk);
  tcpRackDetectLoss(sk);
  if (prior !== tcpPacketsInFlight(sk)) {
    if (sk.icskCaState !== TCP_CA_Recovery) {
      tcpEnterRecovery(sk, false);
      tcpCwndReduction(sk, 1, 0, 0);
    }
    tcpXmitRetransmitQueue(sk);
  }
  if (sk.icskPending !== ICSK_TIME_RETRANS) tcpRearmRto(sk);
  void TCP_RTO_MAX;
}

/** tcp_rack_update_reo_wnd: D-SACKs widen the window one min_rtt/4 step per round (RFC 8985 §6.2). */
export function tcpRackUpdateReoWnd(sk: TcpSock, dsackSeen: boolean): void {
  if (dsackSeen) {
    sk.rack.reoWndSteps = Math.min(sk.rack.reoWndSteps + 1, 0xff);
    sk.rack.reoWndPersist = 16;
  } else if (!sk.rack.reoWndPersist) {
    sk.rack.reoWndSteps = 1;
  }
}

