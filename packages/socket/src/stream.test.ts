// Stream sockets through the Task's fd table: two hosts with igb NICs on a cable, TCP behind
// inet_stream_ops, everything on the virtual clock.
import { describe, expect, test } from 'vitest';
import type { SockaddrIn } from '@knet/include';
import {
  AF_INET, EAGAIN, EALREADY, EBADF, ECONNABORTED, ECONNREFUSED, ECONNRESET, EINPROGRESS, EINTR, EISCONN, ENOTCONN, EPIPE,
  EPOLLET, EPOLLIN, EPOLLOUT, EPOLL_CTL_ADD, ETIMEDOUT, F_GETFL, IPPROTO_TCP, MSG_DONTWAIT, MSG_WAITALL,
  NF_ACCEPT, NF_DROP, NF_INET_LOCAL_IN, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SHUT_WR,
  SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SOL_TCP, SO_ERROR, SO_LINGER, SO_KEEPALIVE, SO_RCVLOWAT, SO_RCVTIMEO, SO_SNDBUF, SO_SNDTIMEO, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL,
  TCP_SYNCNT, TCP_CLOSE, TCP_FIN_WAIT2, TCP_TIME_WAIT,
} from '@knet/include';
import type { SkBuff } from '@knet/include';
import { nfRegisterNetHook, nfUnregisterNetHook, type NfHookOps } from '@knet/ipv4';
import { tcpNet } from '@knet/tcp';
import type { VirtualClock } from '@knet/softirq';
import { A, B, type BenchHost, cableHosts, ip, runFor, settle } from './test/bench.js';
import type { Task } from './task.js';

const sin = (addr: string, port: number): SockaddrIn => ({ family: AF_INET, addr: ip(addr), port });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array, n: number): string => new TextDecoder().decode(b.subarray(0, n));

function tcpHosts(seed = 1): { clock: VirtualClock; a: BenchHost; b: BenchHost } {
  return cableHosts({ seed });
}

/** socket + bind + listen on b. */
function listener(t: Task, port: number, flags = 0): number {
  const fd = t.socket(AF_INET, SOCK_STREAM | flags, 0);
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(t.bind(fd, sin('0.0.0.0', port))).toBe(0);
  expect(t.listen(fd, 16)).toBe(0);
  return fd;
}

/** A connected pair: the client fd on a, the accepted fd on b. */
async function connectedPair(port = 5000): Promise<{ clock: VirtualClock; a: BenchHost; b: BenchHost; c: number; s: number; l: number }> {
  const { clock, a, b } = tcpHosts();
  const l = listener(b.task, port);
  const c = a.task.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  const [rc, s] = await settle(clock, Promise.all([a.task.connectAsync(c, sin(B, port)), b.task.acceptAsync(l)]));
  expect(rc).toBe(0);
  expect(s).toBeGreaterThanOrEqual(0);
  return { clock, a, b, c, s, l };
}

/** Drop TCP segments arriving at `h` (iptables -A INPUT -p tcp -j DROP) while `on()` holds. */
function dropTcpIn(h: BenchHost, on: (skb: SkBuff) => boolean = () => true): () => void {
  const ops: NfHookOps = {
    name: 'drop-tcp', hooknum: NF_INET_LOCAL_IN, priority: 0,
    hook: (skb) => (skb.head[skb.networkHeader + 9] === IPPROTO_TCP && on(skb) ? NF_DROP : NF_ACCEPT),
  };
  expect(nfRegisterNetHook(h.net, ops)).toBe(0);
  return () => nfUnregisterNetHook(h.net, ops);
}

function pollOne(t: Task, fd: number, events: number): number {
  const p = [{ fd, events, revents: 0 }];
  t.poll(p);
  return p[0]!.revents;
}

describe('connect and accept', () => {
  test('blocking connect and accept; names on both ends; data both ways', async () => {
    const { clock, a, b, c, s, l } = await connectedPair(5000);
    const cl = a.task.getsockname(c) as SockaddrIn;
    expect(cl.addr).toBe(ip(A));
    expect(cl.port).toBeGreaterThanOrEqual(32768);
    expect(a.task.getpeername(c)).toEqual(sin(B, 5000));
    expect(b.task.getsockname(s)).toEqual(sin(B, 5000));
    expect(b.task.getpeername(s)).toEqual(cl);
    expect(b.task.getsockname(l)).toEqual(sin('0.0.0.0', 5000));
    expect(b.task.getpeername(l)).toBe(-ENOTCONN);
    expect(await a.task.sendAsync(c, bytes('hello'))).toBe(5);
    const buf = new Uint8Array(64);
    expect(await settle(clock, b.task.recvAsync(s, buf))).toBe(5);
    expect(text(buf, 5)).toBe('hello');
    expect(b.task.send(s, bytes('world!'))).toBe(6);
    expect(await settle(clock, a.task.recvAsync(c, buf))).toBe(6);
    expect(text(buf, 6)).toBe('world!');
    // Connected: a second connect is EISCONN.
    expect(a.task.connect(c, sin(B, 5000))).toBe(-EISCONN);
  });

  test('non-blocking connect: EINPROGRESS, EALREADY, then POLLOUT and a zero SO_ERROR', async () => {
    const { clock, a, b } = tcpHosts();
    const l = listener(b.task, 5001);
    const c = a.task.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(a.task.connect(c, sin(B, 5001))).toBe(-EINPROGRESS);
    expect(a.task.connect(c, sin(B, 5001))).toBe(-EALREADY);
    expect(pollOne(a.task, c, POLLIN | POLLOUT)).toBe(0);
    // The Promise form of a non-blocking socket does not wait either.
    const c2 = a.task.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(await a.task.connectAsync(c2, sin(B, 5001))).toBe(-EINPROGRESS);
    const p = [{ fd: c, events: POLLOUT, revents: 0 }];
    expect(await settle(clock, a.task.pollAsync(p, -1))).toBe(1);
    expect(p[0]!.revents).toBe(POLLOUT);
    expect(a.task.getsockopt(c, SOL_SOCKET, SO_ERROR)).toBe(0);
    // Linux: the connect after completion reports success once, then EISCONN.
    expect(a.task.connect(c, sin(B, 5001))).toBe(0);
    expect(a.task.connect(c, sin(B, 5001))).toBe(-EISCONN);
    expect(b.task.accept4(l)).toBeGreaterThanOrEqual(0);
  });

  test('non-blocking accept: EAGAIN, epoll EPOLLIN on the listener, accept4(SOCK_NONBLOCK)', async () => {
    const { clock, a, b } = tcpHosts();
    const l = listener(b.task, 5002, SOCK_NONBLOCK);
    expect(b.task.accept4(l)).toBe(-EAGAIN);
    expect(await b.task.acceptAsync(l)).toBe(-EAGAIN);
    const ep = b.task.epollCreate1();
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, l, { events: EPOLLIN, data: 'listener' })).toBe(0);
    const c = a.task.socket(AF_INET, SOCK_STREAM, 0);
    const connected = a.task.connectAsync(c, sin(B, 5002));
    const evs = await settle(clock, b.task.epollWaitAsync(ep, 4, -1));
    expect(evs).toEqual([{ events: EPOLLIN, data: 'listener' }]);
    expect(await settle(clock, connected)).toBe(0);
    const s = b.task.accept4(l, SOCK_NONBLOCK);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(b.task.fcntl(s, F_GETFL) & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(b.task.recv(s, new Uint8Array(4))).toBe(-EAGAIN);
    expect(await b.task.recvAsync(s, new Uint8Array(4))).toBe(-EAGAIN);
    // Without the flag the accepted socket blocks, whatever the listener's O_NONBLOCK.
    const c2 = a.task.socket(AF_INET, SOCK_STREAM, 0);
    await settle(clock, a.task.connectAsync(c2, sin(B, 5002)));
    const s2 = b.task.accept4(l);
    expect(b.task.fcntl(s2, F_GETFL) & O_NONBLOCK).toBe(0);
  });

  test('connect to a closed port is refused: blocking ECONNREFUSED; non-blocking POLLERR and SO_ERROR', async () => {
    const { clock, a } = tcpHosts();
    const c = a.task.socket(AF_INET, SOCK_STREAM, 0);
    expect(await settle(clock, a.task.connectAsync(c, sin(B, 81)))).toBe(-ECONNREFUSED);
    expect(a.task.getpeername(c)).toBe(-ENOTCONN);
    const n = a.task.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(a.task.connect(n, sin(B, 81))).toBe(-EINPROGRESS);
    const p = [{ fd: n, events: POLLOUT, revents: 0 }];
    expect(await settle(clock, a.task.pollAsync(p, -1))).toBe(1);
    expect(p[0]!.revents & (POLLERR | POLLHUP)).toBe(POLLERR | POLLHUP);
    expect(a.task.getsockopt(n, SOL_SOCKET, SO_ERROR)).toBe(ECONNREFUSED);
    expect(a.task.getsockopt(n, SOL_SOCKET, SO_ERROR)).toBe(0);
    // The error was consumed: connect reports the abort, and the socket may try again.
    expect(a.task.connect(n, sin(B, 81))).toBe(-ECONNABORTED);
    expect(a.task.connect(n, sin(B, 81))).toBe(-EINPROGRESS);
  });

  test('connect to a silent peer times out after the SYN retries (ETIMEDOUT), on the virtual clock', async () => {
    const { clock, a, b } = tcpHosts();
    dropTcpIn(b);
    const c = a.task.socket(AF_INET, SOCK_STREAM, 0);
    const t0 = clock.now();
    expect(await settle(clock, a.task.connectAsync(c, sin(B, 5003)), 200_000, 100)).toBe(-ETIMEDOUT);
    // net.ipv4.tcp_syn_retries = 6: 1 + 2 + 4 + ... + 64 s of backoff.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(127_000);
    expect(clock.now() - t0).toBeLessThan(140_000);
    // TCP_SYNCNT shortens it; a non-blocking socket learns it through SO_ERROR.
    const n = a.task.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    expect(a.task.setsockopt(n, SOL_TCP, TCP_SYNCNT, 2)).toBe(0);
    const t1 = clock.now();
    expect(a.task.connect(n, sin(B, 5003))).toBe(-EINPROGRESS);
    const p = [{ fd: n, events: POLLOUT, revents: 0 }];
    expect(await settle(clock, a.task.pollAsync(p, -1), 20_000)).toBe(1);
    expect(clock.now() - t1).toBeGreaterThanOrEqual(7_000);
    expect(p[0]!.revents & POLLERR).toBe(POLLERR);
    expect(a.task.getsockopt(n, SOL_SOCKET, SO_ERROR)).toBe(ETIMEDOUT);
  });

  test('SO_SNDTIMEO bounds a blocking connect (EINPROGRESS), and an AbortSignal ends it with EINTR', async () => {
    const { clock, a, b } = tcpHosts();
    dropTcpIn(b);
    const c = a.task.socket(AF_INET, SOCK_STREAM, 0);
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, { tv_sec: 2, tv_usec: 0 })).toBe(0);
    const t0 = clock.now();
    expect(await settle(clock, a.task.connectAsync(c, sin(B, 5004)))).toBe(-EINPROGRESS);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(clock.now() - t0).toBeLessThan(2100);
    expect(a.task.connect(c, sin(B, 5004))).toBe(-EALREADY);
    const ac = new AbortController();
    const c2 = a.task.socket(AF_INET, SOCK_STREAM, 0);
    const p = a.task.connectAsync(c2, sin(B, 5004), { signal: ac.signal });
    clock.schedule(500, () => ac.abort());
    expect(await settle(clock, p)).toBe(-EINTR);
    const l = listener(a.task, 5005);
    const ac2 = new AbortController();
    const pa = a.task.acceptAsync(l, 0, { signal: ac2.signal });
    clock.schedule(100, () => ac2.abort());
    expect(await settle(clock, pa)).toBe(-EINTR);
  });
});

describe('data, readiness and backpressure', () => {
  test('POLLIN when data arrives (poll and edge-triggered epoll); MSG_WAITALL gathers a whole buffer', async () => {
    const { clock, a, b, c, s } = await connectedPair(5010);
    expect(pollOne(b.task, s, POLLIN | POLLOUT)).toBe(POLLOUT);
    const ep = b.task.epollCreate1();
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, s, { events: EPOLLIN | EPOLLET, data: 's' })).toBe(0);
    const waiting = b.task.epollWaitAsync(ep, 4, -1);
    expect(a.task.send(c, bytes('abc'))).toBe(3);
    expect(await settle(clock, waiting)).toEqual([{ events: EPOLLIN, data: 's' }]);
    expect(pollOne(b.task, s, POLLIN)).toBe(POLLIN);
    // Edge-triggered: nothing new, nothing reported, though the data is still there.
    expect(b.task.epollWait(ep, 4)).toEqual([]);
    const buf = new Uint8Array(10);
    const all = b.task.recvAsync(s, buf, MSG_WAITALL);
    clock.schedule(20, () => a.task.send(c, bytes('defg')));
    clock.schedule(40, () => a.task.send(c, bytes('hijkl')));
    expect(await settle(clock, all)).toBe(10);
    expect(text(buf, 10)).toBe('abcdefghij');
    expect(b.task.recv(s, buf)).toBe(2);
    expect(text(buf, 2)).toBe('kl');
    expect(b.task.recv(s, buf)).toBe(-EAGAIN);
  });

  test('SO_RCVLOWAT: no POLLIN below it; a blocking read waits for it, a non-blocking one takes what is there', async () => {
    const { clock, a, b, c, s } = await connectedPair(5013);
    expect(b.task.setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, 10)).toBe(0);
    a.task.send(c, bytes('12345'));
    await runFor(clock, 20);
    expect(pollOne(b.task, s, POLLIN)).toBe(0);
    const buf = new Uint8Array(64);
    const reading = b.task.recvAsync(s, buf);
    clock.schedule(30, () => a.task.send(c, bytes('6789')));
    clock.schedule(60, () => a.task.send(c, bytes('abc')));
    const t0 = clock.now();
    expect(await settle(clock, reading)).toBe(12);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(60);
    expect(text(buf, 12)).toBe('123456789abc');
    a.task.send(c, bytes('xy'));
    await runFor(clock, 20);
    expect(b.task.recv(s, buf, MSG_DONTWAIT)).toBe(2);
  });

  test('a full send buffer: EAGAIN and no POLLOUT; the reader drains it, EPOLLOUT and a blocking send finish', async () => {
    const { clock, a, b, c, s } = await connectedPair(5011);
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 16384)).toBe(0);
    const chunk = new Uint8Array(65536).fill(7);
    let queued = 0;
    // The peer does not read: its window closes, then our send buffer stays full.
    let stuck = 0;
    for (let i = 0; i < 500 && stuck < 2; i++) {
      const n = a.task.send(c, chunk, MSG_DONTWAIT);
      if (n === -EAGAIN) {
        stuck++;
        await runFor(clock, 50);
        continue;
      }
      expect(n).toBeGreaterThan(0);
      queued += n;
      stuck = 0;
    }
    expect(stuck).toBe(2);
    expect(a.task.send(c, chunk, MSG_DONTWAIT)).toBe(-EAGAIN);
    expect(pollOne(a.task, c, POLLOUT)).toBe(0);
    const ep = a.task.epollCreate1();
    a.task.epollCtl(ep, EPOLL_CTL_ADD, c, { events: EPOLLOUT, data: 'c' });
    expect(a.task.epollWait(ep, 1)).toEqual([]);
    const payload = new Uint8Array(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const writable = a.task.epollWaitAsync(ep, 1, -1);
    const sending = a.task.sendAsync(c, payload);
    // Read everything the peer gets, in order, until the payload's tail has arrived.
    const want = queued + payload.length;
    const rx = new Uint8Array(want);
    let got = 0;
    const reader = (async () => {
      const buf = new Uint8Array(32768);
      while (got < want) {
        const n = await b.task.recvAsync(s, buf);
        if (n <= 0) throw new Error(`recv ${n}`);
        rx.set(buf.subarray(0, n), got);
        got += n;
      }
    })();
    expect(await settle(clock, writable)).toEqual([{ events: EPOLLOUT, data: 'c' }]);
    expect(await settle(clock, sending)).toBe(payload.length);
    await settle(clock, reader);
    expect(rx.subarray(0, queued).every((v) => v === 7)).toBe(true);
    expect(Buffer.from(rx.subarray(queued)).equals(payload)).toBe(true);
  });

  test('SO_RCVTIMEO ends a stream read with EAGAIN; SO_SNDTIMEO returns the part that was sent', async () => {
    const { clock, a, c } = await connectedPair(5012);
    a.task.setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 0, tv_usec: 300_000 });
    const t0 = clock.now();
    expect(await settle(clock, a.task.recvAsync(c, new Uint8Array(8)))).toBe(-EAGAIN);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(300);
    a.task.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 8192);
    a.task.setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, { tv_sec: 1, tv_usec: 0 });
    // Nobody reads at the other end: the send stops short when the time is up.
    const big = new Uint8Array(8 << 20);
    const n = await settle(clock, a.task.sendAsync(c, big));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(big.length);
  });
});

describe('half-close, reset and close', () => {
  test('shutdown(SHUT_WR): the peer sees POLLRDHUP and EOF and can still answer; then both are done', async () => {
    const { clock, a, b, c, s } = await connectedPair(5020);
    expect(a.task.send(c, bytes('request'))).toBe(7);
    expect(a.task.shutdown(c, SHUT_WR)).toBe(0);
    expect(a.task.send(c, bytes('x'))).toBe(-EPIPE);
    const p = [{ fd: s, events: POLLIN | POLLRDHUP, revents: 0 }];
    await runFor(clock, 20);
    expect(b.task.poll(p)).toBe(1);
    expect(p[0]!.revents & (POLLIN | POLLRDHUP)).toBe(POLLIN | POLLRDHUP);
    const buf = new Uint8Array(64);
    expect(b.task.recv(s, buf)).toBe(7);
    expect(b.task.recv(s, buf)).toBe(0);
    expect(await b.task.recvAsync(s, buf)).toBe(0);
    // The other direction still works.
    expect(await settle(clock, b.task.sendAsync(s, bytes('response')))).toBe(8);
    expect(await settle(clock, a.task.recvAsync(c, buf))).toBe(8);
    expect(text(buf, 8)).toBe('response');
    expect(pollOne(a.task, c, POLLIN | POLLOUT) & POLLHUP).toBe(0);
    b.task.shutdown(s, SHUT_WR);
    await runFor(clock, 20);
    expect(a.task.recv(c, buf)).toBe(0);
    expect(pollOne(a.task, c, POLLIN) & POLLHUP).toBe(POLLHUP);
    expect(a.task.close(c)).toBe(0);
    expect(b.task.close(s)).toBe(0);
  });

  test('close with unread data resets the peer: ECONNRESET on its read, POLLERR|POLLHUP, then EPIPE on send', async () => {
    const { clock, a, b, c, s } = await connectedPair(5021);
    expect(a.task.send(c, bytes('never read'))).toBe(10);
    await runFor(clock, 20);
    const reader = a.task.recvAsync(c, new Uint8Array(8));
    expect(b.task.close(s)).toBe(0);
    expect(await settle(clock, reader)).toBe(-ECONNRESET);
    expect(pollOne(a.task, c, POLLIN | POLLOUT) & (POLLERR | POLLHUP)).toBe(POLLHUP);
    expect(a.task.send(c, bytes('x'))).toBe(-EPIPE);
    expect(a.net.mibs.get('Tcp')!['EstabResets']).toBe(1);
  });

  test('a send to a reset peer reports ECONNRESET through SO_ERROR and the next call', async () => {
    const { clock, a, b, c, s } = await connectedPair(5022);
    b.task.setsockopt(s, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
    expect(b.task.close(s)).toBe(0);
    await runFor(clock, 20);
    const p = [{ fd: c, events: POLLIN, revents: 0 }];
    expect(a.task.poll(p)).toBe(1);
    expect(p[0]!.revents & (POLLERR | POLLHUP)).toBe(POLLERR | POLLHUP);
    expect(a.task.getsockopt(c, SOL_SOCKET, SO_ERROR)).toBe(ECONNRESET);
    expect(a.task.send(c, bytes('x'))).toBe(-EPIPE);
  });

  test('closing a listener resets the connections still in its accept queue', async () => {
    const { clock, a, b } = tcpHosts();
    const l = listener(b.task, 5026);
    const c = a.task.socket(AF_INET, SOCK_STREAM, 0);
    expect(await settle(clock, a.task.connectAsync(c, sin(B, 5026)))).toBe(0);
    const reader = a.task.recvAsync(c, new Uint8Array(8));
    expect(b.task.close(l)).toBe(0);
    expect(await settle(clock, reader)).toBe(-ECONNRESET);
    // The port is free again at once.
    expect(listener(b.task, 5026)).toBeGreaterThanOrEqual(0);
  });

  test('keepalive probes to a dead peer wake a blocked reader with ETIMEDOUT', async () => {
    const { clock, a, b, c } = await connectedPair(5027);
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, 1)).toBe(0);
    expect(a.task.setsockopt(c, SOL_TCP, TCP_KEEPIDLE, 2)).toBe(0);
    expect(a.task.setsockopt(c, SOL_TCP, TCP_KEEPINTVL, 1)).toBe(0);
    expect(a.task.setsockopt(c, SOL_TCP, TCP_KEEPCNT, 3)).toBe(0);
    dropTcpIn(b);
    const t0 = clock.now();
    expect(await settle(clock, a.task.recvAsync(c, new Uint8Array(8)))).toBe(-ETIMEDOUT);
    // Idle 2 s, then three unanswered probes a second apart.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(5000);
    expect(clock.now() - t0).toBeLessThan(6000);
  });

  test('SO_LINGER {1, 0}: close sends RST at once, nothing lingers in TIME_WAIT', async () => {
    const { clock, a, b, c, s } = await connectedPair(5023);
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 })).toBe(0);
    const reader = b.task.recvAsync(s, new Uint8Array(8));
    expect(await a.task.closeAsync(c)).toBe(0);
    expect(await settle(clock, reader)).toBe(-ECONNRESET);
    expect(tcpNet(a.net).allSocks.size).toBe(0);
    expect(a.net.mibs.get('TcpExt')!['TCPAbortOnData']).toBe(1);
  });

  test('SO_LINGER {1, n}: closeAsync waits until the peer has acknowledged everything', async () => {
    const { clock, a, b, c, s } = await connectedPair(5024);
    a.task.setsockopt(c, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 10 });
    const data = new Uint8Array(1 << 20).fill(3);
    // Queue a megabyte the peer reads slowly; close must wait for all of it.
    let queued = 0;
    let got = 0;
    for (let i = 0; i < 100 && queued < data.length; i++) {
      const n = a.task.send(c, data.subarray(queued), MSG_DONTWAIT);
      if (n > 0) queued += n;
      else await runFor(clock, 5);
      for (let r; i % 5 === 0 && (r = b.task.recv(s, new Uint8Array(4096))) > 0;) got += r;
    }
    expect(queued).toBe(data.length);
    const tcpSk = (a.task.sockfdLookup(c) as { sk: { skState: number } }).sk;
    const t0 = clock.now();
    let stateAtReturn = -1;
    let closedAt = -1;
    const closing = a.task.closeAsync(c).then((r) => {
      closedAt = clock.now();
      stateAtReturn = tcpSk.skState;
      return r;
    });
    expect(a.task.fds()).not.toContain(c);
    const reader = (async () => {
      const buf = new Uint8Array(16384);
      for (;;) {
        const n = await b.task.recvAsync(s, buf);
        if (n <= 0) return n;
        got += n;
      }
    })();
    expect(await settle(clock, closing)).toBe(0);
    // When close returned, the FIN had been acknowledged: nothing of ours was in flight.
    expect([TCP_FIN_WAIT2, TCP_TIME_WAIT, TCP_CLOSE]).toContain(stateAtReturn);
    expect(closedAt).toBeGreaterThan(t0);
    expect(await settle(clock, reader)).toBe(0);
    expect(got).toBe(queued);
  });

  test('closeAsync without SO_LINGER returns at once; a bad fd is EBADF', async () => {
    const { a, c } = await connectedPair(5028);
    expect(await a.task.closeAsync(c)).toBe(0);
    expect(a.task.fds()).not.toContain(c);
    expect(await a.task.closeAsync(c)).toBe(-EBADF);
  });

  test('SO_LINGER {1, 2} to a peer that stopped answering: closeAsync returns after 2 s, the close goes on', async () => {
    const { clock, a, b, c, s } = await connectedPair(5025);
    void s;
    a.task.setsockopt(c, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 2 });
    a.task.send(c, bytes('last words'));
    dropTcpIn(b);
    const t0 = clock.now();
    expect(await settle(clock, a.task.closeAsync(c))).toBe(0);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(clock.now() - t0).toBeLessThan(2100);
    // The orphan keeps retransmitting its FIN.
    expect(tcpNet(a.net).orphanCount).toBe(1);
  });
});


describe('loopback', () => {
  test('127.0.0.1 on one host: connect, 2 MiB each way at once, shutdown, EOF', async () => {
    const { clock, a } = cableHosts();
    const t = a.task;
    const l = t.socket(AF_INET, SOCK_STREAM, 0);
    expect(t.bind(l, sin('127.0.0.1', 6000))).toBe(0);
    expect(t.listen(l, 4)).toBe(0);
    const c = t.socket(AF_INET, SOCK_STREAM, 0);
    const [rc, s] = await settle(clock, Promise.all([t.connectAsync(c, sin('127.0.0.1', 6000)), t.acceptAsync(l)]));
    expect(rc).toBe(0);
    expect((t.getsockname(c) as SockaddrIn).addr).toBe(ip('127.0.0.1'));
    expect(t.getpeername(s)).toEqual(t.getsockname(c));
    const up = new Uint8Array(2 << 20);
    const down = new Uint8Array(2 << 20);
    for (let i = 0; i < up.length; i++) {
      up[i] = (i * 7) & 0xff;
      down[i] = (i * 13 + 1) & 0xff;
    }
    const drain = async (fd: number, n: number): Promise<Uint8Array> => {
      const out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = await t.recvAsync(fd, out.subarray(got));
        if (r <= 0) throw new Error(`recv ${r}`);
        got += r;
      }
      return out;
    };
    // Both directions at once: neither side may deadlock on a full buffer.
    const [sentUp, sentDown, gotUp, gotDown] = await settle(clock, Promise.all([
      t.sendAsync(c, up), t.sendAsync(s, down), drain(s, up.length), drain(c, down.length),
    ]));
    expect(sentUp).toBe(up.length);
    expect(sentDown).toBe(down.length);
    // Buffer.equals: a deep toEqual over megabytes is slow.
    expect(Buffer.from(gotUp).equals(up)).toBe(true);
    expect(Buffer.from(gotDown).equals(down)).toBe(true);
    expect(t.shutdown(c, SHUT_WR)).toBe(0);
    expect(await settle(clock, t.recvAsync(s, new Uint8Array(8)))).toBe(0);
    expect(t.close(s)).toBe(0);
    expect(await settle(clock, t.recvAsync(c, new Uint8Array(8)))).toBe(0);
    expect(t.close(c)).toBe(0);
  });
});
