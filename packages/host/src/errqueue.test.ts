// IP_RECVERR on a UDP socket between two hosts on a cable: a real ICMP port unreachable from
// the peer lands on the error queue with the quoted payload, and a too-big DF datagram queues a
// local EMSGSIZE (ip_icmp_error / ip_local_error, read back with recvmsg(MSG_ERRQUEUE)).
import { describe, expect, test } from 'vitest';
import type { Cmsghdr, IpRecverrCmsg, Msghdr } from '@knet/include';
import {
  AF_INET, AF_UNSPEC, EAGAIN, ECONNREFUSED, EHOSTUNREACH, EINPROGRESS, EMSGSIZE, F_SETFL, O_NONBLOCK, IPPROTO_TCP, IPPROTO_UDP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_RECVERR,
  MSG_ERRQUEUE, MSG_TRUNC, POLLERR, POLLIN, SOCK_DGRAM, SOCK_STREAM, SOL_IP, SOL_SOCKET, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL,
  SO_ERROR, inetAton,
} from '@knet/include';
import type { Task } from '@knet/socket';
import { createNetwork } from './index.js';

const ICMP_DEST_UNREACH = 3, ICMP_PORT_UNREACH = 3;
const A = '198.18.0.2', C = '198.18.0.3';
const sin = (addr: string, port: number) => ({ family: AF_INET, addr: inetAton(addr), port });

function pair() {
  const net = createNetwork({ seed: 11 });
  const a = net.addHost('a');
  const c = net.addHost('c');
  net.cable(a, c, { a: { addr: `${A}/24` }, b: { addr: `${C}/24` } });
  return { net, a, c, ta: a.task() };
}

function recvErr(t: Task, fd: number, room = 64): { r: number; msg: Msghdr; data: Uint8Array; cmsg: Cmsghdr[] } {
  const data = new Uint8Array(room);
  const cmsg: Cmsghdr[] = [];
  const msg: Msghdr = { name: null, iov: [data], flags: 0, control: cmsg };
  return { r: t.recvmsg(fd, msg, MSG_ERRQUEUE), msg, data, cmsg };
}

function pollErr(t: Task, fd: number): number {
  const p = [{ fd, events: POLLIN, revents: 0 }];
  t.poll(p);
  return p[0]!.revents & POLLERR;
}

describe('IP_RECVERR', () => {
  test('an ICMP port unreachable from the peer is queued with the payload, the destination and the offender', () => {
    const { net, ta } = pair();
    const fd = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(ta.setsockopt(fd, SOL_IP, IP_RECVERR, 1)).toBe(0);
    const payload = new TextEncoder().encode('is anyone there?');
    // Unconnected: without IP_RECVERR Linux would tell this sender nothing.
    expect(ta.sendto(fd, payload, 0, sin(C, 9))).toBe(payload.length);
    expect(net.runUntil(() => pollErr(ta, fd) !== 0, 2000)).toBe(true);

    const e = recvErr(ta, fd);
    expect(e.r).toBe(payload.length);
    expect(e.data.subarray(0, e.r)).toEqual(payload);
    expect(e.msg.flags).toBe(MSG_ERRQUEUE);
    expect(e.msg.name).toEqual(sin(C, 9));
    expect(e.cmsg).toHaveLength(1);
    expect([e.cmsg[0]!.level, e.cmsg[0]!.type]).toEqual([SOL_IP, IP_RECVERR]);
    const d = e.cmsg[0]!.data as IpRecverrCmsg;
    expect(d.ee).toEqual({
      eeErrno: ECONNREFUSED, eeOrigin: SO_EE_ORIGIN_ICMP, eeType: ICMP_DEST_UNREACH, eeCode: ICMP_PORT_UNREACH,
      eePad: 0, eeInfo: 0, eeData: 0,
    });
    expect(d.offender).toEqual(sin(C, 0));
    // Reading the last ICMP error clears sk_err with it.
    expect(ta.getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(0);
    expect(pollErr(ta, fd)).toBe(0);
    expect(recvErr(ta, fd).r).toBe(-EAGAIN);
  });

  test('a short buffer truncates the quoted payload (MSG_TRUNC); without IP_RECVERR nothing is queued', () => {
    const { net, ta } = pair();
    const quiet = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const fd = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(ta.setsockopt(fd, SOL_IP, IP_RECVERR, 1)).toBe(0);
    expect(ta.sendto(quiet, new Uint8Array(40), 0, sin(C, 10))).toBe(40);
    expect(ta.sendto(fd, new Uint8Array(40).fill(7), 0, sin(C, 11))).toBe(40);
    expect(net.runUntil(() => pollErr(ta, fd) !== 0, 2000)).toBe(true);
    net.runFor(100);
    expect(recvErr(ta, quiet).r).toBe(-EAGAIN);
    expect(ta.getsockopt(quiet, SOL_SOCKET, SO_ERROR)).toBe(0);
    const e = recvErr(ta, fd, 16);
    expect(e.r).toBe(16);
    expect(e.msg.flags).toBe(MSG_ERRQUEUE | MSG_TRUNC);
    expect(e.data).toEqual(new Uint8Array(16).fill(7));
  });

  test('EMSGSIZE above the path MTU with IP_PMTUDISC_DO is also a local error on the queue', () => {
    const { ta } = pair();
    const fd = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(ta.setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)).toBe(0);
    expect(ta.sendto(fd, new Uint8Array(2000), 0, sin(C, 9))).toBe(-EMSGSIZE);
    // Only with IP_RECVERR is the error queued.
    expect(recvErr(ta, fd).r).toBe(-EAGAIN);
    expect(ta.setsockopt(fd, SOL_IP, IP_RECVERR, 1)).toBe(0);
    expect(ta.sendto(fd, new Uint8Array(2000), 0, sin(C, 9))).toBe(-EMSGSIZE);
    expect(pollErr(ta, fd)).toBe(POLLERR);
    const e = recvErr(ta, fd);
    expect(e.r).toBe(0);
    expect(e.msg.flags).toBe(MSG_ERRQUEUE);
    // ip_local_error names the destination address and the socket's own peer port (none here).
    expect(e.msg.name).toEqual(sin(C, 0));
    const d = e.cmsg[0]!.data as IpRecverrCmsg;
    expect(d.ee).toEqual({ eeErrno: EMSGSIZE, eeOrigin: SO_EE_ORIGIN_LOCAL, eeType: 0, eeCode: 0, eePad: 0, eeInfo: 1500, eeData: 0 });
    expect(d.offender).toEqual({ family: AF_UNSPEC, addr: 0, port: 0 });
    // A local error does not set sk_err.
    expect(ta.getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(0);
    expect(recvErr(ta, fd).r).toBe(-EAGAIN);
  });

  test('turning IP_RECVERR off drops the queued errors', () => {
    const { ta } = pair();
    const fd = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(ta.setsockopt(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)).toBe(0);
    expect(ta.setsockopt(fd, SOL_IP, IP_RECVERR, 1)).toBe(0);
    expect(ta.sendto(fd, new Uint8Array(2000), 0, sin(C, 9))).toBe(-EMSGSIZE);
    expect(pollErr(ta, fd)).toBe(POLLERR);
    expect(ta.setsockopt(fd, SOL_IP, IP_RECVERR, 0)).toBe(0);
    expect(pollErr(ta, fd)).toBe(0);
    expect(recvErr(ta, fd).r).toBe(-EAGAIN);
  });
});

describe('IP_RECVERR on TCP', () => {
  test('an ICMP error about our SYN is queued (Linux does so even without IP_RECVERR) and ends the connect', () => {
    const net = createNetwork({ seed: 5 });
    const a = net.addHost('a');
    const r = net.addHost('r');
    net.cable(a, r, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.1/24' } });
    net.cable(r, net.addHost('c'), { a: { addr: '198.18.1.1/24' }, b: { addr: '198.18.1.2/24' } });
    expect(a.ip.route.add({ dst: 'default', gw: '198.18.0.1' })).toBe(0);
    expect(r.sysctl.set('net.ipv4.ip_forward', 1)).toBe(0);
    const ta = a.task();
    const fd = ta.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expect(ta.fcntl(fd, F_SETFL, O_NONBLOCK)).toBe(0);
    // Nobody answers ARP for .99: the router reports the host unreachable.
    expect(ta.connect(fd, sin('198.18.1.99', 80))).toBe(-EINPROGRESS);
    expect(net.runUntil(() => pollErr(ta, fd) !== 0, 30_000)).toBe(true);
    expect(ta.getsockopt(fd, SOL_SOCKET, SO_ERROR)).toBe(EHOSTUNREACH);
    const e = recvErr(ta, fd);
    expect(e.r).toBeGreaterThanOrEqual(0);
    expect(e.msg.name).toEqual(sin('198.18.1.99', 80));
    const d = e.cmsg[0]!.data as IpRecverrCmsg;
    expect(d.ee).toMatchObject({ eeErrno: EHOSTUNREACH, eeOrigin: SO_EE_ORIGIN_ICMP, eeType: ICMP_DEST_UNREACH, eeCode: 1 });
    expect(d.offender).toEqual(sin('198.18.0.1', 0));
  });
});
