// The link-layer stage: frames from host a to host b through the whole core and the igb pair,
// reflected back by b: devQueueXmit → qdisc → igbXmitFrame → wire → switch → MSI-X → NAPI →
// igbCleanRxIrq → napiGroReceive → netifReceiveSkb → PacketType, and the same way home.
import { NET_XMIT_SUCCESS } from '@knet/include';
import { igbUpdateStats } from '@knet/igb';
import { addCounter, addReflector, udpFrameSkb } from '../core/udp_frames.js';
import { runUntil, type IgbHost, type IgbLab } from '../core/igb_lab.js';
import { devQueueXmit } from '@knet/netdevice';
import { createProgress } from '../ui/progress.js';
import { formatKeyValues, formatTable } from '../ui/table.js';
import { formatBytes, formatCount } from '../ui/units.js';
import type { DemoStage } from './types.js';

export interface L2Opts {
  frames: number;
  len: number;
}

export interface QueueStats {
  host: string;
  queue: number;
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  /** MSI-X interrupts taken by the queue pair's vector. */
  irqs: number;
}

export interface QdiscStats {
  host: string;
  queue: number;
  id: string;
  packets: number;
  bytes: number;
  drops: number;
  requeues: number;
  backlog: number;
}

export interface L2Json {
  sent: number;
  /** Arrived at b. */
  received: number;
  /** Came back to a. */
  echoed: number;
  /** Bytes of the echoed frames, link header included. */
  bytes: number;
  /** Frames whose checksums the receiving 82576 verified. */
  csumVerified: number;
  queues: QueueStats[];
  interrupts: Record<string, number>;
  qdisc: QdiscStats[];
  /** The 82576 statistics registers (good packets received/transmitted, missed). */
  hw: Record<string, { gprc: number; gptc: number; mpc: number; rnbc: number }>;
}

/** Frames queued before the clock runs: well inside the TX ring and txqueuelen. */
const BURST = 64;
/** Virtual time a burst may take to come back before the stage calls the rest lost. */
const BURST_MAX_MS = 100;

export const l2Stage: DemoStage<IgbLab, L2Opts> = {
  key: 'l2',
  title: 'igb frames a → b → a',
  async run(lab, o, ui) {
    const { a, b, clock } = lab;
    const atB = addReflector(b);
    const atA = addCounter(a);
    const bar = createProgress(ui.progressOut, o.frames, 'a → b → a');
    let sent = 0;
    let lost = false;
    while (sent < o.frames && !lost) {
      const n = Math.min(BURST, o.frames - sent);
      // Vary the source port so RSS spreads the flows over the queues.
      for (let i = 0; i < n; i++) {
        if (devQueueXmit(udpFrameSkb(a, b, o.len, 40000 + ((sent + i) & 0xff), sent + i)) === NET_XMIT_SUCCESS) sent++;
      }
      lost = !runUntil(clock, () => atA.frames >= sent, BURST_MAX_MS);
      bar.update(sent);
    }
    bar.done();
    // Let the last TX completions and interrupts settle.
    clock.runFor(1);
    for (const h of lab.hosts) igbUpdateStats(h.adapter);
    const json: L2Json = {
      sent,
      received: atB.frames,
      echoed: atA.frames,
      bytes: atA.bytes,
      csumVerified: atA.csumVerified + atB.csumVerified,
      queues: lab.hosts.flatMap(queueStats),
      interrupts: Object.fromEntries(lab.hosts.map((h) => [h.name, h.adapter.qVector.reduce((s, q) => s + q.irqCount, 0)])),
      qdisc: lab.hosts.flatMap(qdiscStats),
      hw: Object.fromEntries(
        lab.hosts.map((h) => {
          const s = h.adapter.hwStats;
          return [h.name, { gprc: s.gprc, gptc: s.gptc, mpc: s.mpc, rnbc: s.rnbc }];
        }),
      ),
    };
    const ok = sent === o.frames && json.received === sent && json.echoed === sent && json.csumVerified === 2 * sent;
    return { json, human: render(json, o), ok };
  },
};

function queueStats(h: IgbHost): QueueStats[] {
  const ad = h.adapter;
  return ad.qVector.map((qv, i) => ({
    host: h.name,
    queue: i,
    txPackets: qv.tx?.stats.packets ?? 0,
    txBytes: qv.tx?.stats.bytes ?? 0,
    rxPackets: qv.rx?.stats.packets ?? 0,
    rxBytes: qv.rx?.stats.bytes ?? 0,
    irqs: qv.irqCount,
  }));
}

function qdiscStats(h: IgbHost): QdiscStats[] {
  return h.dev.txQueues.slice(0, h.dev.realNumTxQueues).map((txq, i) => {
    const q = txq.qdiscSleeping;
    const s = q.stats;
    return { host: h.name, queue: i, id: q.ops.id, packets: s.packets, bytes: s.bytes, drops: s.drops, requeues: s.requeues, backlog: s.backlog };
  });
}

function render(j: L2Json, o: L2Opts): string {
  const right = (h: string) => ({ header: h, align: 'right' as const });
  return [
    'Hosts a and b, each an igb on an emulated 82576, through a learning switch at 1 Gbit/s.',
    'a sends UDP frames to b, b reflects each one; both directions go through the whole core:',
    '  devQueueXmit → qdisc → igbXmitFrame → wire → MSI-X → NAPI → igbCleanRxIrq → napiGroReceive',
    '  → netifReceiveSkb → PacketType\n',
    formatKeyValues([
      ['frame length', `${o.len} bytes`],
      ['frames sent (a)', formatCount(j.sent)],
      ['frames received (b)', formatCount(j.received)],
      ['frames echoed (a)', formatCount(j.echoed)],
      ['bytes echoed', `${formatCount(j.bytes)} (${formatBytes(j.bytes)})`],
      ['checksums verified by the NIC', formatCount(j.csumVerified)],
    ]),
    'per queue (igb ring stats, MSI-X interrupts):',
    formatTable(
      [{ header: 'host' }, right('queue'), right('tx pkts'), right('tx bytes'), right('rx pkts'), right('rx bytes'), right('irqs')],
      j.queues.map((q) => [q.host, q.queue, q.txPackets, q.txBytes, q.rxPackets, q.rxBytes, q.irqs]),
    ),
    'qdisc per TX queue:',
    formatTable(
      [{ header: 'host' }, right('queue'), { header: 'qdisc' }, right('packets'), right('bytes'), right('drops'), right('requeues'), right('backlog')],
      j.qdisc.map((q) => [q.host, q.queue, q.id, q.packets, q.bytes, q.drops, q.requeues, q.backlog]),
    ),
    'hardware counters (82576 GPRC/GPTC/MPC/RNBC):',
    formatTable(
      [{ header: 'host' }, right('good rx'), right('good tx'), right('missed'), right('no rx buf')],
      Object.entries(j.hw).map(([h, s]) => [h, s.gprc, s.gptc, s.mpc, s.rnbc]),
    ),
  ].join('\n');
}
