// net/ipv4/af_inet.c: the PF_INET family (inet_create over the inetsw lists) and the socket
// calls of inet_stream_ops / inet_dgram_ops. Protocols never block; where Linux would sleep
// (a connect in progress, an empty accept queue) these return -EINPROGRESS / -EAGAIN / -EALREADY
// and the fd layer waits on the socket's wait queue.
import type {
  InetConnectionSockAfOps, InetProtosw, Msghdr, Net, NetProtoFamily, ProtoOps, Sock, SockaddrIn, Socket, SockoptVal,
} from '@knet/include';
import {
  AF_INET, AF_UNSPEC, EAFNOSUPPORT, EAGAIN, EADDRINUSE, EADDRNOTAVAIL, EALREADY, ECONNABORTED, EEXIST, EINPROGRESS,
  EINVAL, EISCONN, ENOENT, ENOPROTOOPT, ENOTCONN, EOPNOTSUPP, EPERM, EPROTONOSUPPORT, ESOCKTNOSUPPORT,
  INADDR_ANY, INADDR_BROADCAST, INET_PROTOSW_PERMANENT, INET_PROTOSW_REUSE, IPPROTO_IP, IPPROTO_MAX,
  SHUTDOWN_MASK, SIOCINQ, SIOCOUTQ, SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK, SOCK_LINGER, SOCK_RAW,
  SOCK_STREAM, SOL_IP, SOL_SOCKET, SS_CONNECTED, SS_CONNECTING, SS_DISCONNECTING, SS_UNCONNECTED,
  TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT, O_NONBLOCK, MSG_ERRQUEUE,
} from '@knet/include';
import { datagramPoll, sockGraft, sockInitData } from '@knet/netdevice';
import { ipGetsockopt, ipRecvError, ipSetsockopt } from './ip_sockglue.js';
import { KSocket } from './socket.js';
import { sockGetsockopt, sockSetsockopt } from './sock_opt.js';

/** Per-namespace PF_INET state: the inetsw lists by socket type, and the address check. */
export interface InetNet {
  inetsw: InetProtosw[][];
  /** inet_addr_type == RTN_LOCAL, from IPv4; without it every address may be bound. */
  isLocalAddr: ((net: Net, addr: number) => boolean) | null;
}

declare module '@knet/include' {
  interface NetGeneric {
    inet?: InetNet;
  }
}

const SOCK_MAX = 11;
/** ENOTTY: the ioctl is not one this file knows (ENOIOCTLCMD as user space sees it). */
const ENOTTY = 25;

function inetNet(net: Net): InetNet {
  let n = net.gen.inet;
  if (n === undefined) {
    n = { inetsw: Array.from({ length: SOCK_MAX }, () => []), isLocalAddr: null };
    net.gen.inet = n;
  }
  return n;
}

/** Hand PF_INET the IPv4 address check that inet_bind uses (EADDRNOTAVAIL for foreign addresses). */
export function inetSetAfOps(net: Net, afOps: Pick<InetConnectionSockAfOps, 'isLocalAddr'>): void {
  inetNet(net).isLocalAddr = (n, a) => afOps.isLocalAddr(n, a);
}

/**
 * inet_register_protosw: (type, protocol) → prot + ops. A permanent entry for the same pair
 * cannot be overridden (-EPERM); a second one is added behind the first.
 */
export function inetRegisterProtosw(net: Net, p: InetProtosw): number {
  if (p.type < 0 || p.type >= SOCK_MAX) return -EINVAL;
  const list = inetNet(net).inetsw[p.type]!;
  let at = list.length;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if ((a.flags & INET_PROTOSW_PERMANENT) !== 0 && a.protocol === p.protocol) return -EPERM;
    if (a === p) return -EEXIST;
    // Wildcard (IPPROTO_IP) entries stay at the end so exact ones match first.
    if (a.protocol === IPPROTO_IP && at === list.length) at = i;
  }
  list.splice(at, 0, p);
  return 0;
}

/** inet_unregister_protosw */
export function inetUnregisterProtosw(net: Net, p: InetProtosw): number {
  const list = inetNet(net).inetsw[p.type];
  if (list === undefined) return -ENOENT;
  if ((p.flags & INET_PROTOSW_PERMANENT) !== 0) return -EPERM;
  const i = list.indexOf(p);
  if (i < 0) return -ENOENT;
  list.splice(i, 1);
  return 0;
}

/** inet_create: find the protosw, allocate the sock through its proto and initialise it. */
export function inetCreate(net: Net, sock: Socket, protocol: number, _kern: boolean): number {
  if (protocol < 0 || protocol >= IPPROTO_MAX) return -EINVAL;
  sock.state = SS_UNCONNECTED;
  const list = inetNet(net).inetsw[sock.type];
  let answer: InetProtosw | null = null;
  let err = -ESOCKTNOSUPPORT;
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      err = 0;
      if (protocol === a.protocol) {
        if (protocol !== IPPROTO_IP) {
          answer = a;
          break;
        }
      } else {
        if (protocol === IPPROTO_IP) {
          protocol = a.protocol;
          answer = a;
          break;
        }
        if (a.protocol === IPPROTO_IP) {
          answer = a;
          break;
        }
      }
      err = -EPROTONOSUPPORT;
    }
  }
  if (answer === null) return err !== 0 ? err : -EPROTONOSUPPORT;
  sock.ops = answer.ops;
  const sk = answer.prot.alloc(net);
  if ((answer.flags & INET_PROTOSW_REUSE) !== 0) sk.skReuse = 1;
  sockInitData(sock, sk);
  sk.skFamily = AF_INET;
  sk.skProtocol = protocol;
  sk.ucTtl = -1;
  if (sock.type === SOCK_RAW) sk.inetNum = protocol;
  if (sk.inetNum !== 0) {
    sk.inetSport = sk.inetNum;
    const e = sk.skProt.hash(sk);
    if (e !== 0) {
      sockReleaseSk(sock, sk);
      return e;
    }
  }
  if (sk.skProt.init !== undefined) {
    const e = sk.skProt.init(sk);
    if (e !== 0) {
      sockReleaseSk(sock, sk);
      return e;
    }
  }
  return 0;
}

function sockReleaseSk(sock: Socket, sk: Sock): void {
  sock.sk = null;
  sk.skProt.close(sk, 0);
}

/** inet_family_ops */
export const inetFamilyOps: NetProtoFamily = Object.freeze({ name: 'inet', family: AF_INET, create: inetCreate });

/**
 * inet_release: hand the sock to the protocol's close with the linger time. SO_LINGER with a
 * zero time is the protocol's to honour (tcp_close aborts with RST); a non-zero one has
 * already been waited for by the fd layer (Task.closeAsync), since protocols never sleep.
 */
export function inetRelease(sock: Socket): number {
  const sk = sock.sk;
  if (sk === null) return 0;
  const timeout = (sk.skFlags & SOCK_LINGER) !== 0 ? sk.skLingertime : 0;
  sock.sk = null;
  sk.skProt.close(sk, timeout);
  return 0;
}

function isMulticast(a: number): boolean {
  return a >>> 28 === 0xe;
}

/**
 * __inet_bind: the address must be ours (or any, broadcast, multicast); the port is checked
 * (or picked) by the protocol. EINVAL if already bound.
 */
export function inetBind(sock: Socket, addr: SockaddrIn): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (sk.skProt.bind !== undefined) return sk.skProt.bind(sk, addr);
  const a = addr.addr >>> 0;
  if (addr.family !== AF_INET && (addr.family !== AF_UNSPEC || a !== INADDR_ANY)) return -EAFNOSUPPORT;
  const net = sk.skNet;
  const special = a === INADDR_ANY || a === INADDR_BROADCAST || isMulticast(a);
  const check = inetNet(net).isLocalAddr;
  if (!special && check !== null && !check(net, a)) return -EADDRNOTAVAIL;
  const snum = addr.port;
  if (snum < 0 || snum > 65535) return -EINVAL;
  if (sk.skState !== TCP_CLOSE || sk.inetNum !== 0) return -EINVAL;
  sk.inetRcvSaddr = sk.inetSaddr = a;
  // Broadcast and multicast binds receive on that address but send from the device's own.
  if (a === INADDR_BROADCAST || isMulticast(a)) sk.inetSaddr = 0;
  const noPort = sock instanceof KSocket && sock.bindAddressNoPort;
  if (snum !== 0 || !noPort) {
    const err = sk.skProt.getPort(sk, snum);
    if (err !== 0) {
      sk.inetSaddr = sk.inetRcvSaddr = 0;
      return err < 0 ? err : -EADDRINUSE;
    }
  }
  if (sk.inetRcvSaddr !== 0) sk.skUserlocks |= SOCK_BINDADDR_LOCK;
  if (snum !== 0) sk.skUserlocks |= SOCK_BINDPORT_LOCK;
  sk.inetSport = sk.inetNum;
  sk.inetDaddr = 0;
  sk.inetDport = 0;
  sk.skDst = null;
  return 0;
}

/** inet_autobind: give an unbound sock an ephemeral port; -EAGAIN if none is free. */
export function inetAutobind(sk: Sock): number {
  if (sk.inetNum === 0) {
    if (sk.skProt.getPort(sk, 0) !== 0) return -EAGAIN;
    sk.inetSport = sk.inetNum;
  }
  return 0;
}

/** inet_dgram_connect: AF_UNSPEC disconnects; otherwise autobind and let the protocol connect. */
export function inetDgramConnect(sock: Socket, addr: SockaddrIn, _flags: number): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (addr.family === AF_UNSPEC) return sk.skProt.disconnect !== undefined ? sk.skProt.disconnect(sk, 0) : -EINVAL;
  if (sk.inetNum === 0 && inetAutobind(sk) !== 0) return -EAGAIN;
  if (sk.skProt.connect === undefined) return -EINVAL;
  return sk.skProt.connect(sk, addr);
}

const CONNECTING = (1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV);

/**
 * __inet_stream_connect without the sleep: -EINPROGRESS when the handshake has just started,
 * -EALREADY while it is still going, 0 once established, or the error that ended it (read
 * from sk_err, the socket then back to SS_UNCONNECTED). A deferred Fast Open connect returns
 * 0 at once; connecting again then gives -EISCONN, or -EINPROGRESS to the write that sends the
 * SYN (`isSendmsg`, from TCP's sendmsg).
 */
export function inetStreamConnect(sock: Socket, addr: SockaddrIn | null, _flags: number, isSendmsg = false): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (addr !== null && addr.family === AF_UNSPEC) {
    const e = sk.skProt.disconnect !== undefined ? sk.skProt.disconnect(sk, 0) : 0;
    sock.state = e !== 0 ? SS_DISCONNECTING : SS_UNCONNECTED;
    return e;
  }
  let err: number;
  switch (sock.state) {
    case SS_CONNECTED:
      return -EISCONN;
    case SS_CONNECTING:
      if (sk.inetDeferConnect) err = isSendmsg ? -EINPROGRESS : -EISCONN;
      else err = -EALREADY;
      break;
    case SS_UNCONNECTED:
      if (sk.skState !== TCP_CLOSE) return -EISCONN;
      if (addr === null) return -EINVAL;
      if (addr.family !== AF_INET) return -EAFNOSUPPORT;
      if (sk.skProt.connect === undefined) return -EINVAL;
      err = sk.skProt.connect(sk, addr);
      // A protocol that never sleeps may say "started" as 0 or as -EINPROGRESS.
      if (err < 0 && err !== -EINPROGRESS) return err;
      sock.state = SS_CONNECTING;
      // TCP_FASTOPEN_CONNECT: nothing is sent until the first write.
      if (err === 0 && sk.inetDeferConnect) return 0;
      err = -EINPROGRESS;
      break;
    default:
      return -EINVAL;
  }
  if (((1 << sk.skState) & CONNECTING) !== 0) return err;
  if (sk.skState === TCP_CLOSE) {
    // Refused, reset or timed out while connecting.
    const e = sk.skErr;
    sk.skErr = 0;
    sock.state = SS_UNCONNECTED;
    if (sk.skProt.disconnect !== undefined && sk.skProt.disconnect(sk, 0) !== 0) sock.state = SS_DISCONNECTING;
    return e !== 0 ? -e : -ECONNABORTED;
  }
  sock.state = SS_CONNECTED;
  return 0;
}

/** inet_accept: the protocol's accept, grafted onto `newsock`. -EAGAIN when nothing is queued. */
export function inetAccept(sock: Socket, newsock: Socket, flags: number): number {
  const sk1 = sock.sk;
  if (sk1 === null || sk1.skProt.accept === undefined) return -EINVAL;
  const sk2 = sk1.skProt.accept(sk1, flags | O_NONBLOCK);
  if (typeof sk2 === 'number') return sk2 < 0 ? sk2 : -EINVAL;
  sockGraft(sk2, newsock);
  newsock.ops = sock.ops;
  newsock.state = SS_CONNECTED;
  return 0;
}

/** inet_getname: the local name, or with `peer` the connected peer (-ENOTCONN if none). */
export function inetGetname(sock: Socket, peer: boolean): SockaddrIn | number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (peer) {
    if (sk.inetDport === 0 || sk.skState === TCP_CLOSE || sk.skState === TCP_SYN_SENT) return -ENOTCONN;
    return { family: AF_INET, port: sk.inetDport, addr: sk.inetDaddr };
  }
  const addr = sk.inetRcvSaddr !== 0 ? sk.inetRcvSaddr : sk.inetSaddr;
  return { family: AF_INET, port: sk.inetSport, addr };
}

/** inet_listen: only an unconnected stream socket in CLOSE or LISTEN; a LISTEN one just updates the backlog. */
export function inetListen(sock: Socket, backlog: number): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (sock.state !== SS_UNCONNECTED || sock.type !== SOCK_STREAM) return -EINVAL;
  const old = sk.skState;
  if (old !== TCP_CLOSE && old !== TCP_LISTEN) return -EINVAL;
  sk.skMaxAckBacklog = backlog;
  if (old !== TCP_LISTEN) {
    if (sk.skProt.listen === undefined) return -EINVAL;
    const err = sk.skProt.listen(sk, backlog);
    if (err !== 0) return err;
  }
  return 0;
}

/**
 * inet_shutdown: how 0/1/2 → RCV/SEND/both. An unconnected (CLOSE) sock gets -ENOTCONN but its
 * waiters are still woken, so poll sees the hangup; a listener or a connecting sock is
 * disconnected.
 */
export function inetShutdown(sock: Socket, how: number): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  how++;
  if ((how & ~SHUTDOWN_MASK) !== 0 || how === 0) return -EINVAL;
  if (sock.state === SS_CONNECTING) {
    sock.state = ((1 << sk.skState) & (CONNECTING | (1 << TCP_CLOSE))) !== 0 ? SS_DISCONNECTING : SS_CONNECTED;
  }
  let err = 0;
  switch (sk.skState) {
    case TCP_LISTEN:
      if ((how & 1) === 0) break;
      err = disconnectOn(sock, sk);
      break;
    case TCP_SYN_SENT:
      err = disconnectOn(sock, sk);
      break;
    case TCP_CLOSE:
      err = -ENOTCONN;
      sk.skShutdown |= how;
      if (sk.skProt.shutdown !== undefined) sk.skProt.shutdown(sk, how);
      break;
    default:
      sk.skShutdown |= how;
      if (sk.skProt.shutdown !== undefined) sk.skProt.shutdown(sk, how);
      break;
  }
  sk.skStateChange(sk);
  return err;
}

function disconnectOn(sock: Socket, sk: Sock): number {
  const e = sk.skProt.disconnect !== undefined ? sk.skProt.disconnect(sk, O_NONBLOCK) : 0;
  sock.state = e !== 0 ? SS_DISCONNECTING : SS_UNCONNECTED;
  return e;
}

/** inet_sendmsg: datagram sockets are autobound first (inet_send_prepare). */
export function inetSendmsg(sock: Socket, msg: Msghdr, flags: number): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (sk.inetNum === 0 && sock.type !== SOCK_STREAM && inetAutobind(sk) !== 0) return -EAGAIN;
  return sk.skProt.sendmsg(sk, msg, flags);
}

/**
 * inet_recvmsg. MSG_ERRQUEUE reads the error queue, as tcp_recvmsg and udp_recvmsg do first
 * thing (inet_recv_error → ip_recv_error), whatever the protocol's state.
 */
export function inetRecvmsg(sock: Socket, msg: Msghdr, flags: number): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if ((flags & MSG_ERRQUEUE) !== 0) return ipRecvError(sk, msg);
  return sk.skProt.recvmsg(sk, msg, flags);
}

/** inet_ioctl: SIOCINQ/SIOCOUTQ through the protocol, with a generic answer when it has none. */
export function inetIoctl(sock: Socket, cmd: number): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (sk.skProt.ioctl !== undefined) {
    const r = sk.skProt.ioctl(sk, cmd);
    if (r !== -ENOPROTOOPT) return r;
  }
  if (cmd === SIOCOUTQ) return sk.skWmemAlloc;
  if (cmd === SIOCINQ) {
    if (sk.skState === TCP_LISTEN) return -EINVAL;
    let n = 0;
    for (let s = sk.skReceiveQueue.first; s !== null; s = s.next) {
      n += s.len;
      if (sock.type !== SOCK_STREAM) break;
    }
    return n;
  }
  return -ENOTTY;
}

/** sock_common_setsockopt plus the SOL_SOCKET and SOL_IP layers in front of the protocol. */
export function inetSetsockopt(sock: Socket, level: number, optname: number, val: SockoptVal): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (level === SOL_SOCKET) return sockSetsockopt(sock, optname, val);
  if (level === SOL_IP) {
    const r = ipSetsockopt(sock, sk, optname, val);
    if (r !== -ENOPROTOOPT) return r;
  }
  return sk.skProt.setsockopt !== undefined ? sk.skProt.setsockopt(sk, level, optname, val) : -ENOPROTOOPT;
}

/** sock_common_getsockopt, as above. */
export function inetGetsockopt(sock: Socket, level: number, optname: number): SockoptVal | number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (level === SOL_SOCKET) return sockGetsockopt(sock, optname);
  if (level === SOL_IP) {
    const r = ipGetsockopt(sock, sk, optname);
    if (r !== -ENOPROTOOPT) return r;
  }
  return sk.skProt.getsockopt !== undefined ? sk.skProt.getsockopt(sk, level, optname) : -ENOPROTOOPT;
}

/** The protocol's poll (tcp_poll, udp_poll), else datagram_poll. */
export function inetPoll(sock: Socket): number {
  const sk = sock.sk;
  if (sk === null) return 0;
  return sk.skProt.poll !== undefined ? sk.skProt.poll(sk) : datagramPoll(sk);
}

/** inet_stream_ops */
export const inetStreamOps: ProtoOps = Object.freeze({
  name: 'inet_stream',
  family: AF_INET,
  release: inetRelease,
  bind: inetBind,
  connect: inetStreamConnect,
  accept: inetAccept,
  getname: inetGetname,
  poll: inetPoll,
  ioctl: inetIoctl,
  listen: inetListen,
  shutdown: inetShutdown,
  setsockopt: inetSetsockopt,
  getsockopt: inetGetsockopt,
  sendmsg: inetSendmsg,
  recvmsg: inetRecvmsg,
});

/** sock_no_accept / sock_no_listen */
function sockNoAccept(): number {
  return -EOPNOTSUPP;
}
function sockNoListen(): number {
  return -EOPNOTSUPP;
}

/** inet_dgram_ops */
export const inetDgramOps: ProtoOps = Object.freeze({
  name: 'inet_dgram',
  family: AF_INET,
  release: inetRelease,
  bind: inetBind,
  connect: inetDgramConnect,
  accept: sockNoAccept,
  getname: inetGetname,
  poll: inetPoll,
  ioctl: inetIoctl,
  listen: sockNoListen,
  shutdown: inetShutdown,
  setsockopt: inetSetsockopt,
  getsockopt: inetGetsockopt,
  sendmsg: inetSendmsg,
  recvmsg: inetRecvmsg,
});

