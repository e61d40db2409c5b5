// igb_frames_tso: 64 KiB TSO sends through the igb pair, counted in MSS-sized frames on the
// wire per second (wall time), as a ratio to veth_frames' 1514-byte frames from the same run:
// how much segmentation offload buys over the per-frame path.
import type { Scenario } from '../types.js';
import { ScenarioUnavailable } from '../unavailable.js';
import { loadIgbApi } from './igb_api.js';
import { makeIgbPair } from './igb_pair.js';
import { vethFramesRate } from './veth_frames.js';

/** 64 KiB IP packets: what tcp_sendmsg builds with TSO on. */
const PAYLOAD = 65536 - 14 - 20 - 20;
const MSS = 1448;
/** Sends per burst: 4 × 46 segments stay within the RX ring between interrupts. */
const BATCH = 4;
const RUN_MS = 2000;

export const igbFramesTso: Scenario = {
  name: 'igb_frames_tso',
  unit: 'frames/s',
  direction: 'higher',
  summary: '64 KiB TSO sends through igb (igbTso splits them in the 82576), wire frames/s',
  async run() {
    const api = await loadIgbApi();
    if ('missing' in api) throw new ScenarioUnavailable(api.missing);
    const pair = makeIgbPair(api);
    let segs = 0;
    const burst = () => {
      for (let i = 0; i < BATCH; i++) segs += pair.sendTso(PAYLOAD, MSS);
      if (!pair.waitFor(segs)) throw new Error(`segments lost: ${segs} on the wire, ${pair.received} received`);
    };
    for (let i = 0; i < 10; i++) burst(); // warm-up
    const before = pair.received;
    const t0 = performance.now();
    while (performance.now() - t0 < RUN_MS) burst();
    const secs = (performance.now() - t0) / 1000;
    return { value: (pair.received - before) / secs, reference: await vethFramesRate(), referenceName: 'veth_frames' };
  },
};
