// net.Socket and net.Server look-alikes over knet stream sockets, so Node code (http, streams)
// can run on the stack. Reads and writes use the Task's Promise forms; timers use the host's
// clock, so the adapters work on the real clock and on the virtual one. Errors are ErrnoError
// with Node's `code` ('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', ...).
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { ClockEvent, SockaddrIn } from '@knet/include';
import type { Msghdr, WaitQueueHead } from '@knet/include';
import {
  AF_INET, EAGAIN, EBADF, ECONNABORTED, EINTR, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, ErrnoError, INADDR_ANY, MSG_DONTWAIT,
  POLLERR, POLLHUP, POLLNVAL, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SOL_TCP, SO_KEEPALIVE, SO_LINGER, SO_REUSEADDR, TCP_KEEPIDLE,
  TCP_NODELAY, inetAton, inetNtoa,
} from '@knet/include';
import type { Task } from './task.js';

/** Bytes one read asks for (net.Socket reads 64 KiB at a time as well). */
const READ_CHUNK = 65536;
/**
 * Reads land in a shared slab and go to push() as views of it, so a read copies once (out of
 * the socket's queue). The copy is synchronous, so every socket can read into the same slab;
 * a new one starts when less than a whole READ_CHUNK is left. A pushed Buffer keeps its slab
 * alive as long as it lives, as Node's pooled Buffers do.
 */
const SLAB_SIZE = 8 * READ_CHUNK;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabOff = 0;
/** The slab's free window for the next read; replaced only after a read has taken bytes. */
let slabWin: Uint8Array = slab.subarray(0, READ_CHUNK);

/** Take the first `n` bytes of the free window, as a Buffer, and move the window past them. */
function slabTake(n: number): Buffer {
  const b = slab.subarray(slabOff, slabOff + n);
  // Keep each view 8-byte aligned, as Node's pool does.
  slabOff = (slabOff + n + 7) & ~7;
  if (SLAB_SIZE - slabOff < READ_CHUNK) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabOff = 0;
  }
  slabWin = slab.subarray(slabOff, slabOff + READ_CHUNK);
  return b;
}

/** Wakeups that make a reader / writer retry (errors and hangups always count), as waitEvent. */
const READ_WAKE = EPOLLIN | EPOLLPRI | EPOLLRDHUP | POLLERR | POLLHUP | POLLNVAL;
const WRITE_WAKE = EPOLLOUT | POLLERR | POLLHUP | POLLNVAL;

export interface KnetSocketOptions {
  /** As net.Socket: false ends the writable side when the peer ends (default false). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export interface KnetConnectOptions {
  port: number;
  host?: string;
  localAddress?: string;
  localPort?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
}

function hostAddr(host: string | undefined, syscall: string): number {
  // As net.connect: no host means localhost.
  if (host === undefined || host === '' || host === 'localhost') return 0x7f000001;
  const a = inetAton(host);
  if (a < 0) throw new ErrnoError(22, syscall, host);
  return a;
}

/** A net.Socket over a knet stream socket: an fd of `task`, or one `connect()` creates. */
export class KnetSocket extends Duplex {
  fd: number;
  connecting = false;
  bytesRead = 0;
  private written = 0;
  /** Only connect() sleeps through Task's Promise form; it makes this when it does. */
  private ac: AbortController | null = null;
  /**
   * The socket's one waiter, on its wait queue from the first read or write to the close, as
   * an epoll registration: a wakeup it cares about schedules `retryFn` once, as a later task.
   */
  private wq: WaitQueueHead | null = null;
  private readonly wakeFn: (mask: number) => void;
  private readonly retryFn: () => void;
  private retryQueued = false;
  /** The stream wants data and the last read would have blocked. */
  private readWaiting = false;
  /** A write the send buffer could not take at once: what is left, its callback and its size. */
  private wIov: Uint8Array[] | null = null;
  private wCb: ((err?: Error | null) => void) | null = null;
  private wSent = 0;
  private wTotal = 0;
  /** Reused for every recvmsg/sendmsg, so the calls allocate nothing here. */
  private readonly rmsg: Msghdr = { name: null, iov: [slabWin], flags: 0 };
  private readonly smsg: Msghdr = { name: null, iov: [], flags: 0 };
  private idleMs = 0;
  private idleTimer: ClockEvent | null = null;
  /** Names kept once known, as net.Socket keeps _peername/_sockname past close. */
  private peer: SockaddrIn | null = null;
  private local: SockaddrIn | null = null;
  /** Set by http and other users of net.Socket. */
  server: unknown = null;

  constructor(readonly task: Task, fd = -1, opts: KnetSocketOptions = {}) {
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      readableHighWaterMark: opts.readableHighWaterMark,
      writableHighWaterMark: opts.writableHighWaterMark,
      // 'close' carries hadError, as net.Socket's does; _destroy emits it.
      emitClose: false,
      autoDestroy: true,
    });
    this.fd = fd;
    this.wakeFn = (mask) => this.wake(mask);
    this.retryFn = () => this.retry();
  }

  /** connect(port[, host][, cb]) or connect({ port, host }[, cb]); 'connect' then 'ready'. */
  connect(portOrOpts: number | KnetConnectOptions, host?: string | (() => void), cb?: () => void): this {
    const o: KnetConnectOptions = typeof portOrOpts === 'number' ? { port: portOrOpts } : { ...portOrOpts };
    if (typeof host === 'function') cb = host;
    else if (typeof host === 'string') o.host = host;
    if (cb !== undefined) this.once('connect', cb);
    if (this.fd >= 0) {
      queueMicrotask(() => this.destroy(new ErrnoError(106, 'connect')));
      return this;
    }
    const t = this.task;
    const fd = t.socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      queueMicrotask(() => this.destroy(new ErrnoError(fd, 'socket')));
      return this;
    }
    this.fd = fd;
    let addr: SockaddrIn;
    try {
      addr = { family: AF_INET, addr: hostAddr(o.host, 'connect'), port: o.port };
      if (o.localAddress !== undefined || o.localPort !== undefined) {
        t.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        const e = t.bind(fd, { family: AF_INET, addr: o.localAddress ? hostAddr(o.localAddress, 'bind') : INADDR_ANY, port: o.localPort ?? 0 });
        if (e < 0) throw new ErrnoError(e, 'bind');
      }
    } catch (e) {
      queueMicrotask(() => this.destroy(e as Error));
      return this;
    }
    if (o.noDelay) this.setNoDelay(true);
    if (o.keepAlive) this.setKeepAlive(true, o.keepAliveInitialDelay ?? 0);
    if (o.timeout !== undefined) this.setTimeout(o.timeout);
    this.connecting = true;
    this.ac = new AbortController();
    void t.connectAsync(fd, addr, { signal: this.ac.signal }).then((r) => {
      this.connecting = false;
      if (this.destroyed) return;
      if (r < 0) {
        // As net's exceptionWithHostPort: the address and port ride along.
        const e = Object.assign(new ErrnoError(r, 'connect', `${inetNtoa(addr.addr)}:${addr.port}`),
          { address: inetNtoa(addr.addr), port: addr.port });
        this.destroy(e);
        return;
      }
      this.touch();
      this.emit('connect');
      this.emit('ready');
    });
    return this;
  }

  private name(peer: boolean): SockaddrIn | null {
    const known = peer ? this.peer : this.local;
    if (known !== null || this.fd < 0 || this.connecting) return known;
    const a = peer ? this.task.getpeername(this.fd) : this.task.getsockname(this.fd);
    if (typeof a === 'number') return null;
    if (peer) this.peer = a;
    else this.local = a;
    return a;
  }

  get remoteAddress(): string | undefined {
    const a = this.name(true);
    return a === null ? undefined : inetNtoa(a.addr);
  }
  get remotePort(): number | undefined {
    return this.name(true)?.port;
  }
  get remoteFamily(): string | undefined {
    return this.name(true) === null ? undefined : 'IPv4';
  }
  get localAddress(): string | undefined {
    const a = this.name(false);
    return a === null ? undefined : inetNtoa(a.addr);
  }
  get localPort(): number | undefined {
    return this.name(false)?.port;
  }
  get localFamily(): string | undefined {
    return this.name(false) === null ? undefined : 'IPv4';
  }
  /** Bytes handed to the kernel plus those still waiting in the Writable buffer, as net.Socket counts. */
  get bytesWritten(): number {
    return this.written + this.writableLength;
  }
  get pending(): boolean {
    return this.fd < 0 || this.connecting;
  }
  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    const a = this.name(false);
    return a === null ? {} : { address: inetNtoa(a.addr), family: 'IPv4', port: a.port };
  }

  setNoDelay(noDelay = true): this {
    if (this.fd >= 0) this.task.setsockopt(this.fd, SOL_TCP, TCP_NODELAY, noDelay ? 1 : 0);
    return this;
  }

  /** setKeepAlive(enable, initialDelay ms): SO_KEEPALIVE, and TCP_KEEPIDLE in seconds. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.fd < 0) return this;
    this.task.setsockopt(this.fd, SOL_SOCKET, SO_KEEPALIVE, enable ? 1 : 0);
    if (enable && initialDelay > 0) this.task.setsockopt(this.fd, SOL_TCP, TCP_KEEPIDLE, Math.max(1, Math.floor(initialDelay / 1000)));
    return this;
  }

  /** Emit 'timeout' after `ms` of no activity, on the host's clock; 0 turns it off. */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb !== undefined) {
      if (ms === 0) this.removeListener('timeout', cb);
      else this.once('timeout', cb);
    }
    this.idleMs = ms;
    this.touch();
    return this;
  }

  get timeout(): number | undefined {
    return this.idleMs > 0 ? this.idleMs : undefined;
  }

  private touch(): void {
    const clock = this.task.net.clock;
    if (this.idleTimer !== null) {
      clock.cancel(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = clock.schedule(this.idleMs, () => {
        this.idleTimer = null;
        this.emit('timeout');
      });
    }
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  /** End the writable side, then destroy once it has flushed (as net.Socket.destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  resetAndDestroy(): this {
    if (this.fd >= 0) this.task.setsockopt(this.fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
    return this.destroy();
  }

  override _read(): void {
    if (this.connecting) {
      this.once('connect', () => this._read());
      return;
    }
    if (this.fd < 0) return;
    this.readLoop();
  }

  /** Put the socket's waiter on its wait queue, once; false when the fd is gone. */
  private armWaiter(): boolean {
    if (this.wq !== null) return true;
    const sock = this.task.sockfdLookup(this.fd);
    if (typeof sock === 'number') return false;
    this.wq = sock.wq;
    sock.wq.waiters.add(this.wakeFn);
    return true;
  }

  private disarmWaiter(): void {
    if (this.wq === null) return;
    this.wq.waiters.delete(this.wakeFn);
    this.wq = null;
  }

  /** The waiter: called from the wakers (softirq context); the retry runs later, once. */
  private wake(mask: number): void {
    if (this.retryQueued) return;
    if ((this.readWaiting && (mask & READ_WAKE) !== 0) || (this.wIov !== null && (mask & WRITE_WAKE) !== 0)) {
      this.retryQueued = true;
      this.task.net.clock.defer(this.retryFn);
    }
  }

  private retry(): void {
    this.retryQueued = false;
    if (this.destroyed || this.fd < 0) return;
    if (this.wIov !== null) this.writeMore();
    if (this.readWaiting && !this.destroyed) this.readLoop();
  }

  /**
   * Read what is queued without sleeping, as Node does after epoll says readable: each read
   * goes straight into the slab and up as a view of it, until push() wants no more (the
   * stream calls _read again later) or the read would block (the waiter calls back).
   */
  private readLoop(): void {
    const t = this.task;
    const msg = this.rmsg;
    this.readWaiting = false;
    while (!this.destroyed) {
      msg.iov[0] = slabWin;
      msg.name = null;
      msg.flags = 0;
      const n = t.recvmsg(this.fd, msg, MSG_DONTWAIT);
      if (n > 0) {
        this.bytesRead += n;
        this.touch();
        if (!this.push(slabTake(n))) return;
        continue;
      }
      if (n === 0) {
        this.push(null);
        return;
      }
      if (n === -EAGAIN) {
        if (this.armWaiter()) this.readWaiting = true;
        return;
      }
      if (n === -EINTR || n === -EBADF) return;
      this.destroy(new ErrnoError(n, 'read'));
      return;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeIov([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const iov: Uint8Array[] = new Array<Uint8Array>(chunks.length);
    for (let i = 0; i < chunks.length; i++) iov[i] = chunks[i]!.chunk;
    this.writeIov(iov, cb);
  }

  /**
   * Try the write at once, as libuv's uv_try_write does: when the send buffer takes it all the
   * callback runs now, so write() only reports backpressure once the kernel's buffer is full.
   * The rest goes out as the waiter reports space, the callback running once all of it has
   * (the stream holds further writes until then).
   */
  private writeIov(iov: Uint8Array[], cb: (err?: Error | null) => void): void {
    if (this.connecting) {
      this.once('connect', () => this.writeIov(iov, cb));
      return;
    }
    if (this.fd < 0 || this.destroyed) {
      cb(new ErrnoError(EBADF, 'write'));
      return;
    }
    let total = 0;
    for (let i = 0; i < iov.length; i++) total += iov[i]!.length;
    const msg = this.smsg;
    msg.iov = iov;
    msg.name = null;
    msg.flags = 0;
    const n = this.task.sendmsg(this.fd, msg, MSG_DONTWAIT);
    msg.iov = NO_IOV;
    if (n < 0 && n !== -EAGAIN) {
      cb(new ErrnoError(n, 'write'));
      return;
    }
    const first = n > 0 ? n : 0;
    if (first > 0) this.touch();
    // Counted when the write completes: until then writableLength still holds these bytes.
    if (first === total) {
      this.written += first;
      cb();
      return;
    }
    if (!this.armWaiter()) {
      this.written += first;
      cb(new ErrnoError(EBADF, 'write'));
      return;
    }
    this.wIov = first > 0 ? iovAdvance(iov, first) : iov;
    this.wCb = cb;
    this.wSent = first;
    this.wTotal = total;
  }

  /** The send buffer has room again: send more of the pending write. */
  private writeMore(): void {
    const iov = this.wIov!;
    const msg = this.smsg;
    msg.iov = iov;
    msg.name = null;
    msg.flags = 0;
    const n = this.task.sendmsg(this.fd, msg, MSG_DONTWAIT);
    msg.iov = NO_IOV;
    if (n === -EAGAIN) return;
    if (n < 0) {
      this.finishWrite(new ErrnoError(n, 'write'));
      return;
    }
    this.wSent += n;
    if (n > 0) this.touch();
    if (this.wSent < this.wTotal) {
      this.wIov = iovAdvance(iov, n);
      return;
    }
    this.finishWrite(null);
  }

  private finishWrite(err: Error | null): void {
    const cb = this.wCb!;
    this.written += this.wSent;
    this.wIov = null;
    this.wCb = null;
    this.wSent = 0;
    this.wTotal = 0;
    cb(err);
  }

  /** end(): every write has reached the send queue, so the FIN goes behind the data. */
  override _final(cb: (err?: Error | null) => void): void {
    if (this.connecting) {
      this.once('connect', () => this._final(cb));
      return;
    }
    if (this.fd >= 0) this.task.shutdown(this.fd, SHUT_WR);
    cb();
  }

  /** Close the fd; unread data makes TCP answer with a reset, as Linux's close does. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.idleTimer !== null) {
      this.task.net.clock.cancel(this.idleTimer);
      this.idleTimer = null;
    }
    this.ac?.abort();
    this.disarmWaiter();
    this.readWaiting = false;
    // As stream_base_commons' onWriteComplete: a write ending after destroy completes quietly.
    if (this.wCb !== null) {
      const wcb = this.wCb;
      this.wIov = null;
      this.wCb = null;
      this.written += this.wSent;
      this.wSent = 0;
      queueMicrotask(() => wcb());
    }
    if (this.fd >= 0) {
      // Keep the names readable after close; the fd number may be reused at once.
      this.name(true);
      this.name(false);
      this.task.close(this.fd);
      this.fd = -1;
    }
    this.connecting = false;
    cb(err);
    process.nextTick(() => this.emit('close', err !== null && err !== undefined));
  }
}

const NO_IOV: Uint8Array[] = [];

/** The iov with its first `off` bytes consumed. */
function iovAdvance(iov: Uint8Array[], off: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of iov) {
    if (off >= b.length) {
      off -= b.length;
      continue;
    }
    out.push(off > 0 ? b.subarray(off) : b);
    off = 0;
  }
  return out;
}

/** net.connect / net.createConnection */
export function knetConnect(task: Task, opts: KnetConnectOptions | number, hostOrCb?: string | (() => void), cb?: () => void): KnetSocket {
  const s = new KnetSocket(task);
  return s.connect(opts, hostOrCb as string, cb);
}

export interface KnetServerOptions extends KnetSocketOptions {
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

/** A net.Server over a listening knet socket. */
export class KnetServer extends EventEmitter {
  fd = -1;
  listening = false;
  /** Connections beyond this are closed at once ('drop'), as net.Server does; 0 = no limit. */
  maxConnections = 0;
  private readonly conns = new Set<KnetSocket>();
  private closing = false;
  /** The listener's one waiter (as an epoll registration), and whether an accept is queued. */
  private wq: WaitQueueHead | null = null;
  private acceptQueued = false;
  private readonly wakeFn = (mask: number): void => {
    if (this.acceptQueued || (mask & READ_WAKE) === 0) return;
    this.acceptQueued = true;
    this.task.net.clock.defer(this.acceptFn);
  };
  private readonly acceptFn = (): void => {
    this.acceptQueued = false;
    this.acceptLoop();
  };
  private readonly onConnClose: (s: KnetSocket) => void = (s) => {
    this.conns.delete(s);
    this.maybeClosed();
  };

  constructor(readonly task: Task, readonly opts: KnetServerOptions = {}, listener?: (s: KnetSocket) => void) {
    super();
    if (listener !== undefined) this.on('connection', listener);
  }

  /** listen(port[, host][, backlog][, cb]) or listen({ port, host, backlog }[, cb]). */
  listen(...args: unknown[]): this {
    let cb: (() => void) | undefined;
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as () => void;
    let o: ListenOptions;
    if (typeof args[0] === 'object' && args[0] !== null) o = args[0] as ListenOptions;
    else {
      o = { port: args[0] as number | undefined };
      if (typeof args[1] === 'string') {
        o.host = args[1];
        if (typeof args[2] === 'number') o.backlog = args[2];
      } else if (typeof args[1] === 'number') o.backlog = args[1];
    }
    if (cb !== undefined) this.once('listening', cb);
    const t = this.task;
    const fail = (e: Error): this => {
      queueMicrotask(() => this.emit('error', e));
      return this;
    };
    const fd = t.socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail(new ErrnoError(fd, 'socket'));
    this.fd = fd;
    // net.Server sets SO_REUSEADDR, as libuv does for every TCP listener.
    t.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    let addr: number;
    try {
      addr = o.host === undefined || o.host === '' || o.host === '0.0.0.0' ? INADDR_ANY : hostAddr(o.host, 'listen');
    } catch (e) {
      return fail(e as Error);
    }
    let err = t.bind(fd, { family: AF_INET, addr, port: o.port ?? 0 });
    if (err === 0) err = t.listen(fd, o.backlog ?? 511);
    if (err < 0) {
      t.close(fd);
      this.fd = -1;
      return fail(new ErrnoError(err, 'listen', `${o.host ?? '0.0.0.0'}:${o.port ?? 0}`));
    }
    this.listening = true;
    const sock = t.sockfdLookup(fd);
    if (typeof sock !== 'number') {
      this.wq = sock.wq;
      sock.wq.waiters.add(this.wakeFn);
    }
    queueMicrotask(() => this.emit('listening'));
    this.acceptLoop();
    return this;
  }

  /** Accept every queued connection without sleeping; the waiter calls back for more. */
  private acceptLoop(): void {
    while (this.listening) {
      const nfd = this.task.accept4(this.fd, 0);
      if (nfd === -EAGAIN) return;
      if (!this.listening) {
        if (nfd >= 0) this.task.close(nfd);
        return;
      }
      if (nfd === -EINTR || nfd === -EBADF) return;
      if (nfd < 0) {
        this.emit('error', new ErrnoError(nfd, 'accept'));
        // A connection that died in the queue is the only error worth another try; anything
        // else (the listener shut down: EINVAL) would fail again at once.
        if (nfd === -ECONNABORTED) continue;
        this.stopListening();
        return;
      }
      if (this.maxConnections > 0 && this.conns.size >= this.maxConnections) {
        const peer = this.task.getpeername(nfd);
        this.task.close(nfd);
        this.emit('drop', typeof peer === 'number' ? {} : { remoteAddress: inetNtoa(peer.addr), remotePort: peer.port, remoteFamily: 'IPv4' });
        continue;
      }
      const s = new KnetSocket(this.task, nfd, this.opts);
      s.server = this;
      if (this.opts.noDelay) s.setNoDelay(true);
      if (this.opts.keepAlive) s.setKeepAlive(true, this.opts.keepAliveInitialDelay ?? 0);
      this.conns.add(s);
      s.once('close', () => this.onConnClose(s));
      this.emit('connection', s);
    }
  }

  private stopListening(): void {
    this.listening = false;
    if (this.wq !== null) {
      this.wq.waiters.delete(this.wakeFn);
      this.wq = null;
    }
  }

  address(): { address: string; family: string; port: number } | null {
    if (this.fd < 0) return null;
    const a = this.task.getsockname(this.fd);
    return typeof a === 'number' ? null : { address: inetNtoa(a.addr), family: 'IPv4', port: a.port };
  }

  getConnections(cb: (err: Error | null, n: number) => void): this {
    const n = this.conns.size;
    queueMicrotask(() => cb(null, n));
    return this;
  }

  /** Stop accepting; 'close' follows once every accepted connection has closed. */
  close(cb?: (err?: Error) => void): this {
    if (!this.listening) {
      const e = Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' });
      if (cb !== undefined) queueMicrotask(() => cb(e));
      return this;
    }
    if (cb !== undefined) this.once('close', cb);
    this.stopListening();
    this.closing = true;
    this.task.close(this.fd);
    this.maybeClosed();
    return this;
  }

  private maybeClosed(): void {
    if (this.closing && this.conns.size === 0) {
      this.closing = false;
      queueMicrotask(() => this.emit('close'));
    }
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** net.createServer */
export function knetCreateServer(task: Task, opts?: KnetServerOptions | ((s: KnetSocket) => void), listener?: (s: KnetSocket) => void): KnetServer {
  if (typeof opts === 'function') return new KnetServer(task, {}, opts);
  return new KnetServer(task, opts ?? {}, listener);
}
