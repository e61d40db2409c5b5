// include/uapi/linux/errqueue.h: what recvmsg(MSG_ERRQUEUE) reports about a socket's errors.
import type { SockaddrIn } from './sock.js';

/** sock_extended_err.ee_origin: who raised the error. */
export const SO_EE_ORIGIN_NONE = 0, SO_EE_ORIGIN_LOCAL = 1, SO_EE_ORIGIN_ICMP = 2, SO_EE_ORIGIN_ICMP6 = 3,
  SO_EE_ORIGIN_TXSTATUS = 4, SO_EE_ORIGIN_ZEROCOPY = 5, SO_EE_ORIGIN_TXTIME = 6,
  SO_EE_ORIGIN_TIMESTAMPING = SO_EE_ORIGIN_TXSTATUS;
/** A MSG_ZEROCOPY completion whose data the kernel copied after all (deferred copy). */
export const SO_EE_CODE_ZEROCOPY_COPIED = 1;

/** struct sock_extended_err, one per error-queue entry. */
export interface SockExtendedErr {
  eeErrno: number;
  eeOrigin: number;
  /** ICMP type and code for SO_EE_ORIGIN_ICMP; ee_code carries flags for zerocopy. */
  eeType: number;
  eeCode: number;
  eePad: number;
  /** ICMP info (the next-hop MTU), the local error's MTU, or the first zerocopy id. */
  eeInfo: number;
  /** The last zerocopy id of a completion range. */
  eeData: number;
}

/**
 * The SOL_IP/IP_RECVERR control message: the error, then the offender (SO_EE_OFFENDER), the
 * host that reported it. An error without one (local, zerocopy) has family AF_UNSPEC and zeros.
 */
export interface IpRecverrCmsg {
  ee: SockExtendedErr;
  offender: SockaddrIn;
}
