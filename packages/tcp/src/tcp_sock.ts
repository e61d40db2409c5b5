// struct tcp_sock ⊃ inet_connection_sock ⊃ inet_sock ⊃ sock, the request sock of a listener
// (TCP_NEW_SYN_RECV) and the TIME_WAIT mini sock. Every field is set in the constructor.
import type { InetConnectionSockAfOps, Net, Proto, SkBuff, TcpCaSock, TcpCongestionOps } from '@knet/include';
import { TCP_CA_Open, TCP_CLOSE, TCP_NEW_SYN_RECV, TCP_TIME_WAIT, IPPROTO_TCP, SOCK_STREAM } from '@knet/include';
import { InetSock } from '@knet/netdevice';
import { TimerList } from '@knet/softirq';
import { TcpOptionsReceived, TcpSackBlock } from './tcp_options.js';
import { TCP_TIMEOUT_INIT, TCP_RTO_MAX, TCP_RTO_MIN, TCP_INIT_CWND, TCP_INFINITE_SSTHRESH } from './tcp_defs.js';
import type { InetBindBucket } from './inet_hashtables.js';
import { tcpWriteTimer, tcpDelackTimer, tcpKeepaliveTimer, tcpReqskTimer, tcpTwTimer } from './tcp_timer.js';
import { OfoQueue } from './tcp_ofo.js';
import type { TcpFastopenRequest } from './tcp_fastopen_cookie.js';

// icsk_ack.pending bits
export const ICSK_ACK_SCHED = 1, ICSK_ACK_TIMER = 2, ICSK_ACK_PUSHED = 4, ICSK_ACK_PUSHED2 = 8, ICSK_ACK_NOW = 16;
// icsk_pending: what the retransmit timer is armed for
export const ICSK_TIME_RETRANS = 1, ICSK_TIME_DACK = 2, ICSK_TIME_PROBE0 = 3, ICSK_TIME_LOSS_PROBE = 5, ICSK_TIME_REO_TIMEOUT = 6;

/** struct inet_connection_sock.icsk_ack */
export class IcskAck {
  pending = 0;
  quick = 0;
  pingpong = 0;
  retry = 0;
  ato = 0;
  timeout = 0;
  lrcvtime = 0;
  lastSegSize = 0;
  rcvMss = 0;
}

/** Windowed min filter over RTT samples (lib/win_minmax.c): three samples by age. */
export class MinMax {
  t0 = 0; v0 = 0xffffffff;
  t1 = 0; v1 = 0xffffffff;
  t2 = 0; v2 = 0xffffffff;
  reset(t: number, v: number): void {
    this.t0 = this.t1 = this.t2 = t;
    this.v0 = this.v1 = this.v2 = v;
  }
  get(): number {
    return this.v0;
  }
  /** minmax_running_min: keep the min over the last `win` time units. */
  runningMin(win: number, t: number, v: number): number {
    if (v <= this.v0 || t - this.t2 > win || this.v0 === 0xffffffff) {
      this.reset(t, v);
      return v;
    }
    if (v <= this.v1) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = v;
    } else if (v <= this.v2) {
      this.t2 = t;
      this.v2 = v;
    }
    const dt = t - this.t0;
    if (dt > win) {
      this.t0 = this.t1; this.v0 = this.v1;
      this.t1 = this.t2; this.v1 = this.v2;
      this.t2 = t; this.v2 = v;
      if (t - this.t0 > win) {
        this.t0 = this.t1; this.v0 = this.v1;
        this.t1 = this.t2; this.v1 = this.v2;
      }
    } else if (this.t1 === this.t0 && dt > win / 4) {
      this.t1 = this.t2 = t;
      this.v1 = this.v2 = v;
    } else if (this.t2 === this.t1 && dt > win / 2) {
      this.t2 = t;
      this.v2 = v;
    }
    return this.v0;
  }
}

/** RACK state (tp->rack, RFC 8985 §6.1). */
export class TcpRack {
  mstamp = 0;
  rttUs = 0;
  endSeq = 0;
  lastDelivered = 0;
  reoWndSteps = 1;
  reoWndPersist = 0;
  dsackSeen = false;
  advanced = false;
}

/** The rate sample of one ACK (struct rate_sample). */
export class RateSample {
  priorMstamp = 0;
  priorDelivered = 0;
  delivered = 0;
  intervalUs = 0;
  rttUs = -1;
  losses = 0;
  ackedSacked = 0;
  priorInFlight = 0;
  isAppLimited = false;

  /** A fresh sample for the next ACK (`struct rate_sample rs = { }` in tcp_ack). */
  reset(): void {
    this.priorMstamp = this.priorDelivered = this.delivered = this.intervalUs = 0;
    this.losses = this.ackedSacked = this.priorInFlight = 0;
    this.rttUs = -1;
    this.isAppLimited = false;
  }
}

/** Shared by every sock until it first needs SACK blocks; frozen, so a write that skipped the allocation throws. */
export const NO_SACK_BLOCKS: TcpSackBlock[] = Object.freeze([]) as readonly TcpSackBlock[] as TcpSackBlock[];

/** `n` zeroed SACK blocks, for a sock's first D-SACK, out-of-order segment or received SACK. */
export function tcpSackBlocksAlloc(n: number): TcpSackBlock[] {
  return Array.from({ length: n }, () => new TcpSackBlock());
}

/**
 * A timer that carries its sock, as from_timer() finds the sock around a timer_list: the
 * callbacks below are shared by every sock, so no sock holds closures for its timers.
 */
export class SockTimer<S> extends TimerList {
  constructor(fn: (t: SockTimer<S>) => void, readonly sk: S) {
    super(fn);
  }
}
const tcpWriteTimerFn = (t: SockTimer<TcpSock>): void => tcpWriteTimer(t.sk);
const tcpDelackTimerFn = (t: SockTimer<TcpSock>): void => tcpDelackTimer(t.sk);
const tcpKeepaliveTimerFn = (t: SockTimer<TcpSock>): void => tcpKeepaliveTimer(t.sk);
const tcpReqskTimerFn = (t: SockTimer<TcpRequestSock>): void => tcpReqskTimer(t.sk);
const tcpTwTimerFn = (t: SockTimer<TcpTimewaitSock>): void => tcpTwTimer(t.sk);

/** sk->sk_timer, made on first use. */
export function tcpSkTimer(sk: TcpSock): TimerList {
  return (sk.skTimer ??= new SockTimer(tcpKeepaliveTimerFn, sk));
}
/** icsk_retransmit_timer, made on first use. */
export function inetCskRetransmitTimer(sk: TcpSock): TimerList {
  return (sk.icskRetransmitTimer ??= new SockTimer(tcpWriteTimerFn, sk));
}
/** icsk_delack_timer, made on first use. */
export function inetCskDelackTimer(sk: TcpSock): TimerList {
  return (sk.icskDelackTimer ??= new SockTimer(tcpDelackTimerFn, sk));
}

/** struct tcp_sock with its inet_connection_sock part. */
export class TcpSock extends InetSock implements TcpCaSock {
  // inet_connection_sock
  icskAfOps: InetConnectionSockAfOps;
  icskCaOps: TcpCongestionOps | null = null;
  icskCaState = TCP_CA_Open;
  icskCaPriv: object | null = null;
  icskCaInitialized = false;
  icskCaSetsockopt = false;
  icskRetransmits = 0;
  icskProbesOut = 0;
  icskBackoff = 0;
  icskRto = TCP_TIMEOUT_INIT;
  icskRtoMin = TCP_RTO_MIN;
  icskRtoMax = TCP_RTO_MAX;
  icskPmtuCookie = 0;
  icskExtHdrLen = 0;
  icskSynRetries = 0;
  icskUserTimeout = 0;
  icskProbesTstamp = 0;
  icskPending = 0;
  icskTimeout = 0;
  icskAck = new IcskAck();
  /**
   * icsk_retransmit_timer and icsk_delack_timer, made when first armed (inetCskRetransmitTimer,
   * inetCskDelackTimer): an accepted socket that has sent no data and delayed no ACK has neither.
   */
  icskRetransmitTimer: TimerList | null = null;
  icskDelackTimer: TimerList | null = null;
  /**
   * sk_timer: keepalive, SYN-ACK for listeners and FIN_WAIT2. Made when first armed
   * (tcpSkTimer): an established socket without SO_KEEPALIVE never arms it.
   */
  skTimer: TimerList | null = null;
  icskBindHash: InetBindBucket | null = null;
  /** sk_bind_node: the links of icskBindHash's owner list (inetBindAdd). */
  bindNext: TcpSock | TcpTimewaitSock | null = null;
  bindPrev: TcpSock | TcpTimewaitSock | null = null;
  /** Listener: the accept queue (established children) and SYN queue length. */
  /** Established children not yet accepted; made by the first one, so only listeners have one. */
  acceptQueue: TcpSock[] | null = null;
  synQlen = 0;
  synQlenYoung = 0;
  /** Request socks of this listener (the SYN queue), for listen stop; made by the first SYN, so only listeners have one. */
  synQueue: Set<TcpRequestSock> | null = null;
  /** Jiffies of the last SYN queue overflow (tcp_synq_overflow), for syncookie validity. */
  lastSynqOverflow = 0;
  /** A child not yet accepted points at its listener. */
  parent: TcpSock | null = null;
  /** ehash chain link. */
  hashNext: EhashEntry | null = null;
  hashed = false;
  // icsk_mtup: packetization-layer path MTU discovery (RFC 4821), MTUs in bytes.
  mtupEnabled = false;
  mtupSearchLow = 0;
  mtupSearchHigh = 0;
  /** MTU of the probe in flight, 0 when none is. */
  mtupProbeSize = 0;
  /** Jiffies the current search started, for tcp_probe_interval. */
  mtupProbeTimestamp = 0;
  /** tp->mtu_probe: the sequence range the probe covered. */
  mtuProbeSeqStart = 0;
  mtuProbeSeqEnd = 0;

  // tcp_sock: sequence state
  rcvNxt = 0;
  copiedSeq = 0;
  rcvWup = 0;
  sndNxt = 0;
  sndUna = 0;
  sndSml = 0;
  sndUp = 0;
  writeSeq = 0;
  pushedSeq = 0;
  sndWl1 = 0;
  sndWnd = 0;
  maxWindow = 0;
  rcvWnd = 0;
  windowClamp = 0;
  rcvSsthresh = 0;
  rcvTstamp = 0;
  lsndtime = 0;
  lrcvtime = 0;
  /** Jiffies of the last data received. */
  lastDataRecv = 0;
  mssCache = 536;
  advmss = 536;
  /** 20 + the options every segment carries (12 with timestamps). */
  tcpHeaderLen = 20;
  /** tcp_chrono: the condition being timed, since when (jiffies), and the totals (ms). */
  chronoType = 0;
  chronoStart = 0;
  chronoBusy = 0;
  chronoRwndLimited = 0;
  chronoSndbufLimited = 0;
  xmitSizeGoalSegs = 0;
  gsoSegs = 0;
  nonagle = 0;
  /** tp->repair-free flags */
  thinLto = false;
  urgData = 0;
  urgSeq = 0;
  // options
  rxOpt = new TcpOptionsReceived();
  tsOffset = 0;
  /**
   * The D-SACK block to send, the SACK blocks we send (the out-of-order scoreboard) and the
   * blocks of the last SACK received. Most connections never reorder, so each stays the shared
   * empty NO_SACK_BLOCKS until its first write (tcpSackBlocksAlloc); readers index only up to
   * rx_opt.num_sacks / rx_opt.dsack, which stay 0 until then.
   */
  duplicateSack: TcpSackBlock[] = NO_SACK_BLOCKS;
  selectiveAcks: TcpSackBlock[] = NO_SACK_BLOCKS;
  recvSackCache: TcpSackBlock[] = NO_SACK_BLOCKS;
  // congestion control (TcpCaSock)
  sndCwnd = TCP_INIT_CWND;
  sndSsthresh = TCP_INFINITE_SSTHRESH;
  sndCwndCnt = 0;
  sndCwndClamp = 0xffffffff;
  sndCwndStamp = 0;
  sndCwndUsed = 0;
  priorCwnd = 0;
  priorSsthresh = 0;
  /** tp->is_cwnd_limited, latched by tcp_cwnd_validate. */
  cwndLimited = false;
  maxPacketsOut = 0;
  cwndUsageSeq = 0;
  packetsOut = 0;
  retransOut = 0;
  sackedOut = 0;
  lostOut = 0;
  /** RFC 6675 highest sacked seq (tp->highest_sack as an skb). */
  highestSack: SkBuff | null = null;
  lostSkbHint: SkBuff | null = null;
  retransmitSkbHint: SkBuff | null = null;
  /** First not-yet-sent skb on the write queue (sk_send_head). */
  sendHead: SkBuff | null = null;
  highSeq = 0;
  retransStamp = 0;
  undoMarker = 0;
  undoRetrans = -1;
  totalRetrans = 0;
  // TCP Fast Open, client side (RFC 7413)
  /** TCP_FASTOPEN_CONNECT set: connect() may defer the SYN to the first write. */
  fastopenConnect = false;
  /** tp->fastopen_req: the Fast Open option (and data) of this connect's SYN. */
  fastopenReq: TcpFastopenRequest | null = null;
  /** The SYN carried a Fast Open option (syn_fastopen), in the experimental format (syn_fastopen_exp). */
  synFastopen = false;
  synFastopenExp = false;
  /** The SYN carried data (syn_data), and the SYN-ACK acknowledged it (syn_data_acked). */
  synData = false;
  synDataAcked = false;
  reordering = 3;
  reordSeen = 0;
  tlpHighSeq = 0;
  tlpRetrans = false;
  frto = false;
  prrDelivered = 0;
  prrOut = 0;
  priorInFlightPrr = 0;
  // RTT (RFC 6298 in µs, srtt << 3 and mdev << 2 as Linux)
  srttUs = 0;
  mdevUs = 0;
  mdevMaxUs = 0;
  rttvarUs = 0;
  rttSeq = 0;
  minRtt = new MinMax();
  minRttUs = 0;
  tcpMstamp = 0;
  /** tp->tcp_wstamp_ns in µs: the last transmit (TSO deferral looks at it). */
  tcpWstampUs = 0;
  rcvRttUs = 0;
  rcvRttSeq = 0;
  rcvRttTime = 0;
  rcvqSpace = 0;
  rcvqSpaceSeq = 0;
  rcvqSpaceTime = 0;
  rack = new TcpRack();
  /** The rate sample of the ACK being processed (on tcp_ack's stack in Linux); null between ACKs. */
  rs: RateSample | null = null;
  // delivery accounting (tcp_rate.c)
  delivered = 0;
  deliveredCe = 0;
  lost = 0;
  appLimited = 0;
  firstTxMstamp = 0;
  deliveredMstamp = 0;
  rateDelivered = 0;
  rateIntervalUs = 0;
  rateAppLimited = false;
  // counters (tcp_info)
  bytesAcked = 0;
  bytesReceived = 0;
  bytesSent = 0;
  bytesRetrans = 0;
  segsIn = 0;
  segsOut = 0;
  dataSegsIn = 0;
  dataSegsOut = 0;
  dsackDups = 0;
  // receive side
  ooo = new OfoQueue();
  /** RFC 5961 challenge ACK and out-of-window rate limits (jiffies). */
  lastOowAckTime = 0;
  // socket options
  linger2 = 0;
  keepaliveTime = 0;
  keepaliveIntvl = 0;
  keepaliveProbes = 0;
  userMss = 0;
  notsentLowat = 0;
  /** TCP_INQ: recvmsg reports the bytes left to read in a TCP_CM_INQ cmsg. */
  recvmsgInq = false;
  synRetriesOpt = 0;
  deferAccept = 0;
  windowClampOpt = 0;
  /** sk_tsq_flags: TSQ_THROTTLED / TSQ_QUEUED for TCP Small Queues. */
  tsqFlags = 0;
  /** tp->ecn_flags: TCP_ECN_OK, QUEUE_CWR, DEMAND_CWR, SEEN (tcp_ecn.ts). */
  ecnFlags = 0;
  /** Jiffies at which the last ACK was received (tcpi_last_ack_recv). */
  lastAckRecv = 0;
  /** Set when the socket layer released the file (close called). */
  closed = false;
  /** Invoked once the sock is freed (inet_csk_destroy_sock), for the owner's bookkeeping. */
  onDestroy: ((sk: TcpSock) => void) | null = null;

  constructor(net: Net, prot: Proto, afOps: InetConnectionSockAfOps) {
    super(net, prot);
    this.skType = SOCK_STREAM;
    this.skProtocol = IPPROTO_TCP;
    this.skState = TCP_CLOSE;
    this.icskAfOps = afOps;
  }

  get jiffies(): number {
    return Math.floor(this.skNet.clock.now());
  }

  /**
   * tcp_is_cwnd_limited, what the congestion modules ask: the latched flag, or in slow start
   * cwnd below twice the most packets out in this round, so an application-limited sender
   * still doubles (RFC 7661 §4.3 in spirit).
   */
  get isCwndLimited(): boolean {
    if (this.cwndLimited) return true;
    if (this.sndCwnd < this.sndSsthresh) return this.sndCwnd < 2 * this.maxPacketsOut;
    return false;
  }
}

/** struct tcp_request_sock: a half-open connection of a listener (TCP_NEW_SYN_RECV). */
export class TcpRequestSock {
  skState = TCP_NEW_SYN_RECV;
  skNet: Net;
  rskListener: TcpSock;
  hashNext: EhashEntry | null = null;
  hashed = false;
  inetRcvSaddr = 0;
  inetDaddr = 0;
  inetNum = 0;
  inetDport = 0;
  sndIsn = 0;
  rcvIsn = 0;
  /** MSS the peer announced (clamped by TCP_MAXSEG). */
  mss = 0;
  wscaleOk = false;
  sndWscale = 0;
  rcvWscale = 0;
  sackOk = false;
  /** inet_rsk(req)->ecn_ok: the SYN asked for ECN and we agree (RFC 3168 §6.1.1). */
  ecnOk = false;
  tstampOk = false;
  tsRecent = 0;
  tsOff = 0;
  rcvWnd = 0;
  windowClamp = 0;
  numRetrans = 0;
  numTimeout = 0;
  /** Jiffies the SYN was received, for the first RTT sample. */
  synTime = 0;
  /** snt_synack in µs. */
  sntSynack = 0;
  /** TCP_DEFER_ACCEPT: the bare ACK of the handshake was seen and ignored. */
  acked = false;
  timer: TimerList;
  tos = 0;
  /** TSval that encodes the options of a syncookie SYN-ACK, or 0. */
  cookieTs = 0;

  constructor(listener: TcpSock) {
    this.skNet = listener.skNet;
    this.rskListener = listener;
    this.timer = new SockTimer(tcpReqskTimerFn, this);
  }
}

/** struct tcp_timewait_sock: what is left of a connection in TIME_WAIT or an orphaned FIN_WAIT2. */
export class TcpTimewaitSock {
  skState = TCP_TIME_WAIT;
  /** TCP_TIME_WAIT or TCP_FIN_WAIT2 (tw_substate). */
  substate = TCP_TIME_WAIT;
  skNet: Net;
  hashNext: EhashEntry | null = null;
  hashed = false;
  inetRcvSaddr = 0;
  inetDaddr = 0;
  inetNum = 0;
  inetDport = 0;
  skReuse = 0;
  skBoundDevIf = 0;
  rcvNxt = 0;
  sndNxt = 0;
  rcvWnd = 0;
  rcvWscale = 0;
  tsRecent = 0;
  tsRecentStamp = 0;
  tsOffset = 0;
  tstampOk = false;
  tb: InetBindBucket | null = null;
  /** tw_bind_node: the links of tb's owner list (inetBindAdd). */
  bindNext: TcpSock | TcpTimewaitSock | null = null;
  bindPrev: TcpSock | TcpTimewaitSock | null = null;
  timer: TimerList;
  /** Jiffies when the timer was armed, and the TIME_WAIT length used. */
  timeout = 0;
  kill = false;

  constructor(net: Net) {
    this.skNet = net;
    this.timer = new SockTimer(tcpTwTimerFn, this);
  }
}

export type EhashEntry = TcpSock | TcpRequestSock | TcpTimewaitSock;
