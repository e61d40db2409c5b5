// igb_frames: 1514-byte frames per second (wall time) through the igb pair, as a ratio to
// veth_frames from the same run: what the driver, the 82576 model and the wire cost on top.
import type { Scenario } from '../types.js';
import { ScenarioUnavailable } from '../unavailable.js';
import { loadIgbApi } from './igb_api.js';
import { makeIgbPair } from './igb_pair.js';
import { vethFramesRate } from './veth_frames.js';

/** Frames queued per burst: inside the 256-descriptor TX ring and the RX ring. */
const BATCH = 128;
const RUN_MS = 2000;

export const igbFrames: Scenario = {
  name: 'igb_frames',
  unit: 'frames/s',
  direction: 'higher',
  summary: 'devQueueXmit → pfifo_fast → igb → 82576 → wire → MSI-X → NAPI → PacketType, 1514-byte frames',
  async run() {
    const api = await loadIgbApi();
    if ('missing' in api) throw new ScenarioUnavailable(api.missing);
    const pair = makeIgbPair(api);
    let sent = 0;
    const burst = () => {
      for (let i = 0; i < BATCH; i++) pair.send();
      sent += BATCH;
      if (!pair.waitFor(sent)) throw new Error(`frames lost: ${sent} sent, ${pair.received} received`);
    };
    for (let i = 0; i < 20; i++) burst(); // warm-up
    const before = pair.received;
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_MS) burst();
    const secs = (performance.now() - t0) / 1000;
    return { value: (pair.received - before) / secs, reference: await vethFramesRate(), referenceName: 'veth_frames' };
  },
};
