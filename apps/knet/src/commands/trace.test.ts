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

// The igb paths of seeds 000 and 003, in camelCase. Steps the seeds name but knet folds into
// another function (napi_schedule_prep, ____napi_schedule, napi_skb_finish, deliver_skb) or
// does not trace (igb_tx_queue_mapping, __raise_softirq_irqoff) are left out.
const TX: Step[] = [
  ['devQueueXmit', 'process'], ['netdevPickTx', 'process'], ['qdiscEnqueue', 'process'], ['__qdiscRun', 'process'],
  ['qdiscRestart', 'process'], ['schDirectXmit', 'process'], ['devHardStartXmit', 'process'], ['igbXmitFrame', 'process'],
  ['igbXmitFrameRing', 'process'], ['igbTxMap', 'process'],
];
const TX_DONE: Step[] = [
  ['igbMsixRing', 'hardirq'], ['napiSchedule', 'hardirq'], ['netRxAction', 'softirq'], ['igbPoll', 'softirq'], ['igbCleanTxIrq', 'softirq'],
];
const RX: Step[] = [
  ['igbMsixRing', 'hardirq'], ['napiSchedule', 'hardirq'], ['netRxAction', 'softirq'], ['igbPoll', 'softirq'],
  ['igbCleanRxIrq', 'softirq'], ['igbFetchRxBuffer', 'softirq'], ['napiGroReceive', 'softirq'], ['netifReceiveSkb', 'softirq'],
  ['getRpsCpu', 'softirq'], ['enqueueToBacklog', 'softirq'], ['netRxAction', 'softirq'], ['processBacklog', 'softirq'],
  ['__netifReceiveSkbCore', 'softirq'],
];
// One frame cleans fewer than IGB_RX_BUFFER_WRITE (16) buffers, so the refill comes after the
// loop, before the poll completes and re-enables its vector.
const RX_DONE: Step[] = [
  ['igbCleanRxIrq', 'softirq'], ['igbAllocRxBuffers', 'softirq'], ['napiCompleteDone', 'softirq'], ['igbRingIrqEnable', 'softirq'],
];

async function traceJson(): Promise<TraceLine[]> {
  const io = bufferIo();
  expect(await runCli(['trace', '--json'], io)).toBe(0);
  expect(io.err()).toBe('');
  return JSON.parse(io.out()) as TraceLine[];
}

describe('knet trace --json: one frame over the igb pair, against the seeds', () => {
  it('prints { fn, cpu, ctx } in call order, with known contexts and CPUs', async () => {
    const lines = await traceJson();
    for (const l of lines) {
      expect(['process', 'softirq', 'hardirq']).toContain(l.ctx);
      expect([0, 1]).toContain(l.cpu);
      expect(l.fn).toMatch(/^_*[a-z][A-Za-z0-9]*$/);
    }
  });

  it('host a transmits in process context, then cleans its TX ring from the TX-done interrupt', async () => {
    const lines = await traceJson();
    const tx = subsequence(lines, 'a', TX);
    subsequence(lines, 'a', TX_DONE, tx.at(-1)! + 1);
  });

  it('host b receives from MSI-X through NAPI, RPS and the backlog to __netifReceiveSkbCore', async () => {
    const lines = await traceJson();
    const rx = subsequence(lines, 'b', RX);
    // RX starts after a put the frame on its ring.
    expect(rx[0]).toBeGreaterThan(subsequence(lines, 'a', TX).at(-1)!);
    // The backlog runs on the CPU that RPS chose, and the stack on the backlog's CPU.
    const [, , , , , , , , , , backlogRound, backlog, core] = rx.map((i) => lines[i]!);
    expect(backlog!.cpu).toBe(backlogRound!.cpu);
    expect(core!.cpu).toBe(backlog!.cpu);
    subsequence(lines, 'b', RX_DONE, rx[4]);
  });

  it('prints the chain for people, headed by host and context and indented by context', async () => {
    const io = bufferIo();
    expect(await runCli(['trace'], io)).toBe(0);
    const text = io.out();
    expect(text).toContain('host a, process context:\n  devQueueXmit  [cpu0]');
    expect(text).toMatch(/host b, hardirq context:\n {6}igbMsixRing {2}\[cpu\d\]/);
    expect(text).toMatch(/\n {4}__netifReceiveSkbCore {2}\[cpu\d\]/);
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
