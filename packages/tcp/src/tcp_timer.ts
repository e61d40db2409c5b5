// net/ipv4/tcp_timer.c: the retransmit timer (RTO, persist, TLP, RACK reordering), the
// delayed-ACK timer, keepalive/FIN_WAIT2 timer, SYN-ACK retransmission of request socks and
// TIME_WAIT expiry.
import {
  TCP_CLOSE, TCP_SYN_SENT, TCP_SYN_RECV, TCP_LISTEN, TCP_FIN_WAIT2, TCP_ESTABLISHED, ETIMEDOUT,
  SOCK_DEAD, SOCK_KEEPOPEN, TCP_CA_Open, TCP_CA_Disorder, TCP_CA_Recovery, TCP_CA_CWR, TCP_CA_Loss,
} from '@knet/include';
import { modTimer, delTimer, type TimerList } from '@knet/softirq';
import {
  ICSK_ACK_SCHED, ICSK_ACK_TIMER, ICSK_TIME_RETRANS, ICSK_TIME_PROBE0, ICSK_TIME_LOSS_PROBE,
  ICSK_TIME_REO_TIMEOUT, ICSK_TIME_DACK, tcpSkTimer, inetCskRetransmitTimer, inetCskDelackTimer, type TcpSock, type TcpRequestSock, type TcpTimewaitSock,
} from './tcp_sock.js';
import { TCP_RTO_MAX, TCP_RTO_MIN, TCP_TIMEOUT_INIT, TCP_ATO_MIN, TCP_RESOURCE_PROBE_INTERVAL, TCP_TIMEWAIT_LEN } from './tcp_defs.js';
import { tcpNet } from './tcp_net.js';
import { tcpSendAck, tcpRetransmitSkb, tcpSendProbe0, tcpWriteWakeup, tcpSendLossProbe, tcpSendActiveReset, tcpSendSynack, tcpMstampRefresh } from './tcp_output.js';
import { tcpEnterLoss, tcpDone, tcpWriteQueuePurge } from './tcp_input.js';
import { tcpRackReoTimeout } from './tcp_recovery.js';
import { tcpTimeWait, inetTwskKill, reqskQueueDrop } from './tcp_minisocks.js';
import { tcpMtuProbing } from './tcp_mtu_probe.js';

/**
 * sk_reset_timer for the per-ACK re-arms. The handlers re-arm themselves while the deadline
 * lies ahead (icsk_timeout, icsk_ack.timeout), so a pending timer that fires no later than
 * the new deadline is left alone: one timer operation per flight instead of one per ACK.
 */
function skResetTimerLazy(sk: TcpSock, t: TimerList, expires: number): void {
  if (!t.pending || t.expires > expires) modTimer(sk.skNet, t, expires);
}

/** inet_csk_reset_xmit_timer */
export function inetCskResetXmitTimer(sk: TcpSock, what: number, when: number, maxWhen: number): void {
  if (when > maxWhen) when = maxWhen;
  if (when < 0) when = 0;
  const now = sk.jiffies;
  if (what === ICSK_TIME_DACK) {
    sk.icskAck.pending |= ICSK_ACK_TIMER;
    sk.icskAck.timeout = now + when;
    skResetTimerLazy(sk, inetCskDelackTimer(sk), sk.icskAck.timeout);
    return;
  }
  sk.icskPending = what;
  sk.icskTimeout = now + when;
  skResetTimerLazy(sk, inetCskRetransmitTimer(sk), sk.icskTimeout);
}

/** tcp_reset_xmit_timer */
export const tcpResetXmitTimer = inetCskResetXmitTimer;

/**
 * inet_csk_clear_xmit_timer: Linux builds without INET_CSK_CLEAR_TIMERS, so only the pending
 * bits go; the timer may still fire and finds nothing to do.
 */
export function inetCskClearXmitTimer(sk: TcpSock, what: number): void {
  if (what === ICSK_TIME_DACK) sk.icskAck.pending = 0;
  else sk.icskPending = 0;
}

/** inet_csk_clear_xmit_timers */
export function inetCskClearXmitTimers(sk: TcpSock): void {
  sk.icskPending = 0;
  sk.icskAck.pending = 0;
  if (sk.icskRetransmitTimer !== null) delTimer(sk.skNet, sk.icskRetransmitTimer);
  if (sk.icskDelackTimer !== null) delTimer(sk.skNet, sk.icskDelackTimer);
  if (sk.skTimer !== null) delTimer(sk.skNet, sk.skTimer);
}

/** inet_csk_reset_keepalive_timer */
export function inetCskResetKeepaliveTimer(sk: TcpSock, len: number): void {
  modTimer(sk.skNet, tcpSkTimer(sk), sk.jiffies + len);
}
export function inetCskDeleteKeepaliveTimer(sk: TcpSock): void {
  if (sk.skTimer !== null) delTimer(sk.skNet, sk.skTimer);
}

export function keepaliveTimeWhen(sk: TcpSock): number {
  return sk.keepaliveTime || tcpNet(sk.skNet).sysctl.tcp_keepalive_time * 1000;
}
export function keepaliveIntvlWhen(sk: TcpSock): number {
  return sk.keepaliveIntvl || tcpNet(sk.skNet).sysctl.tcp_keepalive_intvl * 1000;
}
export function keepaliveProbes(sk: TcpSock): number {
  return sk.keepaliveProbes || tcpNet(sk.skNet).sysctl.tcp_keepalive_probes;
}

/** tcp_set_keepalive: SO_KEEPALIVE toggled. */
export function tcpSetKeepalive(sk: TcpSock, val: boolean): void {
  if (sk.skState === TCP_CLOSE || sk.skState === TCP_LISTEN) return;
  if (val) inetCskResetKeepaliveTimer(sk, keepaliveTimeWhen(sk));
  else inetCskDeleteKeepaliveTimer(sk);
}

/** tcp_fin_time: how long an orphan may sit in FIN_WAIT2 (TCP_LINGER2 or tcp_fin_timeout). */
export function tcpFinTime(sk: TcpSock): number {
  let fin = sk.linger2 > 0 ? sk.linger2 : tcpNet(sk.skNet).sysctl.tcp_fin_timeout * 1000;
  const rto = sk.icskRto;
  if (fin < (rto << 2) - (rto >> 1)) fin = (rto << 2) - (rto >> 1);
  return fin;
}

/** tcp_write_err: give up on the connection with sk_err (ETIMEDOUT unless a soft error is known). */
export function tcpWriteErr(sk: TcpSock): void {
  sk.skErr = sk.skErrSoft || ETIMEDOUT;
  sk.skErrorReport(sk);
  tcpWriteQueuePurge(sk);
  tcpDone(sk);
  tcpNet(sk.skNet).ext.TCPAbortOnTimeout++;
}

/** tcp_model_timeout: the time `boundary` backed-off RTOs from rto_base take, capped per RTO at 120 s. */
function tcpModelTimeout(boundary: number, rtoBase: number): number {
  const thresh = Math.floor(Math.log2(TCP_RTO_MAX / rtoBase));
  if (boundary <= thresh) return ((2 << boundary) - 1) * rtoBase;
  return ((2 << thresh) - 1) * rtoBase + (boundary - thresh) * TCP_RTO_MAX;
}

/**
 * retransmits_timed_out: Linux measures tcp_retries1/2 as the time the modelled backoff
 * would take since the first retransmission, not as a count.
 */
export function retransmitsTimedOut(sk: TcpSock, boundary: number, timeout: number): boolean {
  if (!sk.icskRetransmits) return false;
  const start = sk.retransStamp;
  if (!start) return false;
  if (timeout === 0) {
    const base = sk.skState === TCP_SYN_SENT || sk.skState === TCP_SYN_RECV ? TCP_TIMEOUT_INIT : TCP_RTO_MIN;
    timeout = tcpModelTimeout(boundary, base);
  }
  return sk.jiffies - start - timeout >= 0;
}

function tcpOrphanRetries(sk: TcpSock, alive: boolean): number {
  let retries = tcpNet(sk.skNet).sysctl.tcp_orphan_retries;
  if (sk.skErrSoft && !alive) retries = 0;
  if (retries === 0 && alive) retries = 8;
  return retries;
}

/** tcp_write_timeout: true when the connection was aborted. */
function tcpWriteTimeout(sk: TcpSock): boolean {
  const tn = tcpNet(sk.skNet);
  let expired: boolean;
  if (sk.skState === TCP_SYN_SENT || sk.skState === TCP_SYN_RECV) {
    const retryUntil = sk.icskSynRetries || tn.sysctl.tcp_syn_retries;
    expired = sk.icskRetransmits >= retryUntil;
  } else {
    // Past tcp_retries1 the path may be dropping large packets silently (RFC 4821 §7.6.3):
    // search for a smaller MTU, and look the route up again (dst_negative_advice).
    if (retransmitsTimedOut(sk, tn.sysctl.tcp_retries1, 0)) {
      tcpMtuProbing(sk);
      if (sk.skDst !== null) sk.skDst.obsolete = true;
    }
    let retryUntil = tn.sysctl.tcp_retries2;
    if (sk.skFlags & SOCK_DEAD) {
      const alive = sk.icskRto < TCP_RTO_MAX;
      retryUntil = tcpOrphanRetries(sk, alive);
    }
    expired = retransmitsTimedOut(sk, retryUntil, sk.icskUserTimeout);
  }
  if (expired) {
    tcpWriteErr(sk);
    return true;
  }
  return false;
}

/** tcp_clamp_rto_to_user_timeout: TCP_USER_TIMEOUT caps the next RTO (RFC 5482). */
function tcpClampRtoToUserTimeout(sk: TcpSock): number {
  const ut = sk.icskUserTimeout;
  if (!ut || !sk.retransStamp) return sk.icskRto;
  const elapsed = sk.jiffies - sk.retransStamp;
  const remaining = ut - elapsed;
  if (remaining <= 0) return 1;
  return Math.min(sk.icskRto, remaining);
}

/** tcp_retransmit_timer: RFC 6298 §5.4-5.6: retransmit the head, back off, re-arm. */
export function tcpRetransmitTimer(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  if (!sk.packetsOut) return;
  const head = sk.skWriteQueue.first;
  if (head === null) return;
  if (!sk.sndWnd && !(sk.skFlags & SOCK_DEAD) && sk.skState !== TCP_SYN_SENT && sk.skState !== TCP_SYN_RECV) {
    // The peer shrank its window to zero: our retransmits act as window probes and must not
    // time the connection out, unless nothing was heard for TCP_RTO_MAX.
    if (sk.jiffies - sk.rcvTstamp > TCP_RTO_MAX) {
      tcpWriteErr(sk);
      return;
    }
    tcpEnterLoss(sk);
    tcpRetransmitSkb(sk, head, 1);
    resetTimer(sk);
    return;
  }
  tn.ext.TCPTimeouts++;
  if (tcpWriteTimeout(sk)) return;
  if (sk.icskRetransmits === 0) {
    if (sk.icskCaState === TCP_CA_Recovery) {
      if (sk.rxOpt.sackOk) tn.ext.TCPSackFailures++;
      else tn.ext.TCPRenoFailures++;
    } else if (sk.icskCaState === TCP_CA_Loss) tn.ext.TCPLossFailures++;
    else if (sk.icskCaState === TCP_CA_Disorder || sk.icskCaState === TCP_CA_CWR) {
      if (sk.rxOpt.sackOk) tn.ext.TCPSackFailures++;
      else tn.ext.TCPRenoFailures++;
    }
  }
  tcpEnterLoss(sk);
  sk.icskRetransmits++;
  if (tcpRetransmitSkb(sk, sk.skWriteQueue.first!, 1) > 0) {
    inetCskResetXmitTimer(sk, ICSK_TIME_RETRANS, TCP_RESOURCE_PROBE_INTERVAL, TCP_RTO_MAX);
    return;
  }
  sk.icskBackoff++;
  resetTimer(sk);
}

function resetTimer(sk: TcpSock): void {
  sk.icskRto = Math.min(sk.icskRto * 2, sk.icskRtoMax);
  inetCskResetXmitTimer(sk, ICSK_TIME_RETRANS, tcpClampRtoToUserTimeout(sk), TCP_RTO_MAX);
}

/** tcp_probe_timer: the persist timer (zero-window probes). */
function tcpProbeTimer(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  if (sk.packetsOut || sk.sendHead === null) {
    sk.icskProbesOut = 0;
    sk.icskProbesTstamp = 0;
    return;
  }
  // RFC 1122 4.2.2.17: a zero-window probe never times out while the peer answers; the user
  // timeout counts from the first probe.
  if (!sk.icskProbesTstamp) sk.icskProbesTstamp = sk.jiffies;
  else if (sk.icskUserTimeout && sk.jiffies - sk.icskProbesTstamp >= sk.icskUserTimeout) {
    tcpWriteErr(sk);
    return;
  }
  let maxProbes = tn.sysctl.tcp_retries2;
  if (sk.skFlags & SOCK_DEAD) {
    const alive = Math.min(sk.icskRto * 2 ** sk.icskBackoff, TCP_RTO_MAX) < TCP_RTO_MAX;
    maxProbes = tcpOrphanRetries(sk, alive);
    if (!alive && sk.icskBackoff >= maxProbes) {
      tcpWriteErr(sk);
      return;
    }
  }
  if (sk.icskProbesOut >= maxProbes) tcpWriteErr(sk);
  else tcpSendProbe0(sk);
}

/** tcp_write_timer_handler */
export function tcpWriteTimer(sk: TcpSock): void {
  if (sk.skState === TCP_CLOSE || sk.skState === TCP_LISTEN || !sk.icskPending) return;
  const now = sk.jiffies;
  if (sk.icskTimeout > now) {
    modTimer(sk.skNet, inetCskRetransmitTimer(sk), sk.icskTimeout);
    return;
  }
  tcpMstampRefresh(sk);
  const ev = sk.icskPending;
  switch (ev) {
    case ICSK_TIME_REO_TIMEOUT:
      sk.icskPending = 0;
      tcpRackReoTimeout(sk);
      break;
    case ICSK_TIME_LOSS_PROBE:
      tcpSendLossProbe(sk);
      break;
    case ICSK_TIME_RETRANS:
      sk.icskPending = 0;
      tcpRetransmitTimer(sk);
      break;
    case ICSK_TIME_PROBE0:
      sk.icskPending = 0;
      tcpProbeTimer(sk);
      break;
  }
}

/** tcp_delack_timer_handler: send the delayed ACK and adapt the ATO. */
export function tcpDelackTimer(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  if (sk.skState === TCP_CLOSE || sk.skState === TCP_LISTEN || !(sk.icskAck.pending & ICSK_ACK_TIMER)) return;
  const now = sk.jiffies;
  if (sk.icskAck.timeout > now) {
    modTimer(sk.skNet, inetCskDelackTimer(sk), sk.icskAck.timeout);
    return;
  }
  sk.icskAck.pending &= ~ICSK_ACK_TIMER;
  if (sk.icskAck.pending & ICSK_ACK_SCHED) {
    if (!sk.icskAck.pingpong) {
      // Delayed ACK missed: inflate ATO.
      sk.icskAck.ato = Math.min(sk.icskAck.ato << 1, sk.icskRto);
    } else {
      // Delayed ACK missed: leave pingpong mode and deflate ATO.
      sk.icskAck.pingpong = 0;
      sk.icskAck.ato = TCP_ATO_MIN;
    }
    tcpSendAck(sk);
    tn.ext.DelayedACKs++;
  }
}

/** tcp_keepalive_timer: keepalive probes (RFC 1122 4.2.3.6) and the orphan FIN_WAIT2 timeout. */
export function tcpKeepaliveTimer(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  if (sk.skState === TCP_LISTEN || sk.skState === TCP_CLOSE) return;
  tcpMstampRefresh(sk);
  if (sk.skState === TCP_FIN_WAIT2 && (sk.skFlags & SOCK_DEAD)) {
    if (sk.linger2 >= 0) {
      const tmo = tcpFinTime(sk) - TCP_TIMEWAIT_LEN;
      if (tmo > 0) {
        tcpTimeWait(sk, TCP_FIN_WAIT2, tmo);
        return;
      }
    }
    tcpSendActiveReset(sk);
    tcpDone(sk);
    return;
  }
  if (!(sk.skFlags & SOCK_KEEPOPEN) || sk.skState === TCP_SYN_SENT) return;
  let elapsed = keepaliveTimeWhen(sk);
  if (sk.packetsOut || sk.sendHead !== null) {
    inetCskResetKeepaliveTimer(sk, elapsed);
    return;
  }
  const now = sk.jiffies;
  elapsed = Math.min(now - sk.icskAck.lrcvtime, now - sk.rcvTstamp);
  if (elapsed >= keepaliveTimeWhen(sk)) {
    const ut = sk.icskUserTimeout;
    if ((ut !== 0 && elapsed >= ut && sk.icskProbesOut > 0) || (ut === 0 && sk.icskProbesOut >= keepaliveProbes(sk))) {
      tcpSendActiveReset(sk);
      tcpWriteErr(sk);
      return;
    }
    tn.ext.TCPKeepAlive++;
    if (tcpWriteWakeup(sk) <= 0) {
      sk.icskProbesOut++;
      elapsed = keepaliveIntvlWhen(sk);
    } else elapsed = TCP_RESOURCE_PROBE_INTERVAL;
  } else elapsed = keepaliveTimeWhen(sk) - elapsed;
  inetCskResetKeepaliveTimer(sk, elapsed);
}

/** reqsk_timer_handler: retransmit the SYN-ACK with backoff 1, 2, 4 … s up to tcp_synack_retries. */
export function tcpReqskTimer(req: TcpRequestSock): void {
  const lsk = req.rskListener;
  if (lsk.skState !== TCP_LISTEN || !req.hashed) {
    reqskQueueDrop(lsk, req);
    return;
  }
  const tn = tcpNet(lsk.skNet);
  let maxRetries = lsk.icskSynRetries || tn.sysctl.tcp_synack_retries;
  // Under a SYN flood, requests that never got an answer to a retransmit age out faster.
  const qlen = lsk.synQlen;
  if (qlen << 1 > Math.max(8, lsk.skMaxAckBacklog)) {
    let young = lsk.synQlenYoung << 1;
    while (maxRetries > 2) {
      if (qlen < young) break;
      maxRetries--;
      young <<= 1;
    }
  }
  let expire: boolean, resend = true;
  if (lsk.deferAccept && req.acked) {
    // TCP_DEFER_ACCEPT: keep the request until data comes, without resending.
    expire = req.numTimeout >= Math.max(maxRetries, deferRetries(lsk.deferAccept));
    resend = req.numTimeout >= deferRetries(lsk.deferAccept) - 1;
  } else expire = req.numTimeout >= maxRetries;
  if (!expire) {
    if (resend && !req.acked) {
      req.numRetrans++;
      tn.mib.RetransSegs++;
      tn.ext.TCPSynRetrans++;
      tcpSendSynack(lsk, req);
    }
    if (req.numTimeout++ === 0) lsk.synQlenYoung--;
    const timeo = Math.min(TCP_TIMEOUT_INIT * 2 ** req.numTimeout, TCP_RTO_MAX);
    modTimer(req.skNet, req.timer, Math.floor(req.skNet.clock.now()) + timeo);
    return;
  }
  reqskQueueDrop(lsk, req);
}

/** secs_to_retrans for TCP_DEFER_ACCEPT (seconds to SYN-ACK retransmissions). */
export function deferRetries(secs: number): number {
  let res = 0, timeout = 1, period = 1;
  if (secs <= 0) return 0;
  while (secs > period && res < 255) {
    res++;
    timeout <<= 1;
    if (timeout > 120) timeout = 120;
    period += timeout;
  }
  return res;
}

/** TIME_WAIT (or orphan FIN_WAIT2 mini sock) expiry: inet_twsk_kill. */
export function tcpTwTimer(tw: TcpTimewaitSock): void {
  inetTwskKill(tw);
}

