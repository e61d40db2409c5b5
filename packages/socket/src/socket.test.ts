import { describe, expect, test } from 'vitest';
import type { Msghdr, SockaddrIn } from '@knet/include';
import {
  AF_INET, AF_INET6, AF_UNSPEC, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EBADF, ECONNREFUSED, EDESTADDRREQ,
  EEXIST, EINTR, EINVAL, ENOENT, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPOLLET, EPOLLIN, EPOLLONESHOT, EPOLLOUT,
  EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPROTONOSUPPORT, ESOCKTNOSUPPORT, FIONREAD, F_GETFL, F_SETFL,
  IPPROTO_TCP, IPPROTO_UDP, IP_RECVERR, IP_TOS, IP_TTL, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, O_NONBLOCK, POLLIN,
  POLLNVAL, POLLOUT, SHUT_RD, SIOCOUTQ, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_IP, SOL_SOCKET,
  SO_BROADCAST, SO_DOMAIN, SO_ERROR, SO_LINGER, SO_PROTOCOL, SO_RCVBUF, SO_RCVTIMEO, SO_REUSEADDR, SO_SNDBUF, SO_TYPE,
  MSG_ZEROCOPY, SO_ZEROCOPY,
} from '@knet/include';
import { A, B, ip, settle, twoHosts } from './test/bench.js';
import { udpProt } from '@knet/udp';
import { inetDgramOps, inetRegisterProtosw } from './af_inet.js';
import { F_GETFD, FD_CLOEXEC } from './task.js';

const sin = (addr: string, port: number): SockaddrIn => ({ family: AF_INET, addr: ip(addr), port });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array, n: number): string => new TextDecoder().decode(b.subarray(0, n));

describe('socket, bind, sendto, recvfrom through the fd table', () => {
  test('a datagram crosses the veth and recvfrom names its sender', () => {
    const { clock, a, b } = twoHosts();
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(sa).toBe(3);
    expect(sb).toBe(3);
    expect(b.task.bind(sb, sin(B, 5353))).toBe(0);
    expect(a.task.bind(sa, sin(A, 4000))).toBe(0);
    expect(a.task.sendto(sa, bytes('hello'), 0, sin(B, 5353))).toBe(5);
    const buf = new Uint8Array(64);
    expect(b.task.recvfrom(sb, buf).n).toBe(-EAGAIN);
    clock.runUntilIdle();
    const r = b.task.recvfrom(sb, buf);
    expect(r.n).toBe(5);
    expect(text(buf, 5)).toBe('hello');
    expect(r.addr).toEqual(sin(A, 4000));
    expect(b.net.mibs.get('Udp')!['InDatagrams']).toBe(1);
  });

  test('connected datagram sockets: send/recv, getsockname/getpeername, disconnect with AF_UNSPEC', () => {
    const { clock, a, b } = twoHosts();
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    b.task.bind(sb, sin('0.0.0.0', 7));
    expect(a.task.getpeername(sa)).toBe(-ENOTCONN);
    expect(a.task.send(sa, bytes('x'))).toBe(-EDESTADDRREQ);
    expect(a.task.connect(sa, sin(B, 7))).toBe(0);
    const local = a.task.getsockname(sa) as SockaddrIn;
    expect(local.addr).toBe(ip(A));
    expect(local.port).toBeGreaterThanOrEqual(32768);
    expect(a.task.getpeername(sa)).toEqual(sin(B, 7));
    expect(a.task.write(sa, bytes('ping'))).toBe(4);
    clock.runUntilIdle();
    const buf = new Uint8Array(8);
    const r = b.task.recvfrom(sb, buf);
    expect(r.n).toBe(4);
    expect(b.task.sendto(sb, bytes('pong'), 0, r.addr)).toBe(4);
    clock.runUntilIdle();
    expect(a.task.read(sa, buf)).toBe(4);
    expect(text(buf, 4)).toBe('pong');
    expect(a.task.connect(sa, { family: AF_UNSPEC, addr: 0, port: 0 })).toBe(0);
    expect(a.task.getpeername(sa)).toBe(-ENOTCONN);
  });

  test('MSG_PEEK and MSG_TRUNC through recvmsg', () => {
    const { clock, a, b } = twoHosts();
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    b.task.bind(sb, sin(B, 9000));
    a.task.sendto(sa, bytes('abcdef'), 0, sin(B, 9000));
    clock.runUntilIdle();
    expect(b.task.ioctl(sb, FIONREAD)).toBe(6);
    const small = new Uint8Array(3);
    const msg: Msghdr = { name: null, iov: [small], flags: 0 };
    expect(b.task.recvmsg(sb, msg, MSG_PEEK)).toBe(3);
    expect(msg.flags & MSG_TRUNC).toBe(MSG_TRUNC);
    expect(b.task.recvmsg(sb, msg, MSG_TRUNC)).toBe(6);
    expect(text(small, 3)).toBe('abc');
    expect(b.task.ioctl(sb, FIONREAD)).toBe(0);
    expect(b.task.ioctl(sb, SIOCOUTQ)).toBe(0);
  });
});

describe('errno edge cases', () => {
  test('bad descriptors, non-sockets, unsupported families and types', () => {
    const { a } = twoHosts();
    const t = a.task;
    expect(t.bind(99, sin(A, 1))).toBe(-EBADF);
    expect(t.close(99)).toBe(-EBADF);
    expect(t.recvfrom(-1, new Uint8Array(1)).n).toBe(-EBADF);
    const ep = t.epollCreate1();
    expect(t.bind(ep, sin(A, 1))).toBe(-ENOTSOCK);
    expect(t.socket(AF_INET6, SOCK_DGRAM, 0)).toBe(-EAFNOSUPPORT);
    expect(t.socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)).toBe(-EPROTONOSUPPORT);
    expect(t.socket(AF_INET, 4, 0)).toBe(-ESOCKTNOSUPPORT);
    expect(t.socket(AF_INET, SOCK_DGRAM | 0x10000, 0)).toBe(-EINVAL);
    const s = t.socket(AF_INET, SOCK_DGRAM, 0);
    expect(t.listen(s, 5)).toBe(-EOPNOTSUPP);
    expect(t.accept(s)).toBe(-EOPNOTSUPP);
  });

  test('double bind is EINVAL, a taken port EADDRINUSE unless both set SO_REUSEADDR, a foreign address EADDRNOTAVAIL', () => {
    const { a } = twoHosts();
    const t = a.task;
    const s1 = t.socket(AF_INET, SOCK_DGRAM, 0);
    const s2 = t.socket(AF_INET, SOCK_DGRAM, 0);
    expect(t.bind(s1, sin(A, 6000))).toBe(0);
    expect(t.bind(s1, sin(A, 6001))).toBe(-EINVAL);
    expect(t.bind(s2, sin('0.0.0.0', 6000))).toBe(-EADDRINUSE);
    expect(t.bind(s2, sin(B, 6002))).toBe(-EADDRNOTAVAIL);
    expect(t.bind(s2, { family: AF_INET6, addr: 0, port: 1 })).toBe(-EAFNOSUPPORT);
    expect(t.setsockopt(s1, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    expect(t.setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, 1)).toBe(0);
    expect(t.bind(s2, sin('0.0.0.0', 6000))).toBe(0);
    expect(t.close(s1)).toBe(0);
    expect(t.close(s1)).toBe(-EBADF);
    // The freed descriptor is reused first.
    expect(t.socket(AF_INET, SOCK_DGRAM, 0)).toBe(s1);
  });

  test('shutdown of an unconnected datagram socket is ENOTCONN but still reads as end of file', () => {
    const { a } = twoHosts();
    const s = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    expect(a.task.shutdown(s, 7)).toBe(-EINVAL);
    expect(a.task.shutdown(s, SHUT_RD)).toBe(-ENOTCONN);
    expect(a.task.recv(s, new Uint8Array(4))).toBe(0);
    expect(a.task.poll([{ fd: s, events: POLLIN, revents: 0 }])).toBe(1);
  });

  test('port unreachable over real IPv4 turns into ECONNREFUSED on the connected socket', async () => {
    const { clock, a } = twoHosts();
    const s = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    expect(a.task.connect(s, sin(B, 9))).toBe(0);
    expect(a.task.send(s, bytes('anyone?'))).toBe(7);
    const r = await settle(clock, a.task.recvAsync(s, new Uint8Array(8)));
    expect(r).toBe(-ECONNREFUSED);
    // Read once: the next receive would wait again.
    expect(a.task.recv(s, new Uint8Array(8))).toBe(-EAGAIN);
    // An unconnected sender is not told.
    const u = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    a.task.sendto(u, bytes('x'), 0, sin(B, 9));
    clock.runUntilIdle();
    expect(a.task.getsockopt(u, SOL_SOCKET, SO_ERROR)).toBe(0);
  });
});

describe('socket options', () => {
  test('SOL_SOCKET: buffers are doubled and clamped, identity options read back, SO_ERROR reads and clears', () => {
    const { a } = twoHosts();
    const t = a.task;
    const s = t.socket(AF_INET, SOCK_DGRAM, 0);
    expect(t.setsockopt(s, SOL_SOCKET, SO_RCVBUF, 10000)).toBe(0);
    expect(t.getsockopt(s, SOL_SOCKET, SO_RCVBUF)).toBe(20000);
    expect(t.setsockopt(s, SOL_SOCKET, SO_SNDBUF, 1 << 30)).toBe(0);
    expect(t.getsockopt(s, SOL_SOCKET, SO_SNDBUF)).toBe(2 * 212992);
    expect(t.setsockopt(s, SOL_SOCKET, SO_SNDBUF, 1)).toBe(0);
    expect(t.getsockopt(s, SOL_SOCKET, SO_SNDBUF)).toBe(4608);
    expect(t.getsockopt(s, SOL_SOCKET, SO_TYPE)).toBe(SOCK_DGRAM);
    expect(t.getsockopt(s, SOL_SOCKET, SO_PROTOCOL)).toBe(IPPROTO_UDP);
    expect(t.getsockopt(s, SOL_SOCKET, SO_DOMAIN)).toBe(AF_INET);
    expect(t.setsockopt(s, SOL_SOCKET, SO_TYPE, 1)).toBe(-92);
    expect(t.setsockopt(s, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 3 })).toBe(0);
    expect(t.getsockopt(s, SOL_SOCKET, SO_LINGER)).toEqual({ l_onoff: 1, l_linger: 3 });
    expect(t.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 1, tv_usec: 2_000_000 })).toBe(-33);
    expect(t.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 1, tv_usec: 500_000 })).toBe(0);
    expect(t.getsockopt(s, SOL_SOCKET, SO_RCVTIMEO)).toEqual({ tv_sec: 1, tv_usec: 500_000 });
    expect(t.getsockopt(s, SOL_SOCKET, SO_BROADCAST)).toBe(0);
    expect(t.getsockopt(s, SOL_SOCKET, SO_ERROR)).toBe(0);
  });

  test('SO_ZEROCOPY: a boolean on TCP and UDP sockets only; MSG_ZEROCOPY sends still deliver the bytes', () => {
    const { clock, a, b } = twoHosts({ tcp: true });
    const tcp = a.task.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expect(a.task.getsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY)).toBe(0);
    expect(a.task.setsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(a.task.getsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY)).toBe(1);
    expect(a.task.setsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY, 2)).toBe(-EINVAL);
    expect(a.task.setsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY, -1)).toBe(-EINVAL);
    expect(a.task.getsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY)).toBe(1);
    expect(a.task.setsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY, 0)).toBe(0);
    expect(a.task.getsockopt(tcp, SOL_SOCKET, SO_ZEROCOPY)).toBe(0);
    // A datagram socket of another protocol (as UDP-Lite, 136, on the UDP code) is refused.
    const IPPROTO_UDPLITE = 136;
    expect(inetRegisterProtosw(a.net, {
      name: 'udplite', type: SOCK_DGRAM, protocol: IPPROTO_UDPLITE, prot: udpProt, ops: inetDgramOps, flags: 0,
    })).toBe(0);
    const lite = a.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    expect(lite).toBeGreaterThan(0);
    expect(a.task.setsockopt(lite, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(-EOPNOTSUPP);
    expect(a.task.getsockopt(lite, SOL_SOCKET, SO_ZEROCOPY)).toBe(0);

    const sa = a.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(b.task.bind(sb, sin(B, 5353))).toBe(0);
    expect(a.task.setsockopt(sa, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    const payload = bytes('zerocopy');
    expect(a.task.sendto(sa, payload, MSG_ZEROCOPY, sin(B, 5353))).toBe(8);
    // knet copies at send time, so reusing the buffer at once cannot change what is delivered.
    payload.fill(0);
    clock.runUntilIdle();
    const buf = new Uint8Array(64);
    expect(b.task.recvfrom(sb, buf).n).toBe(8);
    expect(text(buf, 8)).toBe('zerocopy');
  });

  test('SOL_IP: TTL range and default, TOS, IP_RECVERR', () => {
    const { a } = twoHosts();
    const t = a.task;
    const s = t.socket(AF_INET, SOCK_DGRAM, 0);
    expect(t.getsockopt(s, SOL_IP, IP_TTL)).toBe(64);
    expect(t.setsockopt(s, SOL_IP, IP_TTL, 0)).toBe(-EINVAL);
    expect(t.setsockopt(s, SOL_IP, IP_TTL, 7)).toBe(0);
    expect(t.getsockopt(s, SOL_IP, IP_TTL)).toBe(7);
    expect(t.setsockopt(s, SOL_IP, IP_TOS, 0x10)).toBe(0);
    expect(t.getsockopt(s, SOL_IP, IP_TOS)).toBe(0x10);
    expect(t.setsockopt(s, SOL_IP, IP_RECVERR, 1)).toBe(0);
    expect(t.getsockopt(s, SOL_IP, IP_RECVERR)).toBe(1);
  });

  test('fcntl O_NONBLOCK and FD_CLOEXEC; SOCK_NONBLOCK and SOCK_CLOEXEC at socket()', () => {
    const { a } = twoHosts();
    const t = a.task;
    const s = t.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    expect(t.fcntl(s, F_GETFL) & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(t.fcntl(s, F_GETFD)).toBe(FD_CLOEXEC);
    expect(t.fcntl(s, F_SETFL, 0)).toBe(0);
    expect(t.fcntl(s, F_GETFL) & O_NONBLOCK).toBe(0);
  });
});

describe('Promise forms', () => {
  test('recvfromAsync resolves once a datagram arrives on the virtual clock', async () => {
    const { clock, a, b } = twoHosts();
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    b.task.bind(sb, sin(B, 5000));
    const buf = new Uint8Array(16);
    const p = b.task.recvfromAsync(sb, buf);
    clock.schedule(50, () => a.task.sendto(sa, bytes('late'), 0, sin(B, 5000)));
    const r = await settle(clock, p);
    expect(r.n).toBe(4);
    expect(text(buf, 4)).toBe('late');
    expect(r.addr!.addr).toBe(ip(A));
    expect(clock.now()).toBeGreaterThanOrEqual(50);
  });

  test('O_NONBLOCK and MSG_DONTWAIT return -EAGAIN at once', async () => {
    const { a } = twoHosts();
    const s = a.task.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    a.task.bind(s, sin(A, 5000));
    expect(await a.task.recvAsync(s, new Uint8Array(4))).toBe(-EAGAIN);
    const s2 = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    a.task.bind(s2, sin(A, 5001));
    expect(await a.task.recvAsync(s2, new Uint8Array(4), MSG_DONTWAIT)).toBe(-EAGAIN);
  });

  test('SO_RCVTIMEO ends the wait with -EAGAIN', async () => {
    const { clock, a } = twoHosts();
    const s = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    a.task.bind(s, sin(A, 5000));
    a.task.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 2, tv_usec: 0 });
    const r = await settle(clock, a.task.recvAsync(s, new Uint8Array(4)));
    expect(r).toBe(-EAGAIN);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
  });

  test('an AbortSignal ends the wait with -EINTR and leaves no waiter behind', async () => {
    const { clock, a } = twoHosts();
    const s = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    a.task.bind(s, sin(A, 5000));
    const ac = new AbortController();
    const p = a.task.recvAsync(s, new Uint8Array(4), 0, { signal: ac.signal });
    clock.schedule(10, () => ac.abort());
    expect(await settle(clock, p)).toBe(-EINTR);
    const sock = a.task.sockfdLookup(s);
    expect(typeof sock === 'object' && sock.wq.waiters.size).toBe(0);
    expect(await a.task.recvAsync(s, new Uint8Array(4), 0, { signal: ac.signal })).toBe(-EINTR);
  });

  test('closing the fd wakes a sleeping reader with -EBADF', async () => {
    const { clock, a } = twoHosts();
    const s = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    a.task.bind(s, sin(A, 5000));
    const p = a.task.recvAsync(s, new Uint8Array(4));
    clock.schedule(5, () => a.task.close(s));
    expect(await settle(clock, p)).toBe(-EBADF);
  });
});

describe('poll and epoll', () => {
  test('poll reports readiness, POLLNVAL for bad fds, and pollAsync waits for data', async () => {
    const { clock, a, b } = twoHosts();
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    b.task.bind(sb, sin(B, 5000));
    const fds = [{ fd: sb, events: POLLIN, revents: 0 }, { fd: 42, events: POLLIN, revents: 0 }];
    expect(b.task.poll(fds)).toBe(1);
    expect(fds[0]!.revents).toBe(0);
    expect(fds[1]!.revents).toBe(POLLNVAL);
    const wfds = [{ fd: sb, events: POLLIN | POLLOUT, revents: 0 }];
    expect(b.task.poll(wfds)).toBe(1);
    expect(wfds[0]!.revents).toBe(POLLOUT);
    const rfds = [{ fd: sb, events: POLLIN, revents: 0 }];
    const p = b.task.pollAsync(rfds, -1);
    clock.schedule(30, () => a.task.sendto(sa, bytes('x'), 0, sin(B, 5000)));
    expect(await settle(clock, p)).toBe(1);
    expect(rfds[0]!.revents & POLLIN).toBe(POLLIN);
    const t = [{ fd: sa, events: POLLIN, revents: 0 }];
    expect(await settle(clock, a.task.pollAsync(t, 100))).toBe(0);
  });

  test('epoll: level-triggered keeps reporting, EPOLLET reports once per arrival, EPOLLONESHOT until MOD', async () => {
    const { clock, a, b } = twoHosts();
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const lt = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    const et = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    const os = b.task.socket(AF_INET, SOCK_DGRAM, 0);
    b.task.bind(lt, sin(B, 1001));
    b.task.bind(et, sin(B, 1002));
    b.task.bind(os, sin(B, 1003));
    const ep = b.task.epollCreate1();
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, lt, { events: EPOLLIN, data: 'lt' })).toBe(0);
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, et, { events: EPOLLIN | EPOLLET, data: 'et' })).toBe(0);
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, os, { events: EPOLLIN | EPOLLONESHOT, data: 'os' })).toBe(0);
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, os, { events: EPOLLIN, data: 'x' })).toBe(-EEXIST);
    expect(b.task.epollCtl(ep, EPOLL_CTL_MOD, 77, { events: EPOLLIN, data: 'x' })).toBe(-EBADF);
    expect(b.task.epollCtl(ep, EPOLL_CTL_ADD, ep, { events: EPOLLIN, data: 'x' })).toBe(-EINVAL);
    expect(b.task.epollWait(ep, 8)).toEqual([]);
    const p = b.task.epollWaitAsync(ep, 8, -1);
    for (const port of [1001, 1002, 1003]) a.task.sendto(sa, bytes('d'), 0, sin(B, port));
    const first = await settle(clock, p);
    expect(Array.isArray(first)).toBe(true);
    clock.runUntilIdle();
    const all = (first as { data: unknown }[]).map((e) => e.data);
    const more = b.task.epollWait(ep, 8) as { data: unknown; events: number }[];
    const seen = new Set([...all, ...more.map((e) => e.data)]);
    expect(seen).toEqual(new Set(['lt', 'et', 'os']));
    // Nothing was read: only the level-triggered one is reported again.
    expect((b.task.epollWait(ep, 8) as { data: unknown }[]).map((e) => e.data)).toEqual(['lt']);
    // A new arrival re-arms the edge-triggered one, not the one-shot one.
    a.task.sendto(sa, bytes('e'), 0, sin(B, 1002));
    a.task.sendto(sa, bytes('o'), 0, sin(B, 1003));
    clock.runUntilIdle();
    expect((b.task.epollWait(ep, 8) as { data: unknown }[]).map((e) => e.data).sort()).toEqual(['et', 'lt']);
    expect(b.task.epollCtl(ep, EPOLL_CTL_MOD, os, { events: EPOLLIN | EPOLLONESHOT, data: 'os2' })).toBe(0);
    expect((b.task.epollWait(ep, 8) as { data: unknown }[]).map((e) => e.data).sort()).toEqual(['lt', 'os2']);
    expect(b.task.epollCtl(ep, EPOLL_CTL_DEL, lt)).toBe(0);
    expect(b.task.epollCtl(ep, EPOLL_CTL_DEL, lt)).toBe(-ENOENT);
    expect(b.task.epollWait(ep, 8)).toEqual([]);
    expect(b.task.epollWait(ep, 0)).toBe(-EINVAL);
    // Closing a watched fd removes it from the set.
    b.task.close(et);
    expect(b.task.epollCtl(ep, EPOLL_CTL_DEL, et)).toBe(-EBADF);
  });

  test('epoll reports EPOLLOUT for a writable socket, and maxevents bounds the batch', () => {
    const { a } = twoHosts();
    const ep = a.task.epollCreate1();
    const s1 = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    const s2 = a.task.socket(AF_INET, SOCK_DGRAM, 0);
    a.task.epollCtl(ep, EPOLL_CTL_ADD, s1, { events: EPOLLOUT, data: 1 });
    a.task.epollCtl(ep, EPOLL_CTL_ADD, s2, { events: EPOLLOUT, data: 2 });
    const one = a.task.epollWait(ep, 1) as { data: unknown; events: number }[];
    expect(one.length).toBe(1);
    expect(one[0]!.events & EPOLLOUT).toBe(EPOLLOUT);
    expect((a.task.epollWait(ep, 4) as unknown[]).length).toBe(2);
  });
});
