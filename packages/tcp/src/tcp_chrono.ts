// tcp_chrono_* (net/ipv4/tcp_output.c): how long the sender was busy, and how much of that it
// was stalled by the peer's window or by its own send buffer, for tcpi_busy_time,
// tcpi_rwnd_limited and tcpi_sndbuf_limited. Times are in jiffies (ms), as Linux keeps them.
import type { TcpSock } from './tcp_sock.js';

// enum tcp_chrono: a higher value takes precedence over a lower one that is running.
export const TCP_CHRONO_UNSPEC = 0, TCP_CHRONO_BUSY = 1, TCP_CHRONO_RWND_LIMITED = 2, TCP_CHRONO_SNDBUF_LIMITED = 3;

function tcpChronoSet(sk: TcpSock, type: number): void {
  const now = sk.jiffies;
  const elapsed = now - sk.chronoStart;
  switch (sk.chronoType) {
    case TCP_CHRONO_BUSY: sk.chronoBusy += elapsed; break;
    case TCP_CHRONO_RWND_LIMITED: sk.chronoRwndLimited += elapsed; break;
    case TCP_CHRONO_SNDBUF_LIMITED: sk.chronoSndbufLimited += elapsed; break;
  }
  sk.chronoStart = now;
  sk.chronoType = type;
}

/** tcp_chrono_start: a more interesting condition replaces the one being timed. */
export function tcpChronoStart(sk: TcpSock, type: number): void {
  if (type > sk.chronoType) tcpChronoSet(sk, type);
}

/**
 * tcp_chrono_stop: stopping the current condition falls back to busy while data is queued;
 * with both queues empty the sender is idle.
 */
export function tcpChronoStop(sk: TcpSock, type: number): void {
  if (sk.skWriteQueue.first === null) tcpChronoSet(sk, TCP_CHRONO_UNSPEC);
  else if (type === sk.chronoType) tcpChronoSet(sk, TCP_CHRONO_BUSY);
}

/** The µs each chrono has run so far, the current one included (tcp_get_info_chrono_stats). */
export function tcpChronoUs(sk: TcpSock, type: number): number {
  let ms = type === TCP_CHRONO_BUSY ? sk.chronoBusy : type === TCP_CHRONO_RWND_LIMITED ? sk.chronoRwndLimited : sk.chronoSndbufLimited;
  if (type === sk.chronoType) ms += sk.jiffies - sk.chronoStart;
  return ms * 1000;
}
