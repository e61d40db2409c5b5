// net/ipv4/fib_trie.c: longest-prefix match. A path-compressed binary trie (PATRICIA): every
// node stores its full key and prefix length, so a lookup visits at most 33 nodes and skips
// runs of bits no route branches on. Routes of one prefix hang off its node as aliases.
import type { NetDevice } from '@knet/include';
import { inetMakeMask } from './ip_hdr.js';
import type { Rtable } from './route.js';

// include/uapi/linux/rtnetlink.h: rtm_scope
export const RT_SCOPE_UNIVERSE = 0, RT_SCOPE_SITE = 200, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254,
  RT_SCOPE_NOWHERE = 255;

/** struct fib_info with its single next hop (no multipath). */
export interface FibInfo {
  dev: NetDevice | null;
  /** Next-hop gateway, 0 when on-link. */
  gw: number;
  prefsrc: number;
  priority: number;
  /** Scope of the next hop: LINK when directly connected, UNIVERSE via a gateway, HOST for local. */
  nhScope: number;
  metrics: { mtu: number; advmss: number; initcwnd: number; lock: number };
  /** nh_rth_input / nh_pcpu_rth_output: the cached dsts of this next hop. */
  rthInput: Rtable | null;
  rthOutput: Rtable | null;
  dead: boolean;
}

/** struct fib_alias: one route of a prefix. */
export interface FibAlias {
  dst: number;
  plen: number;
  type: number;
  tos: number;
  scope: number;
  table: number;
  /** 'kernel' for routes derived from addresses, 'boot'/'static' for user routes. */
  protocol: string;
  fi: FibInfo;
}

export interface TNode {
  key: number;
  plen: number;
  /** Sorted: lower tos-specific first, then by priority (fib_find_alias order). */
  aliases: FibAlias[] | null;
  c0: TNode | null;
  c1: TNode | null;
}

export interface FibTable {
  id: number;
  root: TNode | null;
  /** Routes in the table. */
  count: number;
  /** Matching nodes of the last descent, longest last; reused per lookup. */
  path: TNode[];
}

export function fibTableNew(id: number): FibTable {
  return { id, root: null, count: 0, path: new Array<TNode>(33) };
}

/** Bit `i` of `key`, counting from the most significant bit (0). */
const bitAt = (key: number, i: number) => (key >>> (31 - i)) & 1;

/** Length of the common prefix of a and b, capped at `max`. */
function commonLen(a: number, b: number, max: number): number {
  const x = (a ^ b) >>> 0;
  const l = x === 0 ? 32 : Math.clz32(x);
  return l < max ? l : max;
}

function newNode(key: number, plen: number): TNode {
  return { key: (key & inetMakeMask(plen)) >>> 0, plen, aliases: null, c0: null, c1: null };
}

/** The node for exactly (key, plen), created (splitting an edge if needed) when `create`. */
export function fibFindNode(t: FibTable, key: number, plen: number, create: boolean): TNode | null {
  key = (key & inetMakeMask(plen)) >>> 0;
  let parent: TNode | null = null;
  let n = t.root;
  for (;;) {
    if (n === null) {
      if (!create) return null;
      const nn = newNode(key, plen);
      attach(t, parent, nn, key);
      return nn;
    }
    const cl = commonLen(n.key, key, Math.min(n.plen, plen));
    if (cl === n.plen && n.plen === plen) return n;
    if (cl === n.plen) {
      // n's prefix covers key: descend.
      parent = n;
      n = bitAt(key, n.plen) ? n.c1 : n.c0;
      continue;
    }
    if (!create) return null;
    // Diverge inside n's edge: the new node or a branch node takes n's place.
    if (cl === plen) {
      const nn = newNode(key, plen);
      if (bitAt(n.key, plen)) nn.c1 = n;
      else nn.c0 = n;
      attach(t, parent, nn, key);
      return nn;
    }
    const branch = newNode(key, cl);
    const leaf = newNode(key, plen);
    if (bitAt(key, cl)) {
      branch.c1 = leaf;
      branch.c0 = n;
    } else {
      branch.c0 = leaf;
      branch.c1 = n;
    }
    attach(t, parent, branch, key);
    return leaf;
  }
}

function attach(t: FibTable, parent: TNode | null, n: TNode, key: number): void {
  if (parent === null) t.root = n;
  else if (bitAt(key, parent.plen)) parent.c1 = n;
  else parent.c0 = n;
}

/** Remove empty nodes with fewer than two children (keeps the trie path-compressed). */
export function fibTrimNode(t: FibTable, key: number, plen: number): void {
  key = (key & inetMakeMask(plen)) >>> 0;
  let parent: TNode | null = null;
  let n = t.root;
  while (n !== null && !(n.key === key && n.plen === plen)) {
    if (commonLen(n.key, key, n.plen) < n.plen || n.plen >= plen) return;
    parent = n;
    n = bitAt(key, n.plen) ? n.c1 : n.c0;
  }
  if (n === null || (n.aliases !== null && n.aliases.length > 0)) return;
  n.aliases = null;
  if (n.c0 !== null && n.c1 !== null) return;
  const child = n.c0 ?? n.c1;
  if (parent === null) t.root = child;
  else if (parent.c0 === n) parent.c0 = child;
  else parent.c1 = child;
  // A childless, route-less parent branch left with one child collapses too.
  if (parent !== null && (parent.aliases === null || parent.aliases.length === 0)) fibTrimNode(t, parent.key, parent.plen);
}

/**
 * fib_table_lookup's descent: the nodes on the path whose prefix covers `daddr`, shortest
 * first, into t.path. Returns how many.
 */
export function fibTrieMatches(t: FibTable, daddr: number): number {
  let n = t.root;
  let k = 0;
  while (n !== null) {
    if (n.plen > 0 && commonLen(n.key, daddr, n.plen) < n.plen) break;
    if (n.aliases !== null && n.aliases.length > 0) t.path[k++] = n;
    if (n.plen === 32) break;
    n = bitAt(daddr, n.plen) ? n.c1 : n.c0;
  }
  return k;
}

/** Visit every alias, in key order. */
export function fibTableWalk(t: FibTable, fn: (fa: FibAlias) => void): void {
  const walk = (n: TNode | null) => {
    if (n === null) return;
    if (n.aliases !== null) for (const fa of n.aliases) fn(fa);
    walk(n.c0);
    walk(n.c1);
  };
  walk(t.root);
}
