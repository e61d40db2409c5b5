// net/ipv4/inet_hashtables.c and the port half of inet_connection_sock.c: the established
// hash (ehash, also holding request and TIME_WAIT socks), listeners (lhash), bind buckets
// (bhash), ephemeral ports and bind conflicts.
import type { Net } from '@knet/include';
import { EADDRINUSE, EADDRNOTAVAIL, TCP_LISTEN, TCP_TIME_WAIT, INADDR_ANY } from '@knet/include';
import { tcpNet, type TcpNet } from './tcp_net.js';
import { hsiphash } from './secure_seq.js';
import { TcpSock, TcpTimewaitSock, type EhashEntry } from './tcp_sock.js';

type BindOwner = TcpSock | TcpTimewaitSock;

/** struct inet_bind_bucket */
export class InetBindBucket {
  /** >= 0: made by bind(); -1: made by connect()'s port search (never shared with bind). */
  fastreuse = 0;
  /**
   * The first owner; the rest follow bindNext. The list runs through the socks themselves, as
   * Linux's owners hlist runs through sk_bind_node, so owning a port allocates nothing.
   */
  owners: BindOwner | null = null;
  constructor(readonly port: number) {}
}

/** sk_add_bind_node: link `sk` at the head of `tb`'s owners; a sock already there stays put. */
export function inetBindAdd(tb: InetBindBucket, sk: BindOwner): void {
  if (tb.owners === sk || sk.bindPrev !== null) return;
  sk.bindPrev = null;
  sk.bindNext = tb.owners;
  if (tb.owners !== null) tb.owners.bindPrev = sk;
  tb.owners = sk;
}

/** __sk_del_bind_node: unlink `sk` from `tb`'s owners, if it is one. */
function inetBindDel(tb: InetBindBucket, sk: BindOwner): void {
  const prev = sk.bindPrev, next = sk.bindNext;
  if (prev === null && tb.owners !== sk) return;
  if (prev === null) tb.owners = next;
  else prev.bindNext = next;
  if (next !== null) next.bindPrev = prev;
  sk.bindPrev = sk.bindNext = null;
}

/** inet_ehashfn: mixes the 4-tuple with the per-net secret (jhash_3words in spirit). */
export function inetEhashfn(secret: number, laddr: number, lport: number, faddr: number, fport: number): number {
  let a = (laddr ^ secret) >>> 0, b = faddr >>> 0, c = (((lport << 16) | fport) ^ 0x9e3779b9) >>> 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  c = Math.imul(c ^ (c >>> 16), 0x27d4eb2f);
  let h = (a ^ Math.imul(b, 31) ^ Math.imul(c, 961)) >>> 0;
  h ^= h >>> 15;
  return h >>> 0;
}

function entryMatch(e: EhashEntry, laddr: number, lport: number, faddr: number, fport: number): boolean {
  return e.inetNum === lport && e.inetDport === fport && e.inetDaddr === faddr && e.inetRcvSaddr === laddr;
}

/** __inet_lookup_established: the sock (full, request or TIME_WAIT) for a 4-tuple, or null. */
export function inetLookupEstablished(tn: TcpNet, faddr: number, fport: number, laddr: number, lport: number): EhashEntry | null {
  let e = tn.ehash.get(inetEhashfn(tn.ehashSecret, laddr, lport, faddr, fport)) ?? null;
  while (e !== null) {
    if (entryMatch(e, laddr, lport, faddr, fport)) return e;
    e = e.hashNext;
  }
  return null;
}

/** inet_ehash_insert */
export function inetEhashInsert(tn: TcpNet, e: EhashEntry): void {
  if (e.hashed) return;
  const h = inetEhashfn(tn.ehashSecret, e.inetRcvSaddr, e.inetNum, e.inetDaddr, e.inetDport);
  e.hashNext = tn.ehash.get(h) ?? null;
  tn.ehash.set(h, e);
  e.hashed = true;
  tn.ehashCount++;
}

/** inet_ehash_remove / __sk_nulls_del_node */
export function inetEhashRemove(tn: TcpNet, e: EhashEntry): void {
  if (!e.hashed) return;
  const h = inetEhashfn(tn.ehashSecret, e.inetRcvSaddr, e.inetNum, e.inetDaddr, e.inetDport);
  let cur = tn.ehash.get(h) ?? null;
  let prev: EhashEntry | null = null;
  while (cur !== null && cur !== e) {
    prev = cur;
    cur = cur.hashNext;
  }
  if (cur === e) {
    if (prev === null) {
      if (e.hashNext === null) tn.ehash.delete(h);
      else tn.ehash.set(h, e.hashNext);
    } else prev.hashNext = e.hashNext;
    tn.ehashCount--;
  }
  e.hashNext = null;
  e.hashed = false;
}

/** inet_ehash_nolisten with a replacement: swap `old` for `neu` under the same 4-tuple. */
export function inetEhashReplace(tn: TcpNet, old: EhashEntry, neu: EhashEntry): void {
  inetEhashRemove(tn, old);
  inetEhashInsert(tn, neu);
}

/** __inet_lookup_listener: exact local address wins over INADDR_ANY; bound device must match. */
export function inetLookupListener(tn: TcpNet, daddr: number, dport: number, dif: number): TcpSock | null {
  const list = tn.lhash.get(dport);
  if (list === undefined) return null;
  let best: TcpSock | null = null;
  let bestScore = -1;
  for (let i = 0; i < list.length; i++) {
    const sk = list[i];
    let score = 1;
    if (sk.inetRcvSaddr !== INADDR_ANY) {
      if (sk.inetRcvSaddr !== daddr) continue;
      score += 4;
    }
    if (sk.skBoundDevIf !== 0) {
      if (sk.skBoundDevIf !== dif) continue;
      score += 4;
    }
    if (score > bestScore) {
      best = sk;
      bestScore = score;
    }
  }
  return best;
}

export function inetListenHash(tn: TcpNet, sk: TcpSock): void {
  let l = tn.lhash.get(sk.inetNum);
  if (l === undefined) tn.lhash.set(sk.inetNum, (l = []));
  if (!l.includes(sk)) l.push(sk);
}

export function inetListenUnhash(tn: TcpNet, sk: TcpSock): void {
  const l = tn.lhash.get(sk.inetNum);
  if (l === undefined) return;
  const i = l.indexOf(sk);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) tn.lhash.delete(sk.inetNum);
}

function rcvSaddr(o: TcpSock | TcpTimewaitSock): number {
  return o.inetRcvSaddr;
}

/** inet_csk_bind_conflict with relax = true (an explicit port). */
function inetCskBindConflict(sk: TcpSock, tb: InetBindBucket): boolean {
  for (let sk2 = tb.owners; sk2 !== null; sk2 = sk2.bindNext) {
    if (sk2 === sk) continue;
    if (sk.skBoundDevIf && sk2.skBoundDevIf && sk.skBoundDevIf !== sk2.skBoundDevIf) continue;
    const state = sk2 instanceof TcpSock ? sk2.skState : TCP_TIME_WAIT;
    // SO_REUSEADDR on both sides lets a port be shared unless the other one listens.
    if (sk.skReuse && sk2.skReuse && state !== TCP_LISTEN) continue;
    const a = sk.inetRcvSaddr, b = rcvSaddr(sk2);
    if (a === INADDR_ANY || b === INADDR_ANY || a === b) return true;
  }
  return false;
}

/** inet_bind_hash: make `sk` an owner of `tb`. */
export function inetBindHash(sk: TcpSock, tb: InetBindBucket, port: number): void {
  sk.inetNum = port;
  sk.icskBindHash = tb;
  inetBindAdd(tb, sk);
}

function bucketGet(tn: TcpNet, port: number): InetBindBucket {
  let tb = tn.bhash.get(port);
  if (tb === undefined) {
    tb = new InetBindBucket(port);
    tn.bhash.set(port, tb);
  }
  return tb;
}

/** inet_put_port: leave the bind bucket; the bucket goes when its last owner does. */
export function inetPutPort(sk: TcpSock | TcpTimewaitSock): void {
  const tn = tcpNet(sk.skNet);
  const tb = sk instanceof TcpSock ? sk.icskBindHash : sk.tb;
  if (tb === null) return;
  inetBindDel(tb, sk);
  if (sk instanceof TcpSock) sk.icskBindHash = null;
  else sk.tb = null;
  if (tb.owners === null && tn.bhash.get(tb.port) === tb) tn.bhash.delete(tb.port);
}

/** Bind a TIME_WAIT sock into the bucket its full sock held (inet_twsk_bind_unhash's inverse). */
export function inetTwskBind(tw: TcpTimewaitSock, tb: InetBindBucket): void {
  tw.tb = tb;
  inetBindAdd(tb, tw);
}

/** Linux splits the range: bind(0) takes odd ports first, connect even ones. */
function portRange(tn: TcpNet): [number, number] {
  const r = tn.sysctl.ip_local_port_range;
  return [r[0], r[1]];
}

/**
 * inet_csk_get_port: bind `sk` to `snum`, or to a free ephemeral port when snum is 0.
 * 0, or -EADDRINUSE (conflict) / -EADDRNOTAVAIL (no ephemeral port left).
 */
export function inetCskGetPort(sk: TcpSock, snum: number): number {
  const tn = tcpNet(sk.skNet);
  if (snum === 0) {
    const [low, high] = portRange(tn);
    const remaining = high - low + 1;
    let offset = Math.floor(sk.skNet.clock.random() * remaining);
    // Prefer odd ports for bind(0): connect() keeps the even ones (Linux ≥ 4.6).
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < remaining; i++) {
        const port = low + ((offset + i) % remaining);
        if (((port & 1) === 0) === (pass === 0) && remaining > 1) continue;
        const tb = tn.bhash.get(port);
        if (tb === undefined || (tb.fastreuse >= 0 && !inetCskBindConflict(sk, tb))) {
          const b = bucketGet(tn, port);
          inetBindHash(sk, b, port);
          return 0;
        }
      }
      offset = 0;
    }
    return -EADDRNOTAVAIL;
  }
  const tb = tn.bhash.get(snum);
  if (tb !== undefined && inetCskBindConflict(sk, tb)) return -EADDRINUSE;
  const b = tb ?? bucketGet(tn, snum);
  if (b.fastreuse < 0) b.fastreuse = 0;
  inetBindHash(sk, b, snum);
  return 0;
}

/** tcp_twsk_unique: may a connect() take over the 4-tuple of this TIME_WAIT sock? */
function twskUnique(tn: TcpNet, sk: TcpSock, tw: TcpTimewaitSock, nowS: number): boolean {
  const reuse = tn.sysctl.tcp_tw_reuse;
  if (reuse === 0) return false;
  // tw_reuse=2 limits reuse to loopback traffic.
  if (reuse === 2 && (tw.inetDaddr >>> 24) !== 127) return false;
  // RFC 7323 makes reuse safe when timestamps order the old and new segments; Linux waits 1 s.
  if (tw.tsRecentStamp && nowS - tw.tsRecentStamp > 1) {
    sk.writeSeq = (tw.sndNxt + 65535 + 2) >>> 0;
    sk.rxOpt.tsRecent = tw.tsRecent;
    sk.rxOpt.tsRecentStamp = tw.tsRecentStamp;
    return true;
  }
  return false;
}

/** __inet_check_established: is the 4-tuple free (possibly by recycling a TIME_WAIT sock)? */
function checkEstablished(tn: TcpNet, sk: TcpSock, lport: number, killTw: TcpTimewaitSock[]): boolean {
  const e = inetLookupEstablished(tn, sk.inetDaddr, sk.inetDport, sk.inetRcvSaddr, lport);
  if (e === null) return true;
  if (e instanceof TcpTimewaitSock && twskUnique(tn, sk, e, Math.floor(sk.skNet.clock.now() / 1000))) {
    killTw.push(e);
    return true;
  }
  return false;
}

/**
 * __inet_hash_connect: pick a local port so the 4-tuple is unique, then hash the sock into
 * ehash. 0 or -EADDRNOTAVAIL.
 */
export function inetHashConnect(sk: TcpSock, twKill: (tw: TcpTimewaitSock) => void): number {
  const tn = tcpNet(sk.skNet);
  const kill: TcpTimewaitSock[] = [];
  if (sk.inetNum !== 0) {
    if (!checkEstablished(tn, sk, sk.inetNum, kill)) return -EADDRNOTAVAIL;
    for (const tw of kill) twKill(tw);
    sk.inetSport = sk.inetNum;
    inetEhashInsert(tn, sk);
    return 0;
  }
  const [low, high] = portRange(tn);
  const remaining = high - low + 1;
  // RFC 6056 §3.3.4 (algorithm 4, as Linux): hash of the destination plus a per-net counter.
  const base = hsiphash(tn.portKey, 3, sk.inetRcvSaddr, sk.inetDaddr, sk.inetDport);
  let offset = ((base + tn.portOffset) >>> 0) % remaining;
  offset &= ~1;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < remaining; i += 1) {
      const port = low + ((offset + i) % remaining);
      if (((port & 1) === 1) === (pass === 0) && remaining > 1) continue;
      const tb = tn.bhash.get(port);
      if (tb !== undefined && tb.fastreuse >= 0) continue;
      kill.length = 0;
      if (!checkEstablished(tn, sk, port, kill)) continue;
      for (const tw of kill) twKill(tw);
      const b = tb ?? bucketGet(tn, port);
      b.fastreuse = -1;
      inetBindHash(sk, b, port);
      sk.inetSport = port;
      inetEhashInsert(tn, sk);
      tn.portOffset = (tn.portOffset + i + 2) >>> 0;
      return 0;
    }
  }
  return -EADDRNOTAVAIL;
}

/** For callers outside TCP: the TcpNet of a Net. */
export function inetHashinfo(net: Net): TcpNet {
  return tcpNet(net);
}
