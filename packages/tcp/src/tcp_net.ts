// Per-net TCP state (net.gen.tcp): sysctls with Linux's names and defaults, the Tcp and
// TcpExt MIBs, hash tables and secrets.
import type { InetConnectionSockAfOps, Net, SysctlEntry } from '@knet/include';
import { HsipKey } from './secure_seq.js';
import { TcpOptionsReceived } from './tcp_options.js';
import type { EhashEntry, TcpSock } from './tcp_sock.js';
import type { InetBindBucket } from './inet_hashtables.js';
import { TcpMetricsCache } from './tcp_metrics.js';

declare module '@knet/include' {
  interface NetGeneric {
    tcp?: TcpNet;
  }
}

/** The net.ipv4.tcp_* values TCP reads, kept as plain fields for the hot path. */
export class TcpSysctls {
  tcp_sack = 1;
  tcp_timestamps = 1;
  tcp_window_scaling = 1;
  tcp_syncookies = 1;
  tcp_synack_retries = 5;
  tcp_syn_retries = 6;
  tcp_retries1 = 3;
  tcp_retries2 = 15;
  tcp_orphan_retries = 0;
  tcp_fin_timeout = 60;
  tcp_keepalive_time = 7200;
  tcp_keepalive_intvl = 75;
  tcp_keepalive_probes = 9;
  tcp_rmem: number[] = [4096, 131072, 6291456];
  tcp_wmem: number[] = [4096, 16384, 4194304];
  tcp_mem: number[] = [92457, 123278, 184914];
  tcp_min_snd_mss = 48;
  tcp_base_mss = 1024;
  /** 0 off, 1 probe after a black hole is suspected (RTO), 2 always probe (RFC 4821). */
  tcp_mtu_probing = 0;
  /** Stop searching when the MTU range is narrower than this many bytes. */
  tcp_probe_threshold = 8;
  /** Seconds before a finished search starts again from the top. */
  tcp_probe_interval = 600;
  tcp_mtu_probe_floor = 48;
  tcp_tso_win_divisor = 3;
  tcp_early_retrans = 3;
  tcp_recovery = 1;
  tcp_frto = 2;
  tcp_dsack = 1;
  tcp_reordering = 3;
  tcp_max_reordering = 300;
  tcp_congestion_control = 'reno';
  tcp_invalid_ratelimit = 500;
  tcp_challenge_ack_limit = 0x7fffffff;
  tcp_autocorking = 1;
  tcp_min_rtt_wlen = 300;
  tcp_notsent_lowat = 0xffffffff;
  tcp_ecn = 2;
  tcp_adv_win_scale = 1;
  tcp_moderate_rcvbuf = 1;
  tcp_no_metrics_save = 0;
  tcp_tw_reuse = 2;
  tcp_max_syn_backlog = 128;
  tcp_slow_start_after_idle = 1;
  tcp_rfc1337 = 0;
  tcp_abort_on_overflow = 0;
  tcp_thin_linear_timeouts = 0;
  tcp_max_tw_buckets = 262144;
  tcp_max_orphans = 65536;
  tcp_workaround_signed_windows = 0;
  tcp_limit_output_bytes = 1048576;
  tcp_app_win = 31;
  tcp_fastopen = 1;
  tcp_ecn_fallback = 1;
  tcp_pacing_ss_ratio = 200;
  tcp_pacing_ca_ratio = 120;
  tcp_min_tso_segs = 2;
  tcp_tso_rtt_log = 9;
  tcp_comp_sack_nr = 44;
  tcp_shrink_window = 0;
  tcp_syn_linear_timeouts = 4;
  ip_local_port_range: number[] = [32768, 60999];
  somaxconn = 4096;
}

export const TCP_MIB_NAMES = ['RtoAlgorithm', 'RtoMin', 'RtoMax', 'MaxConn', 'ActiveOpens', 'PassiveOpens',
  'AttemptFails', 'EstabResets', 'CurrEstab', 'InSegs', 'OutSegs', 'RetransSegs', 'InErrs', 'OutRsts', 'InCsumErrors'] as const;

export const TCPEXT_MIB_NAMES = ['SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed', 'EmbryonicRsts',
  'PruneCalled', 'RcvPruned', 'OfoPruned', 'OutOfWindowIcmps', 'LockDroppedIcmps', 'ArpFilter', 'TW', 'TWRecycled',
  'TWKilled', 'PAWSActive', 'PAWSEstab', 'DelayedACKs', 'DelayedACKLocked', 'DelayedACKLost', 'ListenOverflows',
  'ListenDrops', 'TCPHPHits', 'TCPPureAcks', 'TCPHPAcks', 'TCPRenoRecovery', 'TCPSackRecovery', 'TCPSACKReneging',
  'TCPSACKReorder', 'TCPRenoReorder', 'TCPTSReorder', 'TCPFullUndo', 'TCPPartialUndo', 'TCPDSACKUndo', 'TCPLossUndo',
  'TCPLostRetransmit', 'TCPRenoFailures', 'TCPSackFailures', 'TCPLossFailures', 'TCPFastRetrans', 'TCPSlowStartRetrans',
  'TCPTimeouts', 'TCPLossProbes', 'TCPLossProbeRecovery', 'TCPRenoRecoveryFail', 'TCPSackRecoveryFail',
  'TCPRcvCollapsed', 'TCPDSACKOldSent', 'TCPDSACKOfoSent', 'TCPDSACKRecv', 'TCPDSACKOfoRecv', 'TCPAbortOnData',
  'TCPAbortOnClose', 'TCPAbortOnMemory', 'TCPAbortOnTimeout', 'TCPAbortOnLinger', 'TCPAbortFailed',
  'TCPMemoryPressures', 'TCPSACKDiscard', 'TCPDSACKIgnoredOld', 'TCPDSACKIgnoredNoUndo', 'TCPSpuriousRTOs',
  'TCPSackShifted', 'TCPSackMerged', 'TCPSackShiftFallback', 'TCPBacklogDrop', 'TCPMinTTLDrop', 'TCPDeferAcceptDrop',
  'TCPTimeWaitOverflow', 'TCPReqQFullDoCookies', 'TCPReqQFullDrop', 'TCPRetransFail', 'TCPRcvCoalesce',
  'TCPOFOQueue', 'TCPOFODrop', 'TCPOFOMerge', 'TCPChallengeACK', 'TCPSYNChallenge', 'TCPAutoCorking',
  'TCPFromZeroWindowAdv', 'TCPToZeroWindowAdv', 'TCPWantZeroWindowAdv', 'TCPSynRetrans', 'TCPOrigDataSent',
  'TCPACKSkippedSynRecv', 'TCPACKSkippedPAWS', 'TCPACKSkippedSeq', 'TCPACKSkippedFinWait2', 'TCPACKSkippedTimeWait',
  'TCPACKSkippedChallenge', 'TCPWinProbe', 'TCPKeepAlive', 'TCPMTUPFail', 'TCPMTUPSuccess', 'TCPDelivered',
  'TCPDeliveredCE', 'TCPAckCompressed', 'TCPZeroWindowDrop', 'TCPRcvQDrop', 'TCPWqueueTooBig', 'TCPBacklogCoalesce',
  'TCPDSACKRecvSegs', 'TCPDSACKIgnoredDubious', 'TCPTimeoutRehash', 'TCPDuplicateDataRehash', 'TCPSpuriousRtxHostQueues',
  'TCPFastOpenActive', 'TCPFastOpenActiveFail'] as const;

export type TcpMib = Record<(typeof TCP_MIB_NAMES)[number], number>;
export type TcpExtMib = Record<(typeof TCPEXT_MIB_NAMES)[number], number>;

/** net->ipv4 TCP part: everything per host. */
export class TcpNet {
  readonly net: Net;
  readonly afOps: InetConnectionSockAfOps;
  readonly sysctl = new TcpSysctls();
  readonly mib: TcpMib;
  readonly ext: TcpExtMib;
  /** Established/request/TIME_WAIT socks by 4-tuple hash, chained through hashNext. */
  readonly ehash = new Map<number, EhashEntry>();
  ehashCount = 0;
  /** Listeners by local port. */
  readonly lhash = new Map<number, TcpSock[]>();
  /** Bind buckets by local port. */
  readonly bhash = new Map<number, InetBindBucket>();
  readonly ehashSecret: number;
  readonly seqKey: HsipKey;
  readonly tsKey: HsipKey;
  readonly cookieKeys: [HsipKey, HsipKey];
  readonly portKey: HsipKey;
  /** Per-destination ephemeral port perturbation (table_perturb) and a rolling offset. */
  portOffset = 0;
  /** Global challenge ACK budget per second (tcp_challenge_ack_limit). */
  challengeTimestamp = 0;
  challengeCount = 0;
  orphanCount = 0;
  twCount = 0;
  /** Scratch options for segments to listeners and TIME_WAIT socks. */
  readonly tmpOpt = new TcpOptionsReceived();
  /** Per-destination Fast Open cookies and MSS (the tcp_metrics cache). */
  readonly metrics = new TcpMetricsCache();
  /** Every live full sock, for tcpDiagList. */
  readonly allSocks = new Set<TcpSock>();
  /** Sockets of this net by the congestion module they use (for unregister checks). */

  constructor(net: Net, afOps: InetConnectionSockAfOps) {
    this.net = net;
    this.afOps = afOps;
    const r = () => Math.floor(net.clock.random() * 0x100000000) >>> 0;
    this.ehashSecret = r();
    this.seqKey = new HsipKey(r(), r());
    this.tsKey = new HsipKey(r(), r());
    this.cookieKeys = [new HsipKey(r(), r()), new HsipKey(r(), r())];
    this.portKey = new HsipKey(r(), r());
    this.portOffset = r();
    const mib = {} as Record<string, number>;
    for (const n of TCP_MIB_NAMES) mib[n] = 0;
    mib.RtoAlgorithm = 1;
    mib.RtoMin = 200;
    mib.RtoMax = 120000;
    mib.MaxConn = -1;
    const ext = {} as Record<string, number>;
    for (const n of TCPEXT_MIB_NAMES) ext[n] = 0;
    const prevTcp = net.mibs.get('Tcp');
    const prevExt = net.mibs.get('TcpExt');
    this.mib = Object.assign(prevTcp ?? {}, mib) as TcpMib;
    this.ext = Object.assign(prevExt ?? {}, ext) as TcpExtMib;
    net.mibs.set('Tcp', this.mib);
    net.mibs.set('TcpExt', this.ext);
    this.registerSysctls();
  }

  private registerSysctls(): void {
    const s = this.sysctl as unknown as Record<string, number | string | number[]>;
    for (const key of Object.keys(s)) {
      const name = key === 'somaxconn' ? 'net.core.somaxconn' : `net.ipv4.${key}`;
      const existing = this.net.sysctls.get(name);
      if (existing !== undefined) {
        // Another layer registered it first (ip_local_port_range, somaxconn): read through it.
        const v = existing.get();
        if (typeof v === typeof s[key] || Array.isArray(v) === Array.isArray(s[key])) s[key] = v;
        const orig = existing;
        const entry: SysctlEntry = {
          get: () => orig.get(),
          set: (v) => {
            const r = orig.set(v);
            if (r === 0) s[key] = orig.get();
            return r;
          },
        };
        this.net.sysctls.set(name, entry);
        continue;
      }
      const dflt = s[key];
      const entry: SysctlEntry = {
        get: () => s[key],
        set: (v) => {
          if (Array.isArray(dflt)) {
            if (!Array.isArray(v) || v.length !== dflt.length || v.some((x) => !Number.isInteger(x))) return -22;
            if (key === 'ip_local_port_range' && (v[0] > v[1] || v[0] < 1 || v[1] > 65535)) return -22;
          } else if (typeof dflt === 'number') {
            if (typeof v !== 'number' || !Number.isFinite(v)) return -22;
          } else if (typeof v !== 'string') return -22;
          if (key === 'tcp_congestion_control' && !this.caValid(v as string)) return -2;
          s[key] = Array.isArray(v) ? v.slice() : v;
          return 0;
        },
      };
      this.net.sysctls.set(name, entry);
    }
  }

  /** Set by tcp_cong.ts so a sysctl write can check the name exists. */
  caValid: (name: string) => boolean = () => true;
}

/** The TcpNet of a net on which tcpInit ran. */
export function tcpNet(net: Net): TcpNet {
  const t = net.gen.tcp;
  if (t === undefined) throw new Error(`tcp not initialised on net ${net.name}`);
  return t;
}
