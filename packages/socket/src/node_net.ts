// net.Socket and net.Server look-alikes over knet stream sockets, so Node code (http, streams)
// can run on the stack. Reads and writes use the Task's Promise forms; timers use the host's
// clock, so the adapters work on the real clock and on the virtual one. Errors are ErrnoError
// with Node's `code` ('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', ...).
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { ClockEvent, SockaddrIn } from '@knet/include';
import {
  AF_INET, EAGAIN, EBADF, ECONNABORTED, EINTR, ErrnoError, INADDR_ANY, MSG_DONTWAIT, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SOL_TCP,
  SO_KEEPALIVE, SO_LINGER, SO_REUSEADDR, TCP_KEEPIDLE, TCP_NODELAY, inetAton, inetNtoa,
} from '@knet/include';
import type { Task } from './task.js';

/** Bytes one read asks for (net.Socket reads 64 KiB at a time as well). */
const READ_CHUNK = 65536;

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
  private pumping = false;
  private readonly ac = new AbortController();
  private readonly rbuf = new Uint8Array(READ_CHUNK);
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
    if (this.fd < 0 || this.pumping) return;
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.destroyed) {
        const n = await this.task.recvAsync(this.fd, this.rbuf, 0, { signal: this.ac.signal });
        if (this.destroyed) return;
        if (n > 0) {
          this.bytesRead += n;
          this.touch();
          if (!this.push(Buffer.from(this.rbuf.subarray(0, n)))) return;
          continue;
        }
        if (n === 0) {
          this.push(null);
          return;
        }
        if (n === -EINTR || n === -EBADF) return;
        this.destroy(new ErrnoError(n, 'read'));
        return;
      }
    } finally {
      this.pumping = false;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeIov([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.writeIov(chunks.map((c) => c.chunk), cb);
  }

  /**
   * Try the write at once, as libuv's uv_try_write does: when the send buffer takes it all the
   * callback runs now, so write() only reports backpressure once the kernel's buffer is full.
   * The rest is sent by a sleeping sendmsg.
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
    for (const b of iov) total += b.length;
    const n = this.task.sendmsg(this.fd, { name: null, iov, flags: 0 }, MSG_DONTWAIT);
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
    const rest = first > 0 ? iovAdvance(iov, first) : iov;
    void this.task.sendmsgAsync(this.fd, { name: null, iov: rest, flags: 0 }, 0, { signal: this.ac.signal }).then((m) => {
      // As stream_base_commons' onWriteComplete: a write ending after destroy completes quietly.
      if (this.destroyed) {
        cb();
        return;
      }
      if (m < 0) {
        this.written += first;
        cb(new ErrnoError(m, 'write'));
        return;
      }
      this.written += first + m;
      this.touch();
      cb();
    });
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
    this.ac.abort();
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
  private readonly ac = new AbortController();
  private closing = false;

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
    queueMicrotask(() => this.emit('listening'));
    void this.acceptLoop();
    return this;
  }

  private async acceptLoop(): Promise<void> {
    while (this.listening) {
      const nfd = await this.task.acceptAsync(this.fd, 0, { signal: this.ac.signal });
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
        this.listening = false;
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
      s.once('close', () => {
        this.conns.delete(s);
        this.maybeClosed();
      });
      this.emit('connection', s);
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
    this.listening = false;
    this.closing = true;
    this.ac.abort();
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
