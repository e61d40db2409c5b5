import { describe, expect, test } from 'vitest';
import { IPPROTO_ICMP } from '@knet/include';
import { createVirtualClock } from '@knet/softirq';
import { icmpEchoSend } from './index.js';
import { drops, host, icmpEcho, injectIp, ip, ipPacket, link, mib, threeHosts } from './test/bench.js';

function pair() {
  const clock = createVirtualClock({ seed: 4 });
  const h = host(clock, 'h');
  const p = host(clock, 'p');
  const [hEth] = link(h, p, 'eth0', '198.18.0.1/24', 'eth0', '198.18.0.2/24');
  icmpEchoSend(p.net, ip('198.18.0.1'), 9, 0, 0);
  clock.runFor(10);
  p.replies.length = 0;
  return { clock, h, p, hEth };
}

const noproto = (id: number) => ipPacket({ src: '198.18.0.2', dst: '198.18.0.1', proto: 253, payload: new Uint8Array(8), id });

describe('ICMP rate limiting', () => {
  test('per destination: a burst of 6, then one per icmp_ratelimit ms', () => {
    const { clock, h, p, hEth } = pair();
    for (let i = 0; i < 20; i++) injectIp(hEth, noproto(i));
    clock.runFor(10);
    expect(mib(h.net, 'Icmp', 'OutDestUnreachs')).toBe(6);
    expect(mib(h.net, 'Icmp', 'OutRateLimitHost')).toBe(14);
    expect(mib(p.net, 'Icmp', 'InDestUnreachs')).toBe(6);
    clock.runFor(1_000);
    injectIp(hEth, noproto(99));
    injectIp(hEth, noproto(100));
    clock.runFor(10);
    expect(mib(h.net, 'Icmp', 'OutDestUnreachs')).toBe(7);
    // Echo replies are outside icmp_ratemask and never limited.
    for (let i = 0; i < 10; i++) icmpEchoSend(p.net, ip('198.18.0.1'), 1, i, 8);
    clock.runFor(10);
    expect(p.replies.length).toBe(10);
  });

  test('global: icmp_msgs_burst bounds errors to all destinations', () => {
    const { clock, h, hEth } = pair();
    h.net.sysctls.get('net.ipv4.icmp_ratelimit')!.set(0);
    h.net.sysctls.get('net.ipv4.icmp_msgs_burst')!.set(3);
    h.net.gen.ipv4!.icmp.credit = 3;
    for (let i = 0; i < 8; i++) injectIp(hEth, noproto(i));
    clock.runFor(10);
    expect(mib(h.net, 'Icmp', 'OutDestUnreachs')).toBe(3);
    expect(mib(h.net, 'Icmp', 'OutRateLimitGlobal')).toBe(5);
  });
});

describe('ICMP receive', () => {
  test('bad checksum is counted and dropped', () => {
    const { clock, h, p, hEth } = pair();
    const e = icmpEcho(1, 1, 4);
    e[2] ^= 0xff;
    injectIp(hEth, ipPacket({ src: '198.18.0.2', dst: '198.18.0.1', proto: IPPROTO_ICMP, payload: e }));
    clock.runFor(10);
    expect(mib(h.net, 'Icmp', 'InCsumErrors')).toBe(1);
    expect(mib(h.net, 'Icmp', 'InErrors')).toBe(1);
    expect(drops(h.net, 'ICMP_CSUM')).toBe(1);
    expect(p.replies).toEqual([]);
  });

  test('echo to the broadcast address is ignored by default, answered when allowed', () => {
    const { clock, h, p, hEth } = pair();
    const bc = ipPacket({ src: '198.18.0.2', dst: '198.18.0.255', proto: IPPROTO_ICMP, payload: icmpEcho(1, 1, 4) });
    injectIp(hEth, bc, new Uint8Array(6).fill(0xff));
    clock.runFor(10);
    expect(p.replies).toEqual([]);
    expect(drops(h.net, 'INVALID_PROTO')).toBe(1);
    h.net.sysctls.get('net.ipv4.icmp_echo_ignore_broadcasts')!.set(0);
    injectIp(hEth, bc, new Uint8Array(6).fill(0xff));
    clock.runFor(10);
    expect(p.replies.map((r) => r.saddr)).toEqual([ip('198.18.0.1')]);
  });

  test('icmp_echo_ignore_all silences echo replies', () => {
    const { clock, h, p } = pair();
    h.net.sysctls.get('net.ipv4.icmp_echo_ignore_all')!.set(1);
    icmpEchoSend(p.net, ip('198.18.0.1'), 1, 1, 8);
    clock.runFor(10);
    expect(p.replies).toEqual([]);
    expect(mib(h.net, 'Icmp', 'InEchos')).toBe(2);
    expect(mib(h.net, 'Icmp', 'OutEchoReps')).toBe(1);
  });

  test('no ICMP error about a broadcast (RFC 1122 §3.2.2)', () => {
    const { clock, h, hEth } = pair();
    const out = mib(h.net, 'Icmp', 'OutMsgs');
    injectIp(hEth, ipPacket({ src: '198.18.0.2', dst: '198.18.0.255', proto: 254, payload: new Uint8Array(8) }), new Uint8Array(6).fill(0xff));
    clock.runFor(10);
    expect(mib(h.net, 'Ip', 'InUnknownProtos')).toBe(1);
    expect(mib(h.net, 'Icmp', 'OutMsgs')).toBe(out);
  });

  test('a router sends no time exceeded about an ICMP error or a non-first fragment', () => {
    const { clock, r, rEth0 } = threeHosts({ forward: true });
    icmpEchoSend(r.net, ip('198.18.0.1'), 1, 1, 0);
    clock.runFor(10);
    const unreach = new Uint8Array(8 + 28);
    unreach[0] = 3;
    unreach.set(ipPacket({ src: '198.18.1.1', dst: '198.18.0.1', proto: 17, payload: new Uint8Array(8) }), 8);
    const send = (proto: number, payload: Uint8Array, frag = 0, ttl = 1) =>
      injectIp(rEth0, ipPacket({ src: '198.18.0.1', dst: '198.18.1.1', proto, payload, frag, ttl }));
    send(IPPROTO_ICMP, unreach);
    send(17, new Uint8Array(16), 0x0002);
    clock.runFor(10);
    expect(mib(r.net, 'Icmp', 'OutTimeExcds')).toBe(0);
    send(17, new Uint8Array(16));
    clock.runFor(10);
    expect(mib(r.net, 'Icmp', 'OutTimeExcds')).toBe(1);
  });
});
