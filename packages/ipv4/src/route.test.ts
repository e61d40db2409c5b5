import { describe, expect, test } from 'vitest';
import { EACCES, EEXIST, EHOSTUNREACH, EINVAL, ENETUNREACH, ENOENT, ESRCH, IP_PMTUDISC_WANT, type Sock } from '@knet/include';
import { createVirtualClock } from '@knet/softirq';
import {
  icmpEchoSend, inetAddrAdd, inetAddrDel, inetAddrList, inetSelectAddr, ipDontFragment, ipRouteAdd, ipRouteChange, ipRouteDel,
  ipRouteGet, ipRouteOutputKey, ipRouteShow, ipv4UpdatePmtu, newFlowi4, type RouteGetResult,
} from './index.js';
import { dstMtu } from './route.js';
import { drops, host, ip, link, mib, threeHosts } from './test/bench.js';

function get(net: Parameters<typeof ipRouteGet>[0], d: string): RouteGetResult {
  const r = ipRouteGet(net, d);
  if (typeof r === 'number') throw new Error(`ip route get ${d}: ${r}`);
  return r;
}

describe('fib: longest prefix match', () => {
  test('overlapping /0, /16, /24 and /32: the most specific wins', () => {
    const { a, aEth } = threeHosts();
    const net = a.net;
    expect(inetAddrAdd(net, aEth, '198.18.0.2/24')).toBe(0);
    expect(ipRouteAdd(net, { dst: '198.19.0.0/16', gw: '198.18.0.10' })).toBe(0);
    expect(ipRouteAdd(net, { dst: '198.19.5.0/24', gw: '198.18.0.11' })).toBe(0);
    expect(ipRouteAdd(net, { dst: '198.19.5.7', gw: '198.18.0.12' })).toBe(0);
    expect(get(net, '198.19.5.7').gateway).toBe('198.18.0.12');
    expect(get(net, '198.19.5.8').gateway).toBe('198.18.0.11');
    expect(get(net, '198.19.6.1').gateway).toBe('198.18.0.10');
    expect(get(net, '198.18.200.1').gateway).toBe('198.18.0.254');
    // On-link destinations have no gateway; the prefsrc is the primary address of the subnet.
    expect(get(net, '198.18.0.77')).toMatchObject({ type: 'unicast', dev: 'eth0', gateway: null, prefsrc: '198.18.0.1' });
    expect(get(net, '198.18.0.1')).toMatchObject({ type: 'local', dev: 'lo', prefsrc: '198.18.0.1' });
    expect(ipRouteDel(net, { dst: '198.19.5.7' })).toBe(0);
    expect(get(net, '198.19.5.7').gateway).toBe('198.18.0.11');
    expect(ipRouteDel(net, { dst: '198.19.5.7' })).toBe(-ESRCH);
  });

  test('a thousand random prefixes agree with a linear scan', () => {
    const clock = createVirtualClock({ seed: 9 });
    const h = host(clock, 'h');
    const [d] = link(h, host(clock, 'p'), 'eth0', '198.18.0.1/24', 'eth0', '198.18.0.2/24');
    const routes: [number, number, number][] = [];
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 1000; i++) {
      const plen = 8 + (rnd() % 25);
      const base = (0xc6000000 | (rnd() & 0x00ffffff)) >>> 0;
      const mask = plen === 32 ? 0xffffffff : (0xffffffff << (32 - plen)) >>> 0;
      const dst = (base & mask) >>> 0;
      const gw = 0xc6120000 + 10 + (i % 200);
      if (ipRouteAdd(h.net, { dst: `${dst >>> 24}.${(dst >>> 16) & 255}.${(dst >>> 8) & 255}.${dst & 255}/${plen}`, gw, dev: d }) === 0) {
        routes.push([dst, plen, gw]);
      }
    }
    for (let i = 0; i < 500; i++) {
      const q = (0xc6000000 | (rnd() & 0x00ffffff)) >>> 0;
      let best: [number, number, number] | null = null;
      for (const r of routes) {
        const mask = r[1] === 32 ? 0xffffffff : (0xffffffff << (32 - r[1])) >>> 0;
        if (((q & mask) >>> 0) === r[0] && (best === null || r[1] > best[1])) best = r;
      }
      if (best === null || ((q >>> 8) === 0xc61200)) continue;
      const fl = newFlowi4();
      fl.daddr = q;
      const rt = ipRouteOutputKey(h.net, fl);
      expect(typeof rt).toBe('object');
      if (typeof rt === 'object') expect(rt.gateway).toBe(best[2]);
    }
  });

  test('duplicates are refused, metrics order routes of one prefix', () => {
    const { a } = threeHosts();
    expect(ipRouteAdd(a.net, { dst: '198.19.0.0/16', gw: '198.18.0.10', metric: 100 })).toBe(0);
    expect(ipRouteAdd(a.net, { dst: '198.19.0.0/16', gw: '198.18.0.11', metric: 100 })).toBe(-EEXIST);
    expect(ipRouteAdd(a.net, { dst: '198.19.0.0/16', gw: '198.18.0.12', metric: 50 })).toBe(0);
    expect(get(a.net, '198.19.1.1').gateway).toBe('198.18.0.12');
    expect(ipRouteAdd(a.net, { dst: '198.19.0.0/16', gw: '198.19.9.9' })).toBe(-ENETUNREACH);
    expect(ipRouteShow(a.net).map((r) => `${r.dst} ${r.gateway ?? r.dev} ${r.metric}`)).toEqual([
      'default 198.18.0.254 0', '198.18.0.0/24 eth0 0', '198.19.0.0/16 198.18.0.12 50', '198.19.0.0/16 198.18.0.10 100',
    ]);
  });

  test('error route types answer with their errno locally', () => {
    const { a } = threeHosts();
    ipRouteAdd(a.net, { dst: '198.19.1.0/24', type: 'blackhole' });
    ipRouteAdd(a.net, { dst: '198.19.2.0/24', type: 'unreachable' });
    ipRouteAdd(a.net, { dst: '198.19.3.0/24', type: 'prohibit' });
    expect(ipRouteGet(a.net, '198.19.1.1')).toBe(-EINVAL);
    expect(ipRouteGet(a.net, '198.19.2.1')).toBe(-EHOSTUNREACH);
    expect(ipRouteGet(a.net, '198.19.3.1')).toBe(-EACCES);
    ipRouteDel(a.net, { dst: 'default' });
    expect(ipRouteGet(a.net, '198.19.4.1')).toBe(-ENETUNREACH);
    expect(icmpEchoSend(a.net, ip('198.19.4.1'), 1, 1, 8)).toBe(-ENETUNREACH);
  });

  test('at a router: unreachable → ICMP host unreachable, blackhole silent, no route → net unreachable', () => {
    const { clock, a, r } = threeHosts({ forward: true });
    ipRouteAdd(r.net, { dst: '198.19.1.0/24', type: 'blackhole' });
    ipRouteAdd(r.net, { dst: '198.19.2.0/24', type: 'unreachable' });
    ipRouteAdd(r.net, { dst: '198.19.3.0/24', type: 'prohibit' });
    for (const d of ['198.19.1.1', '198.19.2.1', '198.19.3.1', '198.19.4.1']) icmpEchoSend(a.net, ip(d), 1, 1, 8);
    clock.runFor(50);
    expect(mib(a.net, 'Icmp', 'InDestUnreachs')).toBe(3);
    expect(mib(r.net, 'Icmp', 'OutDestUnreachs')).toBe(3);
    expect(mib(r.net, 'IpExt', 'InNoRoutes')).toBe(1);
    expect(drops(r.net, 'NOT_SPECIFIED')).toBe(1);
  });
});

describe('route metrics: ip route change ... advmss/mtu lock/initcwnd', () => {
  test('change needs an existing route, replaces its metrics and makes cached dsts stale', () => {
    const { a, aEth } = threeHosts();
    const net = a.net;
    expect(inetAddrAdd(net, aEth, '198.18.0.2/24')).toBe(0);
    expect(ipRouteChange(net, { dst: '198.19.0.9', gw: '198.18.0.10' })).toBe(-ENOENT);
    expect(ipRouteAdd(net, { dst: '198.19.0.9', gw: '198.18.0.10', mtu: 640, mtuLock: true, advmss: 600, initcwnd: 11 })).toBe(0);
    const fl = newFlowi4();
    fl.daddr = 0xc6130009;
    const old = ipRouteOutputKey(net, fl);
    if (typeof old === 'number') throw new Error(`no route: ${old}`);
    expect(old.metrics).toMatchObject({ mtu: 640, advmss: 600, initcwnd: 11 });
    expect(dstMtu(old)).toBe(640);
    expect(ipRouteChange(net, { dst: '198.19.0.9', gw: '198.18.0.10', mtu: 1500, mtuLock: true, advmss: 1460 })).toBe(0);
    expect(old.obsolete).toBe(true);
    const cur = ipRouteOutputKey(net, newFlowi4WithDaddr(0xc6130009));
    if (typeof cur === 'number') throw new Error(`no route: ${cur}`);
    expect(cur.metrics).toMatchObject({ mtu: 1500, advmss: 1460, initcwnd: 0 });
    expect(ipRouteShow(net).filter((r) => r.dst === '198.19.0.9')).toHaveLength(1);
  });

  test('a locked MTU turns DF off and is not lowered by Fragmentation Needed (RFC 1191 §6.3)', () => {
    const { a, aEth } = threeHosts();
    const net = a.net;
    expect(inetAddrAdd(net, aEth, '198.18.0.2/24')).toBe(0);
    expect(ipRouteAdd(net, { dst: '198.19.0.9', gw: '198.18.0.10', mtu: 1400, mtuLock: true })).toBe(0);
    expect(ipRouteAdd(net, { dst: '198.19.0.8', gw: '198.18.0.10', mtu: 1400 })).toBe(0);
    const sk = { pmtudisc: IP_PMTUDISC_WANT } as Sock;
    const locked = ipRouteOutputKey(net, newFlowi4WithDaddr(0xc6130009));
    const open = ipRouteOutputKey(net, newFlowi4WithDaddr(0xc6130008));
    if (typeof locked === 'number' || typeof open === 'number') throw new Error('no route');
    expect(ipDontFragment(net, sk, locked)).toBe(false);
    expect(ipDontFragment(net, sk, open)).toBe(true);
    ipv4UpdatePmtu(net, 0xc6130009, 1000);
    ipv4UpdatePmtu(net, 0xc6130008, 1000);
    const l2 = ipRouteOutputKey(net, newFlowi4WithDaddr(0xc6130009));
    const o2 = ipRouteOutputKey(net, newFlowi4WithDaddr(0xc6130008));
    if (typeof l2 === 'number' || typeof o2 === 'number') throw new Error('no route');
    expect(dstMtu(l2)).toBe(1400);
    expect(dstMtu(o2)).toBe(1000);
  });
});

function newFlowi4WithDaddr(daddr: number) {
  const fl = newFlowi4();
  fl.daddr = daddr;
  return fl;
}

describe('devinet', () => {
  test('addresses, secondaries and derived routes', () => {
    const { a, aEth } = threeHosts();
    expect(inetAddrAdd(a.net, aEth, '198.18.0.5/24')).toBe(0);
    expect(inetAddrAdd(a.net, aEth, '198.18.0.5/24')).toBe(-EEXIST);
    const rows = inetAddrList(a.net).filter((r) => r.dev === 'eth0');
    expect(rows.map((r) => [r.local, r.secondary, r.broadcast])).toEqual([
      ['198.18.0.1', false, '198.18.0.255'], ['198.18.0.5', true, '198.18.0.255'],
    ]);
    expect(inetSelectAddr(aEth, ip('198.18.0.9'), 0)).toBe(ip('198.18.0.1'));
    const local = ipRouteShow(a.net, 'local').map((r) => `${r.type} ${r.dst}`);
    expect(local).toContain('local 198.18.0.5');
    expect(local).toContain('broadcast 198.18.0.255');
    expect(local).toContain('local 127.0.0.0/8');
    // Deleting the primary takes its secondaries and every derived route.
    expect(inetAddrDel(a.net, aEth, '198.18.0.1/24')).toBe(0);
    expect(inetAddrList(a.net).filter((r) => r.dev === 'eth0')).toEqual([]);
    expect(ipRouteShow(a.net, 'local').map((r) => r.dst)).toEqual(['127.0.0.0/8', '127.0.0.1', '127.255.255.255']);
    expect(ipRouteGet(a.net, '198.18.0.9')).toBe(-ENETUNREACH);
  });

  test('route changes make cached dsts obsolete', () => {
    const { a } = threeHosts();
    const fl = newFlowi4();
    fl.daddr = ip('198.19.9.9');
    const rt = ipRouteOutputKey(a.net, fl);
    if (typeof rt === 'number') throw new Error('no route');
    expect(ipRouteOutputKey(a.net, { ...fl, saddr: 0 })).toBe(rt);
    ipRouteAdd(a.net, { dst: '198.19.0.0/16', gw: '198.18.0.10' });
    expect(rt.obsolete).toBe(true);
    const rt2 = ipRouteOutputKey(a.net, { ...fl, saddr: 0 });
    expect(typeof rt2 === 'object' && rt2.gateway).toBe(ip('198.18.0.10'));
  });
});
