// net/core/neighbour.c: the generic neighbour table, its NUD state machine and garbage collection.
import type {
  Net, NetDevice, Neighbour as INeighbour, NeighOps, NeighTable, SkBuff, SkBuffHead as ISkBuffHead,
} from '@knet/include';
import {
  EINVAL, ENOBUFS, ENOENT, EPERM, NUD_CONNECTED, NUD_DELAY, NUD_FAILED, NUD_INCOMPLETE, NUD_IN_TIMER,
  NUD_NOARP, NUD_NONE, NUD_PERMANENT, NUD_PROBE, NUD_REACHABLE, NUD_STALE, NUD_VALID, SKB_DROP_REASON,
  ETH_FRAME_LEN, SKB_TRUESIZE_OVERHEAD,
} from '@knet/include';
import {
  SkBuffHead, kfreeSkbReason, skbClone, consumeSkb, skbDequeue, skbQueueTail, skbPeekTail,
} from '@knet/skbuff';
import { delTimer, jiffies, modTimer, timerSetup, type TimerList } from '@knet/softirq';

// include/net/neighbour.h: neigh_update flags.
export const NEIGH_UPDATE_F_OVERRIDE = 0x1, NEIGH_UPDATE_F_WEAK_OVERRIDE = 0x2,
  NEIGH_UPDATE_F_OVERRIDE_ISROUTER = 0x4, NEIGH_UPDATE_F_ISROUTER = 0x40000000,
  NEIGH_UPDATE_F_ADMIN = 0x80000000;

export const NUD_STATE_NAMES: Record<number, string> = {
  [NUD_NONE]: 'NONE', [NUD_INCOMPLETE]: 'INCOMPLETE', [NUD_REACHABLE]: 'REACHABLE', [NUD_STALE]: 'STALE',
  [NUD_DELAY]: 'DELAY', [NUD_PROBE]: 'PROBE', [NUD_FAILED]: 'FAILED', [NUD_NOARP]: 'NOARP',
  [NUD_PERMANENT]: 'PERMANENT',
};

/** struct neigh_parms; times in ms (jiffies at HZ = 1000). */
export interface NeighParms {
  baseReachableTime: number;
  /** base_reachable_time randomised into [0.5, 1.5) of it (neigh_rand_reach_time). */
  reachableTime: number;
  delayProbeTime: number;
  retransTime: number;
  gcStaleTime: number;
  /** ARP replies within this long of an update do not override it (arp locktime). */
  locktime: number;
  ucastProbes: number;
  mcastProbes: number;
  mcastReprobes: number;
  appProbes: number;
  /** unres_qlen_bytes: the arp_queue bound, charged by skb truesize as Linux does. */
  queueLenBytes: number;
}

/** SKB_TRUESIZE(ETH_FRAME_LEN): how Linux converts unres_qlen (packets) to bytes. */
export const NEIGH_UNRES_PKT_TRUESIZE = ETH_FRAME_LEN + SKB_TRUESIZE_OVERHEAD;

export function neighDefaultParms(): NeighParms {
  return {
    baseReachableTime: 30_000, reachableTime: 30_000, delayProbeTime: 5_000, retransTime: 1_000,
    gcStaleTime: 60_000, locktime: 1_000, ucastProbes: 3, mcastProbes: 3, mcastReprobes: 0,
    appProbes: 0, queueLenBytes: 212_992,
  };
}

/** struct neigh_statistics (/proc/net/stat/arp_cache). */
export interface NeighStatistics {
  allocs: number;
  destroys: number;
  lookups: number;
  hits: number;
  resFailed: number;
  rcvProbesMcast: number;
  rcvProbesUcast: number;
  periodicGcRuns: number;
  forcedGcRuns: number;
  unresDiscards: number;
  tableFulls: number;
}

export interface NeighTableParams {
  name: string;
  family: number;
  /** Per-family set-up of a new entry (arp_constructor): picks ops, output and NOARP. 0 or -errno. */
  constructor(n: Neighbour): number;
  /**
   * Called for each packet still queued when resolution fails, before it is dropped with
   * NEIGH_FAILED. IPv4 wires ICMP host unreachable here (arp_error_report → ipv4_link_failure).
   */
  errorReport?: (n: Neighbour, skb: SkBuff) => void;
  parms?: Partial<NeighParms>;
  gcThresh1?: number;
  gcThresh2?: number;
  gcThresh3?: number;
  gcInterval?: number;
  /** Sysctl directory, e.g. 'net.ipv4.neigh.default'. */
  sysctlPrefix?: string;
}

/** struct neighbour */
export class Neighbour implements INeighbour {
  primaryKey: number;
  dev: NetDevice;
  ha: Uint8Array;
  nudState = NUD_NONE;
  ops: NeighOps;
  output: (n: INeighbour, skb: SkBuff) => number;
  arpQueue: ISkBuffHead = new SkBuffHead();
  arpQueueLenBytes = 0;
  confirmed = 0;
  updated = 0;
  used = 0;
  probes = 0;
  dead = false;
  refcnt = 1;
  /** RTN_* of the key, set by the constructor (n->type). */
  type = 0;
  /** Entry in the hash chain of its key. */
  next: Neighbour | null = null;
  readonly tbl: NeighTableImpl;
  readonly parms: NeighParms;
  readonly timer: TimerList;

  constructor(tbl: NeighTableImpl, key: number, dev: NetDevice) {
    this.tbl = tbl;
    this.primaryKey = key;
    this.dev = dev;
    this.ha = new Uint8Array(dev.addrLen > 0 ? dev.addrLen : 6);
    this.parms = tbl.parms;
    this.ops = neighNoOps;
    this.output = neighBlackhole;
    this.timer = timerSetup(() => neighTimerHandler(this));
  }
}

function neighBlackhole(_n: INeighbour, skb: SkBuff): number {
  kfreeSkbReason(skb, SKB_DROP_REASON.NEIGH_DEAD);
  return -ENETDOWN_;
}
const ENETDOWN_ = 100;

const neighNoOps: NeighOps = Object.freeze({
  name: 'none',
  family: 0,
  solicit() {},
  errorReport(_n: INeighbour, skb: SkBuff) {
    kfreeSkbReason(skb, SKB_DROP_REASON.NEIGH_FAILED);
  },
  output: neighBlackhole,
  connectedOutput: neighBlackhole,
});

/** struct neigh_table, implementing the interface ipv4 uses. */
export class NeighTableImpl implements NeighTable {
  readonly name: string;
  readonly family: number;
  readonly net: Net;
  readonly parms: NeighParms;
  gcThresh1: number;
  gcThresh2: number;
  gcThresh3: number;
  gcInterval: number;
  entries = 0;
  /** Time of the last forced GC (last_flush). */
  lastFlush = 0;
  readonly stats: NeighStatistics = {
    allocs: 0, destroys: 0, lookups: 0, hits: 0, resFailed: 0, rcvProbesMcast: 0, rcvProbesUcast: 0,
    periodicGcRuns: 0, forcedGcRuns: 0, unresDiscards: 0, tableFulls: 0,
  };
  /** Hash by key; entries of the same key on other devices chain through `next`. */
  readonly hash = new Map<number, Neighbour>();
  readonly constructorFn: (n: Neighbour) => number;
  readonly errorReportFn: ((n: Neighbour, skb: SkBuff) => void) | null;
  readonly gcTimer: TimerList;
  /** When reachable_time was last re-randomised (every 300 s, as neigh_periodic_work). */
  lastRand = 0;

  constructor(net: Net, p: NeighTableParams) {
    this.net = net;
    this.name = p.name;
    this.family = p.family;
    this.parms = { ...neighDefaultParms(), ...p.parms };
    this.parms.reachableTime = neighRandReachTime(net, this.parms.baseReachableTime);
    this.gcThresh1 = p.gcThresh1 ?? 128;
    this.gcThresh2 = p.gcThresh2 ?? 512;
    this.gcThresh3 = p.gcThresh3 ?? 1024;
    this.gcInterval = p.gcInterval ?? 30_000;
    this.constructorFn = p.constructor;
    this.errorReportFn = p.errorReport ?? null;
    this.gcTimer = timerSetup(() => neighPeriodicWork(this));
  }

  lookup(key: number, dev: NetDevice): Neighbour | null {
    return neighLookup(this, key, dev);
  }
  create(key: number, dev: NetDevice): Neighbour | number {
    return __neighCreate(this, key, dev);
  }
  eventSend(n: INeighbour, skb: SkBuff | null): boolean {
    return neighEventSend(n as Neighbour, skb);
  }
  update(n: INeighbour, lladdr: Uint8Array | null, state: number, flags: number): number {
    return neighUpdate(n as Neighbour, lladdr, state, flags);
  }
}

/** neigh_rand_reach_time: uniformly in [base/2, 3*base/2). */
export function neighRandReachTime(net: Net, base: number): number {
  return base ? Math.floor(net.clock.random() * base) + (base >> 1) : 0;
}

export function createNeighTable(net: Net, params: NeighTableParams): NeighTableImpl {
  const tbl = new NeighTableImpl(net, params);
  neighTableInit(tbl, params.sysctlPrefix);
  return tbl;
}

/** neigh_table_init: the table's sysctls (`net.ipv4.neigh.default.*`). */
export function neighTableInit(tbl: NeighTableImpl, prefix = 'net.ipv4.neigh.default'): void {
  const p = tbl.parms;
  const s = tbl.net.sysctls;
  const nonneg = (set: (v: number) => void) => (v: number | string | number[]) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) return -EINVAL;
    set(n);
    return 0;
  };
  const ent = (name: string, get: () => number, set: (v: number) => void) =>
    s.set(`${prefix}.${name}`, { get, set: nonneg(set) });
  ent('base_reachable_time_ms', () => p.baseReachableTime, (v) => {
    p.baseReachableTime = v;
    p.reachableTime = neighRandReachTime(tbl.net, v);
  });
  ent('base_reachable_time', () => Math.floor(p.baseReachableTime / 1000), (v) => {
    p.baseReachableTime = v * 1000;
    p.reachableTime = neighRandReachTime(tbl.net, v * 1000);
  });
  ent('delay_first_probe_time', () => Math.floor(p.delayProbeTime / 1000), (v) => { p.delayProbeTime = v * 1000; });
  ent('retrans_time_ms', () => p.retransTime, (v) => { p.retransTime = v; });
  // USER_HZ is 100: retrans_time and locktime are in centiseconds.
  ent('retrans_time', () => Math.floor(p.retransTime / 10), (v) => { p.retransTime = v * 10; });
  ent('locktime', () => Math.floor(p.locktime / 10), (v) => { p.locktime = v * 10; });
  ent('gc_stale_time', () => Math.floor(p.gcStaleTime / 1000), (v) => { p.gcStaleTime = v * 1000; });
  ent('ucast_solicit', () => p.ucastProbes, (v) => { p.ucastProbes = v; });
  ent('mcast_solicit', () => p.mcastProbes, (v) => { p.mcastProbes = v; });
  ent('mcast_resolicit', () => p.mcastReprobes, (v) => { p.mcastReprobes = v; });
  ent('app_solicit', () => p.appProbes, (v) => { p.appProbes = v; });
  ent('unres_qlen_bytes', () => p.queueLenBytes, (v) => { p.queueLenBytes = v; });
  ent('unres_qlen', () => Math.floor(p.queueLenBytes / NEIGH_UNRES_PKT_TRUESIZE), (v) => {
    p.queueLenBytes = v * NEIGH_UNRES_PKT_TRUESIZE;
  });
  ent('gc_thresh1', () => tbl.gcThresh1, (v) => { tbl.gcThresh1 = v; });
  ent('gc_thresh2', () => tbl.gcThresh2, (v) => { tbl.gcThresh2 = v; });
  ent('gc_thresh3', () => tbl.gcThresh3, (v) => { tbl.gcThresh3 = v; });
  ent('gc_interval', () => Math.floor(tbl.gcInterval / 1000), (v) => { tbl.gcInterval = v * 1000; });
}

/** neigh_lookup */
export function neighLookup(tbl: NeighTableImpl, key: number, dev: NetDevice): Neighbour | null {
  tbl.stats.lookups++;
  for (let n = tbl.hash.get(key) ?? null; n !== null; n = n.next) {
    if (n.dev === dev) {
      tbl.stats.hits++;
      return n;
    }
  }
  return null;
}

/** __neigh_create: the existing entry for (key, dev) or a new one in NUD_NONE. */
export function __neighCreate(tbl: NeighTableImpl, key: number, dev: NetDevice): Neighbour | number {
  const old = neighLookup(tbl, key, dev);
  if (old !== null) return old;
  // neigh_alloc: above gc_thresh3, or above gc_thresh2 with no flush for 5 s, shrink first.
  const now = jiffies(tbl.net);
  if (tbl.entries >= tbl.gcThresh3 || (tbl.entries >= tbl.gcThresh2 && now > tbl.lastFlush + 5_000)) {
    if (neighForcedGc(tbl) === 0 && tbl.entries >= tbl.gcThresh3) {
      tbl.stats.tableFulls++;
      return -ENOBUFS;
    }
  }
  const n = new Neighbour(tbl, key, dev);
  n.updated = n.used = now;
  const err = tbl.constructorFn(n);
  if (err < 0) return err;
  tbl.stats.allocs++;
  tbl.entries++;
  // Stale confirmation so that the first use does not trust the entry (neigh_alloc).
  n.confirmed = now - 2 * n.parms.baseReachableTime;
  n.next = tbl.hash.get(key) ?? null;
  tbl.hash.set(key, n);
  if (tbl.entries >= tbl.gcThresh1) neighArmPeriodic(tbl);
  return n;
}

function neighUnlink(tbl: NeighTableImpl, n: Neighbour): void {
  let p = tbl.hash.get(n.primaryKey) ?? null;
  if (p === n) {
    if (n.next === null) tbl.hash.delete(n.primaryKey);
    else tbl.hash.set(n.primaryKey, n.next);
  } else {
    while (p !== null && p.next !== n) p = p.next;
    if (p !== null) p.next = n.next;
  }
  n.next = null;
  tbl.entries--;
  tbl.stats.destroys++;
}

/** neigh_mark_dead + neigh_cleanup_and_release: unusable from now on, queue purged. */
function neighDestroy(tbl: NeighTableImpl, n: Neighbour): void {
  neighUnlink(tbl, n);
  n.dead = true;
  n.refcnt = 0;
  if (n.timer.pending) delTimer(tbl.net, n.timer);
  n.output = neighBlackhole;
  neighPurgeQueue(n, SKB_DROP_REASON.NEIGH_DEAD);
}

function neighPurgeQueue(n: Neighbour, reason: number): void {
  let skb: SkBuff | null;
  while ((skb = skbDequeue(n.arpQueue)) !== null) kfreeSkbReason(skb, reason);
  n.arpQueueLenBytes = 0;
}

/** An entry the table alone holds (refcnt 1, no timer running, no external user). */
function neighUnreferenced(n: Neighbour): boolean {
  return n.refcnt === 1 && !n.timer.pending;
}

/**
 * neigh_forced_gc: remove unreferenced entries that are FAILED, NOARP or not updated for 5 s,
 * until the table is back at gc_thresh2. Returns how many went.
 */
export function neighForcedGc(tbl: NeighTableImpl): number {
  tbl.stats.forcedGcRuns++;
  const now = jiffies(tbl.net);
  const maxClean = tbl.entries - tbl.gcThresh2;
  let shrunk = 0;
  const victims: Neighbour[] = [];
  for (const head of tbl.hash.values()) {
    for (let n: Neighbour | null = head; n !== null; n = n.next) {
      if (shrunk + victims.length >= maxClean) break;
      if (n.nudState & NUD_PERMANENT || !neighUnreferenced(n)) continue;
      if (n.nudState === NUD_FAILED || n.nudState === NUD_NOARP || now - n.updated > 5_000) victims.push(n);
    }
  }
  for (const n of victims) {
    neighDestroy(tbl, n);
    shrunk++;
  }
  tbl.lastFlush = now;
  return shrunk;
}

function neighArmPeriodic(tbl: NeighTableImpl): void {
  if (tbl.gcTimer.pending) return;
  modTimer(tbl.net, tbl.gcTimer, jiffies(tbl.net) + (tbl.parms.baseReachableTime >> 1));
}

/**
 * neigh_periodic_work: drop FAILED entries and those unused for gc_stale_time. Linux runs it
 * every base_reachable_time/2 but does nothing below gc_thresh1, so it is armed only while the
 * table is at or above gc_thresh1; that lets a virtual clock go idle.
 */
export function neighPeriodicWork(tbl: NeighTableImpl): void {
  tbl.stats.periodicGcRuns++;
  const now = jiffies(tbl.net);
  if (now - tbl.lastRand >= 300_000) {
    tbl.lastRand = now;
    tbl.parms.reachableTime = neighRandReachTime(tbl.net, tbl.parms.baseReachableTime);
  }
  if (tbl.entries < tbl.gcThresh1) return;
  const victims: Neighbour[] = [];
  for (const head of tbl.hash.values()) {
    for (let n: Neighbour | null = head; n !== null; n = n.next) {
      const state = n.nudState;
      if (state & (NUD_PERMANENT | NUD_IN_TIMER)) continue;
      if (n.used < n.confirmed) n.used = n.confirmed;
      if (n.refcnt === 1 && (state === NUD_FAILED || now > n.used + n.parms.gcStaleTime)) victims.push(n);
    }
  }
  for (const n of victims) neighDestroy(tbl, n);
  if (tbl.entries >= tbl.gcThresh1) neighArmPeriodic(tbl);
}

/** neigh_connect: use the fast output. */
function neighConnect(n: Neighbour): void {
  n.output = n.ops.connectedOutput;
}
/** neigh_suspect: every packet goes through resolution checks again. */
function neighSuspect(n: Neighbour): void {
  n.output = n.ops.output;
}

function neighAddTimer(n: Neighbour, when: number): void {
  modTimer(n.tbl.net, n.timer, when);
}

function neighDelTimer(n: Neighbour): void {
  if (n.nudState & NUD_IN_TIMER && n.timer.pending) delTimer(n.tbl.net, n.timer);
}

/** neigh_max_probes */
function neighMaxProbes(n: Neighbour): number {
  const p = n.parms;
  return p.ucastProbes + p.appProbes + (n.nudState & NUD_PROBE ? p.mcastReprobes : p.mcastProbes);
}

/** neigh_probe: solicit with the newest queued packet as the trigger. */
function neighProbe(n: Neighbour): void {
  const last = skbPeekTail(n.arpQueue);
  const skb = last !== null ? skbClone(last) : null;
  n.ops.solicit(n, skb);
  n.probes++;
  if (skb !== null) consumeSkb(skb);
}

/**
 * neigh_invalidate: resolution failed. Each queued packet is reported (ICMP host unreachable
 * for IPv4) and dropped with NEIGH_FAILED.
 */
function neighInvalidate(n: Neighbour): void {
  n.tbl.stats.resFailed++;
  let skb: SkBuff | null;
  while (n.nudState === NUD_FAILED && (skb = skbDequeue(n.arpQueue)) !== null) {
    n.arpQueueLenBytes -= skb.truesize;
    n.ops.errorReport(n, skb);
  }
  neighPurgeQueue(n, SKB_DROP_REASON.NEIGH_FAILED);
}

/** neigh_timer_handler: the timed NUD transitions. */
export function neighTimerHandler(n: Neighbour): void {
  const state = n.nudState;
  if (!(state & NUD_IN_TIMER) || n.dead) return;
  const now = jiffies(n.tbl.net);
  const p = n.parms;
  let next = now + 1000;
  if (state & NUD_REACHABLE) {
    if (now <= n.confirmed + p.reachableTime) {
      next = n.confirmed + p.reachableTime;
    } else if (now <= n.used + p.delayProbeTime) {
      n.nudState = NUD_DELAY;
      n.updated = now;
      neighSuspect(n);
      next = now + p.delayProbeTime;
    } else {
      n.nudState = NUD_STALE;
      n.updated = now;
      neighSuspect(n);
    }
  } else if (state & NUD_DELAY) {
    if (now <= n.confirmed + p.delayProbeTime) {
      n.nudState = NUD_REACHABLE;
      n.updated = now;
      neighConnect(n);
      next = n.confirmed + p.reachableTime;
    } else {
      n.nudState = NUD_PROBE;
      n.updated = now;
      n.probes = 0;
      next = now + Math.max(p.retransTime, 10);
    }
  } else {
    next = now + Math.max(p.retransTime, 10);
  }
  if (n.nudState & (NUD_INCOMPLETE | NUD_PROBE) && n.probes >= neighMaxProbes(n)) {
    n.nudState = NUD_FAILED;
    n.updated = now;
    neighSuspect(n);
    neighInvalidate(n);
    return;
  }
  if (n.nudState & NUD_IN_TIMER) {
    if (next < now + 10) next = now + 10;
    neighAddTimer(n, next);
  }
  if (n.nudState & (NUD_INCOMPLETE | NUD_PROBE)) neighProbe(n);
}

/**
 * __neigh_event_send / neigh_event_send: start or continue resolution. Returns false when the
 * entry is usable now; true when `skb` was queued (or dropped) waiting for an answer.
 */
export function neighEventSend(n: Neighbour, skb: SkBuff | null): boolean {
  const now = jiffies(n.tbl.net);
  n.used = now;
  const state = n.nudState;
  if (state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) return false;
  if (n.dead) {
    if (skb !== null) kfreeSkbReason(skb, SKB_DROP_REASON.NEIGH_DEAD);
    return true;
  }
  let immediateProbe = false;
  if (!(n.nudState & (NUD_STALE | NUD_INCOMPLETE))) {
    const p = n.parms;
    if (p.mcastProbes + p.appProbes > 0) {
      // Broadcast probes first: probes starts past the unicast budget.
      n.probes = p.ucastProbes;
      n.nudState = NUD_INCOMPLETE;
      n.updated = now;
      neighAddTimer(n, now + Math.max(p.retransTime, 10));
      immediateProbe = true;
    } else {
      n.nudState = NUD_FAILED;
      n.updated = now;
      if (skb !== null) kfreeSkbReason(skb, SKB_DROP_REASON.NEIGH_FAILED);
      return true;
    }
  } else if (n.nudState & NUD_STALE) {
    n.nudState = NUD_DELAY;
    n.updated = now;
    neighAddTimer(n, now + n.parms.delayProbeTime);
  }
  if (n.nudState === NUD_INCOMPLETE) {
    if (skb !== null) {
      // unres_qlen_bytes: the oldest packets make room (NEIGH_QUEUEFULL).
      while (n.arpQueueLenBytes + skb.truesize > n.parms.queueLenBytes) {
        const old = skbDequeue(n.arpQueue);
        if (old === null) break;
        n.arpQueueLenBytes -= old.truesize;
        kfreeSkbReason(old, SKB_DROP_REASON.NEIGH_QUEUEFULL);
        n.tbl.stats.unresDiscards++;
      }
      skbQueueTail(n.arpQueue, skb);
      n.arpQueueLenBytes += skb.truesize;
    }
    if (immediateProbe) neighProbe(n);
    return true;
  }
  return false;
}

/**
 * neigh_update: the state machine's input from a received packet or an administrator.
 * Returns 0 or -errno.
 */
export function neighUpdate(n: Neighbour, lladdr: Uint8Array | null, newState: number, flags: number): number {
  const old = n.nudState;
  const now = jiffies(n.tbl.net);
  const dev = n.dev;
  if (!(flags & NEIGH_UPDATE_F_ADMIN) && old & (NUD_NOARP | NUD_PERMANENT)) return -EPERM;
  if (n.dead) return -ENOENT;
  if (!(newState & NUD_VALID)) {
    neighDelTimer(n);
    if (old & NUD_CONNECTED) neighSuspect(n);
    n.nudState = newState;
    if (old & (NUD_INCOMPLETE | NUD_PROBE) && newState & NUD_FAILED) neighInvalidate(n);
    return 0;
  }
  let addr: Uint8Array;
  if (dev.addrLen === 0) addr = n.ha;
  else if (lladdr !== null) addr = old & NUD_VALID && haEqual(lladdr, n.ha) ? n.ha : lladdr;
  else {
    if (!(old & NUD_VALID)) return -EINVAL;
    addr = n.ha;
  }
  if (newState & NUD_CONNECTED) n.confirmed = now;
  if (old & NUD_VALID) {
    if (addr !== n.ha && !(flags & NEIGH_UPDATE_F_OVERRIDE)) {
      if (flags & NEIGH_UPDATE_F_WEAK_OVERRIDE && old & NUD_CONNECTED) {
        addr = n.ha;
        newState = NUD_STALE;
      } else {
        return 0;
      }
    } else if (addr === n.ha && newState === NUD_STALE && !(flags & NEIGH_UPDATE_F_ADMIN)) {
      // A repeated address does not demote a better state.
      newState = old;
    }
  }
  // Update the timestamp only when something changed or was confirmed (neigh_update).
  if (newState !== old || addr !== n.ha) n.updated = now;
  if (newState !== old) {
    neighDelTimer(n);
    if (newState & NUD_PROBE) n.probes = 0;
    if (newState & NUD_IN_TIMER) neighAddTimer(n, now + (newState & NUD_REACHABLE ? n.parms.reachableTime : 0));
    n.nudState = newState;
  }
  if (addr !== n.ha) {
    n.ha.set(addr.subarray(0, n.ha.length));
    if (!(newState & NUD_CONNECTED)) n.confirmed = now - 2 * n.parms.baseReachableTime;
  }
  if (newState === old) return 0;
  if (newState & NUD_CONNECTED) neighConnect(n);
  else neighSuspect(n);
  if (!(old & NUD_VALID)) {
    // Resolved: flush the packets that waited, in order.
    let skb: SkBuff | null;
    while (n.nudState & NUD_VALID && (skb = skbDequeue(n.arpQueue)) !== null) {
      n.arpQueueLenBytes -= skb.truesize;
      n.output(n, skb);
    }
    neighPurgeQueue(n, SKB_DROP_REASON.NEIGH_DEAD);
  }
  return 0;
}

/** neigh_event_ns: learn (key → lladdr) as STALE from a solicitation we received. */
export function neighEventNs(tbl: NeighTableImpl, lladdr: Uint8Array, key: number, dev: NetDevice): Neighbour | null {
  const n = __neighCreate(tbl, key, dev);
  if (typeof n === 'number') return null;
  neighUpdate(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
  return n;
}

/** neigh_confirm: forward progress from a transport proves the neighbour is reachable. */
export function neighConfirm(n: Neighbour): void {
  const now = jiffies(n.tbl.net);
  if (n.confirmed !== now) n.confirmed = now;
}

export function haEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** neigh_flush_dev / neigh_ifdown: drop every entry (of `dev`, or all). */
export function neighIfdown(tbl: NeighTableImpl, dev: NetDevice | null): void {
  const victims: Neighbour[] = [];
  for (const head of tbl.hash.values()) {
    for (let n: Neighbour | null = head; n !== null; n = n.next) if (dev === null || n.dev === dev) victims.push(n);
  }
  for (const n of victims) neighDestroy(tbl, n);
}

/** neigh_remove_one for `ip neigh del`. */
export function neighRemove(tbl: NeighTableImpl, n: Neighbour): void {
  if (!n.dead) neighDestroy(tbl, n);
}

/** Every live entry, for dumps. */
export function neighForEach(tbl: NeighTableImpl, fn: (n: Neighbour) => void): void {
  for (const head of tbl.hash.values()) for (let n: Neighbour | null = head; n !== null; n = n.next) fn(n);
}
