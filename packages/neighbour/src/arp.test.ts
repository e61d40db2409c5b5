import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import { ETH_P_ARP, NUD_STALE } from '@knet/include';
import { allocSkb, skbPut } from '@knet/skbuff';
import { ethTypeTrans, netifRx } from '@knet/netdevice';
import {
  ARPOP_REPLY, ARPOP_REQUEST, arpCreate, arpHdrChecked, arpOp, arpSip, arpTip, neighShow,
} from './index.js';
import { A, B, bench, drops, sendTagged } from './test/bench.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));

describe('ARP wire format', () => {
  test('golden bytes of a who-has request', () => {
    const { a } = bench();
    a.dev.devAddr.set(hex('020000000001'));
    const skb = arpCreate(ARPOP_REQUEST, ETH_P_ARP, B, a.dev, A, null, null, null)!;
    const frame = skb.head.subarray(skb.data, skb.data + skb.len);
    expect(Buffer.from(frame).toString('hex')).toBe(
      'ffffffffffff' + '020000000001' + '0806' + // Ethernet: broadcast, ARP
      '0001' + '0800' + '06' + '04' + '0001' + // hrd ether, pro IP, hln 6, pln 4, request
      '020000000001' + 'c6120001' + '000000000000' + 'c6120002',
    );
    const o = skb.networkHeader;
    expect(arpHdrChecked(skb.head, o, 28, 6)).toBe(true);
    expect(arpOp(skb.head, o)).toBe(ARPOP_REQUEST);
    expect(arpSip(skb.head, o, 6)).toBe(A);
    expect(arpTip(skb.head, o, 6)).toBe(B);
  });

  test('a reply is unicast to the asker with our address as sender', () => {
    const { a } = bench();
    const tha = hex('02000000000b');
    const skb = arpCreate(ARPOP_REPLY, ETH_P_ARP, B, a.dev, A, tha, null, tha)!;
    const f = Buffer.from(skb.head.subarray(skb.data, skb.data + skb.len)).toString('hex');
    expect(f.slice(0, 12)).toBe('02000000000b');
    expect(f.slice(28 + 12, 28 + 16)).toBe('0002');
    expect(f.slice(-20)).toBe('02000000000bc6120002');
  });
});

/** Inject raw bytes as an Ethernet frame received on `dev`. */
function inject(h: ReturnType<typeof bench>['a'], bytes: Uint8Array): void {
  const skb = allocSkb(bytes.length + 64);
  skb.data = skb.tail = 32;
  skbPut(skb, bytes.length);
  skb.head.set(bytes, skb.data);
  skb.dev = h.dev;
  ethTypeTrans(skb, h.dev);
  netifRx(skb);
}

function ethArp(dst: Uint8Array, src: Uint8Array, body: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + body.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08;
  f[13] = 0x06;
  f.set(body, 14);
  return f;
}

describe('arp_rcv validation', () => {
  test('short and contradictory frames are dropped with a reason', () => {
    const { clock, a } = bench();
    const bc = new Uint8Array(6).fill(0xff);
    const src = hex('020000000077');
    inject(a, ethArp(bc, src, hex('0001 0800 06 04 0001 020000000077')));
    inject(a, ethArp(bc, src, hex('0001 0800 08 04 0001 020000000077 c6120063 000000000000 c6120001 0000 0000')));
    inject(a, ethArp(bc, src, hex('0001 86dd 06 04 0001 020000000077 c6120063 000000000000 c6120001')));
    inject(a, ethArp(bc, src, hex('0001 0800 06 04 0009 020000000077 c6120063 000000000000 c6120001')));
    clock.runFor(1);
    expect(drops(a, 'PKT_TOO_SMALL')).toBe(1);
    expect(drops(a, 'ARP_INVALID')).toBe(3);
    expect(neighShow(a.net)).toEqual([]);
  });

  test('a request for us is answered and its sender learnt as STALE', () => {
    const { clock, a } = bench();
    const src = hex('020000000077');
    inject(a, ethArp(new Uint8Array(6).fill(0xff), src, hex('0001 0800 06 04 0001 020000000077 c6120063 000000000000 c6120001')));
    clock.runFor(1);
    expect(a.net.gen.neighbour!.stats.sentReplies).toBe(1);
    expect(a.tbl.lookup(0xc6120063, a.dev)!.nudState).toBe(NUD_STALE);
  });

  test('gratuitous ARP moves an existing entry to the new address', () => {
    const { clock, a, b } = bench();
    sendTagged(a, B, 1);
    clock.runFor(10);
    expect(neighShow(a.net)[0]!.state).toBe('REACHABLE');
    const moved = hex('02000000beef');
    inject(a, ethArp(new Uint8Array(6).fill(0xff), moved, hex('0001 0800 06 04 0001 02000000beef c6120002 ffffffffffff c6120002')));
    clock.runFor(1);
    expect(neighShow(a.net)[0]).toEqual({ dst: '198.18.0.2', dev: 'veth0', lladdr: '02:00:00:00:be:ef', state: 'STALE' });
    expect(b.rx).toEqual([1]);
    // An unknown sender's gratuitous ARP creates nothing while arp_accept is 0.
    inject(a, ethArp(new Uint8Array(6).fill(0xff), moved, hex('0001 0800 06 04 0001 02000000beef c6120042 ffffffffffff c6120042')));
    clock.runFor(1);
    expect(neighShow(a.net).length).toBe(1);
  });

  ftest.prop([fc.uint8Array({ minLength: 14, maxLength: 80 }), fc.boolean()])(
    'random ARP frames never throw and never corrupt the table', (bytes, asArp) => {
      const { clock, a } = bench();
      if (asArp) {
        bytes[12] = 0x08;
        bytes[13] = 0x06;
      }
      inject(a, bytes);
      clock.runFor(5);
      for (const r of neighShow(a.net)) expect(r.dev).toBe('veth0');
    },
  );
});
