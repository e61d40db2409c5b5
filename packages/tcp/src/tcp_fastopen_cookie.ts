// struct tcp_fastopen_cookie and struct tcp_fastopen_request (include/linux/tcp.h).
import type { Msghdr } from '@knet/include';
import { TCP_FASTOPEN_COOKIE_MAX } from '@knet/include';

/**
 * A Fast Open cookie: len -1 means no option at all, 0 an empty option (a cookie request in a
 * SYN, RFC 7413 §4.1.1); a fresh one is empty, as Linux's zeroed struct.
 */
export class TcpFastopenCookie {
  readonly val = new Uint8Array(TCP_FASTOPEN_COOKIE_MAX);
  len = 0;
  /** Sent or received in the experimental option (kind 254, magic 0xF989). */
  exp = false;

  copyFrom(o: TcpFastopenCookie): void {
    this.val.set(o.val);
    this.len = o.len;
    this.exp = o.exp;
  }

  /** The cookie bytes (empty unless len > 0). */
  bytes(): Uint8Array {
    return this.val.subarray(0, Math.max(this.len, 0));
  }
}

/** tp->fastopen_req: a connect that carries a Fast Open option in its SYN, and maybe data. */
export class TcpFastopenRequest {
  readonly cookie = new TcpFastopenCookie();
  /** The write whose bytes may go in the SYN (MSG_FASTOPEN or a deferred connect), or null. */
  data: Msghdr | null = null;
  size = 0;
  /** Bytes of `data` queued in the SYN. */
  copied = 0;
}
