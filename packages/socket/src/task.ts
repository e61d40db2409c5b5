// net/socket.c's system calls over a per-process fd table (struct files_struct), plus
// fs/select.c's poll and fs/eventpoll.c's epoll_* calls.
//
// The plain methods never block: where a blocking socket would sleep they return -EAGAIN
// (connect: -EINPROGRESS). Each blocking call also has an `…Async` form that sleeps on the
// socket's wait queue on the host's clock, honouring O_NONBLOCK and MSG_DONTWAIT (no sleep),
// SO_RCVTIMEO/SO_SNDTIMEO (-EAGAIN on expiry; connect: -EINPROGRESS) and an AbortSignal
// (the call resolves to -EINTR, as a signal interrupting the sleep would). closeAsync is the
// one sleeping close: it lingers for SO_LINGER whatever O_NONBLOCK says, as Linux's close does.
import type { Msghdr, Net, SockaddrIn, Sock, Socket, SockoptVal, WaitQueueHead } from '@knet/include';
import {
  EAGAIN, EBADF, EINPROGRESS, EALREADY, EINVAL, EMFILE, ENOTSOCK, EPOLLIN, EPOLLOUT, FIONBIO, F_GETFL,
  F_SETFL, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_FASTOPEN, MSG_WAITALL, O_NONBLOCK, POLLERR, POLLHUP, POLLNVAL, SOCK_CLOEXEC, SOCK_NONBLOCK,
  SOCK_STREAM, SOCK_TYPE_MASK, SS_CONNECTING, POLLIN, POLLOUT, POLLPRI, POLLRDHUP, EPOLLPRI, EPOLLRDHUP,
  SHUT_RDWR, SIOCINQ, SOCK_LINGER, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_LAST_ACK,
  TCP_SYN_RECV, MSG_ZEROCOPY, SOCK_ZEROCOPY,
} from '@knet/include';
import { type UbufInfoMsgzc, msgZerocopyAlloc, msgZerocopyPut, msgZerocopyPutAbort } from '@knet/netdevice';
import { type EpollEvent, EventPoll, type PollFile } from './eventpoll.js';
import { type PollFd, doPollfd } from './poll.js';
import { KSocket, sockAlloc, sockCreate, sockRelease } from './socket.js';
import { WOULD_BLOCK, type WaitOptions, waitEvent } from './wait.js';

/** fcntl F_GETFD / F_SETFD and FD_CLOEXEC */
export const F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
/** O_RDWR, which every socket file has. */
const O_RDWR = 2;
/** Linux's default RLIMIT_NOFILE soft limit. */
export const NR_OPEN_DEFAULT = 1024;

/** One open file: a socket or an epoll instance. */
class File implements PollFile {
  cloexec = false;
  /** File status flags of an epoll file (a socket keeps them in sock.flags). */
  epFlags = 0;
  constructor(readonly sock: KSocket | null, readonly ep: EventPoll | null) {}
  get wq(): WaitQueueHead {
    return this.sock !== null ? this.sock.wq : this.ep!.wq;
  }
  poll(): number {
    if (this.sock !== null) return this.sock.ops.poll(this.sock);
    return this.ep!.poll();
  }
}


export interface RecvfromResult {
  /** Bytes received, or -errno. */
  n: number;
  addr: SockaddrIn | null;
}

const READ_EVENTS = EPOLLIN | EPOLLPRI | EPOLLRDHUP;
const WRITE_EVENTS = EPOLLOUT;

/** A process: its fd table and the socket system calls. */
export class Task {
  private readonly files: (File | undefined)[] = [];
  private readonly epolls = new Set<EventPoll>();
  /** RLIMIT_NOFILE */
  nofile = NR_OPEN_DEFAULT;

  constructor(readonly net: Net) {}

  // --- fd table --------------------------------------------------------------------------

  /** get_unused_fd_flags + fd_install: the lowest free descriptor from 3 (0-2 are stdio). */
  private fdInstall(f: File): number {
    for (let fd = 3; fd < this.nofile; fd++) {
      if (this.files[fd] === undefined) {
        this.files[fd] = f;
        return fd;
      }
    }
    return -EMFILE;
  }

  private file(fd: number): File | null {
    if (!Number.isInteger(fd) || fd < 0) return null;
    return this.files[fd] ?? null;
  }

  /** sockfd_lookup: the socket behind `fd`, -EBADF or -ENOTSOCK. */
  sockfdLookup(fd: number): KSocket | number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (f.sock === null) return -ENOTSOCK;
    return f.sock;
  }

  /** The open descriptors, ascending. */
  fds(): number[] {
    const out: number[] = [];
    this.files.forEach((f, i) => {
      if (f !== undefined) out.push(i);
    });
    return out;
  }

  // --- socket calls ----------------------------------------------------------------------

  /** socket(2): type may carry SOCK_NONBLOCK / SOCK_CLOEXEC. */
  socket(domain: number, type: number, protocol: number): number {
    const flags = type & ~SOCK_TYPE_MASK;
    if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) !== 0) return -EINVAL;
    const sock = sockCreate(this.net, domain, type & SOCK_TYPE_MASK, protocol);
    if (typeof sock === 'number') return sock;
    if ((flags & SOCK_NONBLOCK) !== 0) sock.flags |= O_NONBLOCK;
    const f = new File(sock, null);
    f.cloexec = (flags & SOCK_CLOEXEC) !== 0;
    const fd = this.fdInstall(f);
    if (fd < 0) sockRelease(sock);
    return fd;
  }

  bind(fd: number, addr: SockaddrIn): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.bind(sock, addr);
  }

  /** listen(2): the backlog is capped at net.core.somaxconn. */
  listen(fd: number, backlog: number): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    const v = this.net.sysctls.get('net.core.somaxconn')?.get();
    const somaxconn = typeof v === 'number' ? v : 4096;
    if (backlog >>> 0 > somaxconn) backlog = somaxconn;
    return sock.ops.listen(sock, backlog);
  }

  /** accept4(2): a new fd for the next connection, or -EAGAIN when none is queued. */
  accept4(fd: number, flags = 0): number {
    if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) !== 0) return -EINVAL;
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    const newsock = sockAlloc(this.net);
    newsock.type = sock.type;
    newsock.ops = sock.ops;
    const err = sock.ops.accept(sock, newsock, sock.flags | O_NONBLOCK);
    if (err < 0) return err;
    if ((flags & SOCK_NONBLOCK) !== 0) newsock.flags |= O_NONBLOCK;
    const f = new File(newsock, null);
    f.cloexec = (flags & SOCK_CLOEXEC) !== 0;
    const nfd = this.fdInstall(f);
    if (nfd < 0) sockRelease(newsock);
    return nfd;
  }

  accept(fd: number, flags = 0): number {
    return this.accept4(fd, flags);
  }

  /** connect(2): -EINPROGRESS while a stream handshake runs (also for a blocking socket here). */
  connect(fd: number, addr: SockaddrIn): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.connect(sock, addr, sock.flags | O_NONBLOCK);
  }

  getsockname(fd: number): SockaddrIn | number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.getname(sock, false);
  }

  getpeername(fd: number): SockaddrIn | number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.getname(sock, true);
  }

  setsockopt(fd: number, level: number, optname: number, val: SockoptVal): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.setsockopt(sock, level, optname, val);
  }

  getsockopt(fd: number, level: number, optname: number): SockoptVal | number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.getsockopt(sock, level, optname);
  }

  shutdown(fd: number, how: number): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    return sock.ops.shutdown(sock, how);
  }

  /** sendmsg(2) */
  sendmsg(fd: number, msg: Msghdr, flags: number): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    if ((sock.flags & O_NONBLOCK) !== 0) flags |= MSG_DONTWAIT;
    return sock.ops.sendmsg(sock, msg, flags);
  }

  sendto(fd: number, buf: Uint8Array, flags: number, addr: SockaddrIn | null = null): number {
    return this.sendmsg(fd, { name: addr, iov: [buf], flags: 0 }, flags);
  }

  send(fd: number, buf: Uint8Array, flags = 0): number {
    return this.sendmsg(fd, { name: null, iov: [buf], flags: 0 }, flags);
  }

  write(fd: number, buf: Uint8Array): number {
    return this.send(fd, buf, 0);
  }

  /** recvmsg(2): fills msg.iov, msg.name and msg.flags. */
  recvmsg(fd: number, msg: Msghdr, flags: number): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    if ((sock.flags & O_NONBLOCK) !== 0) flags |= MSG_DONTWAIT;
    return sock.ops.recvmsg(sock, msg, flags);
  }

  recvfrom(fd: number, buf: Uint8Array, flags = 0): RecvfromResult {
    const msg: Msghdr = { name: null, iov: [buf], flags: 0 };
    const n = this.recvmsg(fd, msg, flags);
    return { n, addr: n >= 0 ? msg.name : null };
  }

  recv(fd: number, buf: Uint8Array, flags = 0): number {
    return this.recvmsg(fd, { name: null, iov: [buf], flags: 0 }, flags);
  }

  read(fd: number, buf: Uint8Array): number {
    return this.recv(fd, buf, 0);
  }

  /**
   * close(2): drop the fd; the socket is released and anyone sleeping on it wakes to -EBADF.
   * This form never sleeps, so SO_LINGER with a non-zero time does not hold it up (the close
   * goes on in the background); closeAsync lingers.
   */
  close(fd: number): number {
    const f = this.fdDetach(fd);
    if (f === null) return -EBADF;
    if (f.sock !== null) sockRelease(f.sock);
    return 0;
  }

  /**
   * close(2) that lingers as Linux's does (tcp_close → sk_stream_wait_close): with SO_LINGER on
   * and a non-zero time, a stream socket sends its FIN and sleeps until the peer has
   * acknowledged everything (FIN_WAIT1, CLOSING and LAST_ACK are over) or the time passes, then
   * lets go; either way it resolves to 0, and what is left goes on in the background. A linger
   * time of 0 aborts with RST, and unread data means RST anyway, as close() does.
   */
  closeAsync(fd: number, opts: Pick<WaitOptions, 'signal'> = {}): Promise<number> {
    const f = this.fdDetach(fd);
    if (f === null) return Promise.resolve(-EBADF);
    const sock = f.sock;
    const sk = sock?.sk ?? null;
    if (sock === null || sk === null || !lingers(sock, sk)) {
      if (sock !== null) sockRelease(sock);
      return Promise.resolve(0);
    }
    // tcp_close sets SHUTDOWN_MASK and sends the FIN before it waits.
    sock.ops.shutdown(sock, SHUT_RDWR);
    const attempt = () => (((1 << sk.skState) & STREAM_CLOSING) !== 0 ? WOULD_BLOCK : 0);
    const timeout = sk.skLingertime >= INT_MAX ? 0 : sk.skLingertime;
    return waitEvent(this.net, [sock.wq], POLLOUT | POLLHUP, timeout, opts.signal, attempt, 0, 0).then(() => {
      sockRelease(sock);
      return 0;
    });
  }

  /** Take `fd` out of the table (and out of every epoll set); the file, or null if none. */
  private fdDetach(fd: number): File | null {
    const f = this.file(fd);
    if (f === null) return null;
    this.files[fd] = undefined;
    for (const ep of this.epolls) ep.release(f);
    if (f.ep !== null) {
      this.epolls.delete(f.ep);
      f.ep.clear();
      for (const w of [...f.ep.wq.waiters]) w(POLLNVAL | POLLHUP);
    }
    return f;
  }

  /** fcntl(2): F_GETFL/F_SETFL (O_NONBLOCK), F_GETFD/F_SETFD (FD_CLOEXEC). */
  fcntl(fd: number, cmd: number, arg = 0): number {
    const f = this.file(fd);
    if (f === null) return -EBADF;
    switch (cmd) {
      case F_GETFL:
        return O_RDWR | (f.sock !== null ? f.sock.flags : f.epFlags);
      case F_SETFL:
        if (f.sock !== null) f.sock.flags = (f.sock.flags & ~O_NONBLOCK) | (arg & O_NONBLOCK);
        else f.epFlags = (f.epFlags & ~O_NONBLOCK) | (arg & O_NONBLOCK);
        return 0;
      case F_GETFD:
        return f.cloexec ? FD_CLOEXEC : 0;
      case F_SETFD:
        f.cloexec = (arg & FD_CLOEXEC) !== 0;
        return 0;
      default:
        return -EINVAL;
    }
  }

  /** ioctl(2): FIONBIO here; FIONREAD/SIOCINQ, SIOCOUTQ and the rest go to the socket. */
  ioctl(fd: number, cmd: number, arg = 0): number {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return sock;
    if (cmd === FIONBIO) {
      sock.flags = arg !== 0 ? sock.flags | O_NONBLOCK : sock.flags & ~O_NONBLOCK;
      return 0;
    }
    return sock.ops.ioctl !== undefined ? sock.ops.ioctl(sock, cmd) : -EINVAL;
  }

  // --- poll and epoll --------------------------------------------------------------------

  /** do_pollfd for each entry: fills revents, returns how many are ready. Never waits. */
  poll(fds: PollFd[], _timeoutMs = 0): number {
    let n = 0;
    for (const p of fds) {
      p.revents = 0;
      if (p.fd < 0) continue;
      if (doPollfd(this.file(p.fd), p) !== 0) n++;
    }
    return n;
  }

  /** poll(2) that sleeps up to `timeoutMs` (negative: forever) for any entry to become ready. */
  pollAsync(fds: PollFd[], timeoutMs: number, opts: WaitOptions = {}): Promise<number> {
    const wqs: WaitQueueHead[] = [];
    let events = 0;
    for (const p of fds) {
      const f = p.fd >= 0 ? this.file(p.fd) : null;
      if (f !== null) wqs.push(f.wq);
      events |= p.events;
    }
    const attempt = () => {
      const n = this.poll(fds);
      return n > 0 || timeoutMs === 0 ? n : WOULD_BLOCK;
    };
    return waitEvent(this.net, wqs, events | POLLIN | POLLOUT | POLLPRI | POLLRDHUP, timeoutMs > 0 ? timeoutMs : 0,
      opts.signal, attempt, 0);
  }

  /** epoll_create1(2): flags may hold EPOLL_CLOEXEC (= O_CLOEXEC). */
  epollCreate1(flags = 0): number {
    if ((flags & ~SOCK_CLOEXEC) !== 0) return -EINVAL;
    const ep = new EventPoll();
    const f = new File(null, ep);
    f.cloexec = (flags & SOCK_CLOEXEC) !== 0;
    const fd = this.fdInstall(f);
    if (fd >= 0) this.epolls.add(ep);
    return fd;
  }

  private epollOf(epfd: number): EventPoll | number {
    const f = this.file(epfd);
    if (f === null) return -EBADF;
    return f.ep !== null ? f.ep : -EINVAL;
  }

  /** epoll_ctl(2) */
  epollCtl(epfd: number, op: number, fd: number, ev: EpollEvent | null = null): number {
    const ep = this.epollOf(epfd);
    if (typeof ep === 'number') return ep;
    const f = this.file(fd);
    if (f === null) return -EBADF;
    if (fd === epfd) return -EINVAL;
    return ep.ctl(op, f, fd, ev);
  }

  /** epoll_wait(2) without sleeping: the ready events, or -errno. */
  epollWait(epfd: number, maxevents: number, _timeoutMs = 0): EpollEvent[] | number {
    const ep = this.epollOf(epfd);
    if (typeof ep === 'number') return ep;
    if (maxevents <= 0) return -EINVAL;
    return ep.sendEvents(maxevents);
  }

  /** epoll_wait(2) sleeping up to `timeoutMs` (negative: forever; 0: not at all). */
  epollWaitAsync(epfd: number, maxevents: number, timeoutMs: number, opts: WaitOptions = {}): Promise<EpollEvent[] | number> {
    const ep = this.epollOf(epfd);
    if (typeof ep === 'number') return Promise.resolve(ep);
    if (maxevents <= 0) return Promise.resolve(-EINVAL);
    const attempt = (): EpollEvent[] | number | typeof WOULD_BLOCK => {
      if (this.file(epfd)?.ep !== ep) return -EBADF;
      const r = ep.sendEvents(maxevents);
      return r.length > 0 || timeoutMs === 0 ? r : WOULD_BLOCK;
    };
    return waitEvent<EpollEvent[] | number>(this.net, [ep.wq], EPOLLIN, timeoutMs > 0 ? timeoutMs : 0, opts.signal,
      attempt, () => []);
  }

  // --- blocking forms --------------------------------------------------------------------

  private nonblock(sock: Socket, flags: number): boolean {
    return (sock.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
  }

  /** accept4 that sleeps for a connection (SO_RCVTIMEO bounds the wait). */
  acceptAsync(fd: number, flags = 0, opts: WaitOptions = {}): Promise<number> {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return Promise.resolve(sock);
    const attempt = () => {
      const r = this.accept4(fd, flags);
      return r === -EAGAIN && !this.nonblock(sock, 0) ? WOULD_BLOCK : r;
    };
    return waitEvent(this.net, [sock.wq], READ_EVENTS, this.timeo(sock, opts, true), opts.signal, attempt, -EAGAIN);
  }

  /**
   * connect that sleeps through the handshake: 0, or the error that ended it
   * (-ECONNREFUSED, -ETIMEDOUT ... as SO_ERROR reports). A non-blocking socket gets
   * -EINPROGRESS at once; SO_SNDTIMEO expiry also leaves -EINPROGRESS.
   */
  connectAsync(fd: number, addr: SockaddrIn, opts: WaitOptions = {}): Promise<number> {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return Promise.resolve(sock);
    const r = sock.ops.connect(sock, addr, sock.flags | O_NONBLOCK);
    if (r !== -EINPROGRESS && r !== -EALREADY) return Promise.resolve(r);
    if ((sock.flags & O_NONBLOCK) !== 0) return Promise.resolve(r);
    const attempt = () => {
      if (this.file(fd)?.sock !== sock) return -EBADF;
      if (sock.state !== SS_CONNECTING) return 0;
      const e = sock.ops.connect(sock, addr, O_NONBLOCK);
      return e === -EALREADY || e === -EINPROGRESS ? WOULD_BLOCK : e;
    };
    return waitEvent(this.net, [sock.wq], WRITE_EVENTS, this.timeo(sock, opts, false), opts.signal, attempt, -EINPROGRESS);
  }

  /**
   * recvmsg that sleeps for data (SO_RCVTIMEO → -EAGAIN). A blocking stream socket keeps
   * reading until it has its target, as tcp_recvmsg does (sock_rcvlowat): SO_RCVLOWAT bytes, or
   * with MSG_WAITALL the whole buffer; the peer ending, an error or the timeout cut it short
   * (returning what it has).
   */
  recvmsgAsync(fd: number, msg: Msghdr, flags = 0, opts: WaitOptions = {}): Promise<number> {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return Promise.resolve(sock);
    // Reading the error queue never sleeps (-EAGAIN when empty); POLLERR says when to call.
    if ((flags & MSG_ERRQUEUE) !== 0) return Promise.resolve(this.recvmsg(fd, msg, flags));
    const stream = sock.type === SOCK_STREAM;
    const total = iovLen(msg.iov);
    const lowat = Math.max(sock.sk?.skRcvlowat ?? 1, 1);
    const target = !stream ? 0 : (flags & MSG_WAITALL) !== 0 ? total : Math.min(lowat, total);
    let got = 0;
    const fullIov = msg.iov;
    const attempt = () => {
      if (this.file(fd)?.sock !== sock) return got > 0 ? got : -EBADF;
      if (stream && got > 0) msg.iov = iovAdvance(fullIov, got);
      const r = this.recvmsg(fd, msg, flags & ~MSG_WAITALL);
      msg.iov = fullIov;
      if (r === -EAGAIN) return this.nonblock(sock, flags) ? (got > 0 ? got : r) : WOULD_BLOCK;
      if (r < 0) return got > 0 ? got : r;
      got += r;
      if (stream && r > 0 && got < target && !this.nonblock(sock, flags)) return WOULD_BLOCK;
      return stream ? got : r;
    };
    return waitEvent(this.net, [sock.wq], READ_EVENTS, this.timeo(sock, opts, true), opts.signal, attempt,
      () => (got > 0 ? got : -EAGAIN));
  }

  async recvfromAsync(fd: number, buf: Uint8Array, flags = 0, opts: WaitOptions = {}): Promise<RecvfromResult> {
    const msg: Msghdr = { name: null, iov: [buf], flags: 0 };
    const n = await this.recvmsgAsync(fd, msg, flags, opts);
    return { n, addr: n >= 0 ? msg.name : null };
  }

  recvAsync(fd: number, buf: Uint8Array, flags = 0, opts: WaitOptions = {}): Promise<number> {
    return this.recvmsgAsync(fd, { name: null, iov: [buf], flags: 0 }, flags, opts);
  }

  /**
   * sendmsg that sleeps for send-buffer space. A blocking stream socket sends everything
   * (returning the count sent so far if an error or the timeout cuts it short); a datagram
   * goes whole or not at all.
   */
  sendmsgAsync(fd: number, msg: Msghdr, flags = 0, opts: WaitOptions = {}): Promise<number> {
    const sock = this.sockfdLookup(fd);
    if (typeof sock === 'number') return Promise.resolve(sock);
    const stream = sock.type === SOCK_STREAM;
    const total = iovLen(msg.iov);
    const fullIov = msg.iov;
    let sent = 0;
    let first = true;
    // A blocking MSG_ZEROCOPY stream send is one call in Linux however often it waits for
    // space: one id, completed when the call returns (TCP copies, so no skb holds it), and given
    // back if nothing was sent. The retries below are that one call.
    const sk = sock.sk;
    let zc: UbufInfoMsgzc | null = null;
    if (stream && sk !== null && (flags & MSG_ZEROCOPY) !== 0 && (sk.skFlags & SOCK_ZEROCOPY) !== 0 && total > 0 &&
      !this.nonblock(sock, flags)) {
      zc = msgZerocopyAlloc(sk, total);
      flags &= ~MSG_ZEROCOPY;
    }
    const attempt = () => {
      if (this.file(fd)?.sock !== sock) return sent > 0 ? sent : -EBADF;
      if (stream && sent > 0) msg.iov = iovAdvance(fullIov, sent);
      // MSG_FASTOPEN opens the connection on the first try; a retry after the wait is the
      // rest of the same call, which Linux makes after sleeping through the handshake.
      const r = this.sendmsg(fd, msg, first ? flags : flags & ~MSG_FASTOPEN);
      first = false;
      msg.iov = fullIov;
      if (r === -EAGAIN) return this.nonblock(sock, flags) ? (sent > 0 ? sent : r) : WOULD_BLOCK;
      if (r < 0) return sent > 0 ? sent : r;
      sent += r;
      if (stream && sent < total && !this.nonblock(sock, flags)) return WOULD_BLOCK;
      return stream ? sent : r;
    };
    const p = waitEvent(this.net, [sock.wq], WRITE_EVENTS, this.timeo(sock, opts, false), opts.signal, attempt,
      () => (sent > 0 ? sent : -EAGAIN));
    if (zc === null) return p;
    const uarg = zc;
    return p.then((r) => {
      if (r > 0) msgZerocopyPut(uarg);
      else msgZerocopyPutAbort(uarg, true);
      return r;
    });
  }

  sendtoAsync(fd: number, buf: Uint8Array, flags = 0, addr: SockaddrIn | null = null, opts: WaitOptions = {}): Promise<number> {
    return this.sendmsgAsync(fd, { name: addr, iov: [buf], flags: 0 }, flags, opts);
  }

  sendAsync(fd: number, buf: Uint8Array, flags = 0, opts: WaitOptions = {}): Promise<number> {
    return this.sendmsgAsync(fd, { name: null, iov: [buf], flags: 0 }, flags, opts);
  }

  /** sock_rcvtimeo / sock_sndtimeo in ms, 0 meaning forever. */
  private timeo(sock: Socket, opts: WaitOptions, rcv: boolean): number {
    if (opts.timeoutMs !== undefined) return opts.timeoutMs;
    const sk = sock.sk;
    if (sk === null) return 0;
    return rcv ? sk.skRcvtimeo : sk.skSndtimeo;
  }
}

function iovLen(iov: Uint8Array[]): number {
  let n = 0;
  for (const s of iov) n += s.length;
  return n;
}

/** The iov with its first `off` bytes consumed (iov_iter_advance). */
function iovAdvance(iov: Uint8Array[], off: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of iov) {
    if (off >= s.length) {
      off -= s.length;
      continue;
    }
    out.push(off > 0 ? s.subarray(off) : s);
    off = 0;
  }
  return out;
}

const INT_MAX = 0x7fffffff;
/** sk_stream_closing: our FIN is out and not yet acknowledged. */
const STREAM_CLOSING = (1 << TCP_FIN_WAIT1) | (1 << TCP_CLOSING) | (1 << TCP_LAST_ACK);
/** States whose close sends a FIN (tcp_close_state), and so may linger. */
const FIN_ON_CLOSE = (1 << TCP_ESTABLISHED) | (1 << TCP_SYN_RECV) | (1 << TCP_CLOSE_WAIT);

/** Would tcp_close wait here: SO_LINGER with a time, a FIN to send, and nothing unread (else RST). */
function lingers(sock: KSocket, sk: Sock): boolean {
  if (sock.type !== SOCK_STREAM || (sk.skFlags & SOCK_LINGER) === 0 || sk.skLingertime === 0) return false;
  if (((1 << sk.skState) & FIN_ON_CLOSE) === 0) return false;
  const inq = sock.ops.ioctl !== undefined ? sock.ops.ioctl(sock, SIOCINQ) : 0;
  return inq <= 0;
}

/** createTask: a process with an empty fd table in `net`. */
export function createTask(net: Net): Task {
  return new Task(net);
}
