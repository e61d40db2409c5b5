import { describe, expect, test } from 'vitest';
import {
  AF_INET, ECONNRESET, EPIPE, IPPROTO_TCP, NETIF_F_GRO, NETIF_F_TSO, SHUT_WR, SOCK_STREAM, inetAton,
  type NetDevice,
} from '@knet/include';
import type { Task } from '@knet/socket';
import { createNetwork, type Host, type Network } from './index.js';
import type { SsRow } from './ss.js';

const MiB = 1 << 20;

/** Index of the first byte where `got` differs from `want` (-1: identical); cheaper than toEqual on 1 MiB. */
function firstDiff(got: Uint8Array, want: Uint8Array): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

function pattern(n: number): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (i * 7 + (i >> 9)) & 0xff;
  return d;
}

interface Conn {
  tc: Task;
  cfd: number;
  ts: Task;
  afd: number;
  lfd: number;
}

/** A listener on `server`:5001 and a client on `client` connected to it; runs until accepted. */
function connect(net: Network, client: Host, server: Host, daddr: string): Conn {
  const ts = server.task();
  const lfd = ts.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  expect(ts.bind(lfd, { family: AF_INET, addr: 0, port: 5001 })).toBe(0);
  expect(ts.listen(lfd, 16)).toBe(0);
  const tc = client.task();
  const cfd = tc.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  // Non-blocking connect: EINPROGRESS, the handshake runs on the clock.
  expect(tc.connect(cfd, { family: AF_INET, addr: inetAton(daddr), port: 5001 })).toBeLessThan(0);
  let afd = -1;
  expect(net.runUntil(() => (afd = ts.accept(lfd)) >= 0, 5000)).toBe(true);
  return { tc, cfd, ts, afd, lfd };
}

/** Send `data` from fd `sfd` of `st`, read it at `rfd` of `rt`; returns what arrived. */
function pump(net: Network, st: Task, sfd: number, rt: Task, rfd: number, data: Uint8Array, maxMs = 60_000): Uint8Array {
  const rx = new Uint8Array(data.length);
  const buf = new Uint8Array(65536);
  let sent = 0;
  let got = 0;
  const done = net.runUntil(() => {
    while (sent < data.length) {
      const n = st.send(sfd, data.subarray(sent));
      if (n <= 0) break;
      sent += n;
    }
    for (;;) {
      const n = rt.recv(rfd, buf);
      if (n <= 0) break;
      rx.set(buf.subarray(0, n), got);
      got += n;
    }
    return got === data.length;
  }, maxMs);
  expect(done, `stalled: sent ${sent}, received ${got}`).toBe(true);
  return rx;
}

/** The client's ESTAB row (its peer is the listener's port). */
function estab(h: Host): SsRow {
  const row = h.ss().find((r) => r.state === 'ESTAB' && r.peer.endsWith(':5001'));
  expect(row).toBeDefined();
  return row!;
}

/** Two hosts joined by a cable between emulated 82576s, links up. */
function twoHosts(opts: { seed?: number; loss?: number; features?: (dev: NetDevice) => void } = {}) {
  const net = createNetwork({ seed: opts.seed ?? 3 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const link = opts.loss ? { impair: { loss: opts.loss } } : undefined;
  const c = net.cable(a, b, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.3/24' }, link });
  if (opts.features) {
    opts.features(c.a.dev);
    opts.features(c.b.dev);
  }
  // Autonegotiation: wait for carrier, so no first packet meets a link that is still down.
  expect(net.runUntil(() => [a, b].every((h) => h.ip.link.show().every((l) => l.carrier)), 5000)).toBe(true);
  return { net, a, b };
}

describe('TCP through the host', () => {
  test('1 MiB between two igb hosts (TSO + GRO): byte-exact, clean handshake, cwnd out of slow start', () => {
    const { net, a, b } = twoHosts();
    const c = connect(net, a, b, '198.18.0.3');
    const data = pattern(MiB);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, data), data)).toBe(-1);
    const info = estab(a).info!;
    // A clean link: no loss, no retransmission, and cwnd grew from the initial 10: slow start
    // until HyStart set ssthresh, then CUBIC's growth past it.
    expect(info.tcpi_total_retrans).toBe(0);
    expect(info.tcpi_snd_ssthresh).toBeGreaterThan(10);
    expect(info.tcpi_snd_cwnd).toBeGreaterThan(info.tcpi_snd_ssthresh);
    expect(info.tcpi_snd_mss).toBe(1448);
    expect(a.counters().drops).toEqual({});
    expect(b.counters().drops).toEqual({});
    const ext = a.counters().snmp.TcpExt!;
    expect(ext.TCPSYNChallenge).toBe(0);
    expect(ext.TCPChallengeACK).toBe(0);
    expect(b.counters().snmp.Tcp!.PassiveOpens).toBe(1);
    expect(a.counters().snmp.Tcp!.ActiveOpens).toBe(1);
    // In order throughout; GRO trains reach TCP as far fewer segments than MSS-sized frames.
    expect(b.counters().snmp.TcpExt!.TCPOFOQueue).toBe(0);
    expect(b.counters().snmp.Tcp!.InSegs).toBeLessThan(MiB / 1448 / 2);
  });

  test('1 MiB without TSO: software GSO keeps segments in order on the flow\'s TX ring', () => {
    const { net, a, b } = twoHosts({ features: (d) => { d.features &= ~NETIF_F_TSO; } });
    const c = connect(net, a, b, '198.18.0.3');
    const data = pattern(MiB);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, data), data)).toBe(-1);
    const info = estab(a).info!;
    expect(info.tcpi_total_retrans).toBe(0);
    expect(info.tcpi_snd_cwnd).toBeGreaterThan(20);
    expect(b.counters().snmp.TcpExt!.TCPOFOQueue).toBe(0);
    expect(b.counters().drops).toEqual({});
  });

  test('1 MiB without GRO: one ACK per two segments, the write queue drains', () => {
    const { net, a, b } = twoHosts({ features: (d) => { d.features &= ~NETIF_F_GRO; } });
    const c = connect(net, a, b, '198.18.0.3');
    const data = pattern(MiB);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, data), data)).toBe(-1);
    const row = estab(a);
    expect(row.info!.tcpi_total_retrans).toBe(0);
    expect(net.runUntil(() => estab(a).sendQ === 0, 1000)).toBe(true);
    // Without GRO the receiver sees every segment (and ACKs at least every second one).
    expect(b.counters().snmp.Tcp!.InSegs).toBeGreaterThan(MiB / 1448);
    expect(a.counters().snmp.Tcp!.InSegs).toBeGreaterThan(MiB / 1448 / 2);
  });

  test('1 MiB over the loopback device (127.0.0.1, MTU 65536)', () => {
    const net = createNetwork({ seed: 5 });
    const h = net.addHost('h');
    const c = connect(net, h, h, '127.0.0.1');
    const data = pattern(MiB);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, data), data)).toBe(-1);
    const rows = h.ss().filter((r) => r.state === 'ESTAB');
    expect(rows).toHaveLength(2);
    const client = rows.find((r) => r.peer.endsWith(':5001'))!.info!;
    // advmss: MTU 65536 − 40, capped at IPV4_MAX_PMTU − 40 = 65495 (ipv4_default_advmss), as
    // Linux advertises on lo. The sending MSS is also bounded by half the peer's largest
    // window (tcp_bound_to_half_wnd), which is why ss shows 32768 on lo.
    expect(client.tcpi_pmtu).toBe(65536);
    expect(client.tcpi_advmss).toBe(65495);
    expect(client.tcpi_snd_mss).toBeGreaterThanOrEqual(32768);
    expect(client.tcpi_total_retrans).toBe(0);
    expect(h.counters().drops).toEqual({});
  });

  test('1 MiB over a link losing 1 % of frames: byte-exact through SACK recovery', () => {
    const { net, a, b } = twoHosts({ loss: 0.01, seed: 7 });
    const dupBefore = b.counters().snmp.TcpExt!.TCPDSACKOldSent;
    const c = connect(net, a, b, '198.18.0.3');
    const data = pattern(MiB);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, data), data)).toBe(-1);
    const ext = a.counters().snmp.TcpExt!;
    expect(a.counters().snmp.Tcp!.RetransSegs).toBeGreaterThan(0);
    expect(ext.TCPSackRecovery + ext.TCPLossProbes + ext.TCPTimeouts).toBeGreaterThan(0);
    // RACK marks a retransmission lost only when it really was: a live one resent would
    // reach the receiver twice and come back as a D-SACK.
    expect(b.counters().snmp.TcpExt!.TCPDSACKOldSent - dupBefore).toBe(ext.TCPDSACKRecv);
    expect(ext.TCPDSACKRecv).toBeLessThanOrEqual(ext.TCPLossProbes);
  });

  test('close: FIN from the client, EOF at the server, TIME-WAIT on the client until it expires', () => {
    const { net, a, b } = twoHosts();
    const c = connect(net, a, b, '198.18.0.3');
    const data = pattern(100_000);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, data), data)).toBe(-1);
    expect(c.tc.close(c.cfd)).toBe(0);
    const buf = new Uint8Array(100);
    expect(net.runUntil(() => c.ts.recv(c.afd, buf) === 0, 5000)).toBe(true);
    expect(b.ss().some((r) => r.state === 'CLOSE-WAIT')).toBe(true);
    // The server ACKs the bare FIN delayed (CLOSE_WAIT is pingpong mode, as in Linux).
    expect(net.runUntil(() => a.ss().some((r) => r.state === 'FIN-WAIT-2'), 1000)).toBe(true);
    expect(c.ts.close(c.afd)).toBe(0);
    expect(net.runUntil(() => a.ss().some((r) => r.state === 'TIME-WAIT'), 5000)).toBe(true);
    expect(net.runUntil(() => !b.ss().some((r) => r.state !== 'LISTEN'), 5000)).toBe(true);
    expect(a.counters().snmp.TcpExt!.TW).toBe(0);
    // TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN); a timer that far out sits in a coarse wheel
    // level and fires a little late, as in Linux.
    net.runFor(50_000);
    expect(a.ss().map((r) => r.state)).toEqual(['TIME-WAIT']);
    net.runFor(20_000);
    expect(a.ss()).toEqual([]);
    expect(a.counters().snmp.TcpExt!.TW).toBe(1);
    expect(a.counters().snmp.Tcp!.CurrEstab).toBe(0);
    expect(b.counters().snmp.Tcp!.CurrEstab).toBe(0);
    expect(a.counters().snmp.Tcp!.EstabResets + b.counters().snmp.Tcp!.EstabResets).toBe(0);
  });

  test('half close: the server shuts down writing, the client still sends, then both close', () => {
    const { net, a, b } = twoHosts();
    const c = connect(net, a, b, '198.18.0.3');
    expect(c.ts.send(c.afd, new Uint8Array([1, 2, 3]))).toBe(3);
    expect(c.ts.shutdown(c.afd, SHUT_WR)).toBe(0);
    const buf = new Uint8Array(16);
    expect(net.runUntil(() => c.tc.recv(c.cfd, buf) === 3, 5000)).toBe(true);
    expect(Array.from(buf.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(net.runUntil(() => c.tc.recv(c.cfd, buf) === 0, 5000)).toBe(true);
    // The server cannot send any more; the client can.
    expect(c.ts.send(c.afd, new Uint8Array([4]))).toBe(-EPIPE);
    const more = pattern(200_000);
    expect(firstDiff(pump(net, c.tc, c.cfd, c.ts, c.afd, more), more)).toBe(-1);
    expect(c.tc.close(c.cfd)).toBe(0);
    expect(net.runUntil(() => c.ts.recv(c.afd, buf) === 0, 5000)).toBe(true);
    expect(c.ts.close(c.afd)).toBe(0);
    // The server sent the first FIN, so it is the one left in TIME-WAIT; the client's
    // LAST-ACK ends with the server's ACK.
    expect(net.runUntil(() => b.ss().some((r) => r.state === 'TIME-WAIT'), 5000)).toBe(true);
    expect(net.runUntil(() => a.ss().length === 0, 5000)).toBe(true);
  });

  test('close with unread data sends RST: the peer sees ECONNRESET', () => {
    const { net, a, b } = twoHosts();
    const c = connect(net, a, b, '198.18.0.3');
    expect(c.tc.send(c.cfd, pattern(5000))).toBe(5000);
    expect(net.runUntil(() => (b.ss().find((r) => r.state === 'ESTAB')?.recvQ ?? 0) === 5000, 5000)).toBe(true);
    // RFC 2525 §2.17: unread data makes close() abort.
    expect(c.ts.close(c.afd)).toBe(0);
    expect(b.counters().snmp.TcpExt!.TCPAbortOnClose).toBe(1);
    const buf = new Uint8Array(16);
    let rc = 0;
    expect(net.runUntil(() => (rc = c.tc.recv(c.cfd, buf)) !== -11, 5000)).toBe(true);
    expect(rc).toBe(-ECONNRESET);
    expect(a.ss().filter((r) => r.state !== 'LISTEN')).toEqual([]);
    expect(a.counters().snmp.Tcp!.EstabResets).toBe(1);
  });
});
