// Names scripts use for numbers: socket options, flags, errno values, TCP states. Most come
// from @knet/include; the rest are Linux uapi values knet has no constant for.
import * as inc from '@knet/include';

const EXTRA: Record<string, number> = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, F_GETFD: 1, F_SETFD: 2,
  SIOCINQ: 0x541b, FIONREAD: 0x541b, SIOCOUTQ: 0x5411, SIOCOUTQNSD: 0x894b,
  SO_MARK: 36, SO_TIMESTAMPING: 37, SO_INCOMING_CPU: 49, SO_MAX_PACING_RATE: 47,
  TCP_FASTOPEN_KEY: 33, TCP_FASTOPEN_NO_COOKIE: 34, TCP_ULP: 31, TCP_SAVE_SYN: 27, TCP_SAVED_SYN: 28,
  TCP_REPAIR_QUEUE: 20, TCP_QUEUE_SEQ: 21, TCP_REPAIR_OPTIONS: 22, TCP_CC_INFO: 26,
  TCP_ZEROCOPY_RECEIVE: 35, TCP_MD5SIG_EXT: 32,
  IP_FREEBIND: 15, IP_TRANSPARENT: 19, IP_RECVTOS: 13, IP_MTU_DISCOVER: 10, IP_PMTUDISC_PROBE: 3,
  IPPROTO_IPV6: 41, SOL_IPV6: 41, IPV6_TCLASS: 67,
  MSG_WAITFORONE: 0x10000, MSG_CONFIRM: 0x800, MSG_BATCH: 0x40000, MSG_CTRUNC: 8,
  SO_EE_ORIGIN_ZEROCOPY: 5, SO_EE_CODE_ZEROCOPY_COPIED: 1, CMSG_LEVEL_IP: 0, CMSG_TYPE_RECVERR: 11,
  EPOLLEXCLUSIVE: 1 << 28, EPOLLWAKEUP: 1 << 29, EPOLLRDNORM: 0x40, EPOLLWRNORM: 0x100,
  TCPI_OPT_TIMESTAMPS: 1, TCPI_OPT_SACK: 2, TCPI_OPT_WSCALE: 4, TCPI_OPT_ECN: 8, TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32, TCPI_OPT_USEC_TS: 64,
};

let table: Map<string, number> | null = null;

/** Every known symbol with its value. */
export function symbols(): ReadonlyMap<string, number> {
  if (!table) {
    table = new Map();
    for (const [k, v] of Object.entries(inc)) if (typeof v === 'number' && /^[A-Z][A-Z0-9_a-z]*$/.test(k)) table.set(k, v);
    for (const [k, v] of Object.entries(EXTRA)) table.set(k, v);
  }
  return table;
}

export function symbolValue(name: string): number | undefined {
  return symbols().get(name);
}

/** errno name → positive value ('ECONNREFUSED' → 111). */
export function errnoValue(name: string): number | undefined {
  const v = symbols().get(name);
  return /^E[A-Z0-9]+$/.test(name) ? v : undefined;
}
