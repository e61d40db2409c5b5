import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import { IPPROTO_ICMP } from '@knet/include';
import { createVirtualClock } from '@knet/softirq';
import { icmpEchoSend } from './index.js';
import { drops, hex, host, icmpEcho, injectFrame, injectIp, ip, ipPacket, link, mib } from './test/bench.js';

function pair(seed = 3) {
  const clock = createVirtualClock({ seed });
  const h = host(clock, 'h');
  const p = host(clock, 'p');
  const [hEth, pEth] = link(h, p, 'eth0', '198.18.0.1/24', 'eth0', '198.18.0.2/24');
  icmpEchoSend(p.net, ip('198.18.0.1'), 9, 0, 0);
  clock.runFor(10);
  p.replies.length = 0;
  return { clock, h, p, hEth, pEth };
}

// A valid echo request header from 198.18.0.2 to 198.18.0.1 (28 bytes), then malformed variants.
const GOOD = ipPacket({ src: '198.18.0.2', dst: '198.18.0.1', proto: IPPROTO_ICMP, payload: icmpEcho(1, 1, 0), id: 0x4242 });

function withCsum(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c[10] = c[11] = 0;
  let s = 0;
  const hl = (c[0]! & 15) * 4;
  for (let i = 0; i < hl && i + 1 < c.length; i += 2) s += (c[i]! << 8) | c[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  c[10] = (~s >> 8) & 0xff;
  c[11] = ~s & 0xff;
  return c;
}

describe('ip_rcv validation, in Linux order', () => {
  test('golden: the good packet is answered', () => {
    expect(Buffer.from(GOOD).toString('hex')).toBe('4500001c424200004001ac77c6120002c6120001' + '0800f7fd00010001');
    const { clock, h, p, hEth } = pair();
    injectIp(hEth, GOOD);
    clock.runFor(10);
    expect(p.replies.map((r) => r.seq)).toEqual([1]);
    expect(mib(h.net, 'Ip', 'InDelivers')).toBe(2);
  });

  const cases: [string, Uint8Array, string, string][] = [
    ['shorter than a header', GOOD.subarray(0, 19), 'PKT_TOO_SMALL', 'InHdrErrors'],
    ['version 6', withCsum(Uint8Array.from([0x65, ...GOOD.subarray(1)])), 'IP_INHDR', 'InHdrErrors'],
    ['ihl 4', withCsum(Uint8Array.from([0x44, ...GOOD.subarray(1)])), 'IP_INHDR', 'InHdrErrors'],
    ['ihl 15 with 28 bytes', Uint8Array.from([0x4f, ...GOOD.subarray(1)]), 'IP_INHDR', 'InHdrErrors'],
    ['bad checksum', Uint8Array.from([...GOOD.subarray(0, 10), 0, 0, ...GOOD.subarray(12)]), 'IP_CSUM', 'InHdrErrors'],
    // tot_len 200 > 28 bytes and a broken checksum: the checksum is checked first.
    ['bad checksum and truncated', hex('450000c842420000400100 00c6120002c6120001 0800f7fd00010001'), 'IP_CSUM', 'InHdrErrors'],
    ['truncated', withCsum(hex('450000c842420000400100 00c6120002c6120001 0800f7fd00010001')), 'PKT_TOO_SMALL', 'InTruncatedPkts'],
    ['tot_len below the header', withCsum(hex('4500001042420000400100 00c6120002c6120001 0800f7fd00010001')), 'IP_INHDR', 'InHdrErrors'],
  ];
  for (const [name, bytes, reason, counter] of cases) {
    test(`${name} → ${reason}, ${counter}`, () => {
      const { clock, h, p, hEth } = pair();
      injectIp(hEth, bytes);
      clock.runFor(10);
      expect(drops(h.net, reason as 'IP_CSUM')).toBe(1);
      expect(mib(h.net, counter === 'InHdrErrors' ? 'Ip' : 'IpExt', counter)).toBe(1);
      expect(p.replies).toEqual([]);
      if (reason === 'IP_CSUM') expect(mib(h.net, 'IpExt', 'InCsumErrors')).toBe(1);
    });
  }

  test('frames for another host are dropped before counting (OTHERHOST)', () => {
    const { clock, h, hEth } = pair();
    const before = mib(h.net, 'Ip', 'InReceives');
    injectIp(hEth, GOOD, hex('02aabbccddee'));
    clock.runFor(10);
    expect(drops(h.net, 'OTHERHOST')).toBe(1);
    expect(mib(h.net, 'Ip', 'InReceives')).toBe(before);
  });

  test('Ethernet padding beyond tot_len is trimmed, not an error', () => {
    const { clock, p, hEth } = pair();
    injectIp(hEth, Uint8Array.from([...GOOD, 0, 0, 0, 0, 0, 0]));
    clock.runFor(10);
    expect(p.replies.length).toBe(1);
  });

  test('unknown protocol: InUnknownProtos, ICMP protocol unreachable, IP_NOPROTO', () => {
    const { clock, h, p, hEth } = pair();
    injectIp(hEth, ipPacket({ src: '198.18.0.2', dst: '198.18.0.1', proto: 253, payload: new Uint8Array(12) }));
    clock.runFor(10);
    expect(mib(h.net, 'Ip', 'InUnknownProtos')).toBe(1);
    expect(drops(h.net, 'IP_NOPROTO')).toBe(1);
    expect(mib(p.net, 'Icmp', 'InDestUnreachs')).toBe(1);
  });

  test('options are passed through and the packet is delivered', () => {
    const { clock, p, hEth } = pair();
    injectIp(hEth, ipPacket({
      src: '198.18.0.2', dst: '198.18.0.1', proto: IPPROTO_ICMP, payload: icmpEcho(1, 5, 4), options: hex('01010100'),
    }));
    clock.runFor(10);
    expect(p.replies.map((r) => r.seq)).toEqual([5]);
  });

  test('a packet from the wire claiming our own address as source is a martian', () => {
    const { clock, h, hEth } = pair();
    injectIp(hEth, ipPacket({ src: '198.18.0.1', dst: '198.18.0.1', proto: IPPROTO_ICMP, payload: icmpEcho(1, 1, 0) }));
    clock.runFor(10);
    expect(drops(h.net, 'IP_INADDRERRORS')).toBe(1);
  });
});

const validFrame = (() => {
  const f = new Uint8Array(14 + GOOD.length);
  f[12] = 8;
  f.set(GOOD, 14);
  return f;
})();

describe('random and mutated frames', () => {
  ftest.prop([
    fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 200 }),
      fc.array(fc.tuple(fc.nat(validFrame.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
        .map((muts) => {
          const f = validFrame.slice();
          for (const [i, v] of muts) f[i] = v;
          return f;
        }),
    ),
    fc.boolean(),
  ])('never throw, every frame is counted, and the host still answers ping', (frame, ipType) => {
    const { clock, h, p, hEth } = pair(5);
    const f = frame.slice();
    if (f.length >= 14) {
      f.set(hEth.devAddr, 0);
      if (ipType) {
        f[12] = 8;
        f[13] = 0;
      }
    }
    const dropsBefore = h.net.dropCounts.reduce((a, b) => a + b, 0);
    const delivBefore = mib(h.net, 'Ip', 'InDelivers');
    injectFrame(hEth, f);
    clock.runFor(10);
    const dropped = h.net.dropCounts.reduce((a, b) => a + b, 0) - dropsBefore;
    const delivered = mib(h.net, 'Ip', 'InDelivers') - delivBefore;
    const arp = h.net.gen.neighbour!.stats;
    expect(dropped + delivered + arp.rcvRequests + arp.rcvReplies).toBeGreaterThanOrEqual(1);
    p.replies.length = 0;
    expect(icmpEchoSend(p.net, ip('198.18.0.1'), 3, 3, 16)).toBe(0);
    clock.runFor(10);
    expect(p.replies.map((r) => r.seq)).toEqual([3]);
  });
});
