// CUBIC (RFC 9438) as Linux's net/ipv4/tcp_cubic.c: the cubic window function in 2^-10 s
// units, fast convergence, the Reno-friendly region, and HyStart (ACK train + delay increase).
import type { AckSample, TcpCaSock, TcpCongestionOps } from '@knet/include';
import { CA_EVENT_TX_START, TCP_CA_Loss } from '@knet/include';

const BICTCP_BETA_SCALE = 1024;
/** Time is counted in 2^-BICTCP_HZ seconds inside the cubic function. */
const BICTCP_HZ = 10;
const HZ = 1000;

const HYSTART_ACK_TRAIN = 0x1, HYSTART_DELAY = 0x2;
const HYSTART_MIN_SAMPLES = 8;
const HYSTART_DELAY_MIN = 4000, HYSTART_DELAY_MAX = 16000;

/** Module parameters, with Linux's defaults. */
export const cubicParams = {
  fastConvergence: 1,
  /** beta = 717/1024 ≈ 0.7 (RFC 9438 §4.6). */
  beta: 717,
  initialSsthresh: 0,
  bicScale: 41,
  tcpFriendliness: 1,
  hystart: 1,
  hystartDetect: HYSTART_ACK_TRAIN | HYSTART_DELAY,
  hystartLowWindow: 16,
  hystartAckDeltaUs: 2000,
};

let cubeRttScale = 0;
let betaScale = 0;
let cubeFactor = 0;

/** cubictcp_register's precomputation; rerun after changing cubicParams. */
export function cubicRecalcParams(): void {
  const p = cubicParams;
  // Reno-friendly slope: 3(1-beta)/(1+beta), scaled by 8 as Linux keeps it.
  betaScale = Math.floor((8 * (BICTCP_BETA_SCALE + p.beta)) / 3 / (BICTCP_BETA_SCALE - p.beta));
  cubeRttScale = p.bicScale * 10;
  // K = cbrt(W_max - cwnd) / C, with C = cube_rtt_scale / 2^40 in these units.
  cubeFactor = Math.floor(2 ** (10 + 3 * BICTCP_HZ) / cubeRttScale);
}
cubicRecalcParams();

/**
 * struct bictcp, the module's state in tp.icskCaPriv: a class, so every socket's copy has one
 * shape with its fields in the object, as a fixed-size icsk_ca_priv is in Linux.
 */
class Bictcp {
  cnt = 0;
  lastMaxCwnd = 0;
  lastCwnd = 0;
  lastTime = 0;
  bicOriginPoint = 0;
  bicK = 0;
  delayMin = 0;
  epochStart = 0;
  ackCnt = 0;
  tcpCwnd = 0;
  sampleCnt = 0;
  found = 0;
  roundStart = 0;
  endSeq = 0;
  lastAck = 0;
  currRtt = 0;
}

const ca = (tp: TcpCaSock): Bictcp => (tp.icskCaPriv ??= new Bictcp()) as Bictcp;
const after = (a: number, b: number) => ((b - a) | 0) < 0;
const s32 = (x: number) => x | 0;

function bictcpReset(c: Bictcp): void {
  c.cnt = 0;
  c.lastMaxCwnd = 0;
  c.lastCwnd = 0;
  c.lastTime = 0;
  c.bicOriginPoint = 0;
  c.bicK = 0;
  c.delayMin = 0;
  c.epochStart = 0;
  c.ackCnt = 0;
  c.tcpCwnd = 0;
  c.found = 0;
}

function bictcpHystartReset(tp: TcpCaSock): void {
  const c = ca(tp);
  c.roundStart = c.lastAck = tp.tcpMstamp;
  c.endSeq = tp.sndNxt;
  c.currRtt = 0xffffffff;
  c.sampleCnt = 0;
}

function cubicInit(tp: TcpCaSock): void {
  const c = new Bictcp();
  tp.icskCaPriv = c;
  if (cubicParams.hystart) bictcpHystartReset(tp);
  if (!cubicParams.hystart && cubicParams.initialSsthresh) tp.sndSsthresh = cubicParams.initialSsthresh;
}

function cubicCwndEvent(tp: TcpCaSock, ev: number): void {
  if (ev !== CA_EVENT_TX_START) return;
  const c = ca(tp);
  // The epoch is shifted by the idle time so an application pause does not count as growth time.
  if (c.epochStart && tp.lsndtime !== undefined) {
    const delta = s32(tp.jiffies - tp.lsndtime);
    if (delta > 0) {
      c.epochStart += delta;
      if (after(c.epochStart, tp.jiffies)) c.epochStart = tp.jiffies;
    }
  }
}

/** The cubic target: cwnd after t seconds of the epoch (RFC 9438 §4.2, Linux's fixed point). */
function bictcpUpdate(tp: TcpCaSock, c: Bictcp, cwnd: number, acked: number): void {
  const now = tp.jiffies;
  c.ackCnt += acked;
  if (c.lastCwnd === cwnd && s32(now - c.lastTime) <= HZ / 32) return;
  if (!(c.epochStart && now === c.lastTime)) {
    c.lastCwnd = cwnd;
    c.lastTime = now;
    if (c.epochStart === 0) {
      c.epochStart = now || 1;
      c.ackCnt = acked;
      c.tcpCwnd = cwnd;
      if (c.lastMaxCwnd <= cwnd) {
        c.bicK = 0;
        c.bicOriginPoint = cwnd;
      } else {
        c.bicK = Math.floor(Math.cbrt(cubeFactor * (c.lastMaxCwnd - cwnd)));
        c.bicOriginPoint = c.lastMaxCwnd;
      }
    }
    // t in 2^-10 s, one min RTT ahead: the target is where cwnd should be an RTT from now.
    let t = s32(now - c.epochStart) + Math.ceil(c.delayMin / 1000);
    t = Math.floor((t * (1 << BICTCP_HZ)) / HZ);
    const offs = t < c.bicK ? c.bicK - t : t - c.bicK;
    const delta = Math.floor((cubeRttScale * offs * offs * offs) / 2 ** (10 + 3 * BICTCP_HZ));
    const target = t < c.bicK ? c.bicOriginPoint - delta : c.bicOriginPoint + delta;
    if (target > cwnd) c.cnt = Math.floor(cwnd / (target - cwnd));
    else c.cnt = 100 * cwnd;
    // Before the first loss, grow at least 5% per RTT.
    if (c.lastMaxCwnd === 0 && c.cnt > 20) c.cnt = 20;
  }
  if (cubicParams.tcpFriendliness) {
    // RFC 9438 §4.3: never grow slower than a Reno flow with the same beta would.
    const d = (cwnd * betaScale) >> 3;
    if (d > 0) {
      while (c.ackCnt > d) {
        c.ackCnt -= d;
        c.tcpCwnd++;
      }
    }
    if (c.tcpCwnd > cwnd) {
      const maxCnt = Math.floor(cwnd / (c.tcpCwnd - cwnd));
      if (c.cnt > maxCnt) c.cnt = maxCnt;
    }
  }
  if (c.cnt < 2) c.cnt = 2;
}

function slowStart(tp: TcpCaSock, acked: number): number {
  const cwnd = Math.min(tp.sndCwnd + acked, tp.sndSsthresh);
  acked -= cwnd - tp.sndCwnd;
  tp.sndCwnd = Math.min(cwnd, tp.sndCwndClamp);
  return acked;
}

function congAvoidAi(tp: TcpCaSock, w: number, acked: number): void {
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

function cubicCongAvoid(tp: TcpCaSock, _ack: number, acked: number): void {
  if (!tp.isCwndLimited) return;
  if (tp.sndCwnd < tp.sndSsthresh) {
    acked = slowStart(tp, acked);
    if (!acked) return;
  }
  const c = ca(tp);
  bictcpUpdate(tp, c, tp.sndCwnd, acked);
  congAvoidAi(tp, c.cnt, acked);
}

function cubicRecalcSsthresh(tp: TcpCaSock): number {
  const c = ca(tp);
  c.epochStart = 0;
  // Fast convergence (RFC 9438 §4.7): a flow that lost below its last max releases bandwidth.
  if (tp.sndCwnd < c.lastMaxCwnd && cubicParams.fastConvergence)
    c.lastMaxCwnd = Math.floor((tp.sndCwnd * (BICTCP_BETA_SCALE + cubicParams.beta)) / (2 * BICTCP_BETA_SCALE));
  else c.lastMaxCwnd = tp.sndCwnd;
  return Math.max(Math.floor((tp.sndCwnd * cubicParams.beta) / BICTCP_BETA_SCALE), 2);
}

function cubicState(tp: TcpCaSock, newState: number): void {
  if (newState === TCP_CA_Loss) {
    bictcpReset(ca(tp));
    bictcpHystartReset(tp);
  }
}

function hystartUpdate(tp: TcpCaSock, delay: number): void {
  const c = ca(tp);
  if (after(tp.sndUna, c.endSeq)) bictcpHystartReset(tp);
  if (cubicParams.hystartDetect & HYSTART_ACK_TRAIN) {
    const now = tp.tcpMstamp;
    // ACKs closely spaced form a train; once its length reaches half the min RTT the pipe is full.
    if (s32(now - c.lastAck) <= cubicParams.hystartAckDeltaUs) {
      c.lastAck = now;
      const threshold = c.delayMin >> 1;
      if (s32(now - c.roundStart) > threshold) {
        c.found = 1;
        tp.sndSsthresh = tp.sndCwnd;
      }
    }
  }
  if (cubicParams.hystartDetect & HYSTART_DELAY) {
    if (c.currRtt > delay) c.currRtt = delay;
    if (c.sampleCnt < HYSTART_MIN_SAMPLES) c.sampleCnt++;
    else {
      const thresh = Math.min(Math.max(c.delayMin >> 3, HYSTART_DELAY_MIN), HYSTART_DELAY_MAX);
      if (c.currRtt > c.delayMin + thresh) {
        c.found = 1;
        tp.sndSsthresh = tp.sndCwnd;
      }
    }
  }
}

function cubicPktsAcked(tp: TcpCaSock, sample: AckSample): void {
  if (sample.rttUs < 0) return;
  const c = ca(tp);
  // Delay samples right after recovery are distorted by the queue built before it.
  if (c.epochStart && s32(tp.jiffies - c.epochStart) < HZ) return;
  const delay = sample.rttUs === 0 ? 1 : sample.rttUs;
  if (c.delayMin === 0 || c.delayMin > delay) c.delayMin = delay;
  if (!c.found && tp.sndCwnd < tp.sndSsthresh && cubicParams.hystart && tp.sndCwnd >= cubicParams.hystartLowWindow)
    hystartUpdate(tp, delay);
}

function cubicUndoCwnd(tp: TcpCaSock): number {
  return Math.max(tp.sndCwnd, tp.priorCwnd);
}

function cubicGetInfo(tp: TcpCaSock): Record<string, number> {
  const c = ca(tp);
  return { lastMaxCwnd: c.lastMaxCwnd, bicK: c.bicK, delayMin: c.delayMin, hystartFound: c.found };
}

/** cubictcp: register with tcpRegisterCongestionControl(cubicOps). */
export const cubicOps: TcpCongestionOps = Object.freeze({
  name: 'cubic',
  init: cubicInit,
  ssthresh: cubicRecalcSsthresh,
  congAvoid: cubicCongAvoid,
  setState: cubicState,
  undoCwnd: cubicUndoCwnd,
  cwndEvent: cubicCwndEvent,
  pktsAcked: cubicPktsAcked,
  getInfo: cubicGetInfo,
});
