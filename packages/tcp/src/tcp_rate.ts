// net/ipv4/tcp_rate.c: delivery-rate samples. Each sent skb records the connection's
// delivered count and time; an ACK of it yields delivered/interval.
import type { SkBuff } from '@knet/include';
import type { TcpSock } from './tcp_sock.js';

/** tcp_rate_skb_sent: stamp the skb (kept in cb.ackSeq = delivered count, cb.layerPriv = delivered time). */
export function tcpRateSkbSent(sk: TcpSock, skb: SkBuff): void {
  if (!sk.packetsOut) {
    sk.firstTxMstamp = sk.tcpMstamp;
    sk.deliveredMstamp = sk.tcpMstamp;
  }
  skb.cb.ackSeq = sk.delivered;
  skb.cb.layerPriv = sk.deliveredMstamp;
}

/** tcp_rate_skb_delivered: remember the newest delivered skb's stamps in the rate sample. */
export function tcpRateSkbDelivered(sk: TcpSock, skb: SkBuff): void {
  const rs = sk.rs!;
  if (!skb.cb.layerPriv && !skb.cb.ackSeq) return;
  if (!rs.priorDelivered || skb.cb.ackSeq >= rs.priorDelivered) {
    rs.priorDelivered = skb.cb.ackSeq;
    rs.priorMstamp = skb.cb.layerPriv;
    sk.firstTxMstamp = skb.cb.whenUs;
  }
}

/** tcp_rate_gen: turn the sample into delivered/interval. */
export function tcpRateGen(sk: TcpSock, delivered: number, lost: number): void {
  const rs = sk.rs!;
  if (delivered) sk.deliveredMstamp = sk.tcpMstamp;
  rs.ackedSacked = delivered;
  rs.losses = lost;
  if (!rs.priorMstamp) {
    rs.delivered = -1;
    rs.intervalUs = -1;
    return;
  }
  rs.delivered = sk.delivered - rs.priorDelivered;
  const interval = sk.tcpMstamp - rs.priorMstamp;
  rs.intervalUs = interval;
  if (interval > 0 && rs.delivered > 0) {
    // Keep the largest recent rate (tcp_rate_gen keeps non-app-limited maxima).
    const rate = rs.delivered / interval;
    const cur = sk.rateIntervalUs > 0 ? sk.rateDelivered / sk.rateIntervalUs : 0;
    if (rate >= cur || !sk.rateAppLimited) {
      sk.rateDelivered = rs.delivered;
      sk.rateIntervalUs = interval;
      sk.rateAppLimited = rs.isAppLimited;
    }
  }
  rs.priorMstamp = 0;
  rs.priorDelivered = 0;
}
