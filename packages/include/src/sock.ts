import type { SkBuff } from './skbuff.js';
import type { Net, SkBuffHead } from './net.js';
import type { DstEntry } from './dst.js';
import type { IpRecverrCmsg } from './errqueue.js';

/** struct sockaddr_in, host byte order. */
export interface SockaddrIn {
  family: number;
  port: number;
  addr: number;
}

/** One control message (struct cmsghdr): level, type and its value. */
export interface Cmsghdr {
  level: number;
  type: number;
  data: number | Uint8Array | IpRecverrCmsg;
}

/** struct msghdr. `iov` is read (send) or filled (recv); recv sets `name` and `flags`. */
export interface Msghdr {
  name: SockaddrIn | null;
  iov: Uint8Array[];
  /** MSG_* flags reported back by recvmsg (MSG_TRUNC ...). */
  flags: number;
  /** msg_control: recvmsg appends control messages here when the caller supplies an array. */
  control?: Cmsghdr[];
}

/** A socket option value: integers as numbers, structs as plain objects, raw bytes as Uint8Array. */
export type SockoptVal = number | string | Uint8Array | Record<string, unknown>;

/**
 * The waiters of a wait queue: a Set serves, and so does a leaner list for queues that are
 * mostly empty (a socket's). Wakers may iterate while a woken waiter adds or deletes.
 */
export interface WaiterSet extends Iterable<(mask: number) => void> {
  readonly size: number;
  add(w: (mask: number) => void): unknown;
  delete(w: (mask: number) => void): boolean;
}

/** Waiters on a socket (struct socket_wq / wait_queue_head). Wakers pass an EPOLL* mask. */
export interface WaitQueueHead {
  readonly waiters: WaiterSet;
}

/** sk->sk_flags bits (enum sock_flags) */
export const SOCK_DEAD = 1 << 0, SOCK_DONE = 1 << 1, SOCK_URGINLINE = 1 << 2,
  SOCK_KEEPOPEN = 1 << 3, SOCK_LINGER = 1 << 4, SOCK_DESTROY = 1 << 5, SOCK_BROADCAST = 1 << 6,
  SOCK_RCVTSTAMP = 1 << 7, SOCK_ZAPPED = 1 << 8, SOCK_USE_WRITE_QUEUE = 1 << 9,
  SOCK_QUEUE_SHRUNK = 1 << 10, SOCK_RCU_FREE = 1 << 11, SOCK_NOSPACE = 1 << 12,
  /** SO_ZEROCOPY: MSG_ZEROCOPY sends get completion notifications on the error queue. */
  SOCK_ZEROCOPY = 1 << 13;
/** sk->sk_userlocks */
export const SOCK_SNDBUF_LOCK = 1, SOCK_RCVBUF_LOCK = 2, SOCK_BINDADDR_LOCK = 4, SOCK_BINDPORT_LOCK = 8;
/** enum sk_pacing */
export const SK_PACING_NONE = 0, SK_PACING_NEEDED = 1, SK_PACING_FQ = 2;
/** socket->state */
export const SS_FREE = 0, SS_UNCONNECTED = 1, SS_CONNECTING = 2, SS_CONNECTED = 3, SS_DISCONNECTING = 4;

/**
 * struct sock with the inet_sock fields. Protocols extend it with their own class (TcpSock,
 * UdpSock) allocated by Proto.alloc. Addresses and ports are host order.
 */
export interface Sock {
  skNet: Net;
  skFamily: number;
  skType: number;
  skProtocol: number;
  /** TCP_* state; UDP uses TCP_CLOSE / TCP_ESTABLISHED as Linux does. */
  skState: number;
  skReuse: number;
  skReuseport: boolean;
  skBoundDevIf: number;
  skFlags: number;
  skUserlocks: number;
  skShutdown: number;
  /** Pending error, positive errno (sk_err), and the soft one (sk_err_soft). */
  skErr: number;
  skErrSoft: number;
  skRcvbuf: number;
  skSndbuf: number;
  skRmemAlloc: number;
  skWmemAlloc: number;
  skWmemQueued: number;
  skForwardAlloc: number;
  skRcvlowat: number;
  skRcvtimeo: number;
  skSndtimeo: number;
  skLingertime: number;
  skPriority: number;
  skMark: number;
  /** Bytes per second (sk_pacing_rate); ~0 is unlimited. */
  skPacingRate: number;
  skMaxPacingRate: number;
  /** SK_PACING_*: who paces this socket (sch_fq sets SK_PACING_FQ). */
  skPacingStatus: number;
  skAckBacklog: number;
  skMaxAckBacklog: number;
  skReceiveQueue: SkBuffHead;
  skWriteQueue: SkBuffHead;
  /** Notifications (zerocopy completions, IP_RECVERR errors); recvmsg(MSG_ERRQUEUE) reads them. */
  skErrorQueue: SkBuffHead;
  /** The next MSG_ZEROCOPY notification id (sk_zckey), a 32-bit counter. */
  skZckey: number;
  skDst: DstEntry | null;
  skProt: Proto;
  skSocket: Socket | null;
  /** Callbacks that wake the socket layer (sock_def_readable and friends). */
  skDataReady(sk: Sock): void;
  skWriteSpace(sk: Sock): void;
  skStateChange(sk: Sock): void;
  skErrorReport(sk: Sock): void;
  // inet_sock
  inetSaddr: number;
  inetRcvSaddr: number;
  inetDaddr: number;
  inetSport: number;
  inetDport: number;
  /** Local port (inet_num). */
  inetNum: number;
  inetId: number;
  ucTtl: number;
  tos: number;
  pmtudisc: number;
  recverr: boolean;
  /**
   * inet_sock DEFER_CONNECT: a TCP_FASTOPEN_CONNECT connect() returned 0 without a SYN; the
   * first write sends SYN with data (RFC 7413 §3).
   */
  inetDeferConnect: boolean;
}

/** struct socket: the file-facing half. */
export interface Socket {
  /** SS_* */
  state: number;
  type: number;
  /** O_NONBLOCK and friends. */
  flags: number;
  ops: ProtoOps;
  sk: Sock | null;
  wq: WaitQueueHead;
}

/**
 * struct proto: the transport (tcp_prot, udp_prot). These never block: where Linux would
 * sleep they return -EAGAIN (or -EINPROGRESS for connect) and the socket layer waits on the
 * wait queue, woken by skDataReady / skWriteSpace / skStateChange.
 */
export interface Proto {
  readonly name: string;
  /** sk_prot_alloc: a fresh sock of the protocol's own class. */
  alloc(net: Net): Sock;
  init?(sk: Sock): number;
  destroy?(sk: Sock): void;
  close(sk: Sock, timeoutMs: number): void;
  connect?(sk: Sock, addr: SockaddrIn): number;
  disconnect?(sk: Sock, flags: number): number;
  accept?(sk: Sock, flags: number): Sock | number;
  ioctl?(sk: Sock, cmd: number): number;
  shutdown?(sk: Sock, how: number): void;
  setsockopt?(sk: Sock, level: number, optname: number, val: SockoptVal): number;
  getsockopt?(sk: Sock, level: number, optname: number): SockoptVal | number;
  /** Bytes queued or -errno. */
  sendmsg(sk: Sock, msg: Msghdr, flags: number): number;
  /** Bytes read or -errno (-EAGAIN when it would block). */
  recvmsg(sk: Sock, msg: Msghdr, flags: number): number;
  bind?(sk: Sock, addr: SockaddrIn): number;
  backlogRcv?(sk: Sock, skb: SkBuff): number;
  hash(sk: Sock): number;
  unhash(sk: Sock): void;
  /** Pick or check the local port (inet_csk_get_port / udp_v4_get_port); 0 or -errno. */
  getPort(sk: Sock, snum: number): number;
  /** EPOLL* readiness for this sock. */
  poll?(sk: Sock): number;
  listen?(sk: Sock, backlog: number): number;
  /** SO_KEEPALIVE changed (tcp_set_keepalive): start or stop the keepalive timer. */
  keepalive?(sk: Sock, on: boolean): void;
}

/** struct proto_ops: the socket-level calls (inet_stream_ops, inet_dgram_ops). */
export interface ProtoOps {
  readonly name: string;
  readonly family: number;
  release(sock: Socket): number;
  bind(sock: Socket, addr: SockaddrIn): number;
  /** `isSendmsg`: called from a Fast Open sendmsg (__inet_stream_connect's is_sendmsg). */
  connect(sock: Socket, addr: SockaddrIn | null, flags: number, isSendmsg?: boolean): number;
  /** The new socket, or -errno (-EAGAIN when the queue is empty). */
  accept(sock: Socket, newsock: Socket, flags: number): number;
  getname(sock: Socket, peer: boolean): SockaddrIn | number;
  poll(sock: Socket): number;
  ioctl?(sock: Socket, cmd: number): number;
  listen(sock: Socket, backlog: number): number;
  shutdown(sock: Socket, how: number): number;
  setsockopt(sock: Socket, level: number, optname: number, val: SockoptVal): number;
  getsockopt(sock: Socket, level: number, optname: number): SockoptVal | number;
  sendmsg(sock: Socket, msg: Msghdr, flags: number): number;
  recvmsg(sock: Socket, msg: Msghdr, flags: number): number;
}
