// A dgram.Socket look-alike over a knet UDP socket: bind, send, 'message', connect,
// setBroadcast, address(), close(). Errors are ErrnoError with Node's `code`.
import { EventEmitter } from 'node:events';
import type { SockaddrIn } from '@knet/include';
import {
  AF_INET, EAGAIN, EBADF, EINTR, ErrnoError, INADDR_ANY, IP_TTL, SOCK_DGRAM, SOL_IP, SOL_SOCKET, SO_BROADCAST,
  SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, inetAton, inetNtoa,
} from '@knet/include';
import type { Task } from './task.js';

/** The rinfo of a 'message' event. */
export interface RemoteInfo {
  address: string;
  family: 'IPv4';
  port: number;
  size: number;
}

export interface KnetDgramOptions {
  type?: 'udp4';
  reuseAddr?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
}

type SendCb = (err: Error | null, bytes?: number) => void;

/** Largest datagram the receive loop reads (a UDP payload cannot be larger). */
const RECV_BUF = 65536;

function parseAddr(host: string | undefined, syscall: string): number {
  if (host === undefined || host === '' || host === 'localhost') return host === 'localhost' ? 0x7f000001 : INADDR_ANY;
  const a = inetAton(host);
  if (a < 0) throw new ErrnoError(22, syscall, host);
  return a;
}

export class KnetDgramSocket extends EventEmitter {
  readonly fd: number;
  private bound = false;
  private closed = false;
  private connected = false;
  private receiving = false;
  private readonly abort = new AbortController();
  private readonly rbuf = new Uint8Array(RECV_BUF);

  constructor(readonly task: Task, opts: KnetDgramOptions = {}) {
    super();
    const fd = task.socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) throw new ErrnoError(fd, 'socket');
    this.fd = fd;
    if (opts.reuseAddr) task.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (opts.recvBufferSize !== undefined) task.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, opts.recvBufferSize);
    if (opts.sendBufferSize !== undefined) task.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, opts.sendBufferSize);
  }

  /** bind([port][, address][, callback]): 'listening' once bound. */
  bind(port?: number | (() => void), address?: string | (() => void), cb?: () => void): this {
    if (typeof port === 'function') {
      cb = port;
      port = 0;
    }
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    if (cb !== undefined) this.once('listening', cb);
    let err: number;
    try {
      err = this.task.bind(this.fd, { family: AF_INET, addr: parseAddr(address, 'bind'), port: port ?? 0 });
    } catch (e) {
      queueMicrotask(() => this.emit('error', e));
      return this;
    }
    if (err < 0) {
      queueMicrotask(() => this.emit('error', new ErrnoError(err, 'bind')));
      return this;
    }
    this.bound = true;
    this.startReceiving();
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  /** An unbound socket is bound to an ephemeral port before its first send, as Node does. */
  private ensureBound(): void {
    if (this.bound) return;
    this.bound = true;
    this.startReceiving();
    queueMicrotask(() => this.emit('listening'));
  }

  /** send(msg[, offset, length][, port][, address][, callback]) */
  send(msg: Uint8Array | string | readonly (Uint8Array | string)[], ...args: unknown[]): void {
    let cb: SendCb | undefined;
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as SendCb;
    let data = toBytes(msg);
    if (typeof args[0] === 'number' && typeof args[1] === 'number' && args.length >= 2 && (args.length > 2 || this.connected)) {
      data = data.subarray(args[0], args[0] + args[1]);
      args = args.slice(2);
    }
    const port = args[0] as number | undefined;
    const address = args[1] as string | undefined;
    const done = (err: Error | null, n?: number): void => {
      if (cb !== undefined) queueMicrotask(() => cb!(err, n));
      else if (err !== null) queueMicrotask(() => this.emit('error', err));
    };
    if (this.closed) return done(new ErrnoError(EBADF, 'send'));
    let to: SockaddrIn | null = null;
    if (!this.connected || port !== undefined) {
      if (port === undefined) return done(new ErrnoError(89, 'send'));
      try {
        to = { family: AF_INET, addr: address === undefined ? 0x7f000001 : parseAddr(address, 'send'), port };
      } catch (e) {
        return done(e as Error);
      }
    }
    this.ensureBound();
    void this.task.sendtoAsync(this.fd, data, 0, to, { signal: this.abort.signal }).then((n) => {
      if (n < 0) done(new ErrnoError(n, 'send'));
      else done(null, n);
    });
  }

  /** connect(port[, address][, callback]): 'connect' once the peer is fixed. */
  connect(port: number, address?: string | (() => void), cb?: () => void): void {
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    if (cb !== undefined) this.once('connect', cb);
    this.ensureBound();
    let err: number;
    try {
      err = this.task.connect(this.fd, { family: AF_INET, addr: address === undefined ? 0x7f000001 : parseAddr(address, 'connect'), port });
    } catch (e) {
      queueMicrotask(() => this.emit('error', e));
      return;
    }
    if (err < 0) {
      queueMicrotask(() => this.emit('error', new ErrnoError(err, 'connect')));
      return;
    }
    this.connected = true;
    queueMicrotask(() => this.emit('connect'));
  }

  disconnect(): void {
    this.task.connect(this.fd, { family: 0, addr: 0, port: 0 });
    this.connected = false;
  }

  setBroadcast(flag: boolean): void {
    this.task.setsockopt(this.fd, SOL_SOCKET, SO_BROADCAST, flag ? 1 : 0);
  }

  setTTL(ttl: number): number {
    const err = this.task.setsockopt(this.fd, SOL_IP, IP_TTL, ttl);
    if (err < 0) throw new ErrnoError(err, 'setTTL');
    return ttl;
  }

  address(): { address: string; family: 'IPv4'; port: number } {
    const a = this.task.getsockname(this.fd);
    if (typeof a === 'number') throw new ErrnoError(a, 'getsockname');
    return { address: inetNtoa(a.addr), family: 'IPv4', port: a.port };
  }

  remoteAddress(): { address: string; family: 'IPv4'; port: number } {
    const a = this.task.getpeername(this.fd);
    if (typeof a === 'number') throw new ErrnoError(a, 'getpeername');
    return { address: inetNtoa(a.addr), family: 'IPv4', port: a.port };
  }

  close(cb?: () => void): this {
    if (this.closed) return this;
    this.closed = true;
    if (cb !== undefined) this.once('close', cb);
    this.abort.abort();
    this.task.close(this.fd);
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  /** The receive loop: one recvfromAsync at a time, each datagram a 'message'. */
  private startReceiving(): void {
    if (this.receiving) return;
    this.receiving = true;
    const loop = async (): Promise<void> => {
      while (!this.closed) {
        const r = await this.task.recvfromAsync(this.fd, this.rbuf, 0, { signal: this.abort.signal });
        if (this.closed) return;
        if (r.n < 0) {
          if (r.n === -EBADF || r.n === -EINTR) return;
          // A connected socket's ICMP error (read once from sk_err) surfaces here, as in Node.
          if (r.n !== -EAGAIN) this.emit('error', new ErrnoError(r.n, 'recvmsg'));
          continue;
        }
        const a = r.addr!;
        this.emit('message', Buffer.from(this.rbuf.subarray(0, r.n)), { address: inetNtoa(a.addr), family: 'IPv4', port: a.port, size: r.n });
      }
    };
    void loop();
  }
}

function toBytes(msg: Uint8Array | string | readonly (Uint8Array | string)[]): Uint8Array {
  if (typeof msg === 'string') return Buffer.from(msg);
  if (msg instanceof Uint8Array) return msg;
  return Buffer.concat(msg.map((m) => (typeof m === 'string' ? Buffer.from(m) : m)));
}

/** dgram.createSocket('udp4', listener) */
export function knetCreateDgramSocket(task: Task, opts: KnetDgramOptions | 'udp4' = 'udp4', listener?: (msg: Buffer, rinfo: RemoteInfo) => void): KnetDgramSocket {
  const s = new KnetDgramSocket(task, typeof opts === 'string' ? {} : opts);
  if (listener !== undefined) s.on('message', listener);
  return s;
}
