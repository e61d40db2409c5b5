import { describe, expect, test } from 'vitest';
import { IPPROTO_ICMP, NF_ACCEPT, NF_DROP, NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING, NF_STOLEN, type SkBuff } from '@knet/include';
import { consumeSkb } from '@knet/skbuff';
import { icmpEchoSend, ipHdrProtocol, nfRegisterNetHook, nfUnregisterNetHook, type NfHookOps } from './index.js';
import { drops, ip, threeHosts } from './test/bench.js';

describe('netfilter hooks', () => {
  test('a user hook on LOCAL_IN filters ICMP and counts; removing it restores service', () => {
    const { clock, a, b } = threeHosts({ forward: true });
    let seen = 0;
    const filter: NfHookOps = {
      name: 'drop-icmp', hooknum: NF_INET_LOCAL_IN, priority: 0,
      hook: (skb: SkBuff) => {
        if (ipHdrProtocol(skb.head, skb.networkHeader) !== IPPROTO_ICMP) return NF_ACCEPT;
        seen++;
        return NF_DROP;
      },
    };
    expect(nfRegisterNetHook(b.net, filter)).toBe(0);
    icmpEchoSend(a.net, ip('198.18.1.1'), 1, 1, 8);
    clock.runFor(50);
    expect(a.replies).toEqual([]);
    expect(seen).toBe(1);
    expect(drops(b.net, 'NETFILTER_DROP')).toBe(1);
    expect(nfUnregisterNetHook(b.net, filter)).toBe(0);
    expect(nfUnregisterNetHook(b.net, filter)).toBeLessThan(0);
    icmpEchoSend(a.net, ip('198.18.1.1'), 1, 2, 8);
    clock.runFor(50);
    expect(a.replies.map((r) => r.seq)).toEqual([2]);
  });

  test('hooks run in priority order; STOLEN hands the packet to the hook', () => {
    const { clock, a, r } = threeHosts({ forward: true });
    const order: string[] = [];
    const mk = (name: string, priority: number, verdict: number): NfHookOps => ({
      name, hooknum: NF_INET_FORWARD, priority,
      hook: (skb) => {
        order.push(name);
        if (verdict === NF_STOLEN) consumeSkb(skb);
        return verdict;
      },
    });
    nfRegisterNetHook(r.net, mk('late', 10, NF_STOLEN));
    nfRegisterNetHook(r.net, mk('early', -10, NF_ACCEPT));
    nfRegisterNetHook(r.net, mk('never', 20, NF_DROP));
    nfRegisterNetHook(r.net, { name: 'pre', hooknum: NF_INET_PRE_ROUTING, priority: 0, hook: () => (order.push('pre'), NF_ACCEPT) });
    icmpEchoSend(a.net, ip('198.18.1.1'), 1, 1, 8);
    clock.runFor(50);
    expect(order).toEqual(['pre', 'early', 'late']);
    expect(a.replies).toEqual([]);
    expect(drops(r.net, 'NETFILTER_DROP')).toBe(0);
    expect(nfRegisterNetHook(r.net, { hooknum: 9, priority: 0, hook: () => NF_ACCEPT })).toBeLessThan(0);
  });
});
