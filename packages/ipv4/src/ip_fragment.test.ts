import { describe, expect, test } from 'vitest';
import { IPPROTO_ICMP } from '@knet/include';
import { createVirtualClock } from '@knet/softirq';
import { icmpEchoSend } from './index.js';
import { drops, host, icmpEcho, injectIp, ip, ipPacket, link, mib, threeHosts } from './test/bench.js';

/** h (198.18.0.1) receives hand-made fragments from p (198.18.0.2), a full host that sees the answers. */
function pair() {
  const clock = createVirtualClock({ seed: 2 });
  const h = host(clock, 'h');
  const p = host(clock, 'p');
  const [hEth] = link(h, p, 'eth0', '198.18.0.1/24', 'eth0', '198.18.0.2/24');
  // Let each side learn the other's MAC first so answers are not held by ARP.
  icmpEchoSend(p.net, ip('198.18.0.1'), 9, 0, 0);
  clock.runFor(10);
  p.replies.length = 0;
  return { clock, h, p, hEth };
}

/** Fragments of an echo request of `len` payload bytes, cut at byte offsets `cuts` (multiples of 8). */
function frags(id: number, len: number, cuts: number[]): Uint8Array[] {
  const icmp = icmpEcho(0x77, id, len);
  const bounds = [0, ...cuts, icmp.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const last = i + 2 === bounds.length;
    out.push(ipPacket({
      src: '198.18.0.2', dst: '198.18.0.1', proto: IPPROTO_ICMP, id,
      payload: icmp.subarray(bounds[i], bounds[i + 1]), frag: (last ? 0 : 0x2000) | (bounds[i]! >> 3),
    }));
  }
  return out;
}

function custom(id: number, off: number, payload: Uint8Array, more: boolean): Uint8Array {
  return ipPacket({ src: '198.18.0.2', dst: '198.18.0.1', proto: IPPROTO_ICMP, id, payload, frag: (more ? 0x2000 : 0) | (off >> 3) });
}

describe('ip_defrag', () => {
  test('fragments in any order are reassembled', () => {
    const { clock, h, p, hEth } = pair();
    const f = frags(1, 200, [64, 128]);
    for (const i of [2, 0, 1]) injectIp(hEth, f[i]!);
    clock.runFor(10);
    expect(p.replies.map((r) => [r.seq, r.len])).toEqual([[1, 200]]);
    expect(mib(h.net, 'Ip', 'ReasmReqds')).toBe(3);
    expect(mib(h.net, 'Ip', 'ReasmOKs')).toBe(1);
    expect(h.net.gen.ipv4!.frags.queues.size).toBe(0);
    expect(h.net.gen.ipv4!.frags.mem).toBe(0);
  });

  test('an exact duplicate is dropped alone (DUP_FRAG) and the datagram still completes', () => {
    const { clock, h, p, hEth } = pair();
    const f = frags(2, 200, [64, 128]);
    for (const i of [0, 0, 2, 1]) injectIp(hEth, f[i]!);
    clock.runFor(10);
    expect(drops(h.net, 'DUP_FRAG')).toBe(1);
    expect(p.replies.map((r) => r.len)).toEqual([200]);
  });

  test('any other overlap drops the whole datagram (teardrop)', () => {
    const { clock, h, p, hEth } = pair();
    const icmp = icmpEcho(0x77, 3, 80);
    injectIp(hEth, custom(3, 0, icmp.subarray(0, 48), true));
    injectIp(hEth, custom(3, 40, icmp.subarray(40, 88), false));
    clock.runFor(10);
    expect(drops(h.net, 'FRAG_OVERLAP')).toBe(2);
    expect(mib(h.net, 'Ip', 'ReasmFails')).toBe(1);
    // What arrives later starts a new queue that never completes.
    injectIp(hEth, custom(3, 48, icmp.subarray(48, 88), false));
    clock.runFor(10);
    expect(p.replies).toEqual([]);
  });

  test('a missing fragment: after ipfrag_time (30 s) ICMP time exceeded (reassembly) goes back', () => {
    const { clock, h, p, hEth } = pair();
    const f = frags(4, 200, [64, 128]);
    injectIp(hEth, f[0]!);
    injectIp(hEth, f[2]!);
    clock.runFor(29_000);
    expect(mib(h.net, 'Ip', 'ReasmTimeout')).toBe(0);
    clock.runFor(2_000);
    expect(mib(h.net, 'Ip', 'ReasmTimeout')).toBe(1);
    expect(mib(h.net, 'Ip', 'ReasmFails')).toBe(1);
    expect(drops(h.net, 'FRAG_REASM_TIMEOUT')).toBe(2);
    expect(mib(h.net, 'Icmp', 'OutTimeExcds')).toBe(1);
    expect(p.net.mibs.get('IcmpMsg')!.InType11).toBe(1);
    expect(h.net.gen.ipv4!.frags.mem).toBe(0);
  });

  test('without the first fragment the timeout is silent', () => {
    const { clock, h, hEth } = pair();
    injectIp(hEth, frags(5, 200, [64, 128])[1]!);
    clock.runFor(31_000);
    expect(mib(h.net, 'Ip', 'ReasmTimeout')).toBe(1);
    expect(mib(h.net, 'Icmp', 'OutTimeExcds')).toBe(0);
  });

  test('datagrams beyond 65535 bytes and contradictory ends are refused', () => {
    const { clock, h, hEth } = pair();
    injectIp(hEth, custom(6, 65528, new Uint8Array(16), false));
    injectIp(hEth, custom(7, 64, new Uint8Array(16), false));
    injectIp(hEth, custom(7, 128, new Uint8Array(16), true));
    clock.runFor(10);
    expect(drops(h.net, 'PKT_TOO_BIG')).toBe(1);
    expect(mib(h.net, 'Ip', 'ReasmFails')).toBe(2);
    expect(h.net.gen.ipv4!.frags.queues.size).toBe(0);
  });

  test('above ipfrag_high_thresh new fragments are refused', () => {
    const { clock, h, hEth } = pair();
    h.net.sysctls.get('net.ipv4.ipfrag_low_thresh')!.set(0);
    expect(h.net.sysctls.get('net.ipv4.ipfrag_high_thresh')!.set(4000)).toBe(0);
    for (let id = 10; id < 20; id++) injectIp(hEth, frags(id, 200, [64])[0]!);
    clock.runFor(10);
    expect(drops(h.net, 'NOMEM')).toBeGreaterThan(0);
    expect(h.net.gen.ipv4!.frags.mem).toBeLessThanOrEqual(4000 + 4096);
  });
});

describe('ip_fragment on output', () => {
  test('a 2000-byte ping crosses a 576-byte MTU link and both ends reassemble', () => {
    const { clock, a, r, b } = threeHosts({ forward: true, mtuRB: 576 });
    icmpEchoSend(a.net, ip('198.18.1.1'), 1, 1, 2000);
    clock.runFor(50);
    expect(a.replies.map((x) => x.len)).toEqual([2000]);
    // a cuts 2008 bytes of ICMP into 1480 + 528 for its 1500-byte link; r re-cuts the first into
    // 552 + 552 + 376 for the 576-byte link; b answers in four 552-byte-or-less pieces.
    expect(mib(a.net, 'Ip', 'FragCreates')).toBe(2);
    expect(mib(r.net, 'Ip', 'FragOKs')).toBe(1);
    expect(mib(r.net, 'Ip', 'FragCreates')).toBe(3);
    expect(mib(b.net, 'Ip', 'ReasmOKs')).toBe(1);
    expect(mib(b.net, 'Ip', 'FragCreates')).toBe(4);
    expect(mib(a.net, 'Ip', 'ReasmOKs')).toBe(1);
  });
});
