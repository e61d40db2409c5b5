// net/ipv4/tcp_ipv4.c: tcp_v4_rcv and the IPv4 specifics (connect, connection requests,
// sockless RST/ACK replies, ICMP errors), plus tcp_prot, the net_protocol and tcpInit.
import type { DstEntry, InetConnectionSockAfOps, Net, NetProtocol, Proto, SkBuff, Sock, SockaddrIn, Msghdr, SockoptVal } from '@knet/include';
import {
  TCPHDR_ACK, TCPHDR_FIN, TCPHDR_RST, TCPHDR_SYN, TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_LISTEN,
  TCP_CLOSE, TCP_TIME_WAIT, TCP_NEW_SYN_RECV, CHECKSUM_UNNECESSARY, CHECKSUM_COMPLETE, CHECKSUM_PARTIAL, IPPROTO_TCP,
  NET_RX_SUCCESS, NET_RX_DROP, SKB_DROP_REASON, MAX_TCP_HEADER, AF_INET, AF_UNSPEC, INADDR_ANY,
  EINVAL, EAFNOSUPPORT, EISCONN, EALREADY, EINPROGRESS, EADDRINUSE, ENOENT, EPROTO, EHOSTUNREACH, EMSGSIZE,
  ENETUNREACH, ENOPROTOOPT, ECONNREFUSED, EOPNOTSUPP, EHOSTDOWN, EAGAIN, SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK,
  IP_PMTUDISC_DONT, SOCK_DEAD, dstMetricAdvmss, dstMtu,
} from '@knet/include';
import { allocSkb, skbReserve, skbPush, kfreeSkbReason, consumeSkb, csumPartial, csumTcpudpMagic } from '@knet/skbuff';
import { traceEvent, sockCoreSysctlsInit } from '@knet/netdevice';
import {
  tcpHdrChecked, tcpSource, tcpDest, tcpSeq, tcpAckSeq, tcpHdrLen, tcpFlags, tcpWindow,
  tcpSetSource, tcpSetDest, tcpSetSeq, tcpSetAckSeq, tcpSetHdrLen, tcpSetFlags, tcpSetWindow, tcpSetUrgPtr, tcpSetCheck,
} from './tcp_hdr.js';
import { tcpParseOptions, TcpOutOptions, OPTION_TS, tcpOptionsWrite } from './tcp_options.js';
import { after, before, between } from './tcp_seq.js';
import { TCP_TIMEOUT_INIT, TCP_MSS_DEFAULT } from './tcp_defs.js';
import { TcpNet, tcpNet } from './tcp_net.js';
import { TcpSock, TcpRequestSock, TcpTimewaitSock } from './tcp_sock.js';
import {
  inetLookupEstablished, inetLookupListener, inetCskGetPort, inetHashConnect, inetListenHash, inetEhashInsert,
} from './inet_hashtables.js';
import {
  tcpConnect, tcpSyncMss, tcpSendSynack, tcpSelectInitialWindow, tcpFullSpace, tcpV4SendCheck, tcpClockUs,
  tcpMtuToMss, tcpTimeStamp, skSetupCaps, tcpMssClamp,
} from './tcp_output.js';
import { tcpRcvEstablished, tcpRcvStateProcess, tcpDone, tcpDrop } from './tcp_input.js';
import { tcpSimpleRetransmit } from './tcp_mtu_probe.js';
import {
  tcpTimewaitStateProcess, TCP_TW_ACK, TCP_TW_RST, TCP_TW_SYN, TCP_TW_SUCCESS, twIsn, inetTwskKill,
  tcpCheckReq, reqskQueueHashAdd, tcpV4SynRecvSock, reqskQueueAdd, sendResetHook, reqAckHook, reqskQueueDrop,
} from './tcp_minisocks.js';
import {
  tcpInitSock, tcpSendmsg, tcpRecvmsg, tcpClose, tcpShutdown, tcpDisconnect, tcpSetsockopt, tcpGetsockopt,
  tcpPoll, tcpDestroySock, tcpUnhash, tcpSetState, tcpStreamMemoryFree,
} from './tcp.js';
import { secureTcpSeq, secureTcpTsOff } from './secure_seq.js';
import { cookieV4InitSequence, cookieV4Check, cookieInitTimestamp, cookieTimestampDecode } from './tcp_syncookies.js';
import { tcpRegisterCongestionControl, tcpCaFindKey } from './tcp_cong.js';
import { tcpEcnCreateRequest } from './tcp_ecn.js';
import { tcpFastopenDeferConnect } from './tcp_fastopen.js';

const R = SKB_DROP_REASON;
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const optSc = { windowScaling: true, timestamps: true, sack: true };

function netOfSkb(skb: SkBuff): Net | null {
  if (skb.dev !== null) return skb.dev.ndNet;
  if (skb.sk !== null) return skb.sk.skNet;
  return null;
}

/** tcp_v4_send_reset: a RST for a segment that has no (acceptable) sock (RFC 9293 §3.10.7.1). */
export function tcpV4SendReset(sk: TcpSock | null, skb: SkBuff): void {
  const b = skb.head, th = skb.transportHeader;
  const flags = skb.cb.tcpFlags;
  if (flags & TCPHDR_RST) return;
  const net = sk !== null ? sk.skNet : netOfSkb(skb);
  if (net === null) return;
  const tn = net.gen.tcp;
  if (tn === undefined) return;
  const iph = skb.networkHeader;
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  let seq = 0, ack = 0, rf = TCPHDR_RST;
  if (flags & TCPHDR_ACK) seq = skb.cb.ackSeq;
  else {
    rf |= TCPHDR_ACK;
    ack = skb.cb.endSeq;
  }
  const rep = buildReply(tcpDest(b, th), tcpSource(b, th), seq, ack, rf, 0, null, saddr, daddr);
  tn.mib.OutSegs++;
  tn.mib.OutRsts++;
  tn.afOps.sendUnicastReply(net, rep, daddr, saddr, IPPROTO_TCP, 0, 64, sk !== null ? sk.skBoundDevIf : 0);
}

const replyOpts = new TcpOutOptions();

/** A sockless segment with an optional TS option, checksummed for daddr ← saddr reversed. */
function buildReply(sport: number, dport: number, seq: number, ack: number, flags: number, win: number,
  ts: { tsval: number; tsecr: number } | null, peerAddr: number, localAddr: number): SkBuff {
  const hlen = ts !== null ? 32 : 20;
  const skb = allocSkb(MAX_TCP_HEADER + hlen);
  skbReserve(skb, MAX_TCP_HEADER);
  const th = skbPush(skb, hlen);
  skb.transportHeader = th;
  const b = skb.head;
  tcpSetSource(b, th, sport);
  tcpSetDest(b, th, dport);
  tcpSetSeq(b, th, seq);
  tcpSetAckSeq(b, th, ack);
  tcpSetHdrLen(b, th, hlen);
  tcpSetFlags(b, th, flags);
  tcpSetWindow(b, th, win);
  tcpSetUrgPtr(b, th, 0);
  if (ts !== null) {
    replyOpts.clear();
    replyOpts.options = OPTION_TS;
    replyOpts.tsval = ts.tsval;
    replyOpts.tsecr = ts.tsecr;
    tcpOptionsWrite(b, th + 20, replyOpts, null, []);
  }
  tcpSetCheck(b, th, 0);
  tcpSetCheck(b, th, csumTcpudpMagic(localAddr, peerAddr, hlen, IPPROTO_TCP, csumPartial(b, th, hlen, 0)));
  return skb;
}

/** tcp_v4_send_ack: ACKs from TIME_WAIT and request socks. */
function tcpV4SendAck(net: Net, skb: SkBuff, seq: number, ack: number, win: number, tsval: number, tsecr: number, useTs: boolean, oif: number): void {
  const tn = tcpNet(net);
  const b = skb.head, th = skb.transportHeader, iph = skb.networkHeader;
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  const rep = buildReply(tcpDest(b, th), tcpSource(b, th), seq, ack, TCPHDR_ACK, win, useTs ? { tsval, tsecr } : null, saddr, daddr);
  tn.mib.OutSegs++;
  tn.afOps.sendUnicastReply(net, rep, daddr, saddr, IPPROTO_TCP, 0, 64, oif);
}

function tcpV4TimewaitAck(tw: TcpTimewaitSock, skb: SkBuff): void {
  tcpV4SendAck(tw.skNet, skb, tw.sndNxt, tw.rcvNxt, Math.min(tw.rcvWnd >>> tw.rcvWscale, 65535),
    (Math.floor(tw.skNet.clock.now()) + tw.tsOffset) >>> 0, tw.tsRecent, tw.tstampOk, tw.skBoundDevIf);
}

function tcpV4ReqskSendAck(lsk: TcpSock, skb: SkBuff, req: TcpRequestSock): void {
  tcpV4SendAck(lsk.skNet, skb, (req.sndIsn + 1) >>> 0, (req.rcvIsn + 1) >>> 0, Math.min(req.rcvWnd >>> req.rcvWscale, 65535),
    (Math.floor(lsk.skNet.clock.now()) + req.tsOff) >>> 0, req.tsRecent, req.tstampOk, lsk.skBoundDevIf);
}
sendResetHook.fn = tcpV4SendReset;
reqAckHook.fn = tcpV4ReqskSendAck;

/** tcp_openreq_init_rwin: the request's receive window and scale. */
function openreqInitRwin(lsk: TcpSock, req: TcpRequestSock, dst: DstEntry | null): void {
  const advmss = dst !== null ? dstMetricAdvmss(dst) : 1500 - lsk.icskAfOps.netHeaderLen - 20;
  const mss = tcpMssClamp(lsk, advmss) - (req.tstampOk ? 12 : 0);
  const fake = lsk;
  const saved = fake.windowClamp;
  const iw = tcpSelectInitialWindow(fake, tcpFullSpace(fake), mss, lsk.windowClampOpt || 0, req.wscaleOk);
  fake.windowClamp = saved;
  req.rcvWnd = iw.rcvWnd;
  req.windowClamp = iw.windowClamp;
  req.rcvWscale = iw.rcvWscale;
}

/**
 * tcp_conn_request: a SYN for a listener. Queues a request sock and answers SYN-ACK, or
 * answers with a stateless syncookie when the SYN queue is full (tcp_syncookies=1).
 */
function tcpV4ConnRequest(lsk: TcpSock, skb: SkBuff, isn: number): number {
  const tn = tcpNet(lsk.skNet);
  const b = skb.head, th = skb.transportHeader, iph = skb.networkHeader;
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  const syncookies = tn.sysctl.tcp_syncookies;
  let wantCookie = false;
  if (syncookies === 2 || lsk.synQlen >= lsk.skMaxAckBacklog) {
    if (syncookies) {
      wantCookie = true;
      tn.ext.TCPReqQFullDoCookies++;
      lsk.lastSynqOverflow = Math.floor(lsk.skNet.clock.now()) || 1;
    } else {
      tn.ext.TCPReqQFullDrop++;
      tn.ext.ListenDrops++;
      return -1;
    }
  }
  if (lsk.skAckBacklog > lsk.skMaxAckBacklog) {
    tn.ext.ListenOverflows++;
    tn.ext.ListenDrops++;
    return -1;
  }
  const o = tn.tmpOpt;
  o.reset();
  o.userMss = lsk.userMss;
  o.mssClamp = 536;
  optSc.timestamps = tn.sysctl.tcp_timestamps !== 0;
  optSc.sack = tn.sysctl.tcp_sack !== 0;
  optSc.windowScaling = tn.sysctl.tcp_window_scaling !== 0;
  tcpParseOptions(b, th, skb.cb.tcpFlags, o, false, optSc);
  const req = new TcpRequestSock(lsk);
  req.inetRcvSaddr = daddr;
  req.inetDaddr = saddr;
  req.inetNum = tcpDest(b, th);
  req.inetDport = tcpSource(b, th);
  req.rcvIsn = skb.cb.seq;
  req.mss = o.synMss ? (o.userMss && o.userMss < o.synMss ? o.userMss : o.synMss) : TCP_MSS_DEFAULT;
  req.tstampOk = o.sawTstamp;
  req.tsRecent = o.sawTstamp ? o.rcvTsval : 0;
  req.sackOk = o.sackOk;
  req.wscaleOk = o.wscaleOk;
  req.sndWscale = o.sndWscale;
  tcpEcnCreateRequest(req, skb, skb.cb.tcpFlags);
  req.synTime = Math.floor(lsk.skNet.clock.now());
  if (req.tstampOk) req.tsOff = secureTcpTsOff(tn.tsKey, daddr, saddr);
  const fl = { daddr: saddr, saddr: daddr, oif: lsk.skBoundDevIf, tos: 0, proto: IPPROTO_TCP, sport: req.inetNum, dport: req.inetDport, mark: lsk.skMark };
  const dst = lsk.icskAfOps.routeOutput(lsk.skNet, fl);
  if (typeof dst === 'number') {
    tn.ext.ListenDrops++;
    return -1;
  }
  if (!wantCookie && !isn) {
    const max = tn.sysctl.tcp_max_syn_backlog;
    if (!syncookies && max - lsk.synQlen < (max >> 2)) {
      tn.ext.ListenDrops++;
      return -1;
    }
    isn = secureTcpSeq(tn.seqKey, daddr, saddr, req.inetNum, req.inetDport, lsk.skNet.clock.now());
  }
  if (wantCookie) {
    const [cisn, mss] = cookieV4InitSequence(tn, saddr, daddr, req.inetDport, req.inetNum, skb.cb.seq, req.mss, lsk.skNet.clock.now());
    isn = cisn;
    req.mss = mss;
    tn.ext.SyncookiesSent++;
  }
  req.sndIsn = isn;
  openreqInitRwin(lsk, req, dst);
  if (wantCookie) {
    if (req.tstampOk) req.cookieTs = cookieInitTimestamp((Math.floor(lsk.skNet.clock.now()) + req.tsOff) >>> 0, req.wscaleOk, req.sndWscale, req.sackOk, req.ecnOk);
    tcpSendSynack(lsk, req);
    return 0;
  }
  reqskQueueHashAdd(lsk, req, TCP_TIMEOUT_INIT);
  tcpSendSynack(lsk, req);
  return 0;
}

/** cookie_v4_check: the final ACK of a cookie handshake makes the child directly. */
function tcpV4CookieCheck(lsk: TcpSock, skb: SkBuff): TcpSock | null {
  const tn = tcpNet(lsk.skNet);
  const flags = skb.cb.tcpFlags;
  if (!tn.sysctl.tcp_syncookies || !(flags & TCPHDR_ACK) || (flags & (TCPHDR_RST | TCPHDR_SYN))) return null;
  // Cookies are only accepted while a recent overflow makes them plausible (2 minutes).
  const now = Math.floor(lsk.skNet.clock.now());
  if (!lsk.lastSynqOverflow || now - lsk.lastSynqOverflow > 120_000) return null;
  const b = skb.head, th = skb.transportHeader, iph = skb.networkHeader;
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  const sport = tcpSource(b, th), dport = tcpDest(b, th);
  const seq = (skb.cb.seq - 1) >>> 0;
  const cookie = (skb.cb.ackSeq - 1) >>> 0;
  const mss = cookieV4Check(tn, saddr, daddr, sport, dport, seq, cookie, lsk.skNet.clock.now());
  if (!mss) {
    tn.ext.SyncookiesFailed++;
    return null;
  }
  tn.ext.SyncookiesRecv++;
  const o = tn.tmpOpt;
  o.reset();
  o.tstampOk = tn.sysctl.tcp_timestamps !== 0;
  tcpParseOptions(b, th, flags, o, true, optSc);
  const req = new TcpRequestSock(lsk);
  req.inetRcvSaddr = daddr;
  req.inetDaddr = saddr;
  req.inetNum = dport;
  req.inetDport = sport;
  req.rcvIsn = seq;
  req.sndIsn = cookie;
  req.mss = mss;
  if (o.sawTstamp && o.rcvTsecr) {
    const tsoff = secureTcpTsOff(tn.tsKey, daddr, saddr);
    // The option bits sit in the low bits of the TSval we sent, offset included.
    const d = cookieTimestampDecode(o.rcvTsecr);
    req.tstampOk = true;
    req.tsOff = tsoff;
    req.tsRecent = o.rcvTsval;
    req.sackOk = d.sackOk && tn.sysctl.tcp_sack !== 0;
    req.wscaleOk = d.wscaleOk && tn.sysctl.tcp_window_scaling !== 0;
    req.sndWscale = d.sndWscale;
    // cookie_ecn_ok: the ECN bit of the cookie TSval, honoured while tcp_ecn allows ECN.
    req.ecnOk = d.ecnOk && tn.sysctl.tcp_ecn !== 0;
  }
  const fl = { daddr: saddr, saddr: daddr, oif: lsk.skBoundDevIf, tos: 0, proto: IPPROTO_TCP, sport: dport, dport: sport, mark: lsk.skMark };
  const dst = lsk.icskAfOps.routeOutput(lsk.skNet, fl);
  openreqInitRwin(lsk, req, typeof dst === 'number' ? null : dst);
  const child = tcpV4SynRecvSock(lsk, skb, req);
  if (child === null) return null;
  reqskQueueAdd(lsk, child);
  return child;
}

/** tcp_child_process: feed the completing ACK to the new child and wake the listener. */
function tcpChildProcess(parent: TcpSock, child: TcpSock, skb: SkBuff): number {
  const state = child.skState;
  const ret = tcpRcvStateProcess(child, skb);
  if (ret) {
    tcpV4SendReset(child, skb);
    kfreeSkbReason(skb, R.TCP_FLAGS);
  }
  if (state === TCP_SYN_RECV && child.skState !== state) parent.skDataReady(parent);
  return 0;
}

/** tcp_v4_do_rcv */
export function tcpV4DoRcv(sk: TcpSock, skb: SkBuff): number {
  const net = sk.skNet;
  if (net.trace !== null) traceEvent(net, 'tcpV4DoRcv');
  if (sk.skState === TCP_ESTABLISHED) {
    tcpRcvEstablished(sk, skb);
    return 0;
  }
  if (sk.skState === TCP_LISTEN) {
    const flags = skb.cb.tcpFlags;
    if (!(flags & TCPHDR_SYN)) {
      const nsk = tcpV4CookieCheck(sk, skb);
      if (nsk !== null) return tcpChildProcess(sk, nsk, skb);
    } else if (!(flags & (TCPHDR_ACK | TCPHDR_RST))) {
      if (flags & TCPHDR_FIN) {
        tcpDrop(sk, skb, R.TCP_FLAGS);
        return 0;
      }
      const r = tcpV4ConnRequest(sk, skb, pendingTwIsn);
      pendingTwIsn = 0;
      if (r < 0) {
        tcpDrop(sk, skb, R.TCP_FLAGS);
        return 0;
      }
      consumeSkb(skb);
      return 0;
    }
    if (flags & TCPHDR_RST) {
      tcpDrop(sk, skb, R.TCP_RESET);
      return 0;
    }
  }
  if (tcpRcvStateProcess(sk, skb)) {
    tcpV4SendReset(sk, skb);
    tcpDrop(sk, skb, R.TCP_FLAGS);
  }
  return 0;
}
let pendingTwIsn = 0;

/** tcp_v4_rcv: the NetProtocol handler. skb.data is at the TCP header. */
export function tcpV4Rcv(skb: SkBuff): number {
  const net = netOfSkb(skb);
  if (net === null || net.gen.tcp === undefined) {
    kfreeSkbReason(skb, R.NOT_SPECIFIED);
    return NET_RX_DROP;
  }
  if (net.trace !== null) traceEvent(net, 'tcpV4Rcv');
  const tn = net.gen.tcp;
  tn.mib.InSegs++;
  const b = skb.head, th = skb.data;
  const len = skb.len;
  if (skb.dataLen !== 0 || !tcpHdrChecked(b, th, len)) {
    tn.mib.InErrs++;
    kfreeSkbReason(skb, R.PKT_TOO_SMALL);
    return NET_RX_DROP;
  }
  const iph = skb.networkHeader;
  if (iph < 0 || iph + 20 > th) {
    tn.mib.InErrs++;
    kfreeSkbReason(skb, R.PKT_TOO_SMALL);
    return NET_RX_DROP;
  }
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  // RFC 9293 §3.1: the checksum covers the pseudo-header. skb_csum_unnecessary: a
  // CHECKSUM_PARTIAL skb never left the host (loopback, veth), its sum is still to be filled.
  if (skb.ipSummed !== CHECKSUM_UNNECESSARY && skb.ipSummed !== CHECKSUM_PARTIAL) {
    const sum = skb.ipSummed === CHECKSUM_COMPLETE ? skb.csum : csumPartial(b, th, len, 0);
    if (csumTcpudpMagic(saddr, daddr, len, IPPROTO_TCP, sum) !== 0) {
      tn.mib.InCsumErrors++;
      tn.mib.InErrs++;
      kfreeSkbReason(skb, R.TCP_CSUM);
      return NET_RX_DROP;
    }
    skb.ipSummed = CHECKSUM_UNNECESSARY;
  }
  skb.transportHeader = th;
  const flags = tcpFlags(b, th);
  const doff = tcpHdrLen(b, th);
  const cb = skb.cb;
  cb.seq = tcpSeq(b, th);
  cb.endSeq = (cb.seq + ((flags & TCPHDR_SYN) ? 1 : 0) + ((flags & TCPHDR_FIN) ? 1 : 0) + len - doff) >>> 0;
  cb.ackSeq = tcpAckSeq(b, th);
  cb.tcpFlags = flags;
  cb.sacked = 0;
  cb.whenUs = 0;
  const sport = tcpSource(b, th), dport = tcpDest(b, th);
  let e = inetLookupEstablished(tn, saddr, sport, daddr, dport);
  for (;;) {
    if (e === null) {
      const l = inetLookupListener(tn, daddr, dport, skb.dev !== null ? skb.dev.ifindex : 0);
      if (l === null) {
        tcpV4SendReset(null, skb);
        kfreeSkbReason(skb, R.NO_SOCKET);
        return NET_RX_DROP;
      }
      e = l;
    }
    if (e instanceof TcpTimewaitSock) {
      const r = tcpTimewaitStateProcess(e, skb);
      if (r === TCP_TW_SYN) {
        const l = inetLookupListener(tn, daddr, dport, skb.dev !== null ? skb.dev.ifindex : 0);
        if (l !== null) {
          inetTwskKill(e);
          pendingTwIsn = twIsn.isn;
          e = l;
          continue;
        }
        tcpV4TimewaitAck(e, skb);
      } else if (r === TCP_TW_ACK) tcpV4TimewaitAck(e, skb);
      else if (r === TCP_TW_RST) {
        tcpV4SendReset(null, skb);
        inetTwskKill(e);
      }
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    }
    if (e instanceof TcpRequestSock) {
      const lsk = e.rskListener;
      if (lsk.skState !== TCP_LISTEN) {
        // The listener went away: forget the request and retry the lookup.
        reqskQueueDrop(lsk, e);
        e = null;
        continue;
      }
      const nsk = tcpCheckReq(lsk, skb, e);
      if (nsk === null) {
        consumeSkb(skb);
        return NET_RX_SUCCESS;
      }
      if (nsk === lsk) {
        tcpV4SendReset(lsk, skb);
        kfreeSkbReason(skb, R.TCP_INVALID_ACK_SEQUENCE);
        return NET_RX_SUCCESS;
      }
      tcpSegsIn(nsk, skb, len, doff);
      tcpChildProcess(lsk, nsk, skb);
      return NET_RX_SUCCESS;
    }
    break;
  }
  const sk = e as TcpSock;
  tcpSegsIn(sk, skb, len, doff);
  skb.dev = skb.dev;
  tcpV4DoRcv(sk, skb);
  return NET_RX_SUCCESS;
}

function tcpSegsIn(sk: TcpSock, skb: SkBuff, len: number, doff: number): void {
  const segs = skb.shinfo.gsoSegs || 1;
  sk.segsIn += segs;
  if (len > doff) sk.dataSegsIn += segs;
}


// ICMP (RFC 1122 4.2.3.9, RFC 5927, RFC 1191)
const ICMP_DEST_UNREACH = 3, ICMP_SOURCE_QUENCH = 4, ICMP_REDIRECT = 5, ICMP_TIME_EXCEEDED = 11, ICMP_PARAMETERPROB = 12;
const ICMP_FRAG_NEEDED = 4, ICMP_NET_UNREACH = 0, ICMP_HOST_UNREACH = 1;
/** icmp_err_convert: errno and whether the error is fatal (hard). */
const ICMP_ERR: [number, boolean][] = [
  [ENETUNREACH, false], [EHOSTUNREACH, false], [ENOPROTOOPT, true], [ECONNREFUSED, true], [EMSGSIZE, false],
  [EOPNOTSUPP, false], [ENETUNREACH, true], [EHOSTDOWN, true], [64, true], [ENETUNREACH, true], [EHOSTUNREACH, true],
  [ENETUNREACH, false], [EHOSTUNREACH, false], [EHOSTUNREACH, true], [EHOSTUNREACH, true], [EHOSTUNREACH, true],
];

/**
 * tcp_v4_err: an ICMP error quoting one of our segments. skb.data is at the quoted IP header,
 * skb.transportHeader at the ICMP header; `info` is the next-hop MTU for frag-needed.
 */
export function tcpV4Err(skb: SkBuff, info: number): number {
  const net = netOfSkb(skb);
  if (net === null || net.gen.tcp === undefined) return -ENOENT;
  const tn = net.gen.tcp;
  const b = skb.head;
  const iph = skb.data;
  if (skb.tail - iph < 20) return -EINVAL;
  const ihl = (b[iph] & 0xf) * 4;
  const th = iph + ihl;
  if (skb.tail - th < 8) return -EINVAL;
  const type = b[skb.transportHeader], code = b[skb.transportHeader + 1];
  const saddr = u32(b, iph + 12), daddr = u32(b, iph + 16);
  const sport = tcpSource(b, th), dport = tcpDest(b, th);
  const seq = tcpSeq(b, th);
  const e = inetLookupEstablished(tn, daddr, dport, saddr, sport);
  if (e === null) return -ENOENT;
  if (e instanceof TcpTimewaitSock) return 0;
  if (e instanceof TcpRequestSock) {
    // tcp_req_err: a hard error about our SYN-ACK drops the request.
    if (seq !== e.sndIsn) tn.ext.OutOfWindowIcmps++;
    else if (type === ICMP_DEST_UNREACH && code < ICMP_ERR.length && ICMP_ERR[code][1]) reqskQueueDrop(e.rskListener, e);
    return 0;
  }
  const sk = e;
  if (sk.skState === TCP_CLOSE) return 0;
  if (sk.skState !== TCP_LISTEN && !between(seq, sk.sndUna, sk.sndNxt)) {
    tn.ext.OutOfWindowIcmps++;
    return 0;
  }
  let err: number;
  switch (type) {
    case ICMP_REDIRECT:
    case ICMP_SOURCE_QUENCH:
      return 0;
    case ICMP_PARAMETERPROB:
      err = EPROTO;
      break;
    case ICMP_DEST_UNREACH:
      if (code > 15) return 0;
      if (code === ICMP_FRAG_NEEDED) {
        if (sk.skState === TCP_LISTEN) return 0;
        tcpV4MtuReduced(sk, info);
        return 0;
      }
      err = ICMP_ERR[code][0];
      // RFC 6069: an unreachable for a retransmission undoes one RTO backoff.
      if ((code === ICMP_NET_UNREACH || code === ICMP_HOST_UNREACH) && seq === sk.sndUna && sk.icskBackoff && sk.icskRetransmits) {
        sk.icskBackoff--;
        sk.icskRto = Math.max(200, sk.icskRto >> 1);
      }
      break;
    case ICMP_TIME_EXCEEDED:
      err = EHOSTUNREACH;
      break;
    default:
      return 0;
  }
  if (sk.skState === TCP_SYN_SENT || sk.skState === TCP_SYN_RECV) {
    // Linux queues this one whether or not IP_RECVERR is set.
    const icmpError = tn.afOps.icmpError;
    if (icmpError !== undefined) icmpError(sk, skb, err, dport, info, th);
    sk.skErr = err;
    sk.skErrorReport(sk);
    tcpDone(sk);
    return 0;
  }
  // Established: only a soft error unless IP_RECVERR (RFC 1122 4.2.3.9).
  if (sk.recverr) {
    sk.skErr = err;
    sk.skErrorReport(sk);
  } else sk.skErrSoft = err;
  return 0;
}

/** tcp_v4_mtu_reduced: PMTU dropped (RFC 1191): shrink the MSS and resend what was too big. */
export function tcpV4MtuReduced(sk: TcpSock, mtu: number): void {
  if (sk.skState === TCP_LISTEN || sk.skState === TCP_CLOSE) return;
  const dst = sk.skDst;
  if (dst !== null) {
    if (mtu >= 68 && mtu < dstMtu(dst)) dst.pmtu = Math.max(mtu, 552);
  }
  if (sk.icskAfOps.mtuReduced) sk.icskAfOps.mtuReduced(sk);
  const newMtu = dst !== null ? dstMtu(dst) : mtu;
  if (mtu < newMtu) sk.skErrSoft = EMSGSIZE;
  if (sk.pmtudisc !== IP_PMTUDISC_DONT && sk.icskPmtuCookie > newMtu) {
    tcpSyncMss(sk, newMtu);
    tcpSimpleRetransmit(sk);
  }
}

/** tcp_v4_connect: route, pick source address and port, ISN (RFC 6528), send SYN. */
export function tcpV4Connect(sk: TcpSock, addr: SockaddrIn): number {
  const tn = tcpNet(sk.skNet);
  if (addr.family !== AF_INET) return -EAFNOSUPPORT;
  if (sk.skState === TCP_SYN_SENT || sk.skState === TCP_SYN_RECV) return -EALREADY;
  if (sk.skState !== TCP_CLOSE) return -EISCONN;
  const fl = { daddr: addr.addr, saddr: sk.inetSaddr, oif: sk.skBoundDevIf, tos: sk.tos, proto: IPPROTO_TCP, sport: sk.inetSport, dport: addr.port, mark: sk.skMark };
  const dst = sk.icskAfOps.routeOutput(sk.skNet, fl);
  if (typeof dst === 'number') return dst;
  if (!sk.inetSaddr) sk.inetSaddr = fl.saddr;
  if (!sk.inetRcvSaddr) sk.inetRcvSaddr = sk.inetSaddr;
  sk.inetDport = addr.port;
  sk.inetDaddr = addr.addr;
  skSetupCaps(sk, dst);
  sk.icskExtHdrLen = 0;
  sk.rxOpt.mssClamp = 536;
  tcpSetState(sk, TCP_SYN_SENT);
  const err = inetHashConnect(sk, inetTwskKill);
  if (err) {
    tcpSetState(sk, TCP_CLOSE);
    sk.inetDport = 0;
    sk.skDst = null;
    return err;
  }
  if (!sk.writeSeq) sk.writeSeq = secureTcpSeq(tn.seqKey, sk.inetSaddr, sk.inetDaddr, sk.inetSport, sk.inetDport, sk.skNet.clock.now());
  sk.tsOffset = tn.sysctl.tcp_timestamps === 1 ? secureTcpTsOff(tn.tsKey, sk.inetSaddr, sk.inetDaddr) : 0;
  sk.inetId = Math.floor(sk.skNet.clock.random() * 65536);
  // TCP_FASTOPEN_CONNECT with a cookie cached: no SYN until the first write (RFC 7413 §3).
  if (tcpFastopenDeferConnect(sk)) return 0;
  const r = tcpConnect(sk);
  if (r) {
    tcpSetState(sk, TCP_CLOSE);
    return r;
  }
  return -EINPROGRESS;
}

/** inet_csk_accept: the next established child, or -EAGAIN. */
export function inetCskAccept(sk: TcpSock, _flags: number): TcpSock | number {
  if (sk.skState !== TCP_LISTEN) return -EINVAL;
  const child = sk.acceptQueue?.shift();
  if (child === undefined) return -EAGAIN;
  sk.skAckBacklog--;
  child.parent = null;
  return child;
}

/** inet_listen + inet_csk_listen_start: backlog capped by net.core.somaxconn. */
export function tcpListen(sk: TcpSock, backlog: number): number {
  const tn = tcpNet(sk.skNet);
  const somax = tn.sysctl.somaxconn;
  backlog = Math.min(Math.max(backlog, 0), somax);
  if (sk.skState === TCP_LISTEN) {
    sk.skMaxAckBacklog = backlog;
    return 0;
  }
  if (sk.skState !== TCP_CLOSE) return -EINVAL;
  sk.skMaxAckBacklog = backlog;
  sk.skAckBacklog = 0;
  sk.skState = TCP_LISTEN;
  if (sk.inetNum === 0 || sk.icskBindHash === null) {
    const err = inetCskGetPort(sk, sk.inetNum);
    if (err) {
      sk.skState = TCP_CLOSE;
      return err;
    }
  } else {
    // Re-check the bucket: another socket may have bound with SO_REUSEADDR meanwhile.
    for (let o = sk.icskBindHash.owners; o !== null; o = o.bindNext) {
      if (o !== sk && o instanceof TcpSock && o.skState === TCP_LISTEN && (!o.inetRcvSaddr || !sk.inetRcvSaddr || o.inetRcvSaddr === sk.inetRcvSaddr)) {
        sk.skState = TCP_CLOSE;
        return -EADDRINUSE;
      }
    }
  }
  sk.inetSport = sk.inetNum;
  inetListenHash(tn, sk);
  return 0;
}

/** inet_bind for TCP: address check and port reservation. */
export function tcpBind(sk: TcpSock, addr: SockaddrIn): number {
  if (addr.family !== AF_INET && !(addr.family === AF_UNSPEC && addr.addr === INADDR_ANY)) return -EAFNOSUPPORT;
  if (sk.skState !== TCP_CLOSE || sk.inetNum) return -EINVAL;
  if (addr.addr !== INADDR_ANY && !sk.icskAfOps.isLocalAddr(sk.skNet, addr.addr)) return -99; // EADDRNOTAVAIL
  sk.inetRcvSaddr = sk.inetSaddr = addr.addr;
  const err = inetCskGetPort(sk, addr.port);
  if (err) {
    sk.inetRcvSaddr = sk.inetSaddr = 0;
    return err;
  }
  if (addr.addr) sk.skUserlocks |= SOCK_BINDADDR_LOCK;
  if (addr.port) sk.skUserlocks |= SOCK_BINDPORT_LOCK;
  sk.inetSport = sk.inetNum;
  sk.inetDaddr = 0;
  sk.inetDport = 0;
  return 0;
}

/** The af ops each new TcpSock is created with, per net. */
function afOpsOf(net: Net): InetConnectionSockAfOps {
  return tcpNet(net).afOps;
}

/** tcp_prot */
export const tcpProt: Proto & { streamMemoryFree: (sk: Sock, wake: boolean) => boolean } = Object.freeze({
  name: 'TCP',
  alloc: (net: Net): Sock => new TcpSock(net, tcpProt, afOpsOf(net)),
  init: (sk: Sock) => tcpInitSock(sk as TcpSock),
  destroy: (sk: Sock) => tcpDestroySock(sk as TcpSock),
  close: (sk: Sock, timeoutMs: number) => tcpClose(sk as TcpSock, timeoutMs),
  connect: (sk: Sock, addr: SockaddrIn) => tcpV4Connect(sk as TcpSock, addr),
  disconnect: (sk: Sock, flags: number) => tcpDisconnect(sk as TcpSock, flags),
  accept: (sk: Sock, flags: number) => inetCskAccept(sk as TcpSock, flags),
  shutdown: (sk: Sock, how: number) => tcpShutdown(sk as TcpSock, how),
  setsockopt: (sk: Sock, level: number, optname: number, val: SockoptVal) => tcpSetsockopt(sk as TcpSock, level, optname, val),
  getsockopt: (sk: Sock, level: number, optname: number) => tcpGetsockopt(sk as TcpSock, level, optname),
  sendmsg: (sk: Sock, msg: Msghdr, flags: number) => tcpSendmsg(sk as TcpSock, msg, flags),
  recvmsg: (sk: Sock, msg: Msghdr, flags: number) => tcpRecvmsg(sk as TcpSock, msg, flags),
  bind: (sk: Sock, addr: SockaddrIn) => tcpBind(sk as TcpSock, addr),
  backlogRcv: (sk: Sock, skb: SkBuff) => tcpV4DoRcv(sk as TcpSock, skb),
  hash: (sk: Sock) => {
    const t = sk as TcpSock;
    if (t.skState === TCP_LISTEN) inetListenHash(tcpNet(t.skNet), t);
    else inetEhashInsert(tcpNet(t.skNet), t);
    return 0;
  },
  unhash: (sk: Sock) => tcpUnhash(sk as TcpSock),
  getPort: (sk: Sock, snum: number) => inetCskGetPort(sk as TcpSock, snum),
  poll: (sk: Sock) => tcpPoll(sk as TcpSock),
  listen: (sk: Sock, backlog: number) => tcpListen(sk as TcpSock, backlog),
  streamMemoryFree: (sk: Sock, wake: boolean) => tcpStreamMemoryFree(sk as TcpSock, wake),
});

/** The inet_protos entry for IPPROTO_TCP. */
export const tcpProtocol: NetProtocol = Object.freeze({ name: 'tcp', handler: tcpV4Rcv, errHandler: tcpV4Err });

/** tcp_init + tcp_sk_init: per-net TCP state, sysctls and MIBs. Idempotent. */
export function tcpInit(net: Net, afOps: InetConnectionSockAfOps): TcpNet {
  if (net.gen.tcp !== undefined) return net.gen.tcp;
  sockCoreSysctlsInit(net);
  const tn = new TcpNet(net, afOps);
  tn.caValid = (name: string) => tcpCaFindKey(name) !== null;
  if (tcpCaFindKey('cubic') !== null) tn.sysctl.tcp_congestion_control = 'cubic';
  net.gen.tcp = tn;
  return tn;
}

