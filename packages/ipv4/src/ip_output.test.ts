import { describe, expect, test } from 'vitest';
import { AF_INET, EBUSY, ENOENT, IP_PMTUDISC_DO, TCP_CLOSE, type Net, type NetProtocol, type Proto, type SkBuff, type Sock } from '@knet/include';
import { SkBuffHead, allocSkbWithHeadroom, consumeSkb, getUint32, putUint32, skbPut } from '@knet/skbuff';
import { traceOff, traceOn, TraceRecorder } from '@knet/netdevice';
import {
  inetAddProtocol, inetDelProtocol, ipHdrFragOff, ipHdrTtl, ipRouteGet, ipv4AfOps, IP_DF,
} from './index.js';
import { ip, mib, threeHosts } from './test/bench.js';

const PROTO = 253;
const dummyProt = { name: 'test' } as unknown as Proto;

/** A sock as a transport would hand to ipQueueXmit (struct sock + inet_sock fields). */
function sock(net: Net, saddr: number, daddr: number): Sock {
  const nop = () => {};
  return {
    skNet: net, skFamily: AF_INET, skType: 3, skProtocol: PROTO, skState: TCP_CLOSE, skReuse: 0, skReuseport: false,
    skBoundDevIf: 0, skFlags: 0, skUserlocks: 0, skShutdown: 0, skErr: 0, skErrSoft: 0, skRcvbuf: 212992,
    skSndbuf: 212992, skRmemAlloc: 0, skWmemAlloc: 0, skWmemQueued: 0, skForwardAlloc: 0, skRcvlowat: 1,
    skRcvtimeo: 0, skSndtimeo: 0, skLingertime: 0, skPriority: 0, skMark: 0, skAckBacklog: 0, skMaxAckBacklog: 0,
    skReceiveQueue: new SkBuffHead(), skWriteQueue: new SkBuffHead(), skErrorQueue: new SkBuffHead(), skDst: null,
    skProt: dummyProt, skSocket: null, skDataReady: nop, skWriteSpace: nop, skStateChange: nop, skErrorReport: nop,
    inetSaddr: saddr, inetRcvSaddr: saddr, inetDaddr: daddr, inetSport: 0, inetDport: 0, inetNum: 0, inetId: 100,
    ucTtl: -1, tos: 0, pmtudisc: IP_PMTUDISC_DO, recverr: false,
  };
}

function payload(len: number, tag: number): SkBuff {
  const skb = allocSkbWithHeadroom(160, len);
  const o = skbPut(skb, len);
  putUint32(skb.head, o, tag);
  return skb;
}

describe('output through ipv4AfOps', () => {
  test('queueXmit routes once, caches the dst on the sock, sets DF and TTL, and delivers', () => {
    const { clock, a, b } = threeHosts({ forward: true });
    const got: [number, number, number][] = [];
    const prot: NetProtocol = {
      name: 'test',
      handler: (skb) => {
        got.push([getUint32(skb.head, skb.data), ipHdrTtl(skb.head, skb.networkHeader), ipHdrFragOff(skb.head, skb.networkHeader)]);
        consumeSkb(skb);
        return 0;
      },
    };
    expect(inetAddProtocol(b.net, prot, PROTO)).toBe(0);
    expect(inetAddProtocol(b.net, prot, PROTO)).toBe(-EBUSY);
    const sk = sock(a.net, ip('198.18.0.1'), ip('198.18.1.1'));
    expect(ipv4AfOps.queueXmit(sk, payload(100, 1), null)).toBe(0);
    const dst = sk.skDst;
    expect(dst).not.toBeNull();
    expect(ipv4AfOps.queueXmit(sk, payload(100, 2), null)).toBe(0);
    expect(sk.skDst).toBe(dst);
    clock.runFor(50);
    expect(got).toEqual([[1, 63, IP_DF], [2, 63, IP_DF]]);
    expect(ipv4AfOps.isLocalAddr(b.net, ip('198.18.1.1'))).toBe(true);
    expect(ipv4AfOps.isLocalAddr(b.net, ip('198.18.0.1'))).toBe(false);
    expect(inetDelProtocol(b.net, { name: 'x', handler: () => 0 }, PROTO)).toBe(-ENOENT);
    expect(inetDelProtocol(b.net, prot, PROTO)).toBe(0);
  });

  test('a DF packet too big for the next link: frag needed back, PMTU learnt, errHandler told', () => {
    const { clock, a, r } = threeHosts({ forward: true, mtuRB: 576 });
    const infos: number[] = [];
    inetAddProtocol(a.net, { name: 'test', handler: (s) => (consumeSkb(s), 0), errHandler: (_s, info) => (infos.push(info), 0) }, PROTO);
    const sk = sock(a.net, ip('198.18.0.1'), ip('198.18.1.1'));
    ipv4AfOps.queueXmit(sk, payload(1000, 1), null);
    clock.runFor(50);
    expect(mib(r.net, 'Ip', 'FragFails')).toBe(1);
    expect(infos).toEqual([576]);
    const g = ipRouteGet(a.net, '198.18.1.1');
    expect(typeof g === 'object' && g.mtu).toBe(576);
    // The socket's cached dst was invalidated so the next send sees the new MTU.
    expect(sk.skDst!.obsolete).toBe(true);
    // Ten minutes later the learnt PMTU has expired.
    clock.runFor(601_000);
    const g2 = ipRouteGet(a.net, '198.18.1.1');
    expect(typeof g2 === 'object' && g2.mtu).toBe(1500);
  });

  test('the packet path is traced with Linux function names', () => {
    const { clock, a, b } = threeHosts({ forward: true });
    const recA = new TraceRecorder(a.net);
    const recB = new TraceRecorder(b.net);
    traceOn(a.net, recA);
    traceOn(b.net, recB);
    inetAddProtocol(b.net, { name: 't', handler: (s) => (consumeSkb(s), 0) }, PROTO);
    ipv4AfOps.queueXmit(sock(a.net, ip('198.18.0.1'), ip('198.18.1.1')), payload(20, 1), null);
    clock.runFor(50);
    traceOff(a.net);
    traceOff(b.net);
    const fa = recA.fns();
    const fb = recB.fns();
    for (const fn of ['ipQueueXmit', 'ipLocalOut', 'ipOutput', 'ipFinishOutput', 'ipFinishOutput2', 'neighResolveOutput', 'arpSolicit', 'arpRcv', 'arpProcess']) {
      expect(fa).toContain(fn);
    }
    for (const fn of ['ipRcv', 'ipRcvFinish', 'ipRouteInputNoref', 'ipLocalDeliver', 'ipLocalDeliverFinish']) expect(fb).toContain(fn);
  });
});
