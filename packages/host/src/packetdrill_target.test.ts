import { describe, expect, test } from 'vitest';
import {
  AF_INET, EAGAIN, EBADF, EFAULT, F_GETFL, F_SETFL, IPPROTO_UDP, O_NONBLOCK, POLLIN, POLLOUT, SOCK_DGRAM, SO_RCVTIMEO, SO_TYPE,
  SOL_SOCKET, EPOLLIN, EPOLL_CTL_ADD, FIONREAD, NETIF_F_GSO, NETIF_F_TSO,
} from '@knet/include';
import { cubicParams } from '@knet/tcp-cubic';
import { createPacketdrillTarget, type PacketdrillTarget, type PdSysValue, type PdSyscallStart } from './packetdrill_target.js';

const LOCAL = 0xc6120001; // 198.18.0.1
const REMOTE = 0xc6120002; // 198.18.0.2

const int = (value: number): PdSysValue => ({ kind: 'int', value });
const addr = (a: number, port: number): PdSysValue => ({ kind: 'sockaddr', family: AF_INET, addr: a, port });
const list = (...items: PdSysValue[]): PdSysValue => ({ kind: 'list', items });
const struct = (fields: Record<string, PdSysValue>): PdSysValue => ({ kind: 'struct', fields });
const NULL: PdSysValue = { kind: 'null' };
const buf = (n: number): PdSysValue => ({ kind: 'bytes', data: new Uint8Array(n) });

function target(sysctls: Record<string, string> = {}): PacketdrillTarget {
  return createPacketdrillTarget({ localIp: LOCAL, remoteIp: REMOTE, mtu: 1500, sysctls: new Map(Object.entries(sysctls)) });
}

function done(r: PdSyscallStart): { ret: number; errno: number; out?: ReadonlyArray<PdSysValue | undefined> } {
  if (!('done' in r)) throw new Error(`not done: ${JSON.stringify(r)}`);
  return r.done;
}

/** A Promise-form call's result becomes visible once queued callbacks have run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function csum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (b[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IPv4/UDP datagram from the peer (UDP checksum 0: none). */
function udp(sport: number, dport: number, payload: number): Uint8Array {
  const p = new Uint8Array(28 + payload);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  p[8] = 64;
  p[9] = IPPROTO_UDP;
  v.setUint32(12, REMOTE);
  v.setUint32(16, LOCAL);
  v.setUint16(10, csum(p, 0, 20));
  v.setUint16(20, sport);
  v.setUint16(22, dport);
  v.setUint16(24, 8 + payload);
  return p;
}

describe('createPacketdrillTarget: system calls', () => {
  test('descriptors start at 3; bind, getsockopt and fcntl answer as Linux does', () => {
    const t = target();
    expect(done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]))).toEqual({ ret: 3, errno: 0 });
    expect(done(t.syscall('bind', [int(3), addr(LOCAL, 8080), int(16)])).ret).toBe(0);
    const so = done(t.syscall('getsockopt', [int(3), int(SOL_SOCKET), int(SO_TYPE), list(int(0)), list(int(4))]));
    expect(so.out?.[3]).toEqual(list(int(SOCK_DGRAM)));
    expect(so.out?.[4]).toEqual(list(int(4)));
    expect(done(t.syscall('fcntl', [int(3), int(F_SETFL), int(O_NONBLOCK)])).ret).toBe(0);
    expect(done(t.syscall('fcntl', [int(3), int(F_GETFL)])).ret).toBe(2 | O_NONBLOCK);
    expect(done(t.syscall('close', [int(9)]))).toEqual({ ret: -1, errno: EBADF });
    t.destroy();
  });

  test('what knet cannot run is unsupported, not an errno', () => {
    const t = target();
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    expect(t.syscall('splice', [int(3)])).toEqual({ unsupported: 'syscall splice' });
    expect(done(t.syscall('write', [int(3), NULL, int(10)]))).toEqual({ ret: -1, errno: EFAULT });
    expect(t.syscall('setsockopt', [int(3), int(SOL_SOCKET), int(61), list(int(1)), int(4)])).toEqual({ unsupported: 'setsockopt level 1 option 61' });
    t.destroy();
  });

  test('sysctls by Linux name; unknown names are refused', () => {
    const t = target({ 'net.ipv4.ip_forward': '1', 'net.ipv4.no_such_thing': '1' });
    expect(t.host.sysctl.get('net.ipv4.ip_forward')).toBe(1);
    expect(t.sysctl('net.ipv4.ip_forward', '0')).toBe(true);
    expect(t.host.sysctl.get('net.ipv4.ip_forward')).toBe(0);
    expect(t.sysctl('net.ipv4.no_such_thing', '1')).toBe(false);
    t.destroy();
  });

  test('module parameters are set for the run and put back when the target goes', () => {
    const before = cubicParams.hystartDetect;
    const t = target();
    expect(t.sysctl('module.tcp_cubic.parameters.hystart_detect', '0')).toBe(true);
    expect(cubicParams.hystartDetect).toBe(0);
    expect(t.sysctl('module.tcp_cubic.parameters.no_such_param', '0')).toBe(false);
    expect(t.sysctl('module.no_such_module.parameters.x', '0')).toBe(false);
    t.destroy();
    expect(cubicParams.hystartDetect).toBe(before);
  });
});

describe('createPacketdrillTarget: the wire', () => {
  test('a datagram sent leaves tun0 as an IPv4 packet to the peer, at the current virtual time', async () => {
    const t = target();
    const out: Array<{ p: Uint8Array; at: number }> = [];
    t.onOutbound((p, at) => out.push({ p, at }));
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    t.advance(250_000);
    expect(t.now()).toBe(250_000);
    const r = t.syscall('sendto', [int(3), { kind: 'bytes', data: new Uint8Array(100) }, int(100), int(0), addr(REMOTE, 9), int(16)]);
    if (!('pending' in r)) throw new Error('sendto runs in its Promise form');
    await settle();
    expect(r.pending.poll()).toEqual({ ret: 100, errno: 0 });
    expect(out).toHaveLength(1);
    const v = new DataView(out[0]!.p.buffer, out[0]!.p.byteOffset);
    expect([v.getUint32(12), v.getUint32(16), out[0]!.p[9], v.getUint16(2)]).toEqual([LOCAL, REMOTE, IPPROTO_UDP, 128]);
    expect(out[0]!.at).toBe(250_000);
    t.destroy();
  });

  test('tc: a pfifo of limit 0 drops what the stack sends; deleting it restores the FIFO', async () => {
    const t = target();
    const out: Uint8Array[] = [];
    t.onOutbound((p) => out.push(p));
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    const send = () => t.syscall('sendto', [int(3), buf(10), int(10), int(0), addr(REMOTE, 9), int(16)]);
    expect(t.qdisc('tun0', 'pfifo', { limit: 0 })).toBe(true);
    send();
    await settle();
    expect(out).toHaveLength(0);
    expect(t.qdisc('tun0', null, {})).toBe(true);
    send();
    await settle();
    expect(out).toHaveLength(1);
    expect(t.qdisc('tun0', 'no_such_qdisc', {})).toBe(false);
    expect(t.qdisc('eth7', 'pfifo', {})).toBe(false);
    t.destroy();
  });

  test('tc: fq replaces the root qdisc of tun0 and still delivers', async () => {
    const t = target();
    const out: Uint8Array[] = [];
    t.onOutbound((p) => out.push(p));
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    expect(t.qdisc('tun0', 'fq', {})).toBe(true);
    t.syscall('sendto', [int(3), buf(10), int(10), int(0), addr(REMOTE, 9), int(16)]);
    await settle();
    expect(out).toHaveLength(1);
    t.destroy();
  });

  test('ethtool -K switches tun0 offloads by name and refuses unknown ones', () => {
    const t = target();
    const dev = t.host.net.devByName.get('tun0')!;
    expect(dev.features & NETIF_F_TSO).not.toBe(0);
    expect(t.ethtool('tun0', { tso: false, gso: false })).toBe(true);
    expect(dev.features & (NETIF_F_TSO | NETIF_F_GSO)).toBe(0);
    expect(t.ethtool('tun0', { tso: true })).toBe(true);
    expect(dev.features & NETIF_F_TSO).not.toBe(0);
    expect(t.ethtool('tun0', { lro: false })).toBe(false);
    expect(t.ethtool('eth7', { tso: false })).toBe(false);
    t.destroy();
  });

  test('a blocking read is pending until an injected datagram completes it', async () => {
    const t = target();
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    done(t.syscall('bind', [int(3), addr(LOCAL, 8080), int(16)]));
    const r = t.syscall('read', [int(3), buf(1000), int(1000)]);
    if (!('pending' in r)) throw new Error('read should block');
    await settle();
    expect(r.pending.poll()).toBeNull();
    t.advance(100_000);
    t.inject(udp(5000, 8080, 300));
    await settle();
    expect(r.pending.poll()).toEqual({ ret: 300, errno: 0 });
    expect(t.now()).toBe(100_000);
    t.destroy();
  });

  test('advance stops at the event that ends a blocking call (SO_RCVTIMEO expiry)', async () => {
    const t = target();
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    done(t.syscall('bind', [int(3), addr(LOCAL, 8080), int(16)]));
    done(t.syscall('setsockopt', [int(3), int(SOL_SOCKET), int(SO_RCVTIMEO), struct({ tv_sec: int(0), tv_usec: int(30_000) }), int(16)]));
    const r = t.syscall('recv', [int(3), buf(100), int(100), int(0)]);
    if (!('pending' in r)) throw new Error('recv should block');
    let result = null;
    while (result === null && t.now() < 1_000_000) {
      t.advance(1_000_000);
      await settle();
      result = r.pending.poll();
    }
    expect(result).toEqual({ ret: -1, errno: EAGAIN });
    expect(t.now()).toBe(30_000);
    t.destroy();
  });

  test('poll, epoll and FIONREAD see an injected datagram', async () => {
    const t = target();
    done(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]));
    done(t.syscall('bind', [int(3), addr(LOCAL, 8080), int(16)]));
    expect(done(t.syscall('epoll_create', [int(1)])).ret).toBe(4);
    expect(done(t.syscall('epoll_ctl', [int(4), int(EPOLL_CTL_ADD), int(3), struct({ events: int(EPOLLIN), fd: int(3) })])).ret).toBe(0);
    expect(done(t.syscall('epoll_wait', [int(4), struct({ events: int(0), fd: int(0) }), int(1), int(0)])).ret).toBe(0);
    const p = t.syscall('poll', [list(struct({ fd: int(3), events: int(POLLIN), revents: int(0) })), int(1), int(50)]);
    if (!('pending' in p)) throw new Error('poll should block');
    t.advance(10_000);
    t.inject(udp(5000, 8080, 42));
    await settle();
    expect(p.pending.poll()).toEqual({ ret: 1, errno: 0, out: [list(struct({ fd: int(3), events: int(POLLIN), revents: int(POLLIN) }))] });
    const ev = done(t.syscall('epoll_wait', [int(4), struct({ events: int(0), fd: int(0) }), int(1), int(0)]));
    expect(ev).toEqual({ ret: 1, errno: 0, out: [undefined, struct({ events: int(EPOLLIN), fd: int(3) })] });
    expect(done(t.syscall('ioctl', [int(3), int(FIONREAD), list(int(0))])).out?.[2]).toEqual(list(int(42)));
    const w = done(t.syscall('poll', [list(struct({ fd: int(3), events: int(POLLOUT), revents: int(0) })), int(1), int(0)]));
    expect(w.ret).toBe(1);
    t.destroy();
  });
});
