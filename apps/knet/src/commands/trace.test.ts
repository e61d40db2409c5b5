import { describe, expect, it } from 'vitest';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';
import { formatTrace, type TraceCtx, type TraceLine } from './trace.js';

type Step = readonly [fn: string, ctx: TraceCtx];

/** Finds each step, in order, among `host`'s lines from `from` on; returns their indexes. */
function subsequence(lines: readonly TraceLine[], host: string, steps: readonly Step[], from = 0): number[] {
  const at: number[] = [];
  let i = from;
  for (const [fn, ctx] of steps) {
    while (i < lines.length && !(lines[i]!.host === host && lines[i]!.fn === fn)) i++;
    expect(i, `${fn} on host ${host} after ${at.length > 0 ? steps[at.length - 1]![0] : 'the start'}`).toBeLessThan(lines.length);
    expect(`${fn}: ${lines[i]!.ctx}`).toBe(`${fn}: ${ctx}`);
    at.push(i++);
  }
  return at;
}

// The paths of seeds 000, 001, 002 and 003, in camelCase. Steps the seeds name but knet folds
// into another function (napi_skb_finish, tcp_queue_rcv) or does not trace
// (igb_tx_queue_mapping, sock_sendmsg, inet_sendmsg, inet_recvmsg, tcp_recvmsg) are left out;
// napi_schedule_prep, ____napi_schedule, __raise_softirq_irqoff and deliver_skb may appear
// between the steps.
const s = (ctx: TraceCtx, ...fns: string[]): Step[] => fns.map((fn) => [fn, ctx] as const);
const DEV_XMIT = ['devQueueXmit', 'netdevPickTx', 'qdiscEnqueue', '__qdiscRun', 'qdiscRestart', 'schDirectXmit', 'devHardStartXmit',
  'igbXmitFrame', 'igbXmitFrameRing', 'igbTxMap'];
const IP_OUT = ['ipLocalOut', 'ipOutput', 'ipFinishOutput', 'ipFinishOutput2'];
const IRQ_TO_POLL = [...s('hardirq', 'igbMsixRing', 'napiSchedule'), ...s('softirq', 'netRxAction', 'igbPoll')];
const TX_DONE: Step[] = [...IRQ_TO_POLL, ['igbCleanTxIrq', 'softirq']];
/** igb RX with RPS: the frame goes to another CPU's backlog, which hands it to the stack. */
const RX_CORE = s('softirq', 'igbCleanRxIrq', 'igbFetchRxBuffer', 'napiGroReceive', 'netifReceiveSkb', 'getRpsCpu', 'enqueueToBacklog',
  'netRxAction', 'processBacklog', '__netifReceiveSkbCore');
const IP_IN = s('softirq', 'ipRcv', 'ipRcvFinish', 'ipRouteInputNoref', 'ipLocalDeliver', 'ipLocalDeliverFinish');
// One frame cleans fewer than IGB_RX_BUFFER_WRITE (16) buffers, so the refill comes after the
// loop, before the poll completes and re-enables its vector.
const RX_DONE = s('softirq', 'igbCleanRxIrq', 'igbAllocRxBuffers', 'napiCompleteDone', 'igbRingIrqEnable');

/** Between __netifReceiveSkbCore and ipRcv only deliver_skb (the ptype_base call) may come. */
function handedStraightToIp(lines: readonly TraceLine[], core: number, ipRcv: number): void {
  expect(lines.slice(core + 1, ipRcv).map((l) => l.fn).filter((fn) => fn !== 'deliverSkb')).toEqual([]);
}

async function traceJson(proto: string): Promise<TraceLine[]> {
  const io = bufferIo();
  expect(await runCli(['trace', '--json', '--proto', proto], io)).toBe(0);
  expect(io.err()).toBe('');
  return JSON.parse(io.out()) as TraceLine[];
}

/** The index of the RX chain's __netifReceiveSkbCore; checks the backlog ran where RPS sent it. */
function rxOnRpsCpu(lines: readonly TraceLine[], at: number[]): void {
  const [backlogRound, backlog, core] = at.slice(-3).map((i) => lines[i]!);
  expect(backlog!.cpu).toBe(backlogRound!.cpu);
  expect(core!.cpu).toBe(backlog!.cpu);
}

describe('knet trace --json, against the seeds', () => {
  it('prints { fn, cpu, ctx } in call order, with known contexts and CPUs', async () => {
    for (const l of await traceJson('udp')) {
      expect(['process', 'softirq', 'hardirq']).toContain(l.ctx);
      expect([0, 1]).toContain(l.cpu);
      expect(l.fn).toMatch(/^_*[a-z][A-Za-z0-9]*$/);
    }
  });

  it('udp: sendto on a down to igbTxMap in process context, TX completion in softirq', async () => {
    const lines = await traceJson('udp');
    const tx = subsequence(lines, 'a', s('process', 'udpSendmsg', 'udpSendSkb', ...IP_OUT, 'neighOutput', ...DEV_XMIT));
    subsequence(lines, 'a', TX_DONE, tx.at(-1)! + 1);
  });

  it('udp: b from igbMsixRing through NAPI, RPS, ipRcv and udpRcv to recvfrom', async () => {
    const lines = await traceJson('udp');
    const sent = subsequence(lines, 'a', s('process', ...DEV_XMIT)).at(-1)!;
    const rx = subsequence(lines, 'b', [...IRQ_TO_POLL, ...RX_CORE], sent + 1);
    rxOnRpsCpu(lines, rx);
    const up = subsequence(lines, 'b', [...IP_IN, ...s('softirq', 'udpRcv', 'udpQueueRcvSkb'), ['udpRecvmsg', 'process']], rx.at(-1)! + 1);
    handedStraightToIp(lines, rx.at(-1)!, up[0]!);
    subsequence(lines, 'b', RX_DONE, rx[IRQ_TO_POLL.length]);
  });

  it('icmp: the echo request up to icmpRcv on b, the reply sent from softirq, back up to icmpRcv on a', async () => {
    const lines = await traceJson('icmp');
    const req = subsequence(lines, 'a', s('process', ...IP_OUT, ...DEV_XMIT));
    const rx = subsequence(lines, 'b', [...IRQ_TO_POLL, ...RX_CORE, ...IP_IN, ['icmpRcv', 'softirq']], req.at(-1)! + 1);
    const reply = subsequence(lines, 'b', s('softirq', ...IP_OUT, ...DEV_XMIT), rx.at(-1)! + 1);
    const back = subsequence(lines, 'a', [...IRQ_TO_POLL, ...RX_CORE, ...IP_IN, ['icmpRcv', 'softirq']], reply.at(-1)! + 1);
    rxOnRpsCpu(lines, back.slice(0, -IP_IN.length - 1));
  });

  it('tcp: one data segment from tcpSendmsg down to igbTxMap in process context, TX completion in softirq', async () => {
    const lines = await traceJson('tcp');
    const tx = subsequence(lines, 'a', s('process', 'tcpSendmsg', 'tcpPush', 'tcpWriteXmit', 'tcpTransmitSkb', 'ipQueueXmit', ...IP_OUT,
      'neighOutput', ...DEV_XMIT));
    // The handshake was traced before tracing began: the first line is the send itself.
    expect(tx[0]).toBe(0);
    subsequence(lines, 'a', TX_DONE, tx.at(-1)! + 1);
  });

  it('tcp: b from igbMsixRing through NAPI, RPS and ipRcv to tcpRcvEstablished, which queues the data and wakes the reader', async () => {
    const lines = await traceJson('tcp');
    const sent = subsequence(lines, 'a', s('process', ...DEV_XMIT)).at(-1)!;
    const rx = subsequence(lines, 'b', [...IRQ_TO_POLL, ...RX_CORE], sent + 1);
    rxOnRpsCpu(lines, rx);
    const up = subsequence(lines, 'b', [...IP_IN, ...s('softirq', 'tcpV4Rcv', 'tcpV4DoRcv', 'tcpRcvEstablished', 'skDataReady')], rx.at(-1)! + 1);
    handedStraightToIp(lines, rx.at(-1)!, up[0]!);
    subsequence(lines, 'b', RX_DONE, rx[IRQ_TO_POLL.length]);
    // In order on an established connection the segment may take tcp_rcv_established's fast
    // path (tcp_queue_rcv, untraced) or the slow one through tcpDataQueue; either stays in softirq.
    const between = lines.slice(up.at(-2)!, up.at(-1)!).filter((l) => l.host === 'b' && l.fn === 'tcpDataQueue');
    for (const l of between) expect(l.ctx).toBe('softirq');
  });

  it('tcp: b acknowledges from softirq, down through IP and igb, before it wakes the reader', async () => {
    const lines = await traceJson('tcp');
    const sent = subsequence(lines, 'a', s('process', ...DEV_XMIT)).at(-1)!;
    const est = subsequence(lines, 'b', s('softirq', 'tcpRcvEstablished'), sent + 1)[0]!;
    const ack = subsequence(lines, 'b', s('softirq', 'tcpTransmitSkb', 'ipQueueXmit', ...IP_OUT, ...DEV_XMIT, 'skDataReady'), est + 1);
    expect(lines[ack.at(-1)!]!.cpu).toBe(lines[est]!.cpu);
  });

  it('frame: a raw frame through the driver and the core only', async () => {
    const lines = await traceJson('frame');
    const tx = subsequence(lines, 'a', s('process', ...DEV_XMIT));
    subsequence(lines, 'a', TX_DONE, tx.at(-1)! + 1);
    // A non-IP frame has no flow hash, so RPS leaves it on the CPU that polled it.
    const rx = subsequence(lines, 'b', [
      ...IRQ_TO_POLL, ...s('softirq', 'igbCleanRxIrq', 'igbFetchRxBuffer', 'napiGroReceive', 'netifReceiveSkb', 'getRpsCpu', '__netifReceiveSkbCore'),
    ], tx.at(-1)! + 1);
    expect(lines[rx.at(-1)!]!.cpu).toBe(lines[rx[0]!]!.cpu);
    const fns = lines.map((l) => l.fn);
    expect(fns).not.toContain('processBacklog');
    expect(fns).not.toContain('ipRcv');
  });

  it('prints the chain for people, headed by host and context and indented by context', async () => {
    const io = bufferIo();
    expect(await runCli(['trace'], io)).toBe(0);
    const text = io.out();
    expect(text).toContain('host a, process context:\n  udpSendmsg  [cpu0]');
    expect(text).toMatch(/host b, hardirq context:\n {6}igbMsixRing {2}\[cpu\d\]/);
    expect(text).toMatch(/\n {4}udpRcv {2}\[cpu\d\]/);
  });

  it('rejects an unknown --proto', async () => {
    const io = bufferIo();
    expect(await runCli(['trace', '--proto', 'sctp'], io)).toBe(2);
    expect(io.err()).toMatch(/--proto must be one of/);
  });
});

describe('formatTrace', () => {
  it('starts a section when the host or context changes', () => {
    const t = formatTrace([
      { fn: 'devQueueXmit', cpu: 0, ctx: 'process', host: 'a' },
      { fn: 'igbTxMap', cpu: 0, ctx: 'process', host: 'a' },
      { fn: 'igbMsixRing', cpu: 1, ctx: 'hardirq', host: 'b', info: 'v=2' },
    ]);
    expect(t).toBe('host a, process context:\n  devQueueXmit  [cpu0]\n  igbTxMap  [cpu0]\n\nhost b, hardirq context:\n      igbMsixRing  [cpu1]  (v=2)\n');
  });
});
