import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import type { Msghdr, SkBuff, SockaddrIn } from '@knet/include';
import {
  AF_INET, EACCES, EADDRINUSE, ECONNREFUSED, EDESTADDRREQ, EINVAL, EMSGSIZE, ENETUNREACH, IPPROTO_UDP,
  IP_PMTUDISC_DO, MSG_MORE, MSG_PEEK, MSG_TRUNC, NETIF_F_HW_CSUM, SKB_DROP_REASON, SOCK_BROADCAST, SOCK_DGRAM,
  SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK, SOL_UDP, TCP_ESTABLISHED, UDP_CORK,
} from '@knet/include';
import { allocSkbWithHeadroom, putUint16, putUint32, skbPoolStats, skbPull, skbPut } from '@knet/skbuff';
import { sockInitData } from '@knet/netdevice';
import { udpHdrChecked, udpHdrWrite, udpSetCheck, udpDest, udpLen, udpSource, udpCheck, UDP_MAX_PAYLOAD } from './udp_hdr.js';
import { udpErr, udpProt, udpRcv, udpRecvmsg, udpSendmsg } from './udp.js';
import { udpV4GetPort } from './udp_hash.js';
import type { UdpSock } from './udp_sock.js';
import { A, B, BCAST, C, UNROUTABLE, type UdpBench, udpBench, udpPacket } from './test/bench.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function mkSock(b: UdpBench): UdpSock {
  const sk = udpProt.alloc(b.net) as UdpSock;
  sockInitData(null, sk);
  sk.skType = SOCK_DGRAM;
  sk.skProtocol = IPPROTO_UDP;
  return sk;
}

function bind(sk: UdpSock, port: number, addr = 0): number {
  sk.inetRcvSaddr = sk.inetSaddr = addr;
  const err = udpProt.getPort(sk, port);
  if (err !== 0) return err;
  // What inet_bind records: an explicit address or port survives disconnect.
  if (addr !== 0) sk.skUserlocks |= SOCK_BINDADDR_LOCK;
  if (port !== 0) sk.skUserlocks |= SOCK_BINDPORT_LOCK;
  sk.inetSport = sk.inetNum;
  return 0;
}

function send(sk: UdpSock, data: Uint8Array, to: SockaddrIn | null, flags = 0): number {
  return udpSendmsg(sk, { name: to, iov: [data], flags: 0 }, flags);
}

function recv(sk: UdpSock, size: number, flags = 0): { n: number; msg: Msghdr; buf: Uint8Array } {
  const buf = new Uint8Array(size);
  const msg: Msghdr = { name: null, iov: [buf], flags: 0 };
  const n = udpRecvmsg(sk, msg, flags);
  return { n, msg, buf };
}

const to = (addr: number, port: number): SockaddrIn => ({ family: AF_INET, addr, port });

describe('udp_hdr wire view', () => {
  test('writes and reads a header in place (golden bytes)', () => {
    const b = new Uint8Array(10);
    udpHdrWrite(b, 2, 12345, 53, 10);
    udpSetCheck(b, 2, 0xdada);
    expect(toHex(b)).toBe('000030390035000adada');
    expect(udpSource(b, 2)).toBe(12345);
    expect(udpDest(b, 2)).toBe(53);
    expect(udpLen(b, 2)).toBe(10);
    expect(udpCheck(b, 2)).toBe(0xdada);
  });

  test('udpHdrChecked rejects short buffers and impossible lengths', () => {
    const b = hex('30390035000adada6869');
    expect(udpHdrChecked(b, 0, 10)).toBe(true);
    expect(udpHdrChecked(b, 0, 7)).toBe(false);
    expect(udpHdrChecked(b, 0, 9)).toBe(false);
    expect(udpHdrChecked(hex('303900350007dada'), 0, 8)).toBe(false);
  });
});

describe('udpSendmsg', () => {
  test('a datagram goes out with the header and checksum of a real packet (golden bytes)', () => {
    const b = udpBench();
    const sk = mkSock(b);
    expect(bind(sk, 12345)).toBe(0);
    expect(send(sk, new TextEncoder().encode('hi'), to(B, 53))).toBe(2);
    expect(b.sent.length).toBe(1);
    expect(toHex(b.sent[0]!.bytes)).toBe('4500001e000040004011aea7c6120001c612000230390035000adada6869');
    expect(b.u.mib.OutDatagrams).toBe(1);
  });

  test('a device with checksum offload gets CHECKSUM_PARTIAL with the pseudo-header sum in place', () => {
    const b = udpBench({ features: NETIF_F_HW_CSUM });
    const sk = mkSock(b);
    bind(sk, 12345);
    send(sk, new TextEncoder().encode('hi'), to(B, 53));
    const s = b.sent[0]!;
    expect(s.partial).toBe(true);
    expect(s.rawCheck).toBe(0x8c43);
    // The completed checksum is the one computed in software.
    expect(toHex(s.bytes.subarray(20))).toBe('30390035000adada6869');
  });

  test('an unbound socket is given an ephemeral port from ip_local_port_range', () => {
    const b = udpBench();
    const sk = mkSock(b);
    expect(send(sk, new Uint8Array(4), to(B, 9))).toBe(4);
    expect(sk.inetNum).toBeGreaterThanOrEqual(32768);
    expect(sk.inetNum).toBeLessThanOrEqual(60999);
    const sport = (b.sent[0]!.bytes[20]! << 8) | b.sent[0]!.bytes[21]!;
    expect(sport).toBe(sk.inetNum);
  });

  test('errors: no destination, port 0, no route, oversize, broadcast without SO_BROADCAST', () => {
    const b = udpBench();
    const sk = mkSock(b);
    expect(send(sk, new Uint8Array(1), null)).toBe(-EDESTADDRREQ);
    expect(send(sk, new Uint8Array(1), to(B, 0))).toBe(-EINVAL);
    expect(send(sk, new Uint8Array(1), to(UNROUTABLE, 9))).toBe(-ENETUNREACH);
    expect(send(sk, new Uint8Array(UDP_MAX_PAYLOAD + 1), to(B, 9))).toBe(-EMSGSIZE);
    expect(send(sk, new Uint8Array(UDP_MAX_PAYLOAD), to(B, 9))).toBe(UDP_MAX_PAYLOAD);
    expect(send(sk, new Uint8Array(1), to(BCAST, 9))).toBe(-EACCES);
    expect(send(sk, new Uint8Array(1), to(0xffffffff, 9))).toBe(-EACCES);
    sk.skFlags |= SOCK_BROADCAST;
    expect(send(sk, new Uint8Array(1), to(BCAST, 9))).toBe(1);
    sk.pmtudisc = IP_PMTUDISC_DO;
    expect(send(sk, new Uint8Array(1473), to(B, 9))).toBe(-EMSGSIZE);
    expect(send(sk, new Uint8Array(1472), to(B, 9))).toBe(1472);
  });

  test('MSG_MORE corks: several sends become one datagram', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 4000);
    expect(send(sk, hex('0102'), to(B, 53), MSG_MORE)).toBe(2);
    // While a datagram is pending, a new address is ignored, as Linux does.
    expect(send(sk, hex('0304'), to(C, 99), MSG_MORE)).toBe(2);
    expect(b.sent.length).toBe(0);
    expect(send(sk, hex('05'), null)).toBe(1);
    expect(b.sent.length).toBe(1);
    expect(toHex(b.sent[0]!.bytes.subarray(16, 20))).toBe('c6120002');
    const udp = b.sent[0]!.bytes.subarray(20);
    expect(udpLen(udp, 0)).toBe(13);
    expect(toHex(udp.subarray(8))).toBe('0102030405');
    expect(b.u.mib.OutDatagrams).toBe(1);
  });

  test('UDP_CORK holds data until it is cleared; a large corked datagram grows in place', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 4001);
    expect(udpProt.setsockopt!(sk, SOL_UDP, UDP_CORK, 1)).toBe(0);
    expect(udpProt.getsockopt!(sk, SOL_UDP, UDP_CORK)).toBe(1);
    const chunk = new Uint8Array(3000).fill(7);
    for (let i = 0; i < 5; i++) expect(send(sk, chunk, to(B, 53))).toBe(3000);
    expect(b.sent.length).toBe(0);
    expect(udpProt.setsockopt!(sk, SOL_UDP, UDP_CORK, 0)).toBe(0);
    expect(b.sent.length).toBe(1);
    expect(udpLen(b.sent[0]!.bytes, 20)).toBe(8 + 15000);
  });

  test('a corked datagram may not grow past 65507 bytes', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 4002);
    expect(send(sk, new Uint8Array(60000), to(B, 53), MSG_MORE)).toBe(60000);
    expect(send(sk, new Uint8Array(6000), to(B, 53), MSG_MORE)).toBe(-EMSGSIZE);
    expect(sk.pending).toBe(0);
  });
});

describe('udpRcv', () => {
  test('delivers to the bound socket; recvmsg reports the sender', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    udpRcv(udpPacket(b, { saddr: B, sport: 5555, dport: 7000, payload: hex('aabbcc') }));
    const r = recv(sk, 16);
    expect(r.n).toBe(3);
    expect(toHex(r.buf.subarray(0, 3))).toBe('aabbcc');
    expect(r.msg.name).toEqual({ family: AF_INET, addr: B, port: 5555 });
    expect(b.u.mib.InDatagrams).toBe(1);
    expect(sk.skRmemAlloc).toBe(0);
  });

  test('a zero checksum is accepted; a bad one is counted and dropped', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    udpRcv(udpPacket(b, { sport: 1, dport: 7000, payload: hex('01'), csum: 'zero' }));
    expect(sk.skReceiveQueue.qlen).toBe(1);
    udpRcv(udpPacket(b, { sport: 1, dport: 7000, payload: hex('01'), csum: 'bad' }));
    expect(sk.skReceiveQueue.qlen).toBe(1);
    expect(b.u.mib.InCsumErrors).toBe(1);
    expect(b.u.mib.InErrors).toBe(1);
    expect(b.net.dropCounts[SKB_DROP_REASON.UDP_CSUM]).toBe(1);
  });

  test('a length field longer than the packet, or shorter than a header, is a counted drop', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    udpRcv(udpPacket(b, { sport: 1, dport: 7000, payload: hex('0102'), ulen: 11 }));
    udpRcv(udpPacket(b, { sport: 1, dport: 7000, payload: hex('0102'), ulen: 7 }));
    expect(b.u.mib.InErrors).toBe(2);
    expect(b.net.dropCounts[SKB_DROP_REASON.PKT_TOO_SMALL]).toBe(2);
    expect(sk.skReceiveQueue.qlen).toBe(0);
  });

  test('a length field shorter than the packet trims the padding', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    // A 2-byte datagram whose checksum covers only its own length, followed by padding.
    const skb = udpPacket(b, { sport: 1, dport: 7000, payload: hex('0102'), csum: 'zero' });
    const at = skbPut(skb, 4);
    skb.head.set([9, 9, 9, 9], at);
    udpRcv(skb);
    expect(recv(sk, 16).n).toBe(2);
  });

  test('no socket: NoPorts and ICMP port unreachable; broadcast: IgnoredMulti and no ICMP', () => {
    const b = udpBench();
    udpRcv(udpPacket(b, { saddr: B, sport: 1, dport: 9999 }));
    expect(b.u.mib.NoPorts).toBe(1);
    expect(b.icmp).toEqual([{ type: 3, code: 3, saddr: B }]);
    expect(b.net.dropCounts[SKB_DROP_REASON.NO_SOCKET]).toBe(1);
    udpRcv(udpPacket(b, { daddr: BCAST, sport: 1, dport: 9999, broadcast: true }));
    expect(b.u.mib.IgnoredMulti).toBe(1);
    expect(b.icmp.length).toBe(1);
  });

  test('lookup prefers the connected socket over the bound one', () => {
    const b = udpBench();
    const bound = mkSock(b);
    const conn = mkSock(b);
    bound.skReuse = conn.skReuse = 1;
    expect(bind(bound, 5000)).toBe(0);
    expect(bind(conn, 5000)).toBe(0);
    expect(udpProt.connect!(conn, to(B, 7000))).toBe(0);
    expect(conn.skState).toBe(TCP_ESTABLISHED);
    expect(conn.inetRcvSaddr).toBe(A);
    udpRcv(udpPacket(b, { saddr: B, sport: 7000, dport: 5000, payload: hex('01') }));
    udpRcv(udpPacket(b, { saddr: B, sport: 7001, dport: 5000, payload: hex('02') }));
    udpRcv(udpPacket(b, { saddr: C, sport: 7000, dport: 5000, payload: hex('03') }));
    expect(conn.skReceiveQueue.qlen).toBe(1);
    expect(bound.skReceiveQueue.qlen).toBe(2);
    // After disconnect the port stays bound (it was bound explicitly) but the peer is gone.
    expect(udpProt.disconnect!(conn, 0)).toBe(0);
    expect(conn.inetNum).toBe(5000);
    expect(conn.inetDaddr).toBe(0);
  });

  test('a socket bound to the address beats the wildcard one', () => {
    const b = udpBench();
    const any = mkSock(b);
    const spec = mkSock(b);
    any.skReuse = spec.skReuse = 1;
    bind(any, 5001);
    bind(spec, 5001, A);
    udpRcv(udpPacket(b, { sport: 1, dport: 5001, payload: hex('01') }));
    expect(spec.skReceiveQueue.qlen).toBe(1);
    expect(any.skReceiveQueue.qlen).toBe(0);
  });

  test('SO_REUSEPORT spreads flows across the group, each flow sticking to one socket', () => {
    const b = udpBench();
    const group = [0, 1, 2, 3].map(() => {
      const sk = mkSock(b);
      sk.skReuseport = true;
      expect(bind(sk, 6000)).toBe(0);
      return sk;
    });
    const other = mkSock(b);
    expect(bind(other, 6000)).toBe(-EADDRINUSE);
    const owner = new Map<number, UdpSock>();
    for (let port = 10000; port < 10064; port++) {
      for (let rep = 0; rep < 2; rep++) {
        udpRcv(udpPacket(b, { sport: port, dport: 6000, payload: hex('00') }));
        const sk = group.find((s) => s.skReceiveQueue.qlen > 0)!;
        const prev = owner.get(port);
        if (prev !== undefined) expect(sk).toBe(prev);
        owner.set(port, sk);
        recv(sk, 4);
      }
    }
    const used = new Set(owner.values());
    expect(used.size).toBe(4);
  });

  test('broadcast reaches every socket bound to the port', () => {
    const b = udpBench();
    const s1 = mkSock(b);
    const s2 = mkSock(b);
    const s3 = mkSock(b);
    s1.skReuse = s2.skReuse = s3.skReuse = 1;
    bind(s1, 67);
    bind(s2, 67);
    bind(s3, 68);
    udpRcv(udpPacket(b, { daddr: BCAST, sport: 68, dport: 67, payload: hex('0102'), broadcast: true }));
    expect(s1.skReceiveQueue.qlen).toBe(1);
    expect(s2.skReceiveQueue.qlen).toBe(1);
    expect(s3.skReceiveQueue.qlen).toBe(0);
    expect(toHex(recv(s1, 8).buf.subarray(0, 2))).toBe('0102');
    expect(toHex(recv(s2, 8).buf.subarray(0, 2))).toBe('0102');
  });

  test('a full receive buffer is a counted drop (RcvbufErrors, SOCKET_RCVBUFF)', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    sk.skRcvbuf = 4096;
    for (let i = 0; i < 10; i++) udpRcv(udpPacket(b, { sport: 1, dport: 7000, payload: new Uint8Array(100) }));
    const queued = sk.skReceiveQueue.qlen;
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(10);
    expect(b.u.mib.RcvbufErrors).toBe(10 - queued);
    expect(b.u.mib.InErrors).toBe(10 - queued);
    expect(b.net.dropCounts[SKB_DROP_REASON.SOCKET_RCVBUFF]).toBe(10 - queued);
  });
});

describe('udpRecvmsg', () => {
  test('MSG_PEEK leaves the datagram; MSG_TRUNC reports truncation and the real length', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    udpRcv(udpPacket(b, { sport: 1, dport: 7000, payload: hex('0102030405') }));
    const p = recv(sk, 2, MSG_PEEK);
    expect(p.n).toBe(2);
    expect(p.msg.flags & MSG_TRUNC).toBe(MSG_TRUNC);
    expect(sk.skReceiveQueue.qlen).toBe(1);
    expect(b.u.mib.InDatagrams).toBe(0);
    const t = recv(sk, 2, MSG_TRUNC);
    expect(t.n).toBe(5);
    expect(toHex(t.buf)).toBe('0102');
    expect(sk.skReceiveQueue.qlen).toBe(0);
    expect(recv(sk, 2).n).toBe(-11);
  });

  test('an empty queue is -EAGAIN and nothing is allocated', () => {
    const b = udpBench();
    const sk = mkSock(b);
    bind(sk, 7000);
    const before = skbPoolStats().skbInUse;
    expect(recv(sk, 8).n).toBe(-11);
    expect(skbPoolStats().skbInUse).toBe(before);
  });
});

describe('udpV4GetPort', () => {
  test('conflicts unless both sockets share with SO_REUSEADDR or SO_REUSEPORT', () => {
    const b = udpBench();
    const s1 = mkSock(b);
    const s2 = mkSock(b);
    expect(bind(s1, 8000)).toBe(0);
    expect(bind(s2, 8000)).toBe(-EADDRINUSE);
    expect(bind(s2, 8000, A)).toBe(-EADDRINUSE);
    s1.skReuse = 1;
    expect(bind(s2, 8000)).toBe(-EADDRINUSE);
    s2.skReuse = 1;
    expect(bind(s2, 8000)).toBe(0);
  });

  test('the ephemeral range comes from net.ipv4.ip_local_port_range and can run out', () => {
    const b = udpBench();
    expect(b.net.sysctls.get('net.ipv4.ip_local_port_range')!.set([40000, 40002])).toBe(0);
    const ports = [0, 1, 2].map(() => {
      const sk = mkSock(b);
      expect(udpV4GetPort(sk, 0)).toBe(0);
      return sk.inetNum;
    });
    expect(ports.sort()).toEqual([40000, 40001, 40002]);
    expect(udpV4GetPort(mkSock(b), 0)).toBe(-EADDRINUSE);
  });

  test('close frees the port', () => {
    const b = udpBench();
    const s1 = mkSock(b);
    bind(s1, 8001);
    udpProt.close(s1, 0);
    expect(bind(mkSock(b), 8001)).toBe(0);
  });
});

/** An ICMP error as ipv4 hands it to udpErr: data at the quoted IP header. */
function icmpError(b: UdpBench, type: number, code: number, src: number, sport: number, dst: number, dport: number): SkBuff {
  const skb = allocSkbWithHeadroom(64, 8 + 28);
  const ic = skbPut(skb, 36);
  const h = skb.head;
  h[ic] = type;
  h[ic + 1] = code;
  const q = ic + 8;
  h[q] = 0x45;
  h[q + 9] = IPPROTO_UDP;
  putUint32(h, q + 12, src);
  putUint32(h, q + 16, dst);
  putUint16(h, q + 20, sport);
  putUint16(h, q + 22, dport);
  skb.transportHeader = ic;
  skbPull(skb, 8);
  skb.dev = b.dev;
  return skb;
}

describe('udpErr', () => {
  test('port unreachable sets ECONNREFUSED on a connected socket only', () => {
    const b = udpBench();
    const conn = mkSock(b);
    const unconn = mkSock(b);
    bind(conn, 9000);
    bind(unconn, 9001);
    expect(udpProt.connect!(conn, to(B, 53))).toBe(0);
    let reported = 0;
    conn.skErrorReport = () => reported++;
    udpErr(icmpError(b, 3, 3, A, 9000, B, 53), 0);
    expect(conn.skErr).toBe(ECONNREFUSED);
    expect(reported).toBe(1);
    udpErr(icmpError(b, 3, 3, A, 9001, B, 53), 0);
    expect(unconn.skErr).toBe(0);
    unconn.recverr = true;
    udpErr(icmpError(b, 3, 3, A, 9001, B, 53), 0);
    expect(unconn.skErr).toBe(ECONNREFUSED);
    // The error is read once by the next receive.
    expect(recv(conn, 4).n).toBe(-ECONNREFUSED);
    expect(conn.skErr).toBe(0);
  });

  test('time exceeded is a soft error, not reported without IP_RECVERR', () => {
    const b = udpBench();
    const conn = mkSock(b);
    bind(conn, 9002);
    udpProt.connect!(conn, to(B, 53));
    udpErr(icmpError(b, 11, 0, A, 9002, B, 53), 0);
    expect(conn.skErr).toBe(0);
  });

  test('a truncated quote is ignored', () => {
    const b = udpBench();
    const skb = icmpError(b, 3, 3, A, 9000, B, 53);
    skb.len = 10;
    skb.tail = skb.data + 10;
    expect(udpErr(skb, 0)).toBeLessThan(0);
  });
});

describe('robustness', () => {
  ftest.prop([fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.integer({ min: 0, max: 65535 })])(
    'udpRcv never throws; every packet is queued or counted', (bytes, dport) => {
      const b = udpBench();
      const sk = mkSock(b);
      bind(sk, 7000);
      const skb = udpPacket(b, { sport: 1, dport: 7000 });
      // Replace the UDP part with arbitrary bytes, keeping a valid IP header in front.
      skb.len = 0;
      skb.tail = skb.data;
      const at = skbPut(skb, bytes.length);
      skb.head.set(bytes, at);
      if (bytes.length >= 4) putUint16(skb.head, skb.data + 2, dport);
      expect(() => udpRcv(skb)).not.toThrow();
      const m = b.u.mib;
      expect(sk.skReceiveQueue.qlen + m.InErrors + m.NoPorts).toBe(1);
    });
});
