// The link-layer stage: raw frames from host a to router r's NIC on the switch, reflected back
// by r, through the driver and the core only: devQueueXmit → qdisc → igbXmitFrame → wire →
// switch → MSI-X → NAPI → igbCleanRxIrq → napiGroReceive → netifReceiveSkb → PacketType.
import { NET_XMIT_SUCCESS } from '@knet/include';
import { devQueueXmit } from '@knet/netdevice';
import { addCounter, addReflector, l2FrameSkb } from '../core/l2_frames.js';
import { runUntil, type DemoLab } from '../core/lab.js';
import { createProgress } from '../ui/progress.js';
import { formatKeyValues } from '../ui/table.js';
import { formatBytes, formatCount } from '../ui/units.js';
import type { DemoStage } from './types.js';

export interface L2Opts {
  frames: number;
  len: number;
}

export interface L2Json {
  sent: number;
  /** Arrived at r. */
  received: number;
  /** Came back to a. */
  echoed: number;
  /** Bytes of the echoed frames, link header included. */
  bytes: number;
}

/** Frames queued before the clock runs: well inside the TX ring and txqueuelen. */
const BURST = 64;
/** Virtual time a burst may take to come back before the stage calls the rest lost. */
const BURST_MAX_MS = 100;

export const l2Stage: DemoStage<DemoLab, L2Opts> = {
  key: 'l2',
  title: 'raw frames a → r → a (igb and the core, no IP)',
  async run(lab, o, ui) {
    const { a, r, clock } = lab;
    const atR = addReflector(r);
    const atA = addCounter(a);
    const bar = createProgress(ui.progressOut, o.frames, 'a → r → a');
    let sent = 0;
    let lost = false;
    try {
      while (sent < o.frames && !lost) {
        const n = Math.min(BURST, o.frames - sent);
        for (let i = 0; i < n; i++) if (devQueueXmit(l2FrameSkb(a, r, o.len, sent)) === NET_XMIT_SUCCESS) sent++;
        lost = !runUntil(clock, () => atA.counter.frames >= sent, BURST_MAX_MS);
        bar.update(sent);
      }
    } finally {
      bar.done();
      atR.remove();
      atA.remove();
    }
    const json: L2Json = { sent, received: atR.counter.frames, echoed: atA.counter.frames, bytes: atA.counter.bytes };
    const human = [
      `a sends ${o.len}-byte frames (EtherType 0x88b5) to r's NIC on the switch; r reflects each one.`,
      'Both ways: devQueueXmit → qdisc → igbXmitFrame → wire → MSI-X → NAPI → igbCleanRxIrq',
      '  → napiGroReceive → netifReceiveSkb → PacketType\n',
      formatKeyValues([
        ['frames sent (a)', formatCount(json.sent)],
        ['frames received (r)', formatCount(json.received)],
        ['frames echoed (a)', formatCount(json.echoed)],
        ['bytes echoed', `${formatCount(json.bytes)} (${formatBytes(json.bytes)})`],
      ]),
    ].join('\n');
    return { json, human, ok: sent === o.frames && json.received === sent && json.echoed === sent };
  },
};
