// net/core/sock.c: the SOL_SOCKET options (sk_setsockopt / sk_getsockopt).
import type { Sock, Socket, SockoptVal } from '@knet/include';
import {
  AF_INET, EDOM, EINVAL, ENOPROTOOPT, EOPNOTSUPP, IPPROTO_TCP, IPPROTO_UDP, SO_ACCEPTCONN, SO_BROADCAST, SO_DOMAIN,
  SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_MARK, SO_PRIORITY, SO_PROTOCOL, SO_RCVBUF, SO_RCVBUFFORCE, SO_RCVLOWAT,
  SO_RCVTIMEO, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_SNDBUFFORCE, SO_SNDTIMEO, SO_TYPE, SO_ZEROCOPY, SOCK_BROADCAST,
  SOCK_DGRAM, SOCK_KEEPOPEN, SOCK_LINGER, SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK, SOCK_STREAM, SOCK_ZEROCOPY, TCP_LISTEN,
} from '@knet/include';
import type { Net } from '@knet/include';
import { SK_MEM_DEFAULT, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from '@knet/netdevice';

function sysctlNum(net: Net, name: string, dflt: number): number {
  const v = net.sysctls.get(name)?.get();
  return typeof v === 'number' ? v : dflt;
}

const INT_MAX = 0x7fffffff;
/**
 * enum sock_flags SOCK_ZEROCOPY, defined in @knet/include (TCP and UDP test it) and exported
 * here too. knet always copies the payload; MSG_ZEROCOPY sends still get their completions.
 */
export { SOCK_ZEROCOPY };
/** Seconds of SO_LINGER past which Linux lingers "forever" (MAX_SCHEDULE_TIMEOUT / HZ). */
const LINGER_MAX_SEC = Math.floor(INT_MAX / 1000);

/** struct linger */
export interface Linger {
  l_onoff: number;
  l_linger: number;
}
/** struct timeval (SO_RCVTIMEO / SO_SNDTIMEO) */
export interface Timeval {
  tv_sec: number;
  tv_usec: number;
}

function intVal(v: SockoptVal): number | null {
  if (typeof v === 'number') return v | 0;
  return null;
}

/**
 * sock_set_timeout: a timeval (or plain milliseconds) to the sock's timeout in ms, where 0
 * means "wait forever" as MAX_SCHEDULE_TIMEOUT does in Linux.
 */
function setTimeout(v: SockoptVal): number {
  if (typeof v === 'number') return v < 0 ? 0 : Math.ceil(v);
  if (v instanceof Uint8Array || typeof v !== 'object') return -EINVAL;
  const sec = Number((v as Record<string, unknown>)['tv_sec']);
  const usec = Number((v as Record<string, unknown>)['tv_usec'] ?? 0);
  if (!Number.isFinite(sec) || !Number.isFinite(usec)) return -EINVAL;
  if (usec < 0 || usec >= 1_000_000) return -EDOM;
  if (sec < 0) return 0;
  return sec * 1000 + Math.ceil(usec / 1000);
}

function getTimeout(ms: number): Timeval {
  return { tv_sec: Math.floor(ms / 1000), tv_usec: (ms % 1000) * 1000 };
}

/** sk_setsockopt: 0 or -errno. */
export function sockSetsockopt(sock: Socket, optname: number, val: SockoptVal): number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  if (optname === SO_LINGER) return setLinger(sk, val);
  if (optname === SO_RCVTIMEO || optname === SO_SNDTIMEO) {
    const t = setTimeout(val);
    if (t < 0) return t;
    if (optname === SO_RCVTIMEO) sk.skRcvtimeo = t;
    else sk.skSndtimeo = t;
    return 0;
  }
  const v = intVal(val);
  if (v === null) return -EINVAL;
  const on = v !== 0;
  switch (optname) {
    case SO_REUSEADDR:
      sk.skReuse = on ? 1 : 0;
      return 0;
    case SO_REUSEPORT:
      sk.skReuseport = on;
      return 0;
    case SO_BROADCAST:
      setFlag(sk, SOCK_BROADCAST, on);
      return 0;
    case SO_KEEPALIVE:
      if (sk.skProt.keepalive !== undefined) sk.skProt.keepalive(sk, on);
      setFlag(sk, SOCK_KEEPOPEN, on);
      return 0;
    case SO_SNDBUF:
    case SO_SNDBUFFORCE: {
      // The user asks for payload room; the kernel doubles it for skb overhead.
      let n = optname === SO_SNDBUF ? Math.min(v >>> 0, sysctlNum(sk.skNet, 'net.core.wmem_max', SK_MEM_DEFAULT)) : v;
      n = Math.min(Math.max(n, 0), INT_MAX >> 1);
      sk.skUserlocks |= SOCK_SNDBUF_LOCK;
      sk.skSndbuf = Math.max(n * 2, SOCK_MIN_SNDBUF);
      sk.skWriteSpace(sk);
      return 0;
    }
    case SO_RCVBUF:
    case SO_RCVBUFFORCE: {
      let n = optname === SO_RCVBUF ? Math.min(v >>> 0, sysctlNum(sk.skNet, 'net.core.rmem_max', SK_MEM_DEFAULT)) : v;
      n = Math.min(Math.max(n, 0), INT_MAX >> 1);
      sk.skUserlocks |= SOCK_RCVBUF_LOCK;
      sk.skRcvbuf = Math.max(n * 2, SOCK_MIN_RCVBUF);
      return 0;
    }
    case SO_RCVLOWAT:
      sk.skRcvlowat = v < 0 ? INT_MAX : v || 1;
      return 0;
    case SO_PRIORITY:
      sk.skPriority = v;
      return 0;
    case SO_MARK:
      if (sk.skMark !== v) {
        sk.skMark = v >>> 0;
        sk.skDst = null;
      }
      return 0;
    case SO_ZEROCOPY: {
      // Only TCP and UDP sockets can send zerocopy; the value is a strict boolean.
      const tcp = sk.skType === SOCK_STREAM && sk.skProtocol === IPPROTO_TCP;
      const udp = sk.skType === SOCK_DGRAM && sk.skProtocol === IPPROTO_UDP;
      if (!tcp && !udp) return -EOPNOTSUPP;
      if (v < 0 || v > 1) return -EINVAL;
      setFlag(sk, SOCK_ZEROCOPY, on);
      return 0;
    }
    case SO_TYPE:
    case SO_PROTOCOL:
    case SO_DOMAIN:
    case SO_ERROR:
    case SO_ACCEPTCONN:
      return -ENOPROTOOPT;
    default:
      return -ENOPROTOOPT;
  }
}

function setFlag(sk: Sock, flag: number, on: boolean): void {
  if (on) sk.skFlags |= flag;
  else sk.skFlags &= ~flag;
}

function setLinger(sk: Sock, val: SockoptVal): number {
  if (typeof val !== 'object' || val instanceof Uint8Array) return -EINVAL;
  const onoff = Number((val as Record<string, unknown>)['l_onoff']);
  const linger = Number((val as Record<string, unknown>)['l_linger']);
  if (!Number.isFinite(onoff) || !Number.isFinite(linger)) return -EINVAL;
  if (onoff === 0) {
    sk.skFlags &= ~SOCK_LINGER;
    return 0;
  }
  sk.skLingertime = linger >= LINGER_MAX_SEC || linger < 0 ? INT_MAX : linger * 1000;
  sk.skFlags |= SOCK_LINGER;
  return 0;
}

/** sk_getsockopt: the value, or -errno. */
export function sockGetsockopt(sock: Socket, optname: number): SockoptVal | number {
  const sk = sock.sk;
  if (sk === null) return -EINVAL;
  switch (optname) {
    case SO_REUSEADDR:
      return sk.skReuse;
    case SO_REUSEPORT:
      return sk.skReuseport ? 1 : 0;
    case SO_BROADCAST:
      return (sk.skFlags & SOCK_BROADCAST) !== 0 ? 1 : 0;
    case SO_KEEPALIVE:
      return (sk.skFlags & SOCK_KEEPOPEN) !== 0 ? 1 : 0;
    case SO_SNDBUF:
      return sk.skSndbuf;
    case SO_RCVBUF:
      return sk.skRcvbuf;
    case SO_TYPE:
      return sk.skType;
    case SO_PROTOCOL:
      return sk.skProtocol;
    case SO_DOMAIN:
      return AF_INET;
    case SO_ERROR: {
      // Read and clear: the hard error first, else the soft one.
      let e = sk.skErr;
      sk.skErr = 0;
      if (e === 0) {
        e = sk.skErrSoft;
        sk.skErrSoft = 0;
      }
      return e;
    }
    case SO_LINGER: {
      const l: Linger = { l_onoff: (sk.skFlags & SOCK_LINGER) !== 0 ? 1 : 0, l_linger: Math.floor(sk.skLingertime / 1000) };
      return l as unknown as Record<string, unknown>;
    }
    case SO_RCVTIMEO:
      return getTimeout(sk.skRcvtimeo) as unknown as Record<string, unknown>;
    case SO_SNDTIMEO:
      return getTimeout(sk.skSndtimeo) as unknown as Record<string, unknown>;
    case SO_RCVLOWAT:
      return sk.skRcvlowat;
    case SO_ACCEPTCONN:
      return sk.skState === TCP_LISTEN ? 1 : 0;
    case SO_PRIORITY:
      return sk.skPriority;
    case SO_MARK:
      return sk.skMark;
    case SO_ZEROCOPY:
      return (sk.skFlags & SOCK_ZEROCOPY) !== 0 ? 1 : 0;
    default:
      return -ENOPROTOOPT;
  }
}
