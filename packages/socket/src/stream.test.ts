// Stream sockets through the Task's fd table: two hosts with igb NICs on a cable, TCP behind
// inet_stream_ops, everything on the virtual clock.
import { describe, expect, test } from 'vitest';
import type { SockaddrIn } from '@knet/include';
import {
  AF_INET, EAGAIN, EALREADY, ECONNABORTED, ECONNREFUSED, ECONNRESET, EINPROGRESS, EINTR, EISCONN, ENOTCONN, EPIPE,
  EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLL_CTL_ADD, ETIMEDOUT, F_GETFL, IPPROTO_TCP, MSG_WAITALL,
  NF_ACCEPT, NF_DROP, NF_INET_LOCAL_IN, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SHUT_WR,
  SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SOL_TCP, SO_ERROR, SO_LINGER, SO_RCVTIMEO, SO_SNDBUF, SO_SNDTIMEO,
  TCP_SYNCNT, TCP_CLOSE, TCP_ESTABLISHED, TCP_TIME_WAIT,
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
