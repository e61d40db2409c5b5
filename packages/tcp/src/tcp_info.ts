// TCP_INFO (tcp_get_info, struct tcp_info) and the rows of an `ss -ti` listing (tcp_diag).
import type { Net } from '@knet/include';
import { TCP_LISTEN, inetNtoa } from '@knet/include';
import { tcpNet } from './tcp_net.js';
import { TcpSock, TcpTimewaitSock, TcpRequestSock } from './tcp_sock.js';
import { TCPCB_SACKED_ACKED } from './tcp_defs.js';
import { TCP_ECN_OK, TCP_ECN_SEEN } from './tcp_ecn.js';
import { TCP_CHRONO_BUSY, TCP_CHRONO_RWND_LIMITED, TCP_CHRONO_SNDBUF_LIMITED, tcpChronoUs } from './tcp_chrono.js';

export const TCPI_OPT_TIMESTAMPS = 1, TCPI_OPT_SACK = 2, TCPI_OPT_WSCALE = 4, TCPI_OPT_ECN = 8, TCPI_OPT_ECN_SEEN = 16;

/** struct tcp_info, with Linux's field names. Times in µs unless named _ms-like in Linux (last_*: ms). */
export interface TcpInfo {
  tcpi_state: number;
  tcpi_ca_state: number;
  tcpi_retransmits: number;
  tcpi_probes: number;
  tcpi_backoff: number;
  tcpi_options: number;
  tcpi_snd_wscale: number;
  tcpi_rcv_wscale: number;
  tcpi_rto: number;
  tcpi_ato: number;
  tcpi_snd_mss: number;
  tcpi_rcv_mss: number;
  tcpi_unacked: number;
  tcpi_sacked: number;
  tcpi_lost: number;
  tcpi_retrans: number;
  tcpi_fackets: number;
  tcpi_last_data_sent: number;
  tcpi_last_ack_sent: number;
  tcpi_last_data_recv: number;
  tcpi_last_ack_recv: number;
  tcpi_pmtu: number;
  tcpi_rcv_ssthresh: number;
  tcpi_rtt: number;
  tcpi_rttvar: number;
  tcpi_snd_ssthresh: number;
  tcpi_snd_cwnd: number;
  tcpi_advmss: number;
  tcpi_reordering: number;
  tcpi_rcv_rtt: number;
  tcpi_rcv_space: number;
  tcpi_total_retrans: number;
  tcpi_pacing_rate: number;
  tcpi_max_pacing_rate: number;
  tcpi_bytes_acked: number;
  tcpi_bytes_received: number;
  tcpi_segs_out: number;
  tcpi_segs_in: number;
  tcpi_notsent_bytes: number;
  tcpi_min_rtt: number;
  tcpi_data_segs_in: number;
  tcpi_data_segs_out: number;
  tcpi_delivery_rate: number;
  tcpi_busy_time: number;
  tcpi_rwnd_limited: number;
  tcpi_sndbuf_limited: number;
  tcpi_delivered: number;
  tcpi_delivered_ce: number;
  tcpi_bytes_sent: number;
  tcpi_bytes_retrans: number;
  tcpi_dsack_dups: number;
  tcpi_reord_seen: number;
  tcpi_rcv_ooopack: number;
  tcpi_snd_wnd: number;
  tcpi_rcv_wnd: number;
  tcpi_delivery_rate_app_limited: number;
  tcpi_congestion: string;
}

/** tcp_get_info */
export function tcpGetInfo(sk: TcpSock): TcpInfo {
  const now = sk.jiffies;
  let options = 0;
  if (sk.rxOpt.tstampOk) options |= TCPI_OPT_TIMESTAMPS;
  if (sk.rxOpt.sackOk) options |= TCPI_OPT_SACK;
  if (sk.rxOpt.wscaleOk) options |= TCPI_OPT_WSCALE;
  if (sk.ecnFlags & TCP_ECN_OK) options |= TCPI_OPT_ECN;
  if (sk.ecnFlags & TCP_ECN_SEEN) options |= TCPI_OPT_ECN_SEEN;
  const listen = sk.skState === TCP_LISTEN;
  let fackets = 0;
  for (let skb = sk.skWriteQueue.first; skb !== null && skb !== sk.sendHead; skb = skb.next) if (skb.cb.sacked & TCPCB_SACKED_ACKED) fackets++;
  const rate = sk.rateIntervalUs > 0 ? Math.floor((sk.rateDelivered * sk.mssCache * 1e6) / sk.rateIntervalUs) : 0;
  const minRtt = sk.minRtt.get();
  return {
    tcpi_state: sk.skState,
    tcpi_ca_state: sk.icskCaState,
    tcpi_retransmits: sk.icskRetransmits,
    tcpi_probes: sk.icskProbesOut,
    tcpi_backoff: sk.icskBackoff,
    tcpi_options: options,
    tcpi_snd_wscale: sk.rxOpt.sndWscale,
    tcpi_rcv_wscale: sk.rxOpt.rcvWscale,
    tcpi_rto: sk.icskRto * 1000,
    tcpi_ato: sk.icskAck.ato * 1000,
    tcpi_snd_mss: sk.mssCache,
    tcpi_rcv_mss: sk.icskAck.rcvMss,
    // For listeners Linux reports the accept queue here.
    tcpi_unacked: listen ? sk.skAckBacklog : sk.packetsOut,
    tcpi_sacked: listen ? sk.skMaxAckBacklog : sk.sackedOut,
    tcpi_lost: sk.lostOut,
    tcpi_retrans: sk.retransOut,
    tcpi_fackets: fackets,
    tcpi_last_data_sent: now - sk.lsndtime,
    tcpi_last_ack_sent: 0,
    tcpi_last_data_recv: now - (sk.lastDataRecv || sk.icskAck.lrcvtime),
    tcpi_last_ack_recv: now - sk.rcvTstamp,
    tcpi_pmtu: sk.icskPmtuCookie,
    tcpi_rcv_ssthresh: sk.rcvSsthresh,
    tcpi_rtt: sk.srttUs >> 3,
    tcpi_rttvar: sk.mdevUs >> 2,
    tcpi_snd_ssthresh: sk.sndSsthresh,
    tcpi_snd_cwnd: sk.sndCwnd,
    tcpi_advmss: sk.advmss,
    tcpi_reordering: sk.reordering,
    tcpi_rcv_rtt: sk.rcvRttUs >> 3,
    tcpi_rcv_space: sk.rcvqSpace,
    tcpi_total_retrans: sk.totalRetrans,
    tcpi_pacing_rate: sk.skPacingRate,
    tcpi_max_pacing_rate: sk.skMaxPacingRate,
    tcpi_bytes_acked: sk.bytesAcked,
    tcpi_bytes_received: sk.bytesReceived,
    tcpi_segs_out: sk.segsOut,
    tcpi_segs_in: sk.segsIn,
    tcpi_notsent_bytes: listen ? 0 : (sk.writeSeq - sk.sndNxt) >>> 0,
    tcpi_min_rtt: minRtt === 0xffffffff ? 0 : minRtt,
    tcpi_data_segs_in: sk.dataSegsIn,
    tcpi_data_segs_out: sk.dataSegsOut,
    tcpi_delivery_rate: rate,
    // Busy time includes the limited times, as tcp_get_info_chrono_stats sums them.
    tcpi_busy_time: tcpChronoUs(sk, TCP_CHRONO_BUSY) + tcpChronoUs(sk, TCP_CHRONO_RWND_LIMITED) + tcpChronoUs(sk, TCP_CHRONO_SNDBUF_LIMITED),
    tcpi_rwnd_limited: tcpChronoUs(sk, TCP_CHRONO_RWND_LIMITED),
    tcpi_sndbuf_limited: tcpChronoUs(sk, TCP_CHRONO_SNDBUF_LIMITED),
    tcpi_delivered: sk.delivered,
    tcpi_delivered_ce: sk.deliveredCe,
    tcpi_bytes_sent: sk.bytesSent,
    tcpi_bytes_retrans: sk.bytesRetrans,
    tcpi_dsack_dups: sk.dsackDups,
    tcpi_reord_seen: sk.reordSeen,
    tcpi_rcv_ooopack: 0,
    tcpi_snd_wnd: sk.sndWnd,
    tcpi_rcv_wnd: sk.rcvWnd,
    tcpi_delivery_rate_app_limited: sk.rateAppLimited ? 1 : 0,
    tcpi_congestion: sk.icskCaOps?.name ?? '',
  };
}

/** One row of `ss -tni`. */
export interface TcpDiagRow {
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  info: TcpInfo | null;
  timer: string;
}

/** iproute2 ss's sstate_name[]: the state column as `ss -t` prints it. */
const SS_STATE_NAMES = ['UNKNOWN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT',
  'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING', 'SYN-RECV'] as const;

/** tcp_diag_dump: every TCP sock of the net, listeners first, as ss shows them. */
export function tcpDiagList(net: Net): TcpDiagRow[] {
  const tn = tcpNet(net);
  const rows: TcpDiagRow[] = [];
  const seen = new Set<unknown>();
  for (const l of tn.lhash.values()) {
    for (const sk of l) {
      seen.add(sk);
      rows.push({ state: 'LISTEN', recvQ: sk.skAckBacklog, sendQ: sk.skMaxAckBacklog, local: `${inetNtoa(sk.inetRcvSaddr)}:${sk.inetNum}`, peer: '0.0.0.0:*', info: tcpGetInfo(sk), timer: '' });
    }
  }
  for (let e of tn.ehash.values()) {
    for (let cur: typeof e | null = e; cur !== null; cur = cur.hashNext) {
      if (seen.has(cur)) continue;
      seen.add(cur);
      const local = `${inetNtoa(cur.inetRcvSaddr)}:${cur.inetNum}`, peer = `${inetNtoa(cur.inetDaddr)}:${cur.inetDport}`;
      if (cur instanceof TcpSock) {
        rows.push({
          state: SS_STATE_NAMES[cur.skState] ?? 'UNKNOWN', recvQ: (cur.rcvNxt - cur.copiedSeq) >>> 0, sendQ: (cur.writeSeq - cur.sndUna) >>> 0,
          local, peer, info: tcpGetInfo(cur), timer: cur.icskPending ? `on,${Math.max(0, cur.icskTimeout - cur.jiffies)}ms` : '',
        });
      } else if (cur instanceof TcpTimewaitSock) {
        rows.push({ state: cur.substate === 6 ? 'TIME-WAIT' : 'FIN-WAIT-2', recvQ: 0, sendQ: 0, local, peer, info: null, timer: `timewait,${cur.timeout}ms` });
      } else if (cur instanceof TcpRequestSock) {
        rows.push({ state: 'SYN-RECV', recvQ: 0, sendQ: 0, local, peer, info: null, timer: `on,${cur.numTimeout}` });
      }
    }
    void e;
  }
  return rows;
}
