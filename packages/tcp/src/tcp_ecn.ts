// Classic ECN for TCP (RFC 3168), as Linux's tcp_ecn_* helpers in tcp_input.c/tcp_output.c:
// negotiation on the handshake, ECT(0) on new data, ECE echoed until the peer's CWR, and CWR
// sent once when our cwnd is reduced. Congestion modules that need ECN (DCTCP) are not modelled.
import type { SkBuff } from '@knet/include';
import { TCPHDR_CWR, TCPHDR_ECE, TCPHDR_SYN } from '@knet/include';
import { before } from './tcp_seq.js';
import { tcpNet } from './tcp_net.js';
import type { TcpRequestSock, TcpSock } from './tcp_sock.js';

// include/net/inet_ecn.h
export const INET_ECN_NOT_ECT = 0, INET_ECN_ECT_1 = 1, INET_ECN_ECT_0 = 2, INET_ECN_CE = 3, INET_ECN_MASK = 3;
// tp->ecn_flags
export const TCP_ECN_OK = 1, TCP_ECN_QUEUE_CWR = 2, TCP_ECN_DEMAND_CWR = 4, TCP_ECN_SEEN = 8;

/** The received segment's IP DS field (TCP_SKB_CB(skb)->ip_dsfield), read from its IPv4 header. */
export function tcpSkbDsfield(skb: SkBuff): number {
  const nh = skb.networkHeader;
  return nh >= 0 && nh + 1 < skb.head.length ? skb.head[nh + 1]! : 0;
}

/** INET_ECN_xmit: the socket's packets carry ECT(0) (RFC 3168 §6.1.1: ECT(0) is the one to use). */
function inetEcnXmit(sk: TcpSock): void {
  sk.tos = (sk.tos & ~INET_ECN_MASK) | INET_ECN_ECT_0;
}

function inetEcnDontxmit(sk: TcpSock): void {
  sk.tos &= ~INET_ECN_MASK;
}

/** tcp_ecn_send_syn: an ECN-setup SYN (SYN|ECE|CWR, RFC 3168 §6.1.1) when tcp_ecn is 1. */
export function tcpEcnSendSyn(sk: TcpSock, skb: SkBuff): void {
  sk.ecnFlags = 0;
  if (tcpNet(sk.skNet).sysctl.tcp_ecn === 1) {
    skb.cb.tcpFlags |= TCPHDR_ECE | TCPHDR_CWR;
    sk.ecnFlags = TCP_ECN_OK;
  }
}

/** tcp_ecn_clear_syn: a retransmitted ECN-setup SYN goes without ECN (RFC 3168 §6.1.1.1). */
export function tcpEcnClearSyn(sk: TcpSock, skb: SkBuff): void {
  if ((skb.cb.tcpFlags & (TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR)) !== (TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR)) return;
  if (tcpNet(sk.skNet).sysctl.tcp_ecn_fallback) skb.cb.tcpFlags &= ~(TCPHDR_ECE | TCPHDR_CWR);
}

/** tcp_ecn_rcv_synack: only an ECN-setup SYN-ACK (ECE without CWR) keeps ECN on. */
export function tcpEcnRcvSynack(sk: TcpSock, flags: number): void {
  if ((sk.ecnFlags & TCP_ECN_OK) && (!(flags & TCPHDR_ECE) || (flags & TCPHDR_CWR))) sk.ecnFlags &= ~TCP_ECN_OK;
}

/** tcp_ecn_rcv_syn: a simultaneous open keeps ECN only if the peer's SYN asked for it too. */
export function tcpEcnRcvSyn(sk: TcpSock, flags: number): void {
  if ((sk.ecnFlags & TCP_ECN_OK) && (!(flags & TCPHDR_ECE) || !(flags & TCPHDR_CWR))) sk.ecnFlags &= ~TCP_ECN_OK;
}

/** tcp_ecn_send_synack: our SYN-ACK of a simultaneous open carries ECE only if ECN is on. */
export function tcpEcnSendSynack(sk: TcpSock, skb: SkBuff): void {
  skb.cb.tcpFlags &= ~TCPHDR_CWR;
  if (!(sk.ecnFlags & TCP_ECN_OK)) skb.cb.tcpFlags &= ~TCPHDR_ECE;
}

/**
 * tcp_ecn_create_request: a listener agrees to ECN for an ECN-setup SYN when tcp_ecn is 1 or
 * 2, unless the SYN itself is ECT-marked, which RFC 3168 §6.1.1 forbids (a broken middlebox).
 */
export function tcpEcnCreateRequest(req: TcpRequestSock, skb: SkBuff, flags: number): void {
  if ((flags & (TCPHDR_ECE | TCPHDR_CWR)) !== (TCPHDR_ECE | TCPHDR_CWR)) return;
  const ect = (tcpSkbDsfield(skb) & INET_ECN_MASK) !== INET_ECN_NOT_ECT;
  if (!ect && tcpNet(req.skNet).sysctl.tcp_ecn !== 0) req.ecnOk = true;
}

/** tcp_ecn_make_synack: the SYN-ACK's ECE says yes (RFC 3168 §6.1.1). */
export function tcpEcnMakeSynack(req: TcpRequestSock): number {
  return req.ecnOk ? TCPHDR_ECE : 0;
}

/** tcp_ecn_openreq_child */
export function tcpEcnOpenreqChild(sk: TcpSock, req: TcpRequestSock): void {
  sk.ecnFlags = req.ecnOk ? TCP_ECN_OK : 0;
}

/**
 * tcp_ecn_send: the flags of a non-SYN segment. New data is ECT(0) and carries a queued CWR;
 * retransmissions and pure ACKs are Not-ECT (RFC 3168 §6.1.5, §6.1.4); ECE is echoed while the
 * peer owes us a CWR (§6.1.3).
 */
export function tcpEcnSend(sk: TcpSock, skb: SkBuff, flags: number, hdrLen: number): number {
  const ef = sk.ecnFlags;
  if (!(ef & TCP_ECN_OK)) return flags;
  if (skb.len !== hdrLen && !before(skb.cb.seq, sk.sndNxt)) {
    inetEcnXmit(sk);
    if (ef & TCP_ECN_QUEUE_CWR) {
      sk.ecnFlags = ef & ~TCP_ECN_QUEUE_CWR;
      flags |= TCPHDR_CWR;
    }
  } else inetEcnDontxmit(sk);
  if (ef & TCP_ECN_DEMAND_CWR) flags |= TCPHDR_ECE;
  return flags;
}

/** tcp_ecn_queue_cwr: cwnd was reduced; tell the peer with CWR on the next new data. */
export function tcpEcnQueueCwr(sk: TcpSock): void {
  if (sk.ecnFlags & TCP_ECN_OK) sk.ecnFlags |= TCP_ECN_QUEUE_CWR;
}

/** tcp_ecn_withdraw_cwr: the reduction was undone. */
export function tcpEcnWithdrawCwr(sk: TcpSock): void {
  sk.ecnFlags &= ~TCP_ECN_QUEUE_CWR;
}

/** tcp_ecn_rcv_ecn_echo: an ECE on a non-SYN segment of an ECN connection (RFC 3168 §6.1.2). */
export function tcpEcnRcvEcnEcho(sk: TcpSock, flags: number): boolean {
  return (flags & (TCPHDR_ECE | TCPHDR_SYN)) === TCPHDR_ECE && (sk.ecnFlags & TCP_ECN_OK) !== 0;
}

/**
 * tcp_ecn_accept_cwr: the peer reduced its cwnd, so stop echoing ECE. Its cwnd may now be one
 * packet, so data carrying CWR is ACKed at once.
 */
export function tcpEcnAcceptCwr(sk: TcpSock, skb: SkBuff): boolean {
  if (!(skb.cb.tcpFlags & TCPHDR_CWR)) return false;
  sk.ecnFlags &= ~TCP_ECN_DEMAND_CWR;
  return skb.cb.seq !== skb.cb.endSeq;
}

export const ECN_CE_NONE = 0, ECN_CE_QUICKACK = 1;

/**
 * __tcp_ecn_check_ce: a CE mark makes us echo ECE until CWR arrives (RFC 3168 §6.1.3). Returns
 * ECN_CE_QUICKACK when delayed ACKs should stop (a new CE, or a Not-ECT segment after ECT ones,
 * which is probably a retransmission).
 */
export function tcpEcnCheckCe(sk: TcpSock, skb: SkBuff): number {
  const ef = sk.ecnFlags;
  if (!(ef & TCP_ECN_OK)) return ECN_CE_NONE;
  switch (tcpSkbDsfield(skb) & INET_ECN_MASK) {
    case INET_ECN_NOT_ECT:
      return ef & TCP_ECN_SEEN ? ECN_CE_QUICKACK : ECN_CE_NONE;
    case INET_ECN_CE:
      sk.ecnFlags = ef | TCP_ECN_SEEN | TCP_ECN_DEMAND_CWR;
      return ef & TCP_ECN_DEMAND_CWR ? ECN_CE_NONE : ECN_CE_QUICKACK;
    default:
      sk.ecnFlags = ef | TCP_ECN_SEEN;
      return ECN_CE_NONE;
  }
}
