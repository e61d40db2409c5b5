// net/ipv4/tcp_minisocks.c and the request-queue half of inet_connection_sock.c: TIME_WAIT
// (and orphaned FIN_WAIT2) mini socks, request socks of listeners (tcp_check_req) and the
// child sock made from a completed handshake.
import type { SkBuff } from '@knet/include';
import {
  TCPHDR_ACK, TCPHDR_FIN, TCPHDR_RST, TCPHDR_SYN, TCP_TIME_WAIT, TCP_FIN_WAIT2, TCP_SYN_RECV, TCP_LISTEN,
  TCP_CLOSE, SOCK_KEEPOPEN, SOCK_LINGER, SOCK_DEAD, SOCK_ZEROCOPY,
  dstMetricAdvmss, dstMtu,
} from '@knet/include';
import { modTimer, delTimer } from '@knet/softirq';
import { tcpParseOptions } from './tcp_options.js';
import { after, before } from './tcp_seq.js';
import { TCP_TIMEWAIT_LEN, TCP_RTO_MAX, TCP_TIMEOUT_INIT, TCP_MSS_DEFAULT } from './tcp_defs.js';
import { tcpNet, type TcpNet } from './tcp_net.js';
import { TcpSock, TcpTimewaitSock, type TcpRequestSock } from './tcp_sock.js';
import { inetBindAdd, inetEhashInsert, inetEhashRemove, inetPutPort, inetTwskBind } from './inet_hashtables.js';
import { tcpReceiveWindow, tcpSendSynack, tcpSyncMss, tcpInitRcvMss, tcpClockUs, skSetupCaps, tcpMssClamp } from './tcp_output.js';
import { tcpDone, tcpSynackRttMeas } from './tcp_input.js';
import { tcpSetState, tcpDestroySock, tcpDisconnect } from './tcp.js';
import { inetCskResetKeepaliveTimer, keepaliveTimeWhen } from './tcp_timer.js';
import { tcpAssignCongestionControl, tcpSetCongestionControl } from './tcp_cong.js';
import { tcpEcnOpenreqChild } from './tcp_ecn.js';

export const TCP_TW_SUCCESS = 0, TCP_TW_RST = 1, TCP_TW_ACK = 2, TCP_TW_SYN = 3;

const optSc = { windowScaling: true, timestamps: true, sack: true };

/** tcp_time_wait: replace the full sock with a TIME_WAIT (or FIN_WAIT2) mini sock. */
export function tcpTimeWait(sk: TcpSock, state: number, timeo: number): void {
  const tn = tcpNet(sk.skNet);
  if (tn.twCount < tn.sysctl.tcp_max_tw_buckets) {
    const tw = new TcpTimewaitSock(sk.skNet);
    tw.substate = state;
    tw.inetRcvSaddr = sk.inetRcvSaddr;
    tw.inetDaddr = sk.inetDaddr;
    tw.inetNum = sk.inetNum;
    tw.inetDport = sk.inetDport;
    tw.skReuse = sk.skReuse;
    tw.skBoundDevIf = sk.skBoundDevIf;
    tw.rcvNxt = sk.rcvNxt;
    tw.sndNxt = sk.sndNxt;
    tw.rcvWnd = tcpReceiveWindow(sk);
    tw.rcvWscale = sk.rxOpt.rcvWscale;
    tw.tsRecent = sk.rxOpt.tsRecent;
    tw.tsRecentStamp = sk.rxOpt.tsRecentStamp;
    tw.tsOffset = sk.tsOffset;
    tw.tstampOk = sk.rxOpt.tstampOk;
    // RFC 9293 §3.6.1: 2·MSL in TIME_WAIT; at least 3.5 RTO for FIN_WAIT2.
    const rto = (sk.icskRto << 2) - (sk.icskRto >> 1);
    if (state === TCP_TIME_WAIT) timeo = TCP_TIMEWAIT_LEN;
    if (timeo < rto) timeo = rto;
    // inet_twsk_hashdance: the mini sock takes over the 4-tuple and the bind bucket.
    inetEhashRemove(tn, sk);
    inetEhashInsert(tn, tw);
    if (sk.icskBindHash !== null) {
      inetTwskBind(tw, sk.icskBindHash);
    }
    tn.twCount++;
    tn.ext.TW += 0;
    twSchedule(tw, timeo);
  } else tn.ext.TCPTimeWaitOverflow++;
  tcpDone(sk);
}

function twSchedule(tw: TcpTimewaitSock, timeo: number): void {
  tw.timeout = timeo;
  modTimer(tw.skNet, tw.timer, Math.floor(tw.skNet.clock.now()) + timeo);
}

/** inet_twsk_kill: the TIME_WAIT sock expires or is recycled. */
export function inetTwskKill(tw: TcpTimewaitSock): void {
  if (tw.kill) return;
  tw.kill = true;
  const tn = tcpNet(tw.skNet);
  delTimer(tw.skNet, tw.timer);
  inetEhashRemove(tn, tw);
  inetPutPort(tw);
  tn.twCount--;
  tn.ext.TW++;
}

function twPawsReject(tn: TcpNet, tw: TcpTimewaitSock, rst: boolean): boolean {
  const o = tn.tmpOpt;
  if (((o.rcvTsval - tw.tsRecent) | 0) >= 0) return false;
  if (Math.floor(tw.skNet.clock.now() / 1000) >= tw.tsRecentStamp + 24 * 86400) return false;
  // RST with a stale timestamp is accepted when the timer has nearly run out (Linux keeps 60 s).
  if (rst && Math.floor(tw.skNet.clock.now() / 1000) >= tw.tsRecentStamp + 60) return false;
  return true;
}

function tcpInWindow(seq: number, endSeq: number, sWin: number, eWin: number): boolean {
  if (seq === sWin) return true;
  if (after(endSeq, sWin) && before(seq, eWin)) return true;
  return seq === eWin && seq === endSeq;
}

/** Result of tcpTimewaitStateProcess when it answers TCP_TW_SYN: the ISN to use. */
export const twIsn = { isn: 0 };

/** tcp_timewait_state_process (RFC 9293 §3.10.7.4 for TIME-WAIT, RFC 1122 4.2.2.13 for SYN reuse). */
export function tcpTimewaitStateProcess(tw: TcpTimewaitSock, skb: SkBuff): number {
  const tn = tcpNet(tw.skNet);
  const flags = skb.cb.tcpFlags;
  const o = tn.tmpOpt;
  let pawsReject = false;
  o.sawTstamp = false;
  if ((skb.head[skb.transportHeader + 12] >>> 4) > 5 && tw.tsRecentStamp) {
    o.tstampOk = tw.tstampOk;
    o.sackOk = false;
    tcpParseOptions(skb.head, skb.transportHeader, flags, o, true, optSc);
    if (o.sawTstamp) pawsReject = twPawsReject(tn, tw, (flags & TCPHDR_RST) !== 0);
  }
  const seq = skb.cb.seq, endSeq = skb.cb.endSeq;
  if (tw.substate === TCP_FIN_WAIT2) {
    if (pawsReject || !tcpInWindow(seq, endSeq, tw.rcvNxt, (tw.rcvNxt + tw.rcvWnd) >>> 0)) return TCP_TW_ACK;
    if (flags & TCPHDR_RST) {
      inetTwskKill(tw);
      return TCP_TW_SUCCESS;
    }
    if ((flags & TCPHDR_SYN) && !before(seq, tw.rcvNxt)) return TCP_TW_RST;
    if (!(flags & TCPHDR_ACK) || !after(endSeq, tw.rcvNxt) || endSeq === seq) return TCP_TW_SUCCESS;
    // New data after a half-duplex close is answered by RST.
    if (!(flags & TCPHDR_FIN) || endSeq !== ((tw.rcvNxt + 1) >>> 0)) return TCP_TW_RST;
    tw.substate = TCP_TIME_WAIT;
    tw.rcvNxt = endSeq;
    if (o.sawTstamp) {
      tw.tsRecentStamp = Math.floor(tw.skNet.clock.now() / 1000);
      tw.tsRecent = o.rcvTsval;
    }
    twSchedule(tw, TCP_TIMEWAIT_LEN);
    return TCP_TW_ACK;
  }
  if (!pawsReject && seq === tw.rcvNxt && (seq === endSeq || (flags & TCPHDR_RST))) {
    if (flags & TCPHDR_RST) {
      // TIME_WAIT assassination (RFC 1337): Linux kills the sock unless tcp_rfc1337 is set.
      if (!tn.sysctl.tcp_rfc1337) {
        inetTwskKill(tw);
        return TCP_TW_SUCCESS;
      }
    } else twSchedule(tw, TCP_TIMEWAIT_LEN);
    if (o.sawTstamp) {
      tw.tsRecent = o.rcvTsval;
      tw.tsRecentStamp = Math.floor(tw.skNet.clock.now() / 1000);
    }
    return TCP_TW_SUCCESS;
  }
  if ((flags & TCPHDR_SYN) && !(flags & (TCPHDR_RST | TCPHDR_ACK)) && !pawsReject &&
    (after(seq, tw.rcvNxt) || (o.sawTstamp && ((tw.tsRecent - o.rcvTsval) | 0) < 0))) {
    let isn = (tw.sndNxt + 65535 + 2) >>> 0;
    if (isn === 0) isn++;
    twIsn.isn = isn;
    return TCP_TW_SYN;
  }
  if (pawsReject) tn.ext.PAWSEstab++;
  if (!(flags & TCPHDR_RST)) {
    // A retransmitted FIN (or any segment) is ACKed and restarts the 2·MSL timer.
    if (pawsReject || (flags & TCPHDR_ACK)) twSchedule(tw, TCP_TIMEWAIT_LEN);
    return TCP_TW_ACK;
  }
  return TCP_TW_SUCCESS;
}

/** inet_csk_reqsk_queue_drop: unhash a request sock and stop its timer. */
export function reqskQueueDrop(lsk: TcpSock, req: TcpRequestSock): boolean {
  const tn = tcpNet(lsk.skNet);
  const was = req.hashed;
  delTimer(req.skNet, req.timer);
  inetEhashRemove(tn, req);
  if (lsk.synQueue !== null && lsk.synQueue.delete(req)) {
    lsk.synQlen--;
    if (req.numTimeout === 0) lsk.synQlenYoung--;
  }
  return was;
}

/** inet_csk_reqsk_queue_hash_add: the request joins ehash and the SYN queue; timer at 1 s. */
export function reqskQueueHashAdd(lsk: TcpSock, req: TcpRequestSock, timeout: number): void {
  const tn = tcpNet(lsk.skNet);
  inetEhashInsert(tn, req);
  (lsk.synQueue ??= new Set()).add(req);
  lsk.synQlen++;
  lsk.synQlenYoung++;
  modTimer(req.skNet, req.timer, Math.floor(req.skNet.clock.now()) + timeout);
}

/** inet_csk_listen_stop: reset unaccepted children, drop pending requests. */
export function inetCskListenStop(lsk: TcpSock): void {
  if (lsk.synQueue !== null) for (const req of [...lsk.synQueue]) reqskQueueDrop(lsk, req);
  const q = lsk.acceptQueue?.splice(0) ?? [];
  lsk.skAckBacklog = 0;
  for (const child of q) {
    child.parent = null;
    tcpDisconnect(child, 0);
    child.skFlags |= SOCK_DEAD;
    tcpDestroySock(child);
  }
}

/** tcp_create_openreq_child: the full sock for a completed handshake, inheriting the listener's settings. */
export function tcpCreateOpenreqChild(lsk: TcpSock, req: TcpRequestSock, skb: SkBuff): TcpSock {
  const tn = tcpNet(lsk.skNet);
  const sk = lsk.skProt.alloc(lsk.skNet) as TcpSock;
  if (lsk.skProt.init) lsk.skProt.init(sk);
  sk.icskAfOps = lsk.icskAfOps;
  sk.skState = TCP_SYN_RECV;
  sk.inetRcvSaddr = sk.inetSaddr = req.inetRcvSaddr;
  sk.inetDaddr = req.inetDaddr;
  sk.inetNum = sk.inetSport = req.inetNum;
  sk.inetDport = req.inetDport;
  sk.skBoundDevIf = lsk.skBoundDevIf;
  // Keep what tcp_init_sock set (SOCK_USE_WRITE_QUEUE: freed clones must not wake writers).
  sk.skFlags |= lsk.skFlags & (SOCK_KEEPOPEN | SOCK_LINGER | SOCK_ZEROCOPY);
  sk.recverr = lsk.recverr;
  sk.skUserlocks = lsk.skUserlocks;
  sk.skLingertime = lsk.skLingertime;
  sk.skRcvbuf = lsk.skRcvbuf;
  sk.skSndbuf = lsk.skSndbuf;
  sk.skReuse = lsk.skReuse;
  sk.skMark = lsk.skMark;
  sk.skPriority = lsk.skPriority;
  sk.nonagle = lsk.nonagle;
  sk.userMss = lsk.userMss;
  sk.keepaliveTime = lsk.keepaliveTime;
  sk.keepaliveIntvl = lsk.keepaliveIntvl;
  sk.keepaliveProbes = lsk.keepaliveProbes;
  sk.linger2 = lsk.linger2;
  sk.notsentLowat = lsk.notsentLowat;
  sk.icskUserTimeout = lsk.icskUserTimeout;
  sk.icskSynRetries = lsk.icskSynRetries;
  if (lsk.icskCaSetsockopt && lsk.icskCaOps !== null) tcpSetCongestionControl(sk, lsk.icskCaOps.name);
  else tcpAssignCongestionControl(sk);
  const isn1 = (req.sndIsn + 1) >>> 0;
  sk.rcvNxt = (req.rcvIsn + 1) >>> 0;
  sk.copiedSeq = sk.rcvWup = sk.rcvNxt;
  sk.sndSml = sk.sndUna = sk.sndNxt = sk.sndUp = sk.writeSeq = sk.pushedSeq = isn1;
  sk.sndWl1 = req.rcvIsn;
  const o = sk.rxOpt;
  o.tstampOk = req.tstampOk;
  o.sackOk = req.sackOk;
  o.wscaleOk = req.wscaleOk;
  o.sndWscale = req.wscaleOk ? req.sndWscale : 0;
  o.rcvWscale = req.wscaleOk ? req.rcvWscale : 0;
  o.tsRecent = req.tsRecent;
  o.tsRecentStamp = Math.floor(sk.skNet.clock.now() / 1000);
  o.userMss = lsk.userMss;
  o.mssClamp = req.mss || TCP_MSS_DEFAULT;
  sk.tsOffset = req.tsOff;
  tcpEcnOpenreqChild(sk, req);
  sk.tcpHeaderLen = req.tstampOk ? 32 : 20;
  sk.sndWnd = (skb.head[skb.transportHeader + 14] << 8 | skb.head[skb.transportHeader + 15]) * 2 ** o.sndWscale;
  sk.maxWindow = sk.sndWnd;
  sk.windowClamp = req.windowClamp;
  sk.rcvSsthresh = sk.rcvWnd = req.rcvWnd;
  sk.totalRetrans = req.numRetrans;
  sk.icskRto = TCP_TIMEOUT_INIT;
  sk.lsndtime = sk.jiffies;
  sk.rcvTstamp = sk.jiffies;
  sk.icskAck.lrcvtime = sk.jiffies;
  sk.segsIn = 1;
  if (sk.skFlags & SOCK_KEEPOPEN) inetCskResetKeepaliveTimer(sk, keepaliveTimeWhen(sk));
  // The first RTT sample comes from the SYN-ACK, unless it was retransmitted (Karn).
  if (!req.numRetrans && req.sntSynack) tcpSynackRttMeas(sk, tcpClockUs(sk) - req.sntSynack);
  // RFC 1213 tcpPassiveOpens: counted when the child is born, as tcp_create_openreq_child does.
  tn.mib.PassiveOpens++;
  return sk;
}

/** tcp_v4_syn_recv_sock: build, route and hash the child; null on accept-queue overflow. */
export function tcpV4SynRecvSock(lsk: TcpSock, skb: SkBuff, req: TcpRequestSock): TcpSock | null {
  const tn = tcpNet(lsk.skNet);
  // sk_acceptq_is_full: Linux allows backlog + 1 queued children.
  if (lsk.skAckBacklog > lsk.skMaxAckBacklog) {
    tn.ext.ListenOverflows++;
    tn.ext.ListenDrops++;
    return null;
  }
  const sk = tcpCreateOpenreqChild(lsk, req, skb);
  const fl = { daddr: sk.inetDaddr, saddr: sk.inetSaddr, oif: sk.skBoundDevIf, tos: 0, proto: 6, sport: sk.inetSport, dport: sk.inetDport, mark: sk.skMark };
  const dst = sk.icskAfOps.routeOutput(sk.skNet, fl);
  if (typeof dst !== 'number') {
    skSetupCaps(sk, dst);
  }
  const cdst = sk.skDst;
  tcpSyncMss(sk, cdst !== null ? dstMtu(cdst) : 1500);
  sk.advmss = tcpMssClamp(lsk, cdst !== null ? dstMetricAdvmss(cdst) : 1460);
  tcpInitRcvMss(sk);
  // __inet_inherit_port: the child shares the listener's bind bucket.
  const tb = lsk.icskBindHash;
  if (tb !== null) {
    sk.icskBindHash = tb;
    inetBindAdd(tb, sk);
  }
  // inet_ehash_nolisten: the child replaces the request in ehash.
  if (req.hashed) reqskQueueDrop(lsk, req);
  inetEhashInsert(tn, sk);
  return sk;
}

/** inet_csk_reqsk_queue_add: the child waits in the accept queue. */
export function reqskQueueAdd(lsk: TcpSock, child: TcpSock): void {
  child.parent = lsk;
  (lsk.acceptQueue ??= []).push(child);
  lsk.skAckBacklog++;
}

/**
 * tcp_check_req: a segment for a request sock (RFC 9293 §3.10.7.4 in SYN-RECEIVED). Returns
 * the child, the listener (caller sends RST), or null (handled or dropped).
 */
export function tcpCheckReq(lsk: TcpSock, skb: SkBuff, req: TcpRequestSock): TcpSock | null {
  const tn = tcpNet(lsk.skNet);
  const flags = skb.cb.tcpFlags;
  const o = tn.tmpOpt;
  o.reset();
  let pawsReject = false;
  if ((skb.head[skb.transportHeader + 12] >>> 4) > 5) {
    o.tstampOk = req.tstampOk;
    o.sackOk = req.sackOk;
    tcpParseOptions(skb.head, skb.transportHeader, flags, o, true, optSc);
    if (o.sawTstamp) {
      if (((o.rcvTsval - req.tsRecent) | 0) < 0 && req.tsRecent) pawsReject = !(flags & TCPHDR_RST);
    }
  }
  const seq = skb.cb.seq;
  const rcvNxt = (req.rcvIsn + 1) >>> 0;
  // A retransmitted SYN: answer with the SYN-ACK again (RFC 9293 §3.10.7.4, SYN-RECEIVED).
  if (seq === req.rcvIsn && (flags & 0x3f) === TCPHDR_SYN && !pawsReject) {
    req.numRetrans++;
    tcpSendSynack(lsk, req);
    return null;
  }
  if ((flags & TCPHDR_ACK) && skb.cb.ackSeq !== ((req.sndIsn + 1) >>> 0)) return lsk;
  if (pawsReject || !tcpInWindow(seq, skb.cb.endSeq, rcvNxt, (rcvNxt + req.rcvWnd) >>> 0)) {
    if (!(flags & TCPHDR_RST)) tcpV4ReqskSendAck(lsk, skb, req);
    if (pawsReject) tn.ext.PAWSEstab++;
    return null;
  }
  if (o.sawTstamp && !after(seq, rcvNxt)) req.tsRecent = o.rcvTsval;
  let f = flags;
  if (seq === req.rcvIsn) f &= ~TCPHDR_SYN;
  if (f & (TCPHDR_RST | TCPHDR_SYN)) {
    tn.mib.AttemptFails++;
    if (!(f & TCPHDR_RST)) sendResetHook.fn(lsk, skb);
    if (reqskQueueDrop(lsk, req)) tn.ext.EmbryonicRsts++;
    return null;
  }
  if (!(f & TCPHDR_ACK)) return null;
  // TCP_DEFER_ACCEPT: a bare ACK does not complete the connection yet.
  if (lsk.deferAccept && req.numTimeout < deferSecsToRetrans(lsk.deferAccept) && skb.cb.endSeq === rcvNxt) {
    req.acked = true;
    tn.ext.TCPDeferAcceptDrop++;
    return null;
  }
  const child = tcpV4SynRecvSock(lsk, skb, req);
  if (child === null) {
    if (!tn.sysctl.tcp_abort_on_overflow) {
      req.acked = true;
      return null;
    }
    sendResetHook.fn(lsk, skb);
    if (reqskQueueDrop(lsk, req)) tn.ext.EmbryonicRsts++;
    return null;
  }
  reqskQueueAdd(lsk, child);
  return child;
}

function deferSecsToRetrans(secs: number): number {
  let res = 0, timeout = 1, period = 1;
  while (secs > period && res < 255) {
    res++;
    timeout <<= 1;
    if (timeout > 120) timeout = 120;
    period += timeout;
  }
  return res;
}

/** Set by tcp_ipv4.ts to avoid an import cycle at module load. */
export const sendResetHook: { fn: (sk: TcpSock | null, skb: SkBuff) => void } = { fn: () => {} };
export const reqAckHook: { fn: (lsk: TcpSock, skb: SkBuff, req: TcpRequestSock) => void } = { fn: () => {} };
function tcpV4ReqskSendAck(lsk: TcpSock, skb: SkBuff, req: TcpRequestSock): void {
  reqAckHook.fn(lsk, skb, req);
}

