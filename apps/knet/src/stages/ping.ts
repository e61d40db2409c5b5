// ping from a to b across router r: ARP on both subnets, ICMP echo forwarded by r both ways.
import type { DemoLab } from '../core/lab.js';
import type { DemoStage } from './types.js';

export interface PingOpts {
  pings: number;
  /** Losses are expected (a lossy link was asked for), not a failure. */
  lossy: boolean;
}

export interface PingJson {
  sent: number;
  received: number;
  rttMsAvg: number;
  rttMs: number[];
}

const INTERVAL_MS = 100;

export const pingStage: DemoStage<DemoLab, PingOpts> = {
  key: 'ping',
  title: `ping ${'198.18.1.2'} from a, through r`,
  async run(lab, o) {
    const p = lab.a.host.ping(lab.b.addr, { count: o.pings, intervalMs: INTERVAL_MS });
    lab.network.runUntil(() => p.done(), o.pings * INTERVAL_MS + 5000);
    const json: PingJson = { sent: p.sent, received: p.received, rttMsAvg: p.rttMsAvg, rttMs: [...p.rttMs] };
    const ms = (v: number) => v.toFixed(3);
    const lines = json.rttMs.map((t, i) => `reply ${i + 1} from ${lab.b.addr}: time=${ms(t)} ms`);
    const loss = json.sent === 0 ? 0 : (100 * (json.sent - json.received)) / json.sent;
    lines.push(`${json.sent} sent, ${json.received} received, ${loss.toFixed(0)}% loss`);
    if (json.rttMs.length > 0) {
      lines.push(`rtt min/avg/max = ${ms(Math.min(...json.rttMs))}/${ms(json.rttMsAvg)}/${ms(Math.max(...json.rttMs))} ms`);
      lines.push('(the first includes ARP on both subnets)');
    }
    return { json, human: `${lines.join('\n')}\n`, ok: json.sent === o.pings && (o.lossy || json.received === json.sent) };
  },
};
