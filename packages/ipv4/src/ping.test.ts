import { describe, expect, test } from 'vitest';
import { icmpEchoSend, snmpShow } from './index.js';
import { drops, ip, mib, threeHosts } from './test/bench.js';

describe('end to end: ping through a router', () => {
  test('echo request and reply cross the router; TTL drops by one per hop', () => {
    const { clock, a, r, b } = threeHosts({ forward: true });
    expect(icmpEchoSend(a.net, ip('198.18.1.1'), 7, 1, 56)).toBe(0);
    clock.runFor(50);
    expect(a.replies).toEqual([{ saddr: ip('198.18.1.1'), daddr: ip('198.18.0.1'), id: 7, seq: 1, ttl: 63, len: 56 }]);
    expect(mib(r.net, 'Ip', 'ForwDatagrams')).toBe(2);
    expect(mib(b.net, 'Icmp', 'InEchos')).toBe(1);
    expect(mib(b.net, 'Icmp', 'OutEchoReps')).toBe(1);
    expect(snmpShow(b.net).IcmpMsg).toEqual({ InType8: 1, OutType0: 1 });
  });

  test('forwarding is off by default: the router counts InAddrErrors and drops', () => {
    const { clock, a, r } = threeHosts();
    icmpEchoSend(a.net, ip('198.18.1.1'), 7, 1, 56);
    clock.runFor(50);
    expect(a.replies).toEqual([]);
    expect(mib(r.net, 'Ip', 'InAddrErrors')).toBe(1);
    expect(drops(r.net, 'IP_INADDRERRORS')).toBe(1);
    expect(mib(r.net, 'Ip', 'ForwDatagrams')).toBe(0);
  });

  test('TTL expiry at the router comes back as ICMP time exceeded', () => {
    const { clock, a, r } = threeHosts({ forward: true });
    icmpEchoSend(a.net, ip('198.18.1.1'), 7, 1, 8, { ttl: 1 });
    clock.runFor(50);
    expect(a.replies).toEqual([]);
    expect(mib(r.net, 'Icmp', 'OutTimeExcds')).toBe(1);
    expect(mib(a.net, 'Icmp', 'InTimeExcds')).toBe(1);
    expect(drops(r.net, 'IP_INHDR')).toBe(1);
  });

  test('unresolvable next hop: queued packets are dropped NEIGH_FAILED and host unreachable is reported', () => {
    const { clock, a } = threeHosts({ forward: true });
    icmpEchoSend(a.net, ip('198.18.0.99'), 1, 1, 8);
    icmpEchoSend(a.net, ip('198.18.0.99'), 1, 2, 8);
    clock.runFor(5_000);
    expect(drops(a.net, 'NEIGH_FAILED')).toBe(2);
    // Reported to ourselves through loopback: one ICMP per packet, host unreachable.
    expect(mib(a.net, 'Icmp', 'OutDestUnreachs')).toBe(2);
    expect(mib(a.net, 'Icmp', 'InDestUnreachs')).toBe(2);
  });
});
