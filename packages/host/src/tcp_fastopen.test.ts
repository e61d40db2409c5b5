// TCP Fast Open, client side (RFC 7413), end to end on one host: the peer's segments are
// written by hand and injected on the raw test device, so the SYN-ACK can carry a cookie.
import { describe, expect, test } from 'vitest';
import {
  AF_INET, EINPROGRESS, EINVAL, EISCONN, EOPNOTSUPP, F_SETFL, IPPROTO_TCP, MSG_FASTOPEN, O_NONBLOCK, POLLOUT,
  SOCK_STREAM, SOL_TCP, TCP_FASTOPEN_CONNECT,
} from '@knet/include';
import { tcpNet } from '@knet/tcp';
import type { Task } from '@knet/socket';
import { createPacketdrillTarget, type PacketdrillTarget } from './packetdrill_target.js';

const LOCAL = 0xc6120001; // 198.18.0.1
const REMOTE = 0xc6120002; // 198.18.0.2
const PORT = 8080;
const SYN = 0x02, ACK = 0x10, PSH = 0x08;
const COOKIE = [0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];

interface Seg { flags: number; seq: number; ack: number; sport: number; opts: number[]; len: number }

const r32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function decode(p: Uint8Array): Seg {
  const doff = (p[32]! >>> 4) * 4;
  return { flags: p[33]!, seq: r32(p, 24), ack: r32(p, 28), sport: (p[20]! << 8) | p[21]!, opts: [...p.subarray(40, 20 + doff)], len: p.length - 20 - doff };
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** An IPv4/TCP segment from the peer to `dport`, checksums filled in. */
function segment(dport: number, seq: number, ack: number, flags: number, opts: number[], payload = 0): Uint8Array {
  const o = [...opts];
  while (o.length % 4) o.push(1);
  const tl = 20 + o.length + payload;
  const p = new Uint8Array(20 + tl);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  p[8] = 64;
  p[9] = IPPROTO_TCP;
  v.setUint32(12, REMOTE);
  v.setUint32(16, LOCAL);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += v.getUint16(i);
  v.setUint16(10, ~fold(s) & 0xffff);
  v.setUint16(20, PORT);
  v.setUint16(22, dport);
  v.setUint32(24, seq >>> 0);
  v.setUint32(28, ack >>> 0);
  p[32] = ((20 + o.length) / 4) << 4;
  p[33] = flags;
  v.setUint16(34, 65535);
  p.set(o, 40);
  let c = (REMOTE >>> 16) + (REMOTE & 0xffff) + (LOCAL >>> 16) + (LOCAL & 0xffff) + IPPROTO_TCP + tl;
  for (let i = 20; i < p.length; i += 2) c += (p[i]! << 8) | (p[i + 1] ?? 0);
  v.setUint16(36, ~fold(c) & 0xffff);
  return p;
}

/** Offset of the option of `kind` in a segment's options, or -1. */
function option(opts: number[], kind: number): number {
  for (let i = 0; i < opts.length;) {
    const k = opts[i]!;
    if (k === 0) break;
    if (k === 1) { i++; continue; }
    if (k === kind) return i;
    i += Math.max(opts[i + 1] ?? 2, 2);
  }
  return -1;
}

class Bench {
  readonly t: PacketdrillTarget;
  readonly task: Task;
  readonly out: Seg[] = [];

  constructor(sysctls: Record<string, string> = {}) {
    this.t = createPacketdrillTarget({ localIp: LOCAL, remoteIp: REMOTE, mtu: 1500, sysctls: new Map(Object.entries(sysctls)) });
    this.t.onOutbound((p) => this.out.push(decode(p)));
    this.task = this.t.host.task();
  }

  socket(fastopenConnect: boolean): number {
    const fd = this.task.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expect(this.task.fcntl(fd, F_SETFL, O_NONBLOCK)).toBe(0);
    if (fastopenConnect) expect(this.task.setsockopt(fd, SOL_TCP, TCP_FASTOPEN_CONNECT, 1)).toBe(0);
    return fd;
  }

  run(ms: number): void {
    const end = this.t.now() + ms * 1000;
    while (this.t.now() < end) this.t.advance(end);
  }

  inject(p: Uint8Array): void {
    this.t.inject(p);
    this.run(1);
  }

  /** What the socket bound to `sport` sent (the warm-up connection's FIN may be retried meanwhile). */
  from(sport: number): Seg[] {
    return this.out.filter((s) => s.sport === sport);
  }

  ext(name: string): number {
    return this.t.host.net.mibs.get('TcpExt')?.[name] ?? 0;
  }

  /** Connect with TCP_FASTOPEN_CONNECT and answer the cookie request with COOKIE. */
  warmCache(): void {
    const fd = this.socket(true);
    expect(this.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EINPROGRESS);
    this.run(1);
    const syn = this.out.at(-1)!;
    this.inject(segment(syn.sport, 1000, syn.seq + 1, SYN | ACK, [2, 4, 5, 0xb4, 34, 10, ...COOKIE]));
    expect(this.task.close(fd)).toBe(0);
    this.run(1);
    this.out.length = 0;
  }
}

describe('TCP Fast Open client (RFC 7413)', () => {
  test('TCP_FASTOPEN_CONNECT with nothing cached: connect sends a SYN with an empty FO option; the cookie in the SYN-ACK is cached', () => {
    const b = new Bench();
    const fd = b.socket(true);
    expect(b.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EINPROGRESS);
    b.run(1);
    expect(b.out).toHaveLength(1);
    const syn = b.out[0]!;
    expect(syn.flags).toBe(SYN);
    expect(syn.len).toBe(0);
    // §4.1.1: a cookie request is the option with no cookie, last in Linux's SYN.
    expect(syn.opts.slice(-4)).toEqual([34, 2, 1, 1]);
    b.inject(segment(syn.sport, 1000, syn.seq + 1, SYN | ACK, [2, 4, 5, 0xb4, 34, 10, ...COOKIE]));
    const ackSeg = b.out[1]!;
    expect(ackSeg.flags).toBe(ACK);
    expect(ackSeg.ack).toBe(1001);
    expect(option(ackSeg.opts, 34)).toBe(-1);
    const tm = tcpNet(b.t.host.net).metrics.lookup(LOCAL, REMOTE, false);
    expect([...tm!.cookie.bytes()]).toEqual(COOKIE);
    expect(tm!.mss).toBe(1460);
    expect(b.task.getsockopt(fd, SOL_TCP, TCP_FASTOPEN_CONNECT)).toBe(1);
  });

  test('a cookie cached: connect() returns 0 without a SYN; the first write sends SYN, cookie and data together', () => {
    const b = new Bench();
    b.warmCache();
    const fd = b.socket(true);
    expect(b.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(0);
    b.run(1);
    expect(b.out).toHaveLength(0);
    // The deferred socket is writable, and connecting again says it is connected.
    const pfd = [{ fd, events: POLLOUT, revents: 0 }];
    expect(b.task.poll(pfd)).toBe(1);
    expect(pfd[0]!.revents & POLLOUT).toBe(POLLOUT);
    expect(b.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EISCONN);
    expect(b.task.write(fd, new Uint8Array(100).fill(7))).toBe(100);
    b.run(1);
    expect(b.out).toHaveLength(1);
    const syn = b.out[0]!;
    expect(syn.flags).toBe(SYN);
    expect(syn.len).toBe(100);
    const fo = option(syn.opts, 34);
    expect(syn.opts.slice(fo, fo + 10)).toEqual([34, 10, ...COOKIE]);
    // The server takes the data: its SYN-ACK acknowledges SYN and bytes.
    b.inject(segment(syn.sport, 5000, syn.seq + 101, SYN | ACK, [2, 4, 5, 0xb4]));
    expect(b.out.slice(1).map((s) => [s.flags, s.len, s.ack])).toEqual([[ACK, 0, 5001]]);
    expect(b.ext('TCPFastOpenActive')).toBe(1);
    expect(b.ext('TCPFastOpenActiveFail')).toBe(0);
    b.run(3000);
    expect(b.from(syn.sport).filter((s) => s.len > 0)).toHaveLength(1);
  });

  test('data the SYN-ACK does not acknowledge is resent at once after the handshake (§4.2.2)', () => {
    const b = new Bench();
    b.warmCache();
    const fd = b.socket(false);
    expect(b.task.sendto(fd, new Uint8Array(300).fill(3), MSG_FASTOPEN, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(300);
    b.run(1);
    const syn = b.out[0]!;
    expect([syn.flags, syn.len]).toEqual([SYN, 300]);
    b.inject(segment(syn.sport, 5000, syn.seq + 1, SYN | ACK, [2, 4, 5, 0xb4]));
    // No separate ACK: the resent data carries it.
    expect(b.out.slice(1).map((s) => [s.flags, s.seq - syn.seq, s.len, s.ack])).toEqual([[ACK | PSH, 1, 300, 5001]]);
    expect(b.ext('TCPFastOpenActiveFail')).toBe(1);
    expect(b.ext('TCPFastOpenActive')).toBe(0);
    b.inject(segment(syn.sport, 5001, syn.seq + 301, ACK, []));
    b.run(3000);
    expect(b.from(syn.sport)).toHaveLength(2);
  });

  test('an unanswered SYN with data is retransmitted as a plain SYN, without the option or the data', () => {
    const b = new Bench();
    b.warmCache();
    const fd = b.socket(false);
    expect(b.task.sendto(fd, new Uint8Array(50).fill(1), MSG_FASTOPEN, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(50);
    b.run(1);
    const sport = b.out[0]!.sport;
    b.run(1100);
    const segs = b.from(sport);
    expect(segs.map((s) => [s.flags, s.len])).toEqual([[SYN, 50], [SYN, 0]]);
    expect(option(segs[1]!.opts, 34)).toBe(-1);
    expect(segs[1]!.seq).toBe(segs[0]!.seq);
    b.inject(segment(sport, 5000, segs[0]!.seq + 1, SYN | ACK, [2, 4, 5, 0xb4]));
    expect(b.from(sport).slice(2).map((s) => [s.flags, s.len])).toEqual([[ACK | PSH, 50]]);
  });

  test('MSG_FASTOPEN with nothing cached: EINPROGRESS, a cookie request, and no data in the SYN', () => {
    const b = new Bench();
    const fd = b.socket(false);
    expect(b.task.sendto(fd, new Uint8Array(10), MSG_FASTOPEN, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EINPROGRESS);
    b.run(1);
    expect(b.out).toHaveLength(1);
    expect([b.out[0]!.flags, b.out[0]!.len]).toEqual([SYN, 0]);
    expect(b.out[0]!.opts.slice(-4)).toEqual([34, 2, 1, 1]);
  });

  test('a blocking MSG_FASTOPEN send with nothing cached waits for the handshake, then sends its bytes', async () => {
    const b = new Bench();
    const fd = b.task.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let result: number | null = null;
    void b.task.sendtoAsync(fd, new Uint8Array(200).fill(5), MSG_FASTOPEN, { family: AF_INET, addr: REMOTE, port: PORT }).then((r) => { result = r; });
    b.run(1);
    expect(b.out.map((s) => [s.flags, s.len])).toEqual([[SYN, 0]]);
    expect(result).toBeNull();
    b.inject(segment(b.out[0]!.sport, 1000, b.out[0]!.seq + 1, SYN | ACK, [2, 4, 5, 0xb4]));
    b.run(1);
    await new Promise((r) => setImmediate(r));
    expect(result).toBe(200);
    expect(b.out.filter((s) => s.len > 0).map((s) => [s.seq - b.out[0]!.seq, s.len])).toEqual([[1, 200]]);
  });

  test('a SYN-ACK without a cookie makes the next request use the experimental option', () => {
    const b = new Bench();
    const fd = b.socket(true);
    expect(b.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EINPROGRESS);
    b.run(1);
    b.inject(segment(b.out[0]!.sport, 1000, b.out[0]!.seq + 1, SYN | ACK, [2, 4, 5, 0xb4]));
    b.out.length = 0;
    const fd2 = b.socket(true);
    expect(b.task.connect(fd2, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EINPROGRESS);
    b.run(1);
    expect(b.out[0]!.opts.slice(-4)).toEqual([254, 4, 0xf9, 0x89]);
  });

  test('errno cases, as Linux', () => {
    const b = new Bench();
    const fd = b.socket(false);
    expect(b.task.setsockopt(fd, SOL_TCP, TCP_FASTOPEN_CONNECT, 2)).toBe(-EINVAL);
    expect(b.task.setsockopt(fd, SOL_TCP, TCP_FASTOPEN_CONNECT, -1)).toBe(-EINVAL);
    expect(b.task.getsockopt(fd, SOL_TCP, TCP_FASTOPEN_CONNECT)).toBe(0);
    expect(b.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EINPROGRESS);
    // Only before connect().
    expect(b.task.setsockopt(fd, SOL_TCP, TCP_FASTOPEN_CONNECT, 1)).toBe(-EINVAL);
    b.run(1);
    b.inject(segment(b.out[0]!.sport, 1000, b.out[0]!.seq + 1, SYN | ACK, [2, 4, 5, 0xb4]));
    // Still SS_CONNECTING (nobody called connect again): the connect inside the send finds it
    // established and the bytes go as a plain write, as on Linux.
    expect(b.task.sendto(fd, new Uint8Array(10), MSG_FASTOPEN, null)).toBe(10);
    // That connect marked the socket connected: now MSG_FASTOPEN has nothing to open.
    expect(b.task.sendto(fd, new Uint8Array(10), MSG_FASTOPEN, null)).toBe(-EISCONN);
    expect(b.task.connect(fd, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EISCONN);
    // Without a destination there is nothing to connect to.
    const fd2 = b.socket(false);
    expect(b.task.sendto(fd2, new Uint8Array(10), MSG_FASTOPEN, null)).toBe(-EINVAL);
    // The client bit of net.ipv4.tcp_fastopen off.
    const off = new Bench({ 'net.ipv4.tcp_fastopen': '0' });
    const fd3 = off.socket(false);
    expect(off.task.setsockopt(fd3, SOL_TCP, TCP_FASTOPEN_CONNECT, 1)).toBe(-EOPNOTSUPP);
    expect(off.task.sendto(fd3, new Uint8Array(10), MSG_FASTOPEN, { family: AF_INET, addr: REMOTE, port: PORT })).toBe(-EOPNOTSUPP);
    off.run(1);
    expect(off.out).toHaveLength(0);
  });
});
