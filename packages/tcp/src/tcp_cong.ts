// net/ipv4/tcp_cong.c: the tcp_congestion_ops registry (global, as Linux's list) and Reno.
import type { TcpCaSock, TcpCongestionOps } from '@knet/include';
import { EEXIST, ENOENT, EINVAL, EBUSY, TCP_CLOSE, TCP_LISTEN } from '@knet/include';
import type { TcpSock } from './tcp_sock.js';
import { tcpNet } from './tcp_net.js';

const registry = new Map<string, TcpCongestionOps>();
/** Socks currently using a module, so unregistering a module in use is refused. */
const users = new Map<TcpCongestionOps, number>();

/** tcp_register_congestion_control: 0, -EEXIST for a duplicate name, -EINVAL if incomplete. */
export function tcpRegisterCongestionControl(ops: TcpCongestionOps): number {
  if (typeof ops.ssthresh !== 'function' || typeof ops.undoCwnd !== 'function' || typeof ops.congAvoid !== 'function') return -EINVAL;
  if (!ops.name || registry.has(ops.name)) return -EEXIST;
  registry.set(ops.name, ops);
  return 0;
}

/** tcp_unregister_congestion_control: -ENOENT if not registered, -EBUSY while socks use it. */
export function tcpUnregisterCongestionControl(ops: TcpCongestionOps): number {
  if (registry.get(ops.name) !== ops) return -ENOENT;
  if ((users.get(ops) ?? 0) > 0) return -EBUSY;
  registry.delete(ops.name);
  return 0;
}

export function tcpCaFindKey(name: string): TcpCongestionOps | null {
  return registry.get(name) ?? null;
}

/** tcp_get_available_congestion_control */
export function tcpGetAvailableCongestionControl(): string[] {
  return [...registry.keys()];
}

/** The module a new sock starts with: net.ipv4.tcp_congestion_control, else Reno. */
export function tcpDefaultCa(sk: TcpSock): TcpCongestionOps {
  const name = tcpNet(sk.skNet).sysctl.tcp_congestion_control;
  return registry.get(name) ?? tcpRenoOps;
}

function caUse(ops: TcpCongestionOps, d: number): void {
  users.set(ops, (users.get(ops) ?? 0) + d);
}

/** tcp_assign_congestion_control */
export function tcpAssignCongestionControl(sk: TcpSock): void {
  if (sk.icskCaOps !== null) return;
  const ops = tcpDefaultCa(sk);
  sk.icskCaOps = ops;
  caUse(ops, 1);
  sk.icskCaPriv = null;
}

/** tcp_init_congestion_control: once the connection is established. */
export function tcpInitCongestionControl(sk: TcpSock): void {
  sk.tcpMstamp = Math.max(sk.tcpMstamp, Math.floor(sk.skNet.clock.now() * 1000));
  const ops = sk.icskCaOps ?? tcpRenoOps;
  if (ops.init) ops.init(sk);
  sk.icskCaInitialized = true;
}

/** tcp_cleanup_congestion_control */
export function tcpCleanupCongestionControl(sk: TcpSock): void {
  const ops = sk.icskCaOps;
  if (ops === null) return;
  if (ops.release) ops.release(sk);
  caUse(ops, -1);
  sk.icskCaOps = null;
  sk.icskCaInitialized = false;
}

/** tcp_set_congestion_control: TCP_CONGESTION. 0, or -ENOENT for an unknown name. */
export function tcpSetCongestionControl(sk: TcpSock, name: string): number {
  const ops = registry.get(name) ?? (name === 'reno' ? tcpRenoOps : null);
  if (ops === null) return -ENOENT;
  if (ops === sk.icskCaOps) return 0;
  const wasInit = sk.icskCaInitialized;
  if (sk.icskCaOps !== null) {
    if (wasInit && sk.icskCaOps.release) sk.icskCaOps.release(sk);
    caUse(sk.icskCaOps, -1);
  }
  sk.icskCaOps = ops;
  caUse(ops, 1);
  sk.icskCaPriv = null;
  sk.icskCaSetsockopt = true;
  sk.icskCaInitialized = false;
  if (sk.skState !== TCP_CLOSE && sk.skState !== TCP_LISTEN && wasInit) tcpInitCongestionControl(sk);
  return 0;
}

/** tcp_slow_start (RFC 5681 §3.1, RFC 3465 ABC): returns the ACKed count left over past ssthresh. */
export function tcpSlowStart(tp: TcpCaSock, acked: number): number {
  const cwnd = Math.min(tp.sndCwnd + acked, tp.sndSsthresh);
  acked -= cwnd - tp.sndCwnd;
  tp.sndCwnd = Math.min(cwnd, tp.sndCwndClamp);
  return acked;
}

/** tcp_cong_avoid_ai: one more segment per `w` ACKed segments. */
export function tcpCongAvoidAi(tp: TcpCaSock, w: number, acked: number): void {
  if (tp.sndCwndCnt >= w) {
    tp.sndCwndCnt = 0;
    tp.sndCwnd++;
  }
  tp.sndCwndCnt += acked;
  if (tp.sndCwndCnt >= w) {
    const delta = Math.floor(tp.sndCwndCnt / w);
    tp.sndCwndCnt -= delta * w;
    tp.sndCwnd += delta;
  }
  tp.sndCwnd = Math.min(tp.sndCwnd, tp.sndCwndClamp);
}

export function tcpInSlowStart(tp: TcpCaSock): boolean {
  return tp.sndCwnd < tp.sndSsthresh;
}

/** tcp_reno_cong_avoid */
export function tcpRenoCongAvoid(tp: TcpCaSock, _ack: number, acked: number): void {
  if (!tp.isCwndLimited) return;
  if (tcpInSlowStart(tp)) {
    acked = tcpSlowStart(tp, acked);
    if (!acked) return;
  }
  tcpCongAvoidAi(tp, tp.sndCwnd, acked);
}

/** tcp_reno_ssthresh: half the window (RFC 5681 eq. 4, in packets). */
export function tcpRenoSsthresh(tp: TcpCaSock): number {
  return Math.max(tp.sndCwnd >>> 1, 2);
}

/** tcp_reno_undo_cwnd */
export function tcpRenoUndoCwnd(tp: TcpCaSock): number {
  return Math.max(tp.sndCwnd, tp.priorCwnd);
}

export const tcpRenoOps: TcpCongestionOps = Object.freeze({
  name: 'reno',
  ssthresh: tcpRenoSsthresh,
  congAvoid: tcpRenoCongAvoid,
  undoCwnd: tcpRenoUndoCwnd,
});
registry.set('reno', tcpRenoOps);
