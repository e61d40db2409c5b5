// include/net/tcp.h constants (times in jiffies at HZ = 1000, i.e. milliseconds).
export const TCP_RTO_MAX = 120_000;
export const TCP_RTO_MIN = 200;
/** RFC 6298 §2.1: initial RTO of one second. */
export const TCP_TIMEOUT_INIT = 1000;
/** RFC 6298 §5.7: after a SYN timeout the data RTO restarts from 3 s. */
export const TCP_TIMEOUT_FALLBACK = 3000;
export const TCP_TIMEWAIT_LEN = 60_000;
export const TCP_FIN_TIMEOUT = TCP_TIMEWAIT_LEN;
export const TCP_DELACK_MAX = 200;
export const TCP_DELACK_MIN = 40;
export const TCP_ATO_MIN = 40;
export const TCP_RESOURCE_PROBE_INTERVAL = 500;
export const TCP_KEEPALIVE_TIME = 7200_000;
export const TCP_KEEPALIVE_PROBES = 9;
export const TCP_KEEPALIVE_INTVL = 75_000;
export const MAX_TCP_KEEPIDLE = 32767, MAX_TCP_KEEPINTVL = 32767, MAX_TCP_KEEPCNT = 127;
export const MAX_TCP_SYNCNT = 127;
export const TCP_SYN_RETRIES = 6;
export const TCP_SYNACK_RETRIES = 5;
export const TCP_RETR1 = 3;
export const TCP_RETR2 = 15;
export const TCP_ORPHAN_RETRIES = 0;
/** RFC 6928 initial window. */
export const TCP_INIT_CWND = 10;
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;
export const TCP_MSS_DEFAULT = 536;
export const TCP_BASE_MSS = 1024;
export const TCP_MIN_MSS = 88;
export const TCP_MIN_SND_MSS = 48;
export const TCP_MAX_WINDOW = 65535;
export const MAX_TCP_WINDOW = 32767;
export const TCP_MAX_QUICKACKS = 16;
export const TCP_PROBE0_MAX = TCP_RTO_MAX;
/** tcp_invalid_ratelimit default (HZ / 2). */
export const TCP_INVALID_RATELIMIT = 500;
export const TCP_PAWS_24DAYS = 60 * 60 * 24 * 24;
export const TCP_PAWS_MSL = 60;
export const TCP_PAWS_WINDOW = 1;
export const TCP_TS_HZ = 1000;
export const TCP_RACK_RECOVERY_THRESH = 16;
/** tcp_recovery bits */
export const TCP_RACK_LOSS_DETECTION = 0x1, TCP_RACK_STATIC_REO_WND = 0x2, TCP_RACK_NO_DUPTHRESH = 0x4;
// tp->nonagle
export const TCP_NAGLE_OFF = 1, TCP_NAGLE_CORK = 2, TCP_NAGLE_PUSH = 4;
// TCP_SKB_CB(skb)->sacked
export const TCPCB_SACKED_ACKED = 0x01, TCPCB_SACKED_RETRANS = 0x02, TCPCB_LOST = 0x04,
  TCPCB_TAGBITS = 0x07, TCPCB_REPAIRED = 0x10, TCPCB_EVER_RETRANS = 0x80;
/** TCP_SKB_CB(skb)->eor (MSG_EOR), kept in cb.tcpFlags above the 8 header bits. */
export const TCPCB_EOR = 0x1000;
// FLAG_* of tcp_ack
export const FLAG_DATA = 0x01, FLAG_WIN_UPDATE = 0x02, FLAG_DATA_ACKED = 0x04, FLAG_RETRANS_DATA_ACKED = 0x08,
  FLAG_SYN_ACKED = 0x10, FLAG_DATA_SACKED = 0x20, FLAG_ECE = 0x40, FLAG_LOST_RETRANS = 0x80,
  FLAG_SLOWPATH = 0x100, FLAG_ORIG_SACK_ACKED = 0x200, FLAG_SND_UNA_ADVANCED = 0x400,
  FLAG_DSACKING_ACK = 0x800, FLAG_SET_XMIT_TIMER = 0x1000, FLAG_SACK_RENEGING = 0x2000,
  FLAG_UPDATE_TS_RECENT = 0x4000, FLAG_NO_CHALLENGE_ACK = 0x8000, FLAG_ACK_MAYBE_DELAYED = 0x10000,
  FLAG_DSACK_TLP = 0x20000;
export const FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
export const FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;
export const FLAG_CA_ALERT = FLAG_DATA_SACKED | FLAG_ECE | FLAG_DSACKING_ACK;
export const FLAG_FORWARD_PROGRESS = FLAG_ACKED | FLAG_DATA_SACKED;
/** ACK events for ca inAckEvent */
export const CA_ACK_SLOWPATH = 1, CA_ACK_WIN_UPDATE = 2, CA_ACK_ECE = 4;
/** Reduction reasons (tcp_enter_recovery / tcp_init_cwnd_reduction) */
export const TCP_MAX_REORDERING = 300;
/** Syncookie MSS table (net/ipv4/syncookies.c msstab). */
export const MSSTAB = [536, 1300, 1440, 1460] as const;
