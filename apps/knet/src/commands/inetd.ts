// inetd's built-in TCP services (echo RFC 862, discard RFC 863, chargen RFC 864) on knet's
// socket calls: one epoll loop serves every listener and connection, as a C server does.
// Reads land in one reused buffer, so a connection costs no stream object and a read no
// Buffer; only bytes an echo could not send at once are kept.
import type { EpollEvent, Task } from '@knet/socket';
import {
  AF_INET, EAGAIN, EINTR, EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, INADDR_ANY,
  MSG_DONTWAIT, SHUT_WR, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SOL_TCP, SO_REUSEADDR, TCP_NODELAY,
} from '@knet/include';
import { CHARGEN_CHUNK, type ServiceStats } from './services.js';

export type InetdService = 'echo' | 'discard' | 'chargen';

/** The socket calls the loop uses (a @knet/socket Task). */
export type InetdTask = Pick<Task, 'socket' | 'setsockopt' | 'bind' | 'listen' | 'accept4' | 'recv' | 'send' | 'shutdown'
  | 'close' | 'epollCreate1' | 'epollCtl' | 'epollWaitAsync'>;

interface Listener {
  fd: number;
  svc: InetdService;
  st: ServiceStats;
}

interface Conn {
  fd: number;
  svc: InetdService;
  st: ServiceStats;
  /** Echo: bytes read but not yet sent back (reading waits until they are). */
  pending: Uint8Array | null;
  /** Chargen: where in CHARGEN_CHUNK the next send starts. */
  off: number;
  /** Shut down for writing (FIN sent) while the service stops. */
  finSent: boolean;
}

/** Bytes one read takes at most; every connection reads into the same buffer. */
const READ_LEN = 1 << 18;
/** Reads (or accepts) one readiness event does at most, so one busy peer cannot starve the rest. */
const ROUNDS = 16;
/** How long a stop waits for peers to answer our FINs before closing what is left. */
const DRAIN_MS = 2000;

export class Inetd {
  private readonly ep: number;
  private readonly listeners = new Map<number, Listener>();
  private readonly conns = new Map<number, Conn>();
  private readonly buf = new Uint8Array(READ_LEN);
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly t: InetdTask) {
    const ep = t.epollCreate1(0);
    if (ep < 0) throw new Error(`epoll_create1: errno ${-ep}`);
    this.ep = ep;
  }

  /** Listen on tcp/`port` for `svc`; 0 or -errno (the port is taken, ...). */
  listen(port: number, svc: InetdService, st: ServiceStats): number {
    const t = this.t;
    const fd = t.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return fd;
    t.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    let e = t.bind(fd, { family: AF_INET, addr: INADDR_ANY, port });
    if (e === 0) e = t.listen(fd, 1024);
    if (e === 0) e = t.epollCtl(this.ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN, data: fd });
    if (e < 0) {
      t.close(fd);
      return e;
    }
    this.listeners.set(fd, { fd, svc, st });
    this.loop ??= this.run();
    return 0;
  }

  /** Connections open now. */
  get active(): number {
    return this.conns.size;
  }

  /**
   * Stop accepting, send every connection a FIN, give the peers DRAIN_MS to close their side,
   * then close what is left.
   */
  async stop(): Promise<void> {
    for (const l of this.listeners.values()) this.t.close(l.fd);
    this.listeners.clear();
    for (const c of this.conns.values()) this.finish(c);
    const deadline = Date.now() + DRAIN_MS;
    while (this.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.stopping.abort();
    await this.loop;
    for (const c of [...this.conns.values()]) this.drop(c);
    this.t.close(this.ep);
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const evs = await this.t.epollWaitAsync(this.ep, 64, -1, { signal });
      if (typeof evs === 'number') {
        if (evs === -EINTR) return;
        throw new Error(`epoll_wait: errno ${-evs}`);
      }
      for (const ev of evs) this.event(ev);
    }
  }

  private event(ev: EpollEvent): void {
    const fd = ev.data as number;
    const l = this.listeners.get(fd);
    if (l !== undefined) {
      this.accept(l);
      return;
    }
    const c = this.conns.get(fd);
    if (c === undefined) return;
    if ((ev.events & EPOLLOUT) !== 0 && !this.writable(c)) return;
    if ((ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) !== 0) this.readable(c);
  }

  private accept(l: Listener): void {
    const t = this.t;
    for (let i = 0; i < ROUNDS; i++) {
      const fd = t.accept4(l.fd, SOCK_NONBLOCK);
      if (fd < 0) return;
      // As the reference servers do: a reply goes out at once, not held by Nagle for an ACK.
      t.setsockopt(fd, SOL_TCP, TCP_NODELAY, 1);
      const c: Conn = { fd, svc: l.svc, st: l.st, pending: null, off: 0, finSent: false };
      const events = c.svc === 'chargen' ? EPOLLIN | EPOLLOUT : EPOLLIN;
      if (t.epollCtl(this.ep, EPOLL_CTL_ADD, fd, { events, data: fd }) < 0) {
        t.close(fd);
        continue;
      }
      this.conns.set(fd, c);
      c.st.connections++;
      c.st.active++;
    }
  }

  /** Readable, or the peer closed or failed: read what is there (bounded). */
  private readable(c: Conn): void {
    const t = this.t;
    const buf = this.buf;
    for (let i = 0; i < ROUNDS && c.pending === null; i++) {
      const n = t.recv(c.fd, buf, MSG_DONTWAIT);
      if (n === -EAGAIN) return;
      if (n <= 0) {
        // EOF or a reset: the peer is done, and so are we (RFC 862-864 end with the connection).
        this.drop(c);
        return;
      }
      c.st.rxBytes += n;
      if (c.svc === 'echo' && !c.finSent) this.echo(c, buf.subarray(0, n));
    }
  }

  private echo(c: Conn, data: Uint8Array): void {
    const n = this.t.send(c.fd, data, MSG_DONTWAIT);
    const sent = n > 0 ? n : 0;
    c.st.txBytes += sent;
    if (n < 0 && n !== -EAGAIN) {
      this.drop(c);
      return;
    }
    if (sent === data.length) return;
    // The send buffer is full: keep the rest and stop reading until it has gone (backpressure).
    c.pending = data.slice(sent);
    this.t.epollCtl(this.ep, EPOLL_CTL_MOD, c.fd, { events: EPOLLOUT, data: c.fd });
  }

  /** Room to send: finish a pending echo, or send more chargen. False when the conn is gone. */
  private writable(c: Conn): boolean {
    const t = this.t;
    if (c.svc === 'chargen') {
      if (c.finSent) return true;
      for (let i = 0; i < ROUNDS; i++) {
        const n = t.send(c.fd, CHARGEN_CHUNK.subarray(c.off), MSG_DONTWAIT);
        if (n === -EAGAIN) return true;
        if (n < 0) {
          this.drop(c);
          return false;
        }
        c.st.txBytes += n;
        c.off = (c.off + n) % CHARGEN_CHUNK.length;
      }
      return true;
    }
    const p = c.pending;
    if (p === null) return true;
    const n = t.send(c.fd, p, MSG_DONTWAIT);
    if (n === -EAGAIN) return true;
    if (n < 0) {
      this.drop(c);
      return false;
    }
    c.st.txBytes += n;
    if (n < p.length) {
      c.pending = p.subarray(n);
      return true;
    }
    c.pending = null;
    t.epollCtl(this.ep, EPOLL_CTL_MOD, c.fd, { events: EPOLLIN, data: c.fd });
    return true;
  }

  /** The service is stopping: FIN now, close once the peer has closed too (or at the deadline). */
  private finish(c: Conn): void {
    if (c.finSent) return;
    c.finSent = true;
    c.pending = null;
    this.t.shutdown(c.fd, SHUT_WR);
    this.t.epollCtl(this.ep, EPOLL_CTL_MOD, c.fd, { events: EPOLLIN, data: c.fd });
  }

  private drop(c: Conn): void {
    if (!this.conns.delete(c.fd)) return;
    c.st.active--;
    // close(2) takes the fd out of the epoll set, as Linux does for the last reference.
    this.t.close(c.fd);
  }
}
