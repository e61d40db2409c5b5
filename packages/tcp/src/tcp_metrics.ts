// The Fast Open part of net/ipv4/tcp_metrics.c: per destination, the cookie the server gave us
// and the MSS it announced (RFC 7413 §4.1.1: "the client caches the cookie ... per server IP"),
// so a later connect can put data in its SYN. Linux keys a metrics entry by (saddr, daddr).
import type { TcpNet } from './tcp_net.js';
import { TcpFastopenCookie } from './tcp_fastopen_cookie.js';

/** struct tcp_fastopen_metrics */
export class TcpFastopenMetrics {
  mss = 0;
  /** 1: a cookie request got no cookie, so the next one uses the experimental option; 2: back to RFC 7413. */
  tryExp = 0;
  readonly cookie = new TcpFastopenCookie();
}

/**
 * Entries kept per net. Linux bounds tcp_metrics by its hash size and reclaims the oldest entry
 * of a full bucket; here the least recently used entry goes first.
 */
export const TCP_METRICS_MAX_ENTRIES = 1024;

/** The per-net cache (tcp_metrics_hash, the Fast Open fields only). */
export class TcpMetricsCache {
  private readonly map = new Map<string, TcpFastopenMetrics>();
  readonly max: number;

  constructor(max = TCP_METRICS_MAX_ENTRIES) {
    this.max = max;
  }

  get size(): number {
    return this.map.size;
  }

  /** tcp_get_metrics: the entry of saddr→daddr, made (evicting the oldest) when `create`. */
  lookup(saddr: number, daddr: number, create: boolean): TcpFastopenMetrics | null {
    const key = `${saddr >>> 0}:${daddr >>> 0}`;
    let tm = this.map.get(key);
    if (tm !== undefined) {
      // Touch: re-insert so Map order is least recently used first.
      this.map.delete(key);
      this.map.set(key, tm);
      return tm;
    }
    if (!create) return null;
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    tm = new TcpFastopenMetrics();
    this.map.set(key, tm);
    return tm;
  }

  /** ip tcp_metrics flush */
  flush(): void {
    this.map.clear();
  }
}

/** tcp_fastopen_cache_get: copy the cached cookie (and MSS, if known) of the sock's peer. */
export function tcpFastopenCacheGet(tn: TcpNet, saddr: number, daddr: number, cookie: TcpFastopenCookie): number {
  const tm = tn.metrics.lookup(saddr, daddr, false);
  if (tm === null) return 0;
  cookie.copyFrom(tm.cookie);
  // No cookie yet and the last plain request went unanswered: ask in the experimental format.
  if (cookie.len <= 0 && tm.tryExp === 1) cookie.exp = true;
  return tm.mss;
}

/** tcp_fastopen_cache_set: remember what a SYN-ACK told us (RFC 7413 §4.1.3). */
export function tcpFastopenCacheSet(tn: TcpNet, saddr: number, daddr: number, mss: number, cookie: TcpFastopenCookie | null, tryExp: number): void {
  const tm = tn.metrics.lookup(saddr, daddr, true);
  if (tm === null) return;
  if (mss) tm.mss = mss;
  if (cookie !== null && cookie.len > 0) tm.cookie.copyFrom(cookie);
  else if (tryExp > tm.tryExp && tm.cookie.len <= 0 && !tm.cookie.exp) tm.tryExp = tryExp;
}
