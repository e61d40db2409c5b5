// net/netfilter/core.c: per-hook chains in priority order, and NF_HOOK.
import type { Net, NetDevice, Sock, SkBuff } from '@knet/include';
import {
  EINVAL, ENOENT, EPERM, NF_ACCEPT, NF_DROP, NF_INET_NUMHOOKS, NF_REPEAT, NF_STOLEN, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import { ipv4Net } from './netns_ipv4.js';

export type NfOkfn = (net: Net, sk: Sock | null, skb: SkBuff) => number;

/** struct nf_hook_state: reused per net, valid only during the hook call. */
export interface NfHookState {
  hook: number;
  pf: number;
  in: NetDevice | null;
  out: NetDevice | null;
  net: Net;
  sk: Sock | null;
}

/** struct nf_hook_ops */
export interface NfHookOps {
  readonly name?: string;
  readonly hooknum: number;
  /** Lower runs first (NF_IP_PRI_*). */
  readonly priority: number;
  /** NF_ACCEPT, NF_DROP or NF_STOLEN (the hook then owns the skb). */
  hook(skb: SkBuff, state: NfHookState): number;
}

export const NF_IP_PRI_FIRST = -2147483648, NF_IP_PRI_CONNTRACK = -200, NF_IP_PRI_MANGLE = -150,
  NF_IP_PRI_NAT_DST = -100, NF_IP_PRI_FILTER = 0, NF_IP_PRI_NAT_SRC = 100, NF_IP_PRI_LAST = 2147483647;

/** nf_register_net_hook: 0, or -EINVAL for a bad hook number. */
export function nfRegisterNetHook(net: Net, ops: NfHookOps): number {
  if (!(ops.hooknum >= 0 && ops.hooknum < NF_INET_NUMHOOKS)) return -EINVAL;
  const chain = ipv4Net(net).nfHooks[ops.hooknum];
  let i = chain.length;
  while (i > 0 && chain[i - 1].priority > ops.priority) i--;
  chain.splice(i, 0, ops);
  return 0;
}

/** nf_unregister_net_hook */
export function nfUnregisterNetHook(net: Net, ops: NfHookOps): number {
  const chain = ipv4Net(net).nfHooks[ops.hooknum];
  const i = chain ? chain.indexOf(ops) : -1;
  if (i < 0) return -ENOENT;
  chain.splice(i, 1);
  return 0;
}

/**
 * nf_hook_slow: 1 to continue to okfn, 0 when the skb was stolen, -EPERM after a drop
 * (the skb freed with NETFILTER_DROP).
 */
export function nfHookSlow(
  hook: number, net: Net, sk: Sock | null, skb: SkBuff, indev: NetDevice | null, outdev: NetDevice | null,
): number {
  const ip = ipv4Net(net);
  const chain = ip.nfHooks[hook];
  const st = ip.nfState;
  st.hook = hook;
  st.in = indev;
  st.out = outdev;
  st.sk = sk;
  for (let i = 0; i < chain.length; i++) {
    let v = chain[i].hook(skb, st);
    while (v === NF_REPEAT) v = chain[i].hook(skb, st);
    if (v === NF_ACCEPT) continue;
    if (v === NF_STOLEN) return 0;
    // NF_DROP, and NF_QUEUE with no queue handler, drop the packet.
    kfreeSkbReason(skb, SKB_DROP_REASON.NETFILTER_DROP);
    return v === NF_DROP ? -EPERM : -EPERM;
  }
  return 1;
}

/** NF_HOOK: run the chain, then okfn if the packet survived. */
export function NF_HOOK(
  hook: number, net: Net, sk: Sock | null, skb: SkBuff, indev: NetDevice | null, outdev: NetDevice | null,
  okfn: NfOkfn,
): number {
  if (ipv4Net(net).nfHooks[hook].length === 0) return okfn(net, sk, skb);
  const r = nfHookSlow(hook, net, sk, skb, indev, outdev);
  return r === 1 ? okfn(net, sk, skb) : r;
}

/** nf_hook: like NF_HOOK but returns 1 instead of calling okfn (for ip_local_out). */
export function nfHook(
  hook: number, net: Net, sk: Sock | null, skb: SkBuff, indev: NetDevice | null, outdev: NetDevice | null,
): number {
  if (ipv4Net(net).nfHooks[hook].length === 0) return 1;
  return nfHookSlow(hook, net, sk, skb, indev, outdev);
}
