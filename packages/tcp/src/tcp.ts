// net/ipv4/tcp.c: the socket-facing calls of tcp_prot (sendmsg, recvmsg, close, shutdown,
// disconnect, socket options, poll) and the state bookkeeping (tcp_set_state).
import type { Cmsghdr, Msghdr, SkBuff, SockoptVal } from '@knet/include';
import {
  TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE, TCP_CLOSE_WAIT,
  TCP_LAST_ACK, TCP_LISTEN, TCP_CLOSING, TCP_TIME_WAIT, TCPHDR_FIN, TCPHDR_PSH, TCPHDR_SYN,
  EPIPE, EAGAIN, ENOTCONN, EINVAL, ENOPROTOOPT, ECONNRESET, EFAULT,
  MSG_PEEK, MSG_WAITALL, MSG_MORE, MSG_DONTWAIT, MSG_TRUNC, MSG_OOB, MSG_EOR,
  SEND_SHUTDOWN, RCV_SHUTDOWN, SHUTDOWN_MASK, SOCK_DEAD, SOCK_DONE, SOCK_LINGER, SOCK_KEEPOPEN, SOCK_NOSPACE,
  SOCK_USE_WRITE_QUEUE, SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK, SOCK_BINDPORT_LOCK, SOCK_BINDADDR_LOCK,
  EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLRDHUP, EPOLLPRI, POLLRDNORM, POLLWRNORM,
  SOL_TCP, SOL_SOCKET, TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
  TCP_SYNCNT, TCP_LINGER2, TCP_DEFER_ACCEPT, TCP_WINDOW_CLAMP, TCP_INFO, TCP_QUICKACK, TCP_CONGESTION,
  TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT, TCP_INQ, TCP_CM_INQ, SO_KEEPALIVE, SO_LINGER, SO_REUSEADDR, SO_RCVBUF, SO_SNDBUF,
  SO_ERROR, SO_TYPE, SO_RCVLOWAT, SO_REUSEPORT, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN,
  SOCK_STREAM, IPPROTO_TCP, AF_INET, TCP_CA_Open,
  TCP_FASTOPEN_CONNECT, TFO_CLIENT_ENABLE, MSG_FASTOPEN, AF_UNSPEC, O_NONBLOCK, EOPNOTSUPP, EALREADY, EINPROGRESS,
  MSG_ZEROCOPY, SOCK_ZEROCOPY,
} from '@knet/include';
import { skbQueuePurge, skbUnlink, consumeSkb, kfreeSkbReason, pskbExpandHead } from '@knet/skbuff';
import {
  skStreamIsWriteable, skStreamMemoryFree, skStreamWriteSpace, sockRcvlowat, sockError, traceEvent, skMemReclaim,
  msgZerocopyAlloc, msgZerocopyPut, msgZerocopyPutAbort,
} from '@knet/netdevice';
import { after, before } from './tcp_seq.js';
import {
  TCP_NAGLE_OFF, TCP_NAGLE_CORK, TCP_NAGLE_PUSH, TCP_MIN_MSS, MAX_TCP_WINDOW, MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL,
  MAX_TCP_KEEPCNT, MAX_TCP_SYNCNT, TCP_TIMEOUT_INIT, TCP_RTO_MIN, TCP_MSS_DEFAULT, TCP_INIT_CWND,
  TCP_INFINITE_SSTHRESH, TCP_FIN_TIMEOUT, TCP_MAX_QUICKACKS, TCP_TIMEWAIT_LEN, TCPCB_EOR,
} from './tcp_defs.js';
import { tcpNet } from './tcp_net.js';
import { ICSK_ACK_SCHED, ICSK_ACK_PUSHED, ICSK_ACK_PUSHED2, type TcpSock } from './tcp_sock.js';
import {
  skStreamAllocSkb, skbEntail, tcpCurrentMss, tcpSendMssGoal, __tcpPushPendingFrames, tcpPushOne, tcpSendFin,
  tcpSendActiveReset, tcpSendAck, tcpReceiveWindow, __tcpSelectWindow, skWmemFreeSkb, tcpPushPendingFrames, tcpSkbAddData,
  tcpConnect,
} from './tcp_output.js';
import { tcpFreeFastopenReq } from './tcp_fastopen.js';
import { TcpFastopenRequest } from './tcp_fastopen_cookie.js';
import { inetCskClearXmitTimers, inetCskResetKeepaliveTimer, tcpFinTime, tcpSetKeepalive } from './tcp_timer.js';
import { tcpWriteQueuePurge, tcpRcvSpaceAdjust, tcpEnterQuickackMode } from './tcp_input.js';
import { tcpTimeWait, inetCskListenStop } from './tcp_minisocks.js';
import { tcpSetCongestionControl, tcpAssignCongestionControl, tcpCleanupCongestionControl } from './tcp_cong.js';
import { inetEhashRemove, inetListenUnhash, inetPutPort } from './inet_hashtables.js';
import { tcpGetInfo } from './tcp_info.js';
import { MinMax } from './tcp_sock.js';

/** tcp_set_state: the MIB gauges, and unhash/port release on CLOSE. */
export function tcpSetState(sk: TcpSock, state: number): void {
  const old = sk.skState;
  const tn = tcpNet(sk.skNet);
  const wasEst = old === TCP_ESTABLISHED || old === TCP_CLOSE_WAIT;
  const isEst = state === TCP_ESTABLISHED || state === TCP_CLOSE_WAIT;
  if (isEst && !wasEst) tn.mib.CurrEstab++;
  else if (wasEst && !isEst) tn.mib.CurrEstab--;
  if (state === TCP_CLOSE) {
    if (wasEst) tn.mib.EstabResets++;
    tcpUnhash(sk);
    if (sk.icskBindHash !== null && !(sk.skUserlocks & SOCK_BINDPORT_LOCK)) inetPutPort(sk);
  }
  sk.skState = state;
}

/** unhash: remove from ehash or the listening table. */
export function tcpUnhash(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  if (sk.skState === TCP_LISTEN) inetListenUnhash(tn, sk);
  inetEhashRemove(tn, sk);
}

/** tcp_v4_destroy_sock + inet_csk_destroy_sock: release everything of a dead sock. */
export function tcpDestroySock(sk: TcpSock): void {
  const tn = tcpNet(sk.skNet);
  if (!tn.allSocks.has(sk)) return;
  inetCskClearXmitTimers(sk);
  tcpCleanupCongestionControl(sk);
  tcpWriteQueuePurge(sk);
  tcpFreeFastopenReq(sk);
  let skb: SkBuff | null;
  while ((skb = sk.ooo.pop()) !== null) kfreeSkbReason(skb, 80);
  skbQueuePurge(sk.skReceiveQueue);
  skbQueuePurge(sk.skErrorQueue);
  skMemReclaim(sk);
  tcpUnhash(sk);
  if (sk.icskBindHash !== null) inetPutPort(sk);
  if (sk.skFlags & SOCK_DEAD) tn.orphanCount = Math.max(0, tn.orphanCount - 1);
  tn.allSocks.delete(sk);
  if (sk.onDestroy !== null) sk.onDestroy(sk);
}

/** tcp_init_sock */
export function tcpInitSock(sk: TcpSock): number {
  const tn = tcpNet(sk.skNet);
  sk.icskRto = TCP_TIMEOUT_INIT;
  sk.icskRtoMin = TCP_RTO_MIN;
  sk.mdevUs = TCP_TIMEOUT_INIT * 1000;
  sk.minRtt.reset(0, 0xffffffff);
  sk.sndCwnd = TCP_INIT_CWND;
  sk.sndSsthresh = TCP_INFINITE_SSTHRESH;
  sk.sndCwndClamp = 0xffffffff;
  sk.mssCache = TCP_MSS_DEFAULT;
  sk.reordering = tn.sysctl.tcp_reordering;
  tcpAssignCongestionControl(sk);
  sk.rack.reoWndSteps = 1;
  sk.skWriteSpace = skStreamWriteSpace;
  sk.skFlags |= SOCK_USE_WRITE_QUEUE;
  sk.skSndbuf = tn.sysctl.tcp_wmem[1];
  sk.skRcvbuf = tn.sysctl.tcp_rmem[1];
  sk.notsentLowat = 0;
  // sk_pacing_rate starts unlimited (~0UL) until an RTT sample exists.
  sk.skPacingRate = SK_PACING_RATE_UNLIMITED;
  tn.allSocks.add(sk);
  return 0;
}

/** ~0UL as a double: what tcpi_pacing_rate reports before the first RTT sample. */
export const SK_PACING_RATE_UNLIMITED = 2 ** 64 - 1;

/** tcp_stream_memory_free: TCP_NOTSENT_LOWAT limits unsent bytes, not just the send buffer. */
export function tcpStreamMemoryFree(sk: TcpSock, wake: boolean): boolean {
  const lowat = sk.notsentLowat || tcpNet(sk.skNet).sysctl.tcp_notsent_lowat;
  const notsent = (sk.writeSeq - sk.sndNxt) >>> 0;
  return (wake ? notsent * 2 : notsent) < lowat;
}

function forcedPush(sk: TcpSock): boolean {
  return after(sk.writeSeq, (sk.pushedSeq + (sk.maxWindow >> 1)) >>> 0);
}

function tcpMarkPush(sk: TcpSock, skb: SkBuff): void {
  skb.cb.tcpFlags |= TCPHDR_PSH;
  sk.pushedSeq = sk.writeSeq;
}

/** tcp_push: PSH on the tail unless MSG_MORE; autocork small writes while data is in flight. */
function tcpPush(sk: TcpSock, flags: number, mssNow: number, nonagle: number, sizeGoal: number): void {
  const n = sk.skNet;
  if (n.trace !== null) traceEvent(n, 'tcpPush');
  const skb = sk.skWriteQueue.last;
  if (skb === null || sk.sendHead === null) return;
  if (!(flags & MSG_MORE) || forcedPush(sk)) tcpMarkPush(sk, skb);
  const tn = tcpNet(n);
  // Autocorking: a small tail waits while earlier segments still sit in lower queues; the ACK
  // clock (or their transmit completion) pushes it.
  if (skb.len < sizeGoal && tn.sysctl.tcp_autocorking && sk.packetsOut > 0 && sk.skWmemAlloc > skb.truesize) {
    tn.ext.TCPAutoCorking++;
    return;
  }
  if (flags & MSG_MORE) nonagle = TCP_NAGLE_CORK;
  __tcpPushPendingFrames(sk, mssNow, nonagle);
}

function iovLen(iov: Uint8Array[]): number {
  let n = 0;
  for (const b of iov) n += b.length;
  return n;
}

/** The iovec past its first `skip` bytes. */
function iovSkip(iov: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of iov) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}

const CONNECTING = (1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV);

/**
 * tcp_sendmsg_fastopen: a write that opens the connection (MSG_FASTOPEN, or the first write
 * after a deferred TCP_FASTOPEN_CONNECT connect), its first bytes in the SYN when a cookie is
 * cached (RFC 7413 §3). Connects through the socket layer, as __inet_stream_connect. Returns
 * 0 (connected), or -errno; `out.copied` is what went into the SYN.
 */
function tcpSendmsgFastopen(sk: TcpSock, msg: Msghdr, flags: number, size: number, out: { copied: number }): number {
  const addr = msg.name;
  if (!(tcpNet(sk.skNet).sysctl.tcp_fastopen & TFO_CLIENT_ENABLE) || (addr !== null && addr.family === AF_UNSPEC)) return -EOPNOTSUPP;
  // Another Fast Open is under way.
  if (sk.fastopenReq !== null) return -EALREADY;
  const req = new TcpFastopenRequest();
  req.data = msg;
  req.size = size;
  sk.fastopenReq = req;
  if (sk.inetDeferConnect) {
    const err = tcpConnect(sk);
    if (err) {
      // As a failed tcp_v4_connect leaves it.
      tcpSetState(sk, TCP_CLOSE);
      sk.inetDport = 0;
      sk.skRouteCaps = 0;
    }
  }
  const sock = sk.skSocket;
  const err = sock === null ? -EPIPE : sock.ops.connect(sock, addr, (flags & MSG_DONTWAIT) ? O_NONBLOCK : 0, true);
  // A reset or disconnect during the connect may have freed the request already.
  if (sk.fastopenReq !== null) {
    out.copied = sk.fastopenReq.copied;
    tcpFreeFastopenReq(sk);
    sk.inetDeferConnect = false;
  }
  return err;
}

/**
 * tcp_sendmsg: copy the user's bytes into skbs of the size goal (one MSS, or a GSO chunk) and
 * push them. Returns bytes queued or -errno (-EAGAIN when the send buffer is full).
 */
export function tcpSendmsg(sk: TcpSock, msg: Msghdr, flags: number): number {
  if (!(flags & MSG_ZEROCOPY) || !(sk.skFlags & SOCK_ZEROCOPY)) return tcpSendmsgCopy(sk, msg, flags);
  const size = iovLen(msg.iov);
  if (size === 0) return tcpSendmsgCopy(sk, msg, flags);
  // MSG_ZEROCOPY: knet copies the bytes into its own skbs, as Linux does on a route without
  // scatter-gather. Linux then attaches the completion to no skb, so it fires when tcp_sendmsg
  // drops its reference: at return, once anything was queued. A send that queued nothing gives
  // its id back (msg_zerocopy_put_abort), so every id is reported exactly once.
  const uarg = msgZerocopyAlloc(sk, size);
  const r = tcpSendmsgCopy(sk, msg, flags);
  if (r > 0) msgZerocopyPut(uarg);
  else msgZerocopyPutAbort(uarg, true);
  return r;
}

function tcpSendmsgCopy(sk: TcpSock, msg: Msghdr, flags: number): number {
  const n = sk.skNet;
  if (n.trace !== null) traceEvent(n, 'tcpSendmsg');
  if (flags & MSG_OOB) return -95;
  let copiedSyn = 0;
  if ((flags & MSG_FASTOPEN) || sk.inetDeferConnect) {
    const out = { copied: 0 };
    const err = tcpSendmsgFastopen(sk, msg, flags, iovLen(msg.iov), out);
    copiedSyn = out.copied;
    if (err === -EINPROGRESS && copiedSyn > 0) return copiedSyn;
    // Where Linux would sleep through the handshake, a blocking caller gets -EAGAIN (or the
    // bytes already in the SYN) and the socket layer waits and writes the rest.
    if (err && !(flags & MSG_DONTWAIT) && ((1 << sk.skState) & CONNECTING)) return copiedSyn > 0 ? copiedSyn : -EAGAIN;
    if (err) return err;
    if (copiedSyn > 0) msg = { ...msg, iov: iovSkip(msg.iov, copiedSyn) };
  }
  const r = tcpSendmsgLocked(sk, msg, flags);
  return copiedSyn > 0 ? (r >= 0 ? r + copiedSyn : copiedSyn) : r;
}

function tcpSendmsgLocked(sk: TcpSock, msg: Msghdr, flags: number): number {
  const state = sk.skState;
  if (state !== TCP_ESTABLISHED && state !== TCP_CLOSE_WAIT) {
    if (sk.skErr) return sockError(sk);
    if (state === TCP_SYN_SENT || state === TCP_SYN_RECV) return -EAGAIN;
    // sk_stream_wait_connect: a socket that is not connecting (never connected, listening,
    // closed) is a broken pipe to the writer.
    return -EPIPE;
  }
  if (sk.skErr) return sockError(sk);
  if (sk.skShutdown & SEND_SHUTDOWN) return -EPIPE;
  const mssNow = tcpCurrentMss(sk);
  const sizeGoal = tcpSendMssGoal(sk, mssNow);
  let copied = 0;
  for (let i = 0; i < msg.iov.length; i++) {
    const buf = msg.iov[i];
    let off = 0;
    while (off < buf.length) {
      let skb = sk.skWriteQueue.last;
      let copy = 0;
      // tcp_skb_can_collapse_to: never append to FIN/SYN, or past a MSG_EOR record end.
      if (skb !== null && sk.sendHead !== null && !(skb.cb.tcpFlags & (TCPHDR_FIN | TCPHDR_SYN | TCPCB_EOR))) copy = sizeGoal - skb.len;
      if (copy <= 0 || skb === null) {
        if (!skStreamMemoryFree(sk)) return waitForSpace(sk, copied, flags, mssNow, sizeGoal);
        skb = skStreamAllocSkb(sk, sizeGoal);
        skbEntail(sk, skb);
        copy = sizeGoal;
      }
      let tail = skb.end - skb.tail;
      if (copy > tail && tail < buf.length - off && skb.users === 1 && !skb.cloned) {
        // Linux fills the tail skb to size_goal with page frags; a linear skb (one left short by
        // tcp_fragment) grows its buffer instead. truesize keeps counting payload only.
        const truesize = skb.truesize;
        if (pskbExpandHead(skb, 0, copy - tail) === 0) tail = skb.end - skb.tail;
        skb.truesize = truesize;
      }
      if (copy > tail) copy = tail;
      if (copy > buf.length - off) copy = buf.length - off;
      if (copy <= 0) {
        // The tail skb has no room: start a new one.
        if (!skStreamMemoryFree(sk)) return waitForSpace(sk, copied, flags, mssNow, sizeGoal);
        const nskb = skStreamAllocSkb(sk, sizeGoal);
        skbEntail(sk, nskb);
        continue;
      }
      skb.head.set(buf.subarray(off, off + copy), skb.tail);
      skb.tail += copy;
      skb.len += copy;
      tcpSkbAddData(sk, skb, copy);
      if (!copied) skb.cb.tcpFlags &= ~TCPHDR_PSH;
      sk.writeSeq = (sk.writeSeq + copy) >>> 0;
      skb.cb.endSeq = (skb.cb.endSeq + copy) >>> 0;
      copied += copy;
      off += copy;
      if (skb.len < sizeGoal) continue;
      if (forcedPush(sk)) {
        tcpMarkPush(sk, skb);
        __tcpPushPendingFrames(sk, mssNow, TCP_NAGLE_PUSH);
      } else if (skb === sk.sendHead) tcpPushOne(sk, mssNow);
    }
  }
  if (copied) {
    const tail = sk.skWriteQueue.last;
    if ((flags & MSG_EOR) && tail !== null) tail.cb.tcpFlags |= TCPCB_EOR;
    tcpPush(sk, flags, mssNow, sk.nonagle, sizeGoal);
  }
  return copied;
}

function waitForSpace(sk: TcpSock, copied: number, flags: number, mssNow: number, sizeGoal: number): number {
  sk.skFlags |= SOCK_NOSPACE;
  if (copied) {
    tcpPush(sk, flags & ~MSG_MORE, mssNow, TCP_NAGLE_PUSH, sizeGoal);
    return copied;
  }
  // Make sure queued data is on its way before telling the writer to wait.
  tcpPushPendingFrames(sk);
  return -EAGAIN;
}

/** tcp_cleanup_rbuf: after reading, ACK if we owe one or the window grew a lot. */
function tcpCleanupRbuf(sk: TcpSock, copied: number): void {
  let timeToAck = false;
  const a = sk.icskAck;
  if (a.pending & ICSK_ACK_SCHED) {
    if (((sk.rcvNxt - sk.rcvWup) >>> 0) > a.rcvMss ||
      (copied > 0 && ((a.pending & ICSK_ACK_PUSHED2) || ((a.pending & ICSK_ACK_PUSHED) && !a.pingpong)) && !sk.skRmemAlloc)) timeToAck = true;
  }
  if (copied > 0 && !timeToAck && !(sk.skShutdown & RCV_SHUTDOWN)) {
    const now = tcpReceiveWindow(sk);
    if (2 * now <= sk.windowClamp) {
      const nw = __tcpSelectWindow(sk);
      if (nw && nw >= 2 * now) timeToAck = true;
    }
  }
  if (timeToAck) tcpSendAck(sk);
}

function tcpEatSkb(sk: TcpSock, skb: SkBuff): void {
  skbUnlink(skb, sk.skReceiveQueue);
  consumeSkb(skb);
}

/**
 * tcp_recvmsg: copy in-order bytes to msg.iov. Returns bytes read, 0 at EOF, or -errno
 * (-EAGAIN when nothing is there yet).
 */
export function tcpRecvmsg(sk: TcpSock, msg: Msghdr, flags: number): number {
  if (sk.skState === TCP_LISTEN) return -ENOTCONN;
  if (flags & MSG_OOB) return -EINVAL;
  const peek = (flags & MSG_PEEK) !== 0;
  let len = 0;
  for (const b of msg.iov) len += b.length;
  const target = sockRcvlowat(sk, (flags & MSG_WAITALL) !== 0, len);
  let seq = sk.copiedSeq;
  let copied = 0;
  let iovI = 0, iovOff = 0;
  let fin = false;
  let skb = sk.skReceiveQueue.first;
  while (skb !== null && copied < len) {
    let offset = (seq - skb.cb.seq) | 0;
    if (skb.cb.tcpFlags & TCPHDR_SYN) offset--;
    const next: SkBuff | null = skb.next;
    if (offset < skb.len) {
      let used = skb.len - offset;
      if (used > len - copied) used = len - copied;
      let remaining = used;
      let src = skb.data + offset;
      while (remaining > 0) {
        const dst = msg.iov[iovI];
        const n = Math.min(remaining, dst.length - iovOff);
        dst.set(skb.head.subarray(src, src + n), iovOff);
        iovOff += n;
        src += n;
        remaining -= n;
        if (iovOff === dst.length) {
          iovI++;
          iovOff = 0;
        }
      }
      seq = (seq + used) >>> 0;
      copied += used;
      if (used + offset < skb.len) break;
    }
    if (skb.cb.tcpFlags & TCPHDR_FIN) {
      seq = (seq + 1) >>> 0;
      fin = true;
      if (!peek) tcpEatSkb(sk, skb);
      break;
    }
    if (!peek) tcpEatSkb(sk, skb);
    skb = next;
  }
  if (!peek) sk.copiedSeq = seq;
  msg.flags = 0;
  if (copied === 0 && len > 0) {
    if (fin || (sk.skFlags & SOCK_DONE)) return 0;
    if (sk.skErr) return sockError(sk);
    if (sk.skShutdown & RCV_SHUTDOWN) return 0;
    if (sk.skState === TCP_CLOSE) return (sk.skFlags & SOCK_DONE) ? 0 : -ENOTCONN;
    return -EAGAIN;
  }
  if (!peek) {
    tcpRcvSpaceAdjust(sk);
    tcpCleanupRbuf(sk, copied);
  }
  if (sk.recvmsgInq && msg.control !== undefined) putInqCmsg(msg.control, tcpInqHint(sk));
  void target;
  return copied;
}

/**
 * tcp_inq_hint: bytes left to read; after a FIN at least 1, so the reader knows to read on
 * (to the EOF).
 */
export function tcpInqHint(sk: TcpSock): number {
  const inq = (sk.rcvNxt - sk.copiedSeq) | 0;
  if (inq <= 0) return sk.skFlags & SOCK_DONE ? 1 : 0;
  return inq;
}

/** put_cmsg(SOL_TCP, TCP_CM_INQ): one per call, so a read retried after a wait keeps the last. */
function putInqCmsg(control: Cmsghdr[], inq: number): void {
  for (const c of control) {
    if (c.level === SOL_TCP && c.type === TCP_CM_INQ) {
      c.data = inq;
      return;
    }
  }
  control.push({ level: SOL_TCP, type: TCP_CM_INQ, data: inq });
}

/** tcp_close_state: the state after close()/shutdown(SHUT_WR), and whether to send FIN. */
const NEW_STATE: number[] = [];
NEW_STATE[TCP_ESTABLISHED] = TCP_FIN_WAIT1 | 0x10;
NEW_STATE[TCP_SYN_SENT] = TCP_CLOSE;
NEW_STATE[TCP_SYN_RECV] = TCP_FIN_WAIT1 | 0x10;
NEW_STATE[TCP_FIN_WAIT1] = TCP_FIN_WAIT1;
NEW_STATE[TCP_FIN_WAIT2] = TCP_FIN_WAIT2;
NEW_STATE[TCP_TIME_WAIT] = TCP_CLOSE;
NEW_STATE[TCP_CLOSE] = TCP_CLOSE;
NEW_STATE[TCP_CLOSE_WAIT] = TCP_LAST_ACK | 0x10;
NEW_STATE[TCP_LAST_ACK] = TCP_LAST_ACK;
NEW_STATE[TCP_LISTEN] = TCP_CLOSE;
NEW_STATE[TCP_CLOSING] = TCP_CLOSING;

function tcpCloseState(sk: TcpSock): boolean {
  const next = NEW_STATE[sk.skState];
  const ns = next & 0xf;
  if (ns === TCP_CLOSE && sk.skState === TCP_SYN_SENT) {
    tcpSetState(sk, TCP_CLOSE);
    return false;
  }
  tcpSetState(sk, ns);
  return (next & 0x10) !== 0;
}

/** tcp_shutdown: SHUT_WR sends FIN (how is the RCV_SHUTDOWN/SEND_SHUTDOWN mask). */
export function tcpShutdown(sk: TcpSock, how: number): void {
  if (!(how & SEND_SHUTDOWN)) return;
  const s = sk.skState;
  if (s === TCP_ESTABLISHED || s === TCP_SYN_SENT || s === TCP_SYN_RECV || s === TCP_CLOSE_WAIT) {
    if (tcpCloseState(sk)) tcpSendFin(sk);
  }
}

/**
 * tcp_close: RST if unread data or SO_LINGER 0, else FIN; the socket becomes an orphan that
 * finishes the close on its own (FIN_WAIT2 and TIME_WAIT via mini socks). A non-zero linger
 * time is the socket layer's to wait for (watch skState).
 */
export function tcpClose(sk: TcpSock, timeoutMs: number): void {
  const tn = tcpNet(sk.skNet);
  sk.skShutdown = SHUTDOWN_MASK;
  sk.closed = true;
  void timeoutMs;
  if (sk.skState === TCP_LISTEN) {
    tcpSetState(sk, TCP_CLOSE);
    inetCskListenStop(sk);
  } else {
    let unread = 0;
    let skb: SkBuff | null;
    while ((skb = sk.skReceiveQueue.first) !== null) {
      skbUnlink(skb, sk.skReceiveQueue);
      unread += ((skb.cb.endSeq - skb.cb.seq) >>> 0) - ((skb.cb.tcpFlags & TCPHDR_FIN) ? 1 : 0);
      consumeSkb(skb);
    }
    // Bytes already read past copied_seq do not count.
    if (sk.skState !== TCP_CLOSE) {
      if (unread > 0 && after(sk.rcvNxt, sk.copiedSeq)) {
        // RFC 2525 §2.17: closing with unread data aborts with RST.
        tcpSetState(sk, TCP_CLOSE);
        tcpSendActiveReset(sk);
        tn.ext.TCPAbortOnClose++;
      } else if ((sk.skFlags & SOCK_LINGER) && !sk.skLingertime) {
        tcpDisconnect(sk, 0);
        tn.ext.TCPAbortOnData++;
      } else if (tcpCloseState(sk)) tcpSendFin(sk);
    }
  }
  const state = sk.skState;
  sk.skFlags |= SOCK_DEAD;
  sk.skSocket = null;
  tn.orphanCount++;
  if (state !== TCP_CLOSE && sk.skState === TCP_FIN_WAIT2) {
    if (sk.linger2 < 0) {
      tcpSetState(sk, TCP_CLOSE);
      tcpSendActiveReset(sk);
      tn.ext.TCPAbortOnLinger++;
    } else {
      const tmo = tcpFinTime(sk);
      if (tmo > TCP_TIMEWAIT_LEN) inetCskResetKeepaliveTimer(sk, tmo - TCP_TIMEWAIT_LEN);
      else {
        tcpTimeWait(sk, TCP_FIN_WAIT2, tmo);
        return;
      }
    }
  }
  if (sk.skState === TCP_CLOSE) tcpDestroySock(sk);
}

function tcpNeedReset(state: number): boolean {
  return state === TCP_ESTABLISHED || state === TCP_CLOSE_WAIT || state === TCP_FIN_WAIT1 || state === TCP_FIN_WAIT2 || state === TCP_SYN_RECV;
}

/** tcp_disconnect: abort (RST when needed) and return the sock to a reusable CLOSE state. */
export function tcpDisconnect(sk: TcpSock, _flags: number): number {
  const old = sk.skState;
  if (old !== TCP_CLOSE) tcpSetState(sk, TCP_CLOSE);
  if (old === TCP_LISTEN) inetCskListenStop(sk);
  else if (tcpNeedReset(old) || (sk.sndNxt !== sk.writeSeq && (old === TCP_CLOSING || old === TCP_LAST_ACK))) {
    tcpSendActiveReset(sk);
    sk.skErr = ECONNRESET;
  } else if (old === TCP_SYN_SENT) sk.skErr = ECONNRESET;
  inetCskClearXmitTimers(sk);
  skbQueuePurge(sk.skReceiveQueue);
  tcpWriteQueuePurge(sk);
  tcpFreeFastopenReq(sk);
  sk.inetDeferConnect = false;
  let skb: SkBuff | null;
  while ((skb = sk.ooo.pop()) !== null) kfreeSkbReason(skb, 80);
  sk.inetDport = 0;
  if (!(sk.skUserlocks & SOCK_BINDADDR_LOCK)) sk.inetRcvSaddr = sk.inetSaddr = 0;
  sk.skShutdown = 0;
  sk.skFlags &= ~SOCK_DONE;
  sk.srttUs = 0;
  sk.mdevUs = TCP_TIMEOUT_INIT * 1000;
  sk.rttvarUs = 0;
  sk.minRtt = new MinMax();
  sk.writeSeq = (sk.writeSeq + sk.maxWindow + 2) >>> 0;
  sk.icskBackoff = 0;
  sk.icskProbesOut = 0;
  sk.icskRetransmits = 0;
  sk.icskRto = TCP_TIMEOUT_INIT;
  sk.sndSsthresh = TCP_INFINITE_SSTHRESH;
  sk.sndCwnd = TCP_INIT_CWND;
  sk.sndCwndCnt = 0;
  sk.packetsOut = 0;
  sk.icskCaState = TCP_CA_Open;
  sk.rxOpt.sackOk = sk.rxOpt.tstampOk = sk.rxOpt.wscaleOk = false;
  sk.rxOpt.numSacks = 0;
  sk.rxOpt.dsack = false;
  sk.rxOpt.tsRecent = sk.rxOpt.tsRecentStamp = 0;
  sk.icskAck.pending = sk.icskAck.quick = sk.icskAck.pingpong = sk.icskAck.ato = 0;
  sk.maxWindow = 0;
  sk.sndWnd = 0;
  sk.totalRetrans = 0;
  sk.icskCaInitialized = false;
  sk.skErrorReport(sk);
  return 0;
}

/** tcp_poll */
export function tcpPoll(sk: TcpSock): number {
  const state = sk.skState;
  if (state === TCP_LISTEN) return sk.acceptQueue?.length ? EPOLLIN | POLLRDNORM : 0;
  let mask = 0;
  if (sk.skShutdown === SHUTDOWN_MASK || state === TCP_CLOSE) mask |= EPOLLHUP;
  if (sk.skShutdown & RCV_SHUTDOWN) mask |= EPOLLIN | POLLRDNORM | EPOLLRDHUP;
  if (state !== TCP_SYN_SENT && state !== TCP_SYN_RECV) {
    const avail = (sk.rcvNxt - sk.copiedSeq) >>> 0;
    if (avail >= Math.max(sk.skRcvlowat, 1) || (avail > 0 && sk.skRcvlowat <= 1)) mask |= EPOLLIN | POLLRDNORM;
    if (!(sk.skShutdown & SEND_SHUTDOWN)) {
      if (skStreamIsWriteable(sk) && tcpStreamMemoryFree(sk, true)) mask |= EPOLLOUT | POLLWRNORM;
      else sk.skFlags |= SOCK_NOSPACE;
    } else mask |= EPOLLOUT | POLLWRNORM;
    if (sk.urgData) mask |= EPOLLPRI;
  } else if (state === TCP_SYN_SENT && sk.inetDeferConnect) {
    // A deferred Fast Open connect is writable: the write sends the SYN with its data.
    mask |= EPOLLOUT | POLLWRNORM;
  }
  if (sk.skErr || sk.skErrorQueue.first !== null) mask |= EPOLLERR;
  return mask;
}

function intVal(v: SockoptVal): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** tcp_setsockopt (SOL_TCP) and the SOL_SOCKET options a stream socket acts on. */
export function tcpSetsockopt(sk: TcpSock, level: number, optname: number, v: SockoptVal): number {
  if (level === SOL_SOCKET) return tcpSockSetsockopt(sk, optname, v);
  if (level !== SOL_TCP) return -ENOPROTOOPT;
  if (optname === TCP_CONGESTION) {
    if (typeof v !== 'string') return -EFAULT;
    return tcpSetCongestionControl(sk, v);
  }
  const val = intVal(v);
  if (val === null) return -EINVAL;
  const tn = tcpNet(sk.skNet);
  switch (optname) {
    case TCP_MAXSEG:
      // RFC 9293 §3.7.1: a user MSS clamps what we send and advertise.
      if (val && (val < TCP_MIN_MSS || val > MAX_TCP_WINDOW)) return -EINVAL;
      sk.userMss = val;
      sk.rxOpt.userMss = val;
      return 0;
    case TCP_NODELAY:
      if (val) {
        sk.nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
        tcpPushPendingFrames(sk);
      } else sk.nonagle &= ~TCP_NAGLE_OFF;
      return 0;
    case TCP_CORK:
      if (val) sk.nonagle |= TCP_NAGLE_CORK;
      else {
        sk.nonagle &= ~TCP_NAGLE_CORK;
        if (sk.nonagle & TCP_NAGLE_OFF) sk.nonagle |= TCP_NAGLE_PUSH;
        tcpPushPendingFrames(sk);
      }
      return 0;
    case TCP_KEEPIDLE:
      if (val < 1 || val > MAX_TCP_KEEPIDLE) return -EINVAL;
      sk.keepaliveTime = val * 1000;
      if ((sk.skFlags & SOCK_KEEPOPEN) && sk.skState !== TCP_CLOSE && sk.skState !== TCP_LISTEN) {
        const elapsed = sk.jiffies - Math.max(sk.icskAck.lrcvtime, sk.rcvTstamp);
        inetCskResetKeepaliveTimer(sk, Math.max(sk.keepaliveTime - elapsed, 0));
      }
      return 0;
    case TCP_KEEPINTVL:
      if (val < 1 || val > MAX_TCP_KEEPINTVL) return -EINVAL;
      sk.keepaliveIntvl = val * 1000;
      return 0;
    case TCP_KEEPCNT:
      if (val < 1 || val > MAX_TCP_KEEPCNT) return -EINVAL;
      sk.keepaliveProbes = val;
      return 0;
    case TCP_SYNCNT:
      if (val < 1 || val > MAX_TCP_SYNCNT) return -EINVAL;
      sk.icskSynRetries = val;
      return 0;
    case TCP_LINGER2:
      if (val < 0) sk.linger2 = -1;
      else if (val > TCP_FIN_TIMEOUT / 1000 * 2) sk.linger2 = TCP_FIN_TIMEOUT * 2;
      else sk.linger2 = val * 1000;
      return 0;
    case TCP_DEFER_ACCEPT:
      sk.deferAccept = Math.max(0, val);
      return 0;
    case TCP_WINDOW_CLAMP:
      if (!val) {
        if (sk.skState !== TCP_CLOSE) return -EINVAL;
        sk.windowClamp = 0;
      } else sk.windowClamp = Math.max(val, SOCK_MIN_RCVBUF_HALF);
      sk.windowClampOpt = sk.windowClamp;
      return 0;
    case TCP_QUICKACK:
      if (val) {
        sk.icskAck.pingpong = 0;
        if (sk.icskAck.pending & ICSK_ACK_SCHED && sk.skState !== TCP_LISTEN) tcpSendAck(sk);
        tcpEnterQuickackMode(sk, TCP_MAX_QUICKACKS);
      } else sk.icskAck.pingpong = 3;
      return 0;
    case TCP_USER_TIMEOUT:
      if (val < 0) return -EINVAL;
      sk.icskUserTimeout = val;
      return 0;
    case TCP_NOTSENT_LOWAT:
      sk.notsentLowat = val;
      tcpCheckWriteSpace(sk);
      return 0;
    case TCP_INQ:
      if (val < 0 || val > 1) return -EINVAL;
      sk.recvmsgInq = val === 1;
      return 0;
    case TCP_FASTOPEN_CONNECT:
      if (val < 0 || val > 1) return -EINVAL;
      if (!(tn.sysctl.tcp_fastopen & TFO_CLIENT_ENABLE)) return -EOPNOTSUPP;
      // Only before the connect: it decides what connect() does.
      if (sk.skState !== TCP_CLOSE) return -EINVAL;
      sk.fastopenConnect = val === 1;
      return 0;
    default:
      void tn;
      return -ENOPROTOOPT;
  }
}
const SOCK_MIN_RCVBUF_HALF = 1152;

function tcpCheckWriteSpace(sk: TcpSock): void {
  if (sk.skSocket !== null && skStreamMemoryFree(sk)) sk.skWriteSpace(sk);
}

/** The SOL_SOCKET options with TCP side effects (sock_setsockopt → sk_prot->keepalive ...). */
function tcpSockSetsockopt(sk: TcpSock, optname: number, v: SockoptVal): number {
  const tn = tcpNet(sk.skNet);
  if (optname === SO_LINGER) {
    if (typeof v !== 'object' || v instanceof Uint8Array) return -EINVAL;
    const onoff = Number((v as Record<string, unknown>).onoff ?? (v as Record<string, unknown>).l_onoff ?? 0);
    const linger = Number((v as Record<string, unknown>).linger ?? (v as Record<string, unknown>).l_linger ?? 0);
    if (!onoff) sk.skFlags &= ~SOCK_LINGER;
    else {
      sk.skFlags |= SOCK_LINGER;
      sk.skLingertime = Math.max(0, linger) * 1000;
    }
    return 0;
  }
  const val = intVal(v);
  if (val === null) return -EINVAL;
  switch (optname) {
    case SO_KEEPALIVE:
      tcpSetKeepalive(sk, val !== 0);
      if (val) sk.skFlags |= SOCK_KEEPOPEN;
      else sk.skFlags &= ~SOCK_KEEPOPEN;
      return 0;
    case SO_REUSEADDR:
      sk.skReuse = val ? 1 : 0;
      return 0;
    case SO_REUSEPORT:
      sk.skReuseport = val !== 0;
      return 0;
    case SO_RCVBUF: {
      const max = Number(sk.skNet.sysctls.get('net.core.rmem_max')?.get() ?? 212992);
      sk.skUserlocks |= SOCK_RCVBUF_LOCK;
      sk.skRcvbuf = Math.max(Math.min(val, max) * 2, 2304);
      return 0;
    }
    case SO_SNDBUF: {
      const max = Number(sk.skNet.sysctls.get('net.core.wmem_max')?.get() ?? 212992);
      sk.skUserlocks |= SOCK_SNDBUF_LOCK;
      sk.skSndbuf = Math.max(Math.min(val, max) * 2, 4608);
      sk.skWriteSpace(sk);
      return 0;
    }
    case SO_RCVLOWAT:
      sk.skRcvlowat = val || 1;
      return 0;
    default:
      void tn;
      return -ENOPROTOOPT;
  }
}

/** tcp_getsockopt */
export function tcpGetsockopt(sk: TcpSock, level: number, optname: number): SockoptVal | number {
  const tn = tcpNet(sk.skNet);
  if (level === SOL_SOCKET) {
    switch (optname) {
      case SO_KEEPALIVE: return (sk.skFlags & SOCK_KEEPOPEN) ? 1 : 0;
      case SO_REUSEADDR: return sk.skReuse;
      case SO_REUSEPORT: return sk.skReuseport ? 1 : 0;
      case SO_RCVBUF: return sk.skRcvbuf;
      case SO_SNDBUF: return sk.skSndbuf;
      case SO_ERROR: return -sockError(sk);
      case SO_TYPE: return SOCK_STREAM;
      case SO_PROTOCOL: return IPPROTO_TCP;
      case SO_DOMAIN: return AF_INET;
      case SO_ACCEPTCONN: return sk.skState === TCP_LISTEN ? 1 : 0;
      case SO_RCVLOWAT: return sk.skRcvlowat;
      case SO_LINGER: return { l_onoff: (sk.skFlags & SOCK_LINGER) ? 1 : 0, l_linger: Math.floor(sk.skLingertime / 1000) };
      default: return -ENOPROTOOPT;
    }
  }
  if (level !== SOL_TCP) return -ENOPROTOOPT;
  switch (optname) {
    case TCP_MAXSEG: {
      let v = sk.mssCache;
      if (!v && (sk.skState === TCP_CLOSE || sk.skState === TCP_LISTEN)) v = sk.rxOpt.userMss;
      if (sk.skState === TCP_CLOSE || sk.skState === TCP_LISTEN) v = sk.rxOpt.userMss || TCP_MSS_DEFAULT;
      return v;
    }
    case TCP_NODELAY: return (sk.nonagle & TCP_NAGLE_OFF) ? 1 : 0;
    case TCP_CORK: return (sk.nonagle & TCP_NAGLE_CORK) ? 1 : 0;
    case TCP_KEEPIDLE: return Math.floor((sk.keepaliveTime || tn.sysctl.tcp_keepalive_time * 1000) / 1000);
    case TCP_KEEPINTVL: return Math.floor((sk.keepaliveIntvl || tn.sysctl.tcp_keepalive_intvl * 1000) / 1000);
    case TCP_KEEPCNT: return sk.keepaliveProbes || tn.sysctl.tcp_keepalive_probes;
    case TCP_SYNCNT: return sk.icskSynRetries || tn.sysctl.tcp_syn_retries;
    case TCP_LINGER2: return sk.linger2 < 0 ? -1 : Math.floor((sk.linger2 || tn.sysctl.tcp_fin_timeout * 1000) / 1000);
    case TCP_DEFER_ACCEPT: return sk.deferAccept;
    case TCP_WINDOW_CLAMP: return sk.windowClamp;
    case TCP_INFO: return tcpGetInfo(sk) as unknown as Record<string, unknown>;
    case TCP_QUICKACK: return sk.icskAck.quick > 0 && !sk.icskAck.pingpong ? 1 : 0;
    case TCP_CONGESTION: return (sk.icskCaOps ?? { name: tn.sysctl.tcp_congestion_control }).name;
    case TCP_USER_TIMEOUT: return sk.icskUserTimeout;
    case TCP_NOTSENT_LOWAT: return sk.notsentLowat;
    case TCP_INQ: return sk.recvmsgInq ? 1 : 0;
    case TCP_FASTOPEN_CONNECT: return sk.fastopenConnect ? 1 : 0;
    default: return -ENOPROTOOPT;
  }
}

