export { tcpProt, tcpProtocol, tcpInit, tcpV4Rcv, tcpV4Err, tcpV4DoRcv, tcpV4Connect, tcpV4SendReset, tcpListen, tcpBind, inetCskAccept, tcpV4MtuReduced } from './tcp_ipv4.js';
export { tcpv4Offload } from './tcp_offload.js';
export { TcpSock, TcpRequestSock, TcpTimewaitSock, IcskAck, MinMax, ICSK_TIME_RETRANS, ICSK_TIME_PROBE0, ICSK_TIME_LOSS_PROBE, ICSK_TIME_REO_TIMEOUT } from './tcp_sock.js';
export {
  tcpRegisterCongestionControl, tcpUnregisterCongestionControl, tcpSetCongestionControl, tcpGetAvailableCongestionControl,
  tcpRenoOps, tcpRenoSsthresh, tcpRenoCongAvoid, tcpRenoUndoCwnd, tcpSlowStart, tcpCongAvoidAi, tcpCaFindKey,
} from './tcp_cong.js';
export { tcpGetInfo, tcpDiagList, type TcpInfo, type TcpDiagRow, TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE } from './tcp_info.js';
export { tcpSendmsg, tcpRecvmsg, tcpClose, tcpShutdown, tcpDisconnect, tcpPoll, tcpSetsockopt, tcpGetsockopt, tcpSetState } from './tcp.js';
export { TcpNet, TcpSysctls, tcpNet, TCP_MIB_NAMES, TCPEXT_MIB_NAMES } from './tcp_net.js';
export { tcpParseOptions, tcpOptionsWrite, TcpOptionsReceived, TcpOutOptions, TcpSackBlock } from './tcp_options.js';
export * from './tcp_hdr.js';
export { before, after, between } from './tcp_seq.js';
export { hsiphash, HsipKey, secureTcpSeq, secureTcpTsOff } from './secure_seq.js';
export * from './tcp_defs.js';
export { tcpSyncMss, tcpCurrentMss, tcpTransmitSkb, tcpWriteXmit, tcpPushPendingFrames } from './tcp_output.js';
export { tcpRcvEstablished, tcpRcvStateProcess } from './tcp_input.js';
export { createTcpTestbench, TcpTestbench, type TcpTestbenchOpts, type TestHost, type WireSegment } from './testbench.js';
