/**
 * What a congestion module may read and write on a TCP sock. TcpSock implements it; the names
 * follow struct tcp_sock / inet_connection_sock.
 */
export interface TcpCaSock {
  sndCwnd: number;
  sndSsthresh: number;
  sndCwndCnt: number;
  sndCwndClamp: number;
  sndCwndStamp: number;
  priorCwnd: number;
  priorSsthresh: number;
  sndUna: number;
  sndNxt: number;
  mssCache: number;
  /** Smoothed RTT in µs << 3, as tp->srtt_us. */
  srttUs: number;
  /** Windowed minimum RTT in µs. */
  minRttUs: number;
  /** Current time in µs (tp->tcp_mstamp). */
  tcpMstamp: number;
  isCwndLimited: boolean;
  packetsOut: number;
  delivered: number;
  /** TCP_CA_* */
  icskCaState: number;
  /**
   * Private area of the congestion module (icsk_ca_priv): an object of the module's own class,
   * made by its init (or on first use); null when the module has none yet.
   */
  icskCaPriv: object | null;
  /** Jiffies at HZ = 1000 (tcp_jiffies32). */
  jiffies: number;
  /** Jiffies of the last data sent (tp->lsndtime), for idle-restart in cwndEvent. */
  lsndtime?: number;
}

/** struct ack_sample */
export interface AckSample {
  pktsAcked: number;
  /** RTT of this ACK in µs, or -1. */
  rttUs: number;
  inFlight: number;
}

/** struct tcp_congestion_ops: the tcp → congestion boundary. */
export interface TcpCongestionOps {
  readonly name: string;
  /** Required: new slow-start threshold after loss. */
  ssthresh(tp: TcpCaSock): number;
  /** Required: grow cwnd on an ACK (`acked` packets newly acknowledged). */
  congAvoid(tp: TcpCaSock, ack: number, acked: number): void;
  /** Required: cwnd to restore when a loss is undone. */
  undoCwnd(tp: TcpCaSock): number;
  init?(tp: TcpCaSock): void;
  release?(tp: TcpCaSock): void;
  setState?(tp: TcpCaSock, newState: number): void;
  cwndEvent?(tp: TcpCaSock, ev: number): void;
  inAckEvent?(tp: TcpCaSock, flags: number): void;
  pktsAcked?(tp: TcpCaSock, sample: AckSample): void;
  /** Extra fields for TCP_INFO / ss -i. */
  getInfo?(tp: TcpCaSock): Record<string, number>;
}
