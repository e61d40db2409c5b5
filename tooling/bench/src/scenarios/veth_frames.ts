// veth_frames: 1514-byte frames per second from one host to another across a veth pair,
// against Uint8Array.set of the same frames.
import type { Scenario } from '../types.js';
import { ScenarioUnavailable } from '../unavailable.js';
import { loadCoreApi } from './core_api.js';
import { makeVethPair } from './veth_pair.js';

const BATCH = 256;
const RUN_MS = 2000;

async function measureVethFrames(): Promise<number> {
  const api = await loadCoreApi();
  if ('missing' in api) throw new ScenarioUnavailable(api.missing);
  const pair = makeVethPair(api);
  const burst = () => {
    for (let i = 0; i < BATCH; i++) pair.send();
    pair.clock.runUntilIdle();
  };
  for (let i = 0; i < 20; i++) burst(); // warm-up
  const before = pair.received;
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < RUN_MS) {
    burst();
    sent += BATCH;
  }
  const secs = (performance.now() - t0) / 1000;
  const got = pair.received - before;
  if (got === 0) throw new Error(`no frames arrived (${sent} sent)`);
  return got / secs;
}

let measured: Promise<number> | null = null;

/** veth_frames of this run, measured once and shared with the scenarios that compare to it. */
export function vethFramesRate(): Promise<number> {
  measured ??= measureVethFrames();
  return measured;
}

export const vethFrames: Scenario = {
  name: 'veth_frames',
  unit: 'frames/s',
  direction: 'higher',
  summary: 'devQueueXmit → qdisc → veth → netifRx → PacketType, 1514-byte frames',
  reference: 'memcpy_frames',
  async run() {
    return { value: await vethFramesRate() };
  },
};
