// The client side of net/ipv4/tcp_fastopen.c (RFC 7413): whether a connect may put data in its
// SYN, and the deferred connect of TCP_FASTOPEN_CONNECT. The server side is not modelled.
import { TFO_CLIENT_NO_COOKIE } from '@knet/include';
import type { TcpSock } from './tcp_sock.js';
import { tcpNet } from './tcp_net.js';
import { TcpFastopenRequest, type TcpFastopenCookie } from './tcp_fastopen_cookie.js';
import { tcpFastopenCacheGet } from './tcp_metrics.js';

/** tcp_fastopen_no_cookie: data in the SYN without any cookie option (net.ipv4.tcp_fastopen & 4). */
function tcpFastopenNoCookie(sk: TcpSock, flag: number): boolean {
  return (tcpNet(sk.skNet).sysctl.tcp_fastopen & flag) !== 0;
}

/**
 * tcp_fastopen_cookie_check: fill `cookie` from the cache. True when the SYN may carry data:
 * a cookie is cached, or cookies are turned off (cookie.len -1). Returns the cached MSS in
 * `mss.value` when one is known.
 */
export function tcpFastopenCookieCheck(sk: TcpSock, mss: { value: number }, cookie: TcpFastopenCookie): boolean {
  const cached = tcpFastopenCacheGet(tcpNet(sk.skNet), sk.inetSaddr, sk.inetDaddr, cookie);
  if (cached) mss.value = cached;
  if (tcpFastopenNoCookie(sk, TFO_CLIENT_NO_COOKIE)) {
    cookie.len = -1;
    return true;
  }
  return cookie.len > 0;
}

/**
 * tcp_fastopen_defer_connect: with TCP_FASTOPEN_CONNECT and a usable cookie, connect() sends
 * nothing and the first write goes out as SYN+data (true). Otherwise the SYN carries a Fast
 * Open option (a cookie request when nothing is cached) and the connect goes on (false).
 */
export function tcpFastopenDeferConnect(sk: TcpSock): boolean {
  if (!sk.fastopenConnect || sk.fastopenReq !== null) return false;
  const req = new TcpFastopenRequest();
  if (tcpFastopenCookieCheck(sk, { value: 0 }, req.cookie)) {
    sk.inetDeferConnect = true;
    return true;
  }
  sk.fastopenReq = req;
  return false;
}

/** tcp_free_fastopen_req */
export function tcpFreeFastopenReq(sk: TcpSock): void {
  sk.fastopenReq = null;
}
