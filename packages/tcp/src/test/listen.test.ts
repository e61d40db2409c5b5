import { describe, expect, test } from 'vitest';
import { TCP_ESTABLISHED, TCPHDR_SYN, TCPHDR_ACK, TCPHDR_RST, EADDRINUSE, AF_INET, SOL_SOCKET, SO_REUSEADDR, inetAton } from '@knet/include';
import { createTcpTestbench, tcpBind, tcpListen, TcpRequestSock, tcpDiagList } from '../index.js';

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** A raw SYN from a spoofed source (IPv4 header + TCP header with MSS). */
function synFrame(saddr: number, daddr: number, sport: number, dport: number, seq: number): Uint8Array {
  const f = new Uint8Array(44);
  f[0] = 0x45; f[2] = 0; f[3] = 44; f[8] = 64; f[9] = 6;
  const w = (o: number, v: number) => { f[o] = v >>> 24; f[o + 1] = (v >>> 16) & 255; f[o + 2] = (v >>> 8) & 255; f[o + 3] = v & 255; };
  w(12, saddr); w(16, daddr);
  const t = 20;
  f[t] = sport >> 8; f[t + 1] = sport & 255; f[t + 2] = dport >> 8; f[t + 3] = dport & 255;
  w(t + 4, seq);
  f[t + 12] = 6 << 4; f[t + 13] = TCPHDR_SYN; f[t + 14] = 0xff; f[t + 15] = 0xff;
  f[t + 20] = 2; f[t + 21] = 4; f[t + 22] = 0x05; f[t + 23] = 0xb4;
  // TCP checksum over the pseudo-header.
  let sum = (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + 6 + 24;
  for (let i = t; i < 44; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[t + 16] = c >> 8; f[t + 17] = c & 255;
  return f;
}

describe('listeners', () => {
  test('a SYN flood is answered with syncookies while a real client still connects', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80, 16);
    // 200 spoofed SYNs fill the SYN queue (16) and then get cookies.
    for (let i = 0; i < 200; i++) tb.deliver(tb.b, synFrame(ip(192, 0, 2, 1 + (i % 250)), tb.b.addr, 1000 + i, 80, i * 1000));
    expect(l.synQlen).toBe(16);
    expect(tb.b.tn.ext.SyncookiesSent).toBe(184);
    expect(tb.b.tn.ext.TCPReqQFullDoCookies).toBe(184);
    const c = tb.connect(tb.a, 80);
    tb.runUntil(() => (l.acceptQueue?.length ?? 0) > 0, 5_000);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    expect(tb.b.tn.ext.SyncookiesRecv).toBe(1);
    const s = tb.accept(l)!;
    expect(s.skState).toBe(TCP_ESTABLISHED);
    // Options survived the cookie through the timestamp encoding.
    expect(s.rxOpt.sackOk).toBe(true);
    expect(s.rxOpt.wscaleOk).toBe(true);
    expect(s.rxOpt.sndWscale).toBe(c.rxOpt.rcvWscale);
    tb.send(c, new Uint8Array([1, 2, 3]));
    tb.run(50);
    expect([...tb.drain(s)]).toEqual([1, 2, 3]);
  });

  test('SYN-ACK is retransmitted with 1 s doubling until tcp_synack_retries, then the request goes', () => {
    const tb = createTcpTestbench();
    tb.listen(tb.b, 80);
    tb.dropIf = (x) => x.from === 'b';
    tb.deliver(tb.b, synFrame(tb.a.addr, tb.b.addr, 4000, 80, 1));
    tb.run(100_000);
    const synacks = tb.log.filter((x) => x.flags === (TCPHDR_SYN | TCPHDR_ACK)).map((x) => x.t);
    expect(synacks.length).toBe(6); // 1 + tcp_synack_retries (5)
    const gaps = synacks.slice(1).map((t, i) => t - synacks[i]);
    [1000, 2000, 4000, 8000, 16000].forEach((g, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(g);
      expect(gaps[i]).toBeLessThan(g * 1.13 + 2);
    });
    expect([...tb.b.tn.ehash.values()].some((e) => e instanceof TcpRequestSock)).toBe(false);
  });

  test('the accept queue holds backlog + 1 and counts ListenOverflows beyond', () => {
    const tb = createTcpTestbench();
    const l = tb.listen(tb.b, 80, 2);
    for (let i = 0; i < 5; i++) tb.connect(tb.a, 80);
    tb.run(500);
    expect((l.acceptQueue?.length ?? 0)).toBe(3);
    expect(tb.b.tn.ext.ListenOverflows).toBeGreaterThan(0);
  });

  test('bind conflicts and SO_REUSEADDR', () => {
    const tb = createTcpTestbench();
    const s1 = tb.socket(tb.b), s2 = tb.socket(tb.b);
    expect(tcpBind(s1, { family: AF_INET, addr: 0, port: 8080 })).toBe(0);
    expect(tcpBind(s2, { family: AF_INET, addr: 0, port: 8080 })).toBe(-EADDRINUSE);
    const s3 = tb.socket(tb.b), s4 = tb.socket(tb.b);
    tb.setsockopt(s3, SOL_SOCKET, SO_REUSEADDR, 1);
    tb.setsockopt(s4, SOL_SOCKET, SO_REUSEADDR, 1);
    expect(tcpBind(s3, { family: AF_INET, addr: 0, port: 9090 })).toBe(0);
    expect(tcpBind(s4, { family: AF_INET, addr: 0, port: 9090 })).toBe(0);
    expect(tcpListen(s3, 5)).toBe(0);
    const s5 = tb.socket(tb.b);
    tb.setsockopt(s5, SOL_SOCKET, SO_REUSEADDR, 1);
    expect(tcpBind(s5, { family: AF_INET, addr: 0, port: 9090 })).toBe(-EADDRINUSE);
    expect(tcpBind(tb.socket(tb.b), { family: AF_INET, addr: inetAton('198.19.9.9'), port: 1 })).toBe(-99);
  });

  test('ephemeral ports come from ip_local_port_range and ss lists the sockets', () => {
    const tb = createTcpTestbench();
    tb.a.net.sysctls.get('net.ipv4.ip_local_port_range')!.set([40000, 40010]);
    const { c } = tb.pair(80);
    expect(c.inetSport).toBeGreaterThanOrEqual(40000);
    expect(c.inetSport).toBeLessThanOrEqual(40010);
    const rows = tcpDiagList(tb.b.net);
    expect(rows.map((r) => r.state).sort()).toEqual(['ESTAB', 'LISTEN']);
    void TCPHDR_RST;
  });
});
