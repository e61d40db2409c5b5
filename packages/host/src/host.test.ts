import { describe, expect, test } from 'vitest';
import { AF_INET, SOCK_DGRAM, IPPROTO_UDP, inetAton, EAGAIN } from '@knet/include';
import { createNetwork } from './index.js';

function lab() {
  const net = createNetwork({ seed: 7 });
  const a = net.addHost('a');
  const r = net.addHost('r');
  const c = net.addHost('c');
  net.cable(a, r, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.1/24' } });
  net.cable(r, c, { a: { addr: '198.18.1.1/24' }, b: { addr: '198.18.1.2/24' } });
  expect(a.ip.route.add({ dst: 'default', gw: '198.18.0.1' })).toBe(0);
  expect(c.ip.route.add({ dst: 'default', gw: '198.18.1.1' })).toBe(0);
  return { net, a, r, c };
}

describe('createHost / createNetwork', () => {
  test('two hosts on a cable ping each other (ARP, then ICMP echo)', () => {
    const net = createNetwork({ seed: 1 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    net.cable(a, b, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.3/24' } });
    const p = a.ping('198.18.0.3', { count: 3, intervalMs: 100 });
    expect(net.runUntil(() => p.done(), 5000)).toBe(true);
    expect(p.sent).toBe(3);
    expect(p.received).toBe(3);
    expect(a.counters().snmp.Icmp!.InEchoReps).toBe(3);
    expect(b.counters().snmp.Icmp!.InEchos).toBe(3);
    expect(a.ip.neigh.show().some((n) => n.dst === '198.18.0.3')).toBe(true);
  });

  test('forwarding is off by default, and pings cross the router once it is on', () => {
    const { net, a, r } = lab();
    const p1 = a.ping('198.18.1.2', { count: 2, intervalMs: 100, timeoutMs: 500 });
    net.runUntil(() => p1.done(), 5000);
    expect(p1.received).toBe(0);
    expect(r.sysctl.set('net.ipv4.ip_forward', 1)).toBe(0);
    const p2 = a.ping('198.18.1.2', { count: 4, intervalMs: 100 });
    expect(net.runUntil(() => p2.done(), 5000)).toBe(true);
    expect(p2.received).toBe(4);
    expect(p2.rttMsAvg).toBeGreaterThan(0);
    expect(r.counters().snmp.Ip!.ForwDatagrams).toBeGreaterThanOrEqual(8);
  });

  test('UDP echo through the router with the socket syscalls', async () => {
    const { net, a, r, c } = lab();
    r.sysctl.set('net.ipv4.ip_forward', 1);
    const tc = c.task();
    const srv = tc.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expect(tc.bind(srv, { family: AF_INET, addr: 0, port: 7 })).toBe(0);
    const ta = a.task();
    const cli = ta.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const msg = new TextEncoder().encode('hello through the router');
    expect(ta.sendto(cli, msg, 0, { family: AF_INET, addr: inetAton('198.18.1.2'), port: 7 })).toBe(msg.length);
    const buf = new Uint8Array(100);
    let got = -EAGAIN;
    net.runUntil(() => {
      const rr = tc.recvfrom(srv, buf, 0);
      if (rr.n > 0) {
        expect(rr.addr?.addr).toBe(inetAton('198.18.0.2'));
        tc.sendto(srv, buf.subarray(0, rr.n), 0, rr.addr);
        return true;
      }
      return false;
    }, 2000);
    net.runUntil(() => (got = ta.recvfrom(cli, buf, 0).n) > 0, 2000);
    expect(got).toBe(msg.length);
    expect(new TextDecoder().decode(buf.subarray(0, got))).toBe('hello through the router');
    expect(c.counters().snmp.Udp!.InDatagrams).toBe(1);
  });

  test('control API: ip route get, sysctl, tc, link rows', () => {
    const { a } = lab();
    const rg = a.ip.route.get('198.18.1.2');
    expect(typeof rg).toBe('object');
    expect(a.sysctl.get('net.ipv4.ip_forward')).toBe(0);
    expect(a.sysctl.set('net.ipv4.no_such_thing', 1)).toBeLessThan(0);
    const links = a.ip.link.show();
    expect(links.map((l) => l.name)).toContain('lo');
    expect(links.find((l) => l.name !== 'lo')?.up).toBe(true);
    expect(a.tc.qdisc.show().length).toBeGreaterThan(0);
  });
});

describe('forwarding GRO trains', () => {
  test('a TCP stream through the router leaves as MSS-sized frames (TSO on the way out)', async () => {
    const { SOCK_STREAM, IPPROTO_TCP } = await import('@knet/include');
    const net = createNetwork({ seed: 3 });
    const a = net.addHost('a'), r = net.addHost('r'), b = net.addHost('b');
    net.cable(a, r, { a: { addr: '198.18.0.2/24' }, b: { addr: '198.18.0.1/24' } });
    const out = net.cable(r, b, { a: { addr: '198.18.1.1/24' }, b: { addr: '198.18.1.2/24' } });
    a.ip.route.add({ dst: 'default', gw: '198.18.0.1' });
    b.ip.route.add({ dst: 'default', gw: '198.18.1.1' });
    r.sysctl.set('net.ipv4.ip_forward', 1);
    const tb = b.task();
    const lfd = tb.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    tb.bind(lfd, { family: AF_INET, addr: 0, port: 5001 });
    tb.listen(lfd, 4);
    const ta = a.task();
    const cfd = ta.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ta.connect(cfd, { family: AF_INET, addr: inetAton('198.18.1.2'), port: 5001 });
    let afd = -1;
    expect(net.runUntil(() => (afd = tb.accept(lfd)) >= 0, 5000)).toBe(true);
    const data = new Uint8Array(1 << 20);
    let sent = 0, got = 0;
    const buf = new Uint8Array(65536);
    expect(net.runUntil(() => {
      if (sent < data.length) sent += Math.max(0, ta.send(cfd, data.subarray(sent)));
      for (let n; (n = tb.recv(afd, buf)) > 0;) got += n;
      return got === data.length;
    }, 20_000)).toBe(true);
    const rxStats = out.b.dev.ethtoolOps!.getEthtoolStats!(out.b.dev);
    // Merged trains must not reach the wire whole: b's NIC would count them as oversize.
    expect(rxStats.rx_long_length_errors ?? 0).toBe(0);
    expect(a.counters().snmp.Tcp!.RetransSegs).toBeLessThanOrEqual(1);
    expect(r.counters().snmp.Ip!.ForwDatagrams).toBeGreaterThan(0);
  });
});
