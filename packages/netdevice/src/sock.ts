// net/core/sock.c: the protocol-neutral struct sock, its default wakeups and memory accounting.
// Stream and datagram transports share it; nothing here knows TCP or UDP.
import { traceEvent } from './tracepoint.js';
import type { DstEntry, Net, Proto, SkBuff, Sock, Socket, SysctlEntry, TimerList } from '@knet/include';
import {
  AF_INET, ENOMEM, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, POLLRDBAND, POLLRDNORM,
  POLLWRBAND, POLLWRNORM, SOCK_DEAD, SOCK_NOSPACE, SOCK_USE_WRITE_QUEUE, TCP_CLOSE, IP_PMTUDISC_WANT,
} from '@knet/include';
import { SkBuffHead, skbQueueTail } from '@knet/skbuff';
import { delTimer, modTimer } from '@knet/softirq';
import { SK_ERROR_QUEUE_EMPTY } from './sock_errqueue.js';

// The error queue and MSG_ZEROCOPY completions, sock.c's and skbuff.c's, in files of their own.
export * from './sock_errqueue.js';
export * from './sock_zerocopy.js';

/** Linux's SK_WMEM_MAX / SK_RMEM_MAX defaults (net.core.{w,r}mem_{default,max}). */
export const SK_MEM_DEFAULT = 212992;
/** SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF: 2 * (2048 + sizeof(struct sk_buff)) rounded as Linux does. */
export const SOCK_MIN_SNDBUF = 4608, SOCK_MIN_RCVBUF = 2304;
/** Page-sized accounting quantum (SK_MEM_QUANTUM). */
export const SK_MEM_QUANTUM = 4096;

/** A plain read/write sysctl holding a number or a vector. */
export class SysctlValue implements SysctlEntry {
  constructor(public value: number | string | number[], private readonly check: ((v: number | string | number[]) => boolean) | null = null) {}
  get(): number | string | number[] {
    return this.value;
  }
  set(v: number | string | number[]): number {
    if (this.check !== null && !this.check(v)) return -22;
    this.value = v;
    return 0;
  }
}

/** Register `name` with `dflt` unless a layer already did; returns the entry. */
export function sysctlRegisterDefault(net: Net, name: string, dflt: number | string | number[], check: ((v: number | string | number[]) => boolean) | null = null): SysctlEntry {
  let e = net.sysctls.get(name);
  if (e === undefined) {
    e = new SysctlValue(dflt, check);
    net.sysctls.set(name, e);
  }
  return e;
}

/** Current numeric value of a sysctl, or `dflt` if it is missing or not a number. */
export function sysctlInt(net: Net, name: string, dflt: number): number {
  const e = net.sysctls.get(name);
  if (e === undefined) return dflt;
  const v = e.get();
  return typeof v === 'number' ? v : dflt;
}

/** net.core sysctls the sock core reads. */
export function sockCoreSysctlsInit(net: Net): void {
  sysctlRegisterDefault(net, 'net.core.rmem_default', SK_MEM_DEFAULT);
  sysctlRegisterDefault(net, 'net.core.wmem_default', SK_MEM_DEFAULT);
  sysctlRegisterDefault(net, 'net.core.rmem_max', SK_MEM_DEFAULT);
  sysctlRegisterDefault(net, 'net.core.wmem_max', SK_MEM_DEFAULT);
  sysctlRegisterDefault(net, 'net.core.somaxconn', 4096);
}

const POLL_ALL = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND;

/** Call every waiter on the socket's wait queue with `mask`. */
export function skWakeWaiters(sk: Sock, mask: number): void {
  const sock = sk.skSocket;
  if (sock === null || sock.wq.waiters.size === 0) return;
  for (const w of sock.wq.waiters) w(mask);
}

/** sock_def_readable */
export function sockDefReadable(sk: Sock): void {
  // The seeds name this step by its hook, sk->sk_data_ready.
  if (sk.skNet.trace !== null) traceEvent(sk.skNet, 'skDataReady');
  skWakeWaiters(sk, EPOLLIN | POLLRDNORM | POLLRDBAND);
}

/** sock_def_write_space: wake writers once half the send buffer is free. */
export function sockDefWriteSpace(sk: Sock): void {
  if (sk.skWmemAlloc * 2 <= sk.skSndbuf) skWakeWaiters(sk, EPOLLOUT | POLLWRNORM | POLLWRBAND);
}

/** sock_def_wakeup (sk_state_change): everyone wakes and re-polls. */
export function sockDefWakeup(sk: Sock): void {
  skWakeWaiters(sk, POLL_ALL);
}

/** sock_def_error_report */
export function sockDefErrorReport(sk: Sock): void {
  skWakeWaiters(sk, EPOLLERR);
}

/**
 * struct sock + struct inet_sock. Every field is set here so all socks share one shape;
 * protocols subclass it (TcpSock, UdpSock).
 */
export class InetSock implements Sock {
  skNet: Net;
  skFamily = AF_INET;
  skType = 0;
  skProtocol = 0;
  skState = TCP_CLOSE;
  skReuse = 0;
  skReuseport = false;
  skBoundDevIf = 0;
  skFlags = 0;
  skUserlocks = 0;
  skShutdown = 0;
  skErr = 0;
  skErrSoft = 0;
  skRcvbuf: number;
  skSndbuf: number;
  skRmemAlloc = 0;
  skWmemAlloc = 0;
  skWmemQueued = 0;
  skForwardAlloc = 0;
  skRcvlowat = 1;
  skRcvtimeo = 0;
  skSndtimeo = 0;
  skLingertime = 0;
  skPriority = 0;
  skMark = 0;
  skAckBacklog = 0;
  skMaxAckBacklog = 0;
  skReceiveQueue = new SkBuffHead();
  skWriteQueue = new SkBuffHead();
  skErrorQueue: SkBuffHead = SK_ERROR_QUEUE_EMPTY;
  skZckey = 0;
  skDst: DstEntry | null = null;
  skProt: Proto;
  skSocket: Socket | null = null;
  skDataReady: (sk: Sock) => void = sockDefReadable;
  skWriteSpace: (sk: Sock) => void = sockDefWriteSpace;
  skStateChange: (sk: Sock) => void = sockDefWakeup;
  skErrorReport: (sk: Sock) => void = sockDefErrorReport;
  /** Packets dropped at this socket (sk_drops). */
  skDrops = 0;
  /** Route capabilities (NETIF_F_*) of the cached route's device (sk_route_caps). */
  skRouteCaps = 0;
  skGsoMaxSize = 0;
  skGsoMaxSegs = 0;
  /** Pacing rate in bytes/s (sk_pacing_rate), informational. */
  skPacingRate = 0;
  skMaxPacingRate = 0xffffffff;
  skPacingStatus = 0;
  skTxhash = 0;
  /** Receive-queue bytes of the backlog (sk_backlog.len), for accounting symmetry. */
  skBacklogLen = 0;
  inetSaddr = 0;
  inetRcvSaddr = 0;
  inetDaddr = 0;
  inetSport = 0;
  inetDport = 0;
  inetNum = 0;
  inetId = 0;
  ucTtl = -1;
  tos = 0;
  pmtudisc = IP_PMTUDISC_WANT;
  recverr = false;
  inetDeferConnect = false;

  constructor(net: Net, prot: Proto) {
    this.skNet = net;
    this.skProt = prot;
    this.skRcvbuf = sysctlInt(net, 'net.core.rmem_default', SK_MEM_DEFAULT);
    this.skSndbuf = sysctlInt(net, 'net.core.wmem_default', SK_MEM_DEFAULT);
  }
}

/** sock_init_data: tie the sock to its socket and install the default wakeups. */
export function sockInitData(sock: Socket | null, sk: Sock): void {
  sk.skSocket = sock;
  if (sock !== null) {
    sk.skType = sock.type;
    sock.sk = sk;
  }
  sk.skDataReady = sockDefReadable;
  sk.skWriteSpace = sockDefWriteSpace;
  sk.skStateChange = sockDefWakeup;
  sk.skErrorReport = sockDefErrorReport;
  sk.skRcvlowat = 1;
}

/** sock_graft: attach an accepted sock to its new socket. */
export function sockGraft(sk: Sock, sock: Socket): void {
  sk.skSocket = sock;
  sock.sk = sk;
}

/** sock_orphan: the file side is gone; the sock lives on for the protocol only. */
export function sockOrphan(sk: Sock): void {
  sockSetFlag(sk, SOCK_DEAD);
  sk.skSocket = null;
}

export function sockSetFlag(sk: Sock, flag: number): void {
  sk.skFlags |= flag;
}
export function sockResetFlag(sk: Sock, flag: number): void {
  sk.skFlags &= ~flag;
}
export function sockFlag(sk: Sock, flag: number): boolean {
  return (sk.skFlags & flag) !== 0;
}

function sockRfree(skb: SkBuff): void {
  const sk = skb.sk;
  if (sk === null) return;
  sk.skRmemAlloc -= skb.truesize;
  sk.skForwardAlloc += skb.truesize;
}

function sockWfree(skb: SkBuff): void {
  const sk = skb.sk;
  if (sk === null) return;
  sk.skWmemAlloc -= skb.truesize;
  if (!sockFlag(sk, SOCK_USE_WRITE_QUEUE)) sk.skWriteSpace(sk);
}

/** skb_set_owner_r: charge the skb to the receive buffer until it is freed. */
export function skSetOwnerR(skb: SkBuff, sk: Sock): void {
  skbOrphan(skb);
  skb.sk = sk;
  skb.destructor = sockRfree;
  sk.skRmemAlloc += skb.truesize;
  sk.skForwardAlloc -= skb.truesize;
}

/** skb_set_owner_w: charge a transmitted skb to the send buffer until the driver frees it. */
export function skSetOwnerW(skb: SkBuff, sk: Sock): void {
  skbOrphan(skb);
  skb.sk = sk;
  skb.destructor = sockWfree;
  sk.skWmemAlloc += skb.truesize;
}

/** skb_orphan: run and drop the destructor, so the skb no longer charges a socket. */
export function skbOrphan(skb: SkBuff): void {
  const d = skb.destructor;
  if (d !== null) {
    skb.destructor = null;
    d(skb);
  }
  skb.sk = null;
}

/** sk_mem_schedule: reserve forward-alloc quanta for `size` more bytes. Always grants (no global pressure model). */
export function skWmemSchedule(sk: Sock, size: number): boolean {
  if (size <= sk.skForwardAlloc) return true;
  const need = size - sk.skForwardAlloc;
  sk.skForwardAlloc += Math.ceil(need / SK_MEM_QUANTUM) * SK_MEM_QUANTUM;
  return true;
}
export const skRmemSchedule = skWmemSchedule;

/** sk_mem_charge / sk_mem_uncharge */
export function skMemCharge(sk: Sock, size: number): void {
  sk.skForwardAlloc -= size;
}
export function skMemUncharge(sk: Sock, size: number): void {
  sk.skForwardAlloc += size;
}

/** sk_mem_reclaim: give back whole quanta of the forward allocation. */
export function skMemReclaim(sk: Sock): void {
  if (sk.skForwardAlloc >= SK_MEM_QUANTUM) sk.skForwardAlloc &= SK_MEM_QUANTUM - 1;
}

/**
 * sock_queue_rcv_skb: queue a datagram for reading, charged to sk_rcvbuf. -ENOMEM when the
 * buffer is full (the caller frees the skb and counts the drop).
 */
export function sockQueueRcvSkb(sk: Sock, skb: SkBuff): number {
  if (sk.skNet.trace !== null) traceEvent(sk.skNet, 'sockQueueRcvSkb');
  if (sk.skRmemAlloc + skb.truesize > sk.skRcvbuf) {
    skDropsAdd(sk);
    return -ENOMEM;
  }
  skSetOwnerR(skb, sk);
  skb.dst = null;
  skbQueueTail(sk.skReceiveQueue, skb);
  if (!sockFlag(sk, SOCK_DEAD)) sk.skDataReady(sk);
  return 0;
}

/** atomic_inc(&sk->sk_drops) */
export function skDropsAdd(sk: Sock): void {
  if (sk instanceof InetSock) sk.skDrops++;
}

/** sk_reset_timer */
export function skResetTimer(sk: Sock, timer: TimerList, expires: number): void {
  modTimer(sk.skNet, timer, expires);
}

/** sk_stop_timer */
export function skStopTimer(sk: Sock, timer: TimerList): void {
  delTimer(sk.skNet, timer);
}

/** sock_error: the pending error as -errno, cleared. 0 if none. */
export function sockError(sk: Sock): number {
  const err = sk.skErr;
  if (err === 0) return 0;
  sk.skErr = 0;
  return -err;
}

/** sock_rcvlowat: bytes a reader waits for. */
export function sockRcvlowat(sk: Sock, waitall: boolean, len: number): number {
  const v = waitall ? len : Math.min(sk.skRcvlowat, len);
  return v || 1;
}

/** sk_set_bit(SOCKWQ_ASYNC_NOSPACE) equivalent. */
export function skSetNospace(sk: Sock): void {
  sk.skFlags |= SOCK_NOSPACE;
}
