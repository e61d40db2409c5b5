// net/socket.c, the protocol-neutral half: struct socket, the per-namespace family table
// (sock_register), sock_create/sock_release and sock_sendmsg/sock_recvmsg.
import type { Msghdr, Net, NetProtoFamily, ProtoOps, SockaddrIn, Socket, Sock, SockoptVal, WaitQueueHead, WaiterSet } from '@knet/include';
import {
  AF_MAX, EAFNOSUPPORT, EEXIST, EINVAL, ENOENT, EOPNOTSUPP, POLLHUP, POLLNVAL, SS_UNCONNECTED,
} from '@knet/include';

/** SOCK_MAX: one past SOCK_PACKET. */
const SOCK_MAX = 11;

type Waiter = (mask: number) => void;
/** Shared by every queue with no waiter. */
const NO_WAITERS: readonly Waiter[] = Object.freeze([]);

/**
 * struct socket_wq: a socket's wait queue. Most sockets have no waiter or one at a time, so
 * the queue is one copy-on-write array (shared and empty until the first waiter) rather than
 * a Set and its hash table: a wake walks the array it started with, so waiters that add or
 * delete themselves while woken change the next wake, not this one.
 */
export class SocketWq implements WaitQueueHead, WaiterSet {
  private list: readonly Waiter[] = NO_WAITERS;
  get waiters(): WaiterSet {
    return this;
  }
  get size(): number {
    return this.list.length;
  }
  add(w: Waiter): this {
    if (!this.list.includes(w)) this.list = [...this.list, w];
    return this;
  }
  delete(w: Waiter): boolean {
    const i = this.list.indexOf(w);
    if (i < 0) return false;
    this.list = this.list.length === 1 ? NO_WAITERS : this.list.filter((x) => x !== w);
    return true;
  }
  [Symbol.iterator](): Iterator<Waiter> {
    return this.list[Symbol.iterator]();
  }
}

/** struct socket. `flags` holds the file's O_NONBLOCK. */
export class KSocket implements Socket {
  state = SS_UNCONNECTED;
  type = 0;
  flags = 0;
  ops: ProtoOps = sockNoOps;
  sk: Sock | null = null;
  wq: WaitQueueHead = new SocketWq();
  /** IP_BIND_ADDRESS_NO_PORT (inet->bind_address_no_port): bind() leaves the port to connect(). */
  bindAddressNoPort = false;
  constructor(readonly net: Net) {}
}

function notSupp(): number {
  return -EOPNOTSUPP;
}

/** The sock_no_* operations: what a socket without a family can do. */
export const sockNoOps: ProtoOps = Object.freeze({
  name: 'none',
  family: 0,
  release: () => 0,
  bind: notSupp,
  connect: notSupp,
  accept: notSupp,
  getname: notSupp,
  poll: () => POLLNVAL,
  listen: notSupp,
  shutdown: notSupp,
  setsockopt: notSupp,
  getsockopt: notSupp,
  sendmsg: notSupp,
  recvmsg: notSupp,
});

/** Per-namespace socket state (net_families). */
export interface SocketNet {
  families: (NetProtoFamily | undefined)[];
}

declare module '@knet/include' {
  interface NetGeneric {
    socket?: SocketNet;
  }
}

function socketNet(net: Net): SocketNet {
  let s = net.gen.socket;
  if (s === undefined) {
    s = { families: [] };
    net.gen.socket = s;
  }
  return s;
}

/** sock_register: socket(family, ...) now goes to `ops.create`. 0, or -EEXIST/-ENOBUFS. */
export function sockRegister(net: Net, ops: NetProtoFamily): number {
  if (ops.family < 0 || ops.family >= AF_MAX) return -EINVAL;
  const s = socketNet(net);
  if (s.families[ops.family] !== undefined) return -EEXIST;
  s.families[ops.family] = ops;
  return 0;
}

/** sock_unregister */
export function sockUnregister(net: Net, family: number): number {
  const s = socketNet(net);
  if (s.families[family] === undefined) return -ENOENT;
  s.families[family] = undefined;
  return 0;
}

/** sock_alloc: a bare socket with no family. */
export function sockAlloc(net: Net): KSocket {
  return new KSocket(net);
}

/** __sock_create: allocate and hand to the family. The socket, or -errno. */
export function sockCreate(net: Net, family: number, type: number, protocol: number, kern = false): KSocket | number {
  if (family < 0 || family >= AF_MAX) return -EAFNOSUPPORT;
  if (type < 0 || type >= SOCK_MAX) return -EINVAL;
  const pf = socketNet(net).families[family];
  if (pf === undefined) return -EAFNOSUPPORT;
  const sock = sockAlloc(net);
  sock.type = type;
  const err = pf.create(net, sock, protocol, kern);
  if (err < 0) {
    sockRelease(sock);
    return err;
  }
  return sock;
}

/**
 * sock_release (__sock_release): the protocol lets go, and anyone still waiting on the socket
 * is woken to find it gone.
 */
export function sockRelease(sock: Socket): void {
  const sk = sock.sk;
  if (sock.ops !== sockNoOps) sock.ops.release(sock);
  sock.ops = sockNoOps;
  sock.sk = null;
  if (sk !== null && sk.skSocket === sock) sk.skSocket = null;
  if (sock.wq.waiters.size > 0) for (const w of [...sock.wq.waiters]) w(POLLNVAL | POLLHUP);
}

/** sock_sendmsg */
export function sockSendmsg(sock: Socket, msg: Msghdr, flags: number): number {
  return sock.ops.sendmsg(sock, msg, flags);
}

/** sock_recvmsg */
export function sockRecvmsg(sock: Socket, msg: Msghdr, flags: number): number {
  return sock.ops.recvmsg(sock, msg, flags);
}

/** kernel_bind and friends, for in-kernel users that hold a socket and no fd. */
export function kernelBind(sock: Socket, addr: SockaddrIn): number {
  return sock.ops.bind(sock, addr);
}

export function kernelSetsockopt(sock: Socket, level: number, optname: number, val: SockoptVal): number {
  return sock.ops.setsockopt(sock, level, optname, val);
}
