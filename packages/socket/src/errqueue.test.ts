// recvmsg(MSG_ERRQUEUE) through the fd table: MSG_ZEROCOPY completions on TCP (igb hosts on a
// cable) and UDP (a veth pair), POLLERR, and the never-blocking read of an empty queue.
import { describe, expect, test } from 'vitest';
import type { Cmsghdr, IpRecverrCmsg, Msghdr, SockaddrIn } from '@knet/include';
import {
  AF_INET, AF_UNSPEC, EAGAIN, IPPROTO_TCP, IPPROTO_UDP, IP_RECVERR, MSG_CTRUNC, MSG_ERRQUEUE, MSG_MORE,
  MSG_ZEROCOPY, POLLERR, POLLIN, SOCK_DGRAM, SOCK_STREAM, SOL_IP, SOL_SOCKET, SO_EE_CODE_ZEROCOPY_COPIED,
  SO_EE_ORIGIN_ZEROCOPY, SO_SNDBUF, SO_ZEROCOPY,
} from '@knet/include';
import type { VirtualClock } from '@knet/softirq';
import { A, B, type BenchHost, cableHosts, ip, runFor, settle, twoHosts } from './test/bench.js';
import type { Task } from './task.js';

const sin = (addr: string, port: number): SockaddrIn => ({ family: AF_INET, addr: ip(addr), port });

interface ErrRead {
  r: number;
  msg: Msghdr;
  control: Cmsghdr[];
}

function recvErr(t: Task, fd: number): ErrRead {
  const control: Cmsghdr[] = [];
  const msg: Msghdr = { name: null, iov: [new Uint8Array(64)], flags: 0, control };
  return { r: t.recvmsg(fd, msg, MSG_ERRQUEUE), msg, control };
}

/** The [lo, hi] of one zerocopy completion read from the error queue, or null when it is empty. */
function readCompletion(t: Task, fd: number): [number, number] | null {
  const e = recvErr(t, fd);
  if (e.r === -EAGAIN) return null;
  expect(e.r).toBe(0);
  expect(e.msg.flags).toBe(MSG_ERRQUEUE);
  expect(e.control).toHaveLength(1);
  const c = e.control[0]!;
  expect([c.level, c.type]).toEqual([SOL_IP, IP_RECVERR]);
  const d = c.data as IpRecverrCmsg;
  expect(d.ee).toMatchObject({ eeErrno: 0, eeOrigin: SO_EE_ORIGIN_ZEROCOPY, eeType: 0, eeCode: SO_EE_CODE_ZEROCOPY_COPIED });
  expect(d.offender).toEqual({ family: AF_UNSPEC, addr: 0, port: 0 });
  return [d.ee.eeInfo, d.ee.eeData];
}

function pollErr(t: Task, fd: number): number {
  const p = [{ fd, events: POLLIN, revents: 0 }];
  t.poll(p);
  return p[0]!.revents & POLLERR;
}

async function tcpPair(): Promise<{ clock: VirtualClock; a: BenchHost; b: BenchHost; c: number; s: number }> {
  const { clock, a, b } = cableHosts({ seed: 3 });
  const l = b.task.socket(AF_INET, SOCK_STREAM, 0);
  expect(b.task.bind(l, sin('0.0.0.0', 5000))).toBe(0);
  expect(b.task.listen(l, 4)).toBe(0);
  const c = a.task.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  const [rc, s] = await settle(clock, Promise.all([a.task.connectAsync(c, sin(B, 5000)), b.task.acceptAsync(l)]));
  expect(rc).toBe(0);
  return { clock, a, b, c, s };
}

describe('MSG_ZEROCOPY completions on TCP', () => {
  test('consecutive ids from 0, coalesced while unread; POLLERR exactly while one is queued', async () => {
    const { clock, a, b, c, s } = await tcpPair();
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(readCompletion(a.task, c)).toBeNull();
    expect(pollErr(a.task, c)).toBe(0);
    for (let i = 0; i < 3; i++) expect(a.task.send(c, new Uint8Array(1000).fill(i + 1), MSG_ZEROCOPY)).toBe(1000);
    expect(pollErr(a.task, c)).toBe(POLLERR);
    expect(readCompletion(a.task, c)).toEqual([0, 2]);
    expect(pollErr(a.task, c)).toBe(0);
    expect(readCompletion(a.task, c)).toBeNull();
    expect(a.task.send(c, new Uint8Array(10), MSG_ZEROCOPY)).toBe(10);
    expect(readCompletion(a.task, c)).toEqual([3, 3]);
    // The bytes themselves arrive as sent.
    const got = new Uint8Array(4000);
    let n = 0;
    while (n < 3010) n += await settle(clock, b.task.recvAsync(s, got.subarray(n)));
    expect([got[0], got[1000], got[2999], n]).toEqual([1, 2, 3, 3010]);
  });

  test('every id is reported exactly once: failed, empty and plain sends take none', async () => {
    const { clock, a, c } = await tcpPair();
    const seen: number[] = [];
    const collect = (): void => {
      for (let r = readCompletion(a.task, c); r !== null; r = readCompletion(a.task, c)) {
        for (let id = r[0]; id <= r[1]; id++) seen.push(id);
      }
    };
    // Without SO_ZEROCOPY the flag is ignored.
    expect(a.task.send(c, new Uint8Array(5), MSG_ZEROCOPY)).toBe(5);
    expect(readCompletion(a.task, c)).toBeNull();
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    let taken = 0;
    for (let i = 0; i < 40; i++) {
      if (i % 7 === 3) expect(a.task.send(c, new Uint8Array(0), MSG_ZEROCOPY)).toBe(0);
      else if (i % 7 === 5) expect(a.task.send(c, new Uint8Array(7), 0)).toBe(7);
      else {
        expect(a.task.send(c, new Uint8Array(100 + i), MSG_ZEROCOPY)).toBe(100 + i);
        taken++;
      }
      if (i % 4 === 0) collect();
      if (i % 9 === 0) runFor(clock, 50);
    }
    collect();
    expect(seen).toEqual(Array.from({ length: taken }, (_, i) => i));
  });

  test('a blocking send that waits for space is still one id, completed only when it returns', async () => {
    const { clock, a, b, c, s } = await tcpPair();
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(a.task.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 4608)).toBe(0);
    let sent: number | null = null;
    void a.task.sendAsync(c, new Uint8Array(200_000), MSG_ZEROCOPY).then((r) => { sent = r; });
    runFor(clock, 1);
    expect(sent).toBeNull();
    // Part of the buffer is not copied yet: no completion may say it is free.
    expect(readCompletion(a.task, c)).toBeNull();
    let got = 0;
    const buf = new Uint8Array(65536);
    while (got < 200_000) got += await settle(clock, b.task.recvAsync(s, buf));
    await settle(clock, Promise.resolve());
    expect(sent).toBe(200_000);
    expect(readCompletion(a.task, c)).toEqual([0, 0]);
    expect(readCompletion(a.task, c)).toBeNull();
  });

  test('a send that fails gives its id back', () => {
    const { a } = cableHosts({ seed: 4 });
    const fd = a.task.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expect(a.task.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(a.task.send(fd, new Uint8Array(4000), MSG_ZEROCOPY)).toBeLessThan(0);
    expect(readCompletion(a.task, fd)).toBeNull();
    expect(pollErr(a.task, fd)).toBe(0);
    const sk = a.task.sockfdLookup(fd);
    expect(typeof sk === 'number' ? sk : sk.sk!.skZckey).toBe(0);
  });
});

describe('MSG_ZEROCOPY completions on UDP', () => {
  test('a datagram completes once its skb is freed after transmit, not at sendto', () => {
    const { clock, a, b } = twoHosts();
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(b.task.bind(sb, sin(B, 7))).toBe(0);
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(a.task.setsockopt(sa, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(a.task.sendto(sa, new Uint8Array(100), MSG_ZEROCOPY, sin(B, 7))).toBe(100);
    // The first datagram waits in the neighbour queue for ARP.
    expect(readCompletion(a.task, sa)).toBeNull();
    clock.runUntilIdle();
    expect(readCompletion(a.task, sa)).toEqual([0, 0]);
    expect(b.task.recvfrom(sb, new Uint8Array(200)).n).toBe(100);
  });

  test('a corked datagram built by three MSG_ZEROCOPY sends completes as one range', () => {
    const { clock, a, b } = twoHosts();
    const sb = b.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(b.task.bind(sb, sin(B, 7))).toBe(0);
    const sa = a.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(a.task.setsockopt(sa, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(a.task.sendto(sa, new Uint8Array(10), MSG_ZEROCOPY | MSG_MORE, sin(B, 7))).toBe(10);
    expect(a.task.sendto(sa, new Uint8Array(0), MSG_ZEROCOPY | MSG_MORE, sin(B, 7))).toBe(0);
    expect(a.task.sendto(sa, new Uint8Array(10), MSG_ZEROCOPY | MSG_MORE, sin(B, 7))).toBe(10);
    expect(a.task.sendto(sa, new Uint8Array(10), MSG_ZEROCOPY, sin(B, 7))).toBe(10);
    clock.runUntilIdle();
    expect(readCompletion(a.task, sa)).toEqual([0, 2]);
    expect(b.task.recvfrom(sb, new Uint8Array(200)).n).toBe(30);
  });
});

describe('recvmsg(MSG_ERRQUEUE)', () => {
  test('an empty queue is -EAGAIN at once, even for a blocking socket and its Promise form', async () => {
    const { a } = twoHosts();
    const fd = a.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(recvErr(a.task, fd).r).toBe(-EAGAIN);
    let settled: number | null = null;
    void a.task.recvmsgAsync(fd, { name: null, iov: [new Uint8Array(8)], flags: 0 }, MSG_ERRQUEUE).then((r) => { settled = r; });
    await Promise.resolve();
    expect(settled).toBe(-EAGAIN);
  });

  test('without a control buffer the error is still consumed, with MSG_CTRUNC', () => {
    const { clock, a } = twoHosts();
    const fd = a.task.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(a.task.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)).toBe(0);
    expect(a.task.sendto(fd, new Uint8Array(4), MSG_ZEROCOPY, sin(A, 9))).toBe(4);
    clock.runUntilIdle();
    const msg: Msghdr = { name: null, iov: [], flags: 0 };
    expect(a.task.recvmsg(fd, msg, MSG_ERRQUEUE)).toBe(0);
    expect(msg.flags).toBe(MSG_ERRQUEUE | MSG_CTRUNC);
    expect(recvErr(a.task, fd).r).toBe(-EAGAIN);
  });
});
