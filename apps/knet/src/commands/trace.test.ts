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

// The paths of seeds 000, 001 and 003, in camelCase. Steps the seeds name but knet folds into
// another function (napi_schedule_prep, ____napi_schedule, napi_skb_finish, deliver_skb) or
// does not trace (igb_tx_queue_mapping, __raise_softirq_irqoff, sock_sendmsg, inet_sendmsg,
// inet_recvmsg) are left out.
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
    expect(up[0]).toBe(rx.at(-1)! + 1);
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
