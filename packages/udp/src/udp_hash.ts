// The UDP socket tables of net/ipv4/udp.c: binding (udp_lib_get_port, udp_lib_lport_inuse),
// SO_REUSEPORT groups (net/core/sock_reuseport.c), rehash on connect, and the receive lookup
// (__udp4_lib_lookup: the connected 4-tuple table, then compute_score over the socks bound to
// (daddr, port) and to (*, port)).
import type { Net, Sock } from '@knet/include';
import { EADDRINUSE, TCP_ESTABLISHED } from '@knet/include';
import { type UdpNet, type UdpSock, localPortRange, udpNet } from './udp_sock.js';

function rol32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** jhash_3words (Bob Jenkins' lookup3 final mix), as the kernel's flow hashes use. */
export function jhash3words(a: number, b: number, c: number, initval: number): number {
  const iv = (0xdeadbeef + (3 << 2) + initval) | 0;
  a = (a + iv) | 0;
  b = (b + iv) | 0;
  c = (c + iv) | 0;
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c >>> 0;
}

/** udp_ehashfn: the flow hash reuseport selection and the 4-tuple table use. */
export function udpEhashfn(u: UdpNet, laddr: number, lport: number, faddr: number, fport: number): number {
  return jhash3words(laddr, faddr, ((lport << 16) | fport) >>> 0, u.secret);
}

/** reciprocal_scale: map a 32-bit hash onto [0, n). */
export function reciprocalScale(val: number, n: number): number {
  return Math.floor(((val >>> 0) * n) / 4294967296);
}

function portaddrKey(addr: number, port: number): number {
  return (addr >>> 0) * 65536 + port;
}

function listAdd(m: Map<number, UdpSock[]>, key: number, sk: UdpSock): void {
  const l = m.get(key);
  if (l === undefined) m.set(key, [sk]);
  else l.push(sk);
}

function listDel(m: Map<number, UdpSock[]>, key: number, sk: UdpSock): void {
  const l = m.get(key);
  if (l === undefined) return;
  const i = l.indexOf(sk);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(key);
}

/** inet_rcv_saddr_equal for IPv4: the same address, or a wildcard on either side. */
function rcvSaddrEqual(a: Sock, b: Sock, matchWildcard: boolean): boolean {
  if (a.inetRcvSaddr === b.inetRcvSaddr) return true;
  return matchWildcard && (a.inetRcvSaddr === 0 || b.inetRcvSaddr === 0);
}

function devConflict(a: Sock, b: Sock): boolean {
  return a.skBoundDevIf === 0 || b.skBoundDevIf === 0 || a.skBoundDevIf === b.skBoundDevIf;
}

/**
 * udp_lib_lport_inuse: does a sock already on `port` forbid `sk` from binding it? Both
 * SO_REUSEADDR, or both SO_REUSEPORT, share; so do different devices or addresses.
 */
function lportInuse(u: UdpNet, port: number, sk: UdpSock): boolean {
  const l = u.hash.get(port);
  if (l === undefined) return false;
  for (let i = 0; i < l.length; i++) {
    const sk2 = l[i]!;
    if (sk2 === sk) continue;
    if (sk2.skReuse !== 0 && sk.skReuse !== 0) continue;
    if (!devConflict(sk, sk2) || !rcvSaddrEqual(sk, sk2, true)) continue;
    if (sk2.skReuseport && sk.skReuseport) continue;
    return true;
  }
  return false;
}

/** udp_reuseport_add_sock: join the group of an exact match (same address and device), or start one. */
function reuseportAdd(u: UdpNet, sk: UdpSock): void {
  const l = u.hash.get(sk.inetNum);
  if (l !== undefined) {
    for (let i = 0; i < l.length; i++) {
      const sk2 = l[i]!;
      if (sk2 !== sk && sk2.skReuseport && sk2.reuseportGroup !== null && sk2.skBoundDevIf === sk.skBoundDevIf &&
        rcvSaddrEqual(sk, sk2, false)) {
        sk2.reuseportGroup.push(sk);
        sk.reuseportGroup = sk2.reuseportGroup;
        return;
      }
    }
  }
  sk.reuseportGroup = [sk];
}

function reuseportDetach(sk: UdpSock): void {
  const g = sk.reuseportGroup;
  if (g === null) return;
  const i = g.indexOf(sk);
  if (i >= 0) g.splice(i, 1);
  sk.reuseportGroup = null;
}

/**
 * udp_lib_get_port / udp_v4_get_port: bind `sk` to `snum`, or with 0 to a free port of the
 * ephemeral range, starting at a random place in it. 0, or -EADDRINUSE.
 */
export function udpV4GetPort(sk: Sock, snum: number): number {
  const u = udpNet(sk.skNet);
  if (u === undefined) return -EADDRINUSE;
  const up = sk as UdpSock;
  if (snum === 0) {
    const [low, high] = localPortRange(sk.skNet);
    const remaining = high - low + 1;
    const first = low + reciprocalScale(Math.floor(sk.skNet.clock.random() * 4294967296), remaining);
    let found = 0;
    for (let i = 0; i < remaining; i++) {
      const p = low + ((first - low + i) % remaining);
      if (!lportInuse(u, p, up)) {
        found = p;
        break;
      }
    }
    if (found === 0) return -EADDRINUSE;
    snum = found;
  } else if (lportInuse(u, snum, up)) {
    return -EADDRINUSE;
  }
  sk.inetNum = snum;
  if (!up.hashed) {
    up.hashed = true;
    listAdd(u.hash, snum, up);
    up.portaddrKey = portaddrKey(sk.inetRcvSaddr, snum);
    listAdd(u.hash2, up.portaddrKey, up);
    if (sk.skReuseport) reuseportAdd(u, up);
  }
  return 0;
}

/** udp_lib_unhash: out of every table; the port is free again. */
export function udpLibUnhash(sk: Sock): void {
  const u = udpNet(sk.skNet);
  const up = sk as UdpSock;
  if (u === undefined || !up.hashed) return;
  udpUnhash4(up);
  reuseportDetach(up);
  listDel(u.hash, sk.inetNum, up);
  listDel(u.hash2, up.portaddrKey, up);
  up.hashed = false;
  up.portaddrKey = -1;
  sk.inetNum = 0;
}

/** udp_lib_rehash: the receive address changed (connect filled it in, or disconnect cleared it). */
export function udpLibRehash(sk: Sock): void {
  const u = udpNet(sk.skNet);
  const up = sk as UdpSock;
  if (u === undefined || !up.hashed) return;
  const key = portaddrKey(sk.inetRcvSaddr, sk.inetNum);
  if (key === up.portaddrKey) return;
  listDel(u.hash2, up.portaddrKey, up);
  up.portaddrKey = key;
  listAdd(u.hash2, key, up);
  if (up.reuseportGroup !== null) {
    reuseportDetach(up);
    reuseportAdd(u, up);
  }
}

/** udp4_hash4: a connected sock also goes in the 4-tuple table, found before any scoring. */
export function udpHash4(sk: UdpSock): void {
  const u = udpNet(sk.skNet);
  if (u === undefined || !sk.hashed) return;
  udpUnhash4(sk);
  sk.hash4Key = udpEhashfn(u, sk.inetRcvSaddr, sk.inetNum, sk.inetDaddr, sk.inetDport);
  listAdd(u.hash4, sk.hash4Key, sk);
}

export function udpUnhash4(sk: UdpSock): void {
  const u = udpNet(sk.skNet);
  if (u === undefined || sk.hash4Key < 0) return;
  listDel(u.hash4, sk.hash4Key, sk);
  sk.hash4Key = -1;
}

/** udp_sk_bound_dev_eq */
function boundDevEq(sk: Sock, dif: number): boolean {
  return sk.skBoundDevIf === 0 || sk.skBoundDevIf === dif;
}

/** compute_score: -1 for no match; a connected or device-bound sock scores higher. */
function computeScore(sk: Sock, saddr: number, sport: number, daddr: number, hnum: number, dif: number): number {
  if (sk.inetNum !== hnum || sk.inetRcvSaddr !== daddr) return -1;
  let score = 2;
  if (sk.inetDaddr !== 0) {
    if (sk.inetDaddr !== saddr) return -1;
    score += 4;
  }
  if (sk.inetDport !== 0) {
    if (sk.inetDport !== sport) return -1;
    score += 4;
  }
  if (!boundDevEq(sk, dif)) return -1;
  if (sk.skBoundDevIf !== 0) score += 4;
  return score;
}

/** Does the group hold a connected sock? Then scoring decides (reuseport_has_conns). */
function groupHasConns(g: UdpSock[]): boolean {
  for (let i = 0; i < g.length; i++) if (g[i]!.skState === TCP_ESTABLISHED) return true;
  return false;
}

/** udp4_lib_lookup2: best-scoring sock of one port/address chain; reuseport picks by flow hash. */
function lookup2(u: UdpNet, saddr: number, sport: number, daddr: number, hnum: number, dif: number): UdpSock | null {
  const l = u.hash2.get(portaddrKey(daddr, hnum));
  if (l === undefined) return null;
  let result: UdpSock | null = null;
  let badness = -1;
  for (let i = 0; i < l.length; i++) {
    const sk = l[i]!;
    const score = computeScore(sk, saddr, sport, daddr, hnum, dif);
    if (score <= badness) continue;
    badness = score;
    result = sk;
    if (sk.skState === TCP_ESTABLISHED) continue;
    const g = sk.reuseportGroup;
    if (g === null || g.length === 0) continue;
    const pick = g[reciprocalScale(udpEhashfn(u, daddr, hnum, saddr, sport), g.length)]!;
    if (!groupHasConns(g)) return pick;
    const s2 = computeScore(pick, saddr, sport, daddr, hnum, dif);
    if (s2 >= 0) {
      result = pick;
      badness = s2;
    }
  }
  return result;
}

/** udp4_lib_lookup4: an exact connected match. */
function lookup4(u: UdpNet, saddr: number, sport: number, daddr: number, hnum: number, dif: number): UdpSock | null {
  if (u.hash4.size === 0) return null;
  const l = u.hash4.get(udpEhashfn(u, daddr, hnum, saddr, sport));
  if (l === undefined) return null;
  for (let i = 0; i < l.length; i++) {
    const sk = l[i]!;
    if (sk.inetNum === hnum && sk.inetRcvSaddr === daddr && sk.inetDaddr === saddr && sk.inetDport === sport &&
      boundDevEq(sk, dif)) return sk;
  }
  return null;
}

/**
 * __udp4_lib_lookup: the sock a datagram from saddr:sport to daddr:dport goes to. Connected
 * socks first, then those bound to daddr, then the wildcard ones.
 */
export function __udp4LibLookup(net: Net, saddr: number, sport: number, daddr: number, dport: number, dif: number): UdpSock | null {
  const u = udpNet(net);
  if (u === undefined) return null;
  const c = lookup4(u, saddr, sport, daddr, dport, dif);
  if (c !== null) return c;
  const r = lookup2(u, saddr, sport, daddr, dport, dif);
  if (r !== null || daddr === 0) return r;
  return lookup2(u, saddr, sport, 0, dport, dif);
}

/**
 * __udp_is_mcast_sock: should a broadcast or multicast datagram be delivered to `sk`?
 * Without IGMP state every bound sock is a member (inet->mc_all defaults to on).
 */
export function udpIsMcastSock(sk: Sock, locAddr: number, locPort: number, rmtAddr: number, rmtPort: number, dif: number): boolean {
  if (sk.inetNum !== locPort) return false;
  if (sk.inetDaddr !== 0 && sk.inetDaddr !== rmtAddr) return false;
  if (sk.inetDport !== 0 && sk.inetDport !== rmtPort) return false;
  if (sk.inetRcvSaddr !== 0 && sk.inetRcvSaddr !== locAddr) return false;
  return boundDevEq(sk, dif);
}

/** The socks bound to `port`, in bind order (the primary chain). */
export function udpPortSocks(u: UdpNet, port: number): readonly UdpSock[] | undefined {
  return u.hash.get(port);
}
