// A bulk TCP transfer from a to b through router r (so --loss on the r–b cable hits it), with
// the stream's SHA-256 taken on both ends, and the sender's TCP_INFO afterwards.
import { tcpStream } from '../core/tcp_stream.js';
import type { DemoLab } from '../core/lab.js';
import { createProgress } from '../ui/progress.js';
import { formatKeyValues } from '../ui/table.js';
import { formatBytes, formatCount, formatRate } from '../ui/units.js';
import type { DemoStage } from './types.js';

export interface TcpOpts {
  bytes: number;
  /** Congestion control of the sending socket; the host default (cubic) when null. */
  cc: string | null;
}

export interface TcpJson {
  bytes: number;
  sha256Match: boolean;
  /** The sender's Tcp.RetransSegs over the transfer. */
  retransmits: number;
  cc: string;
  /** Payload bits per second of virtual time, in Mbit/s. */
  goodputMbps: number;
  /** tcpi_total_retrans, tcpi_snd_cwnd (segments) and tcpi_rtt (µs) of the sender. */
  totalRetrans: number;
  cwnd: number;
  rttUs: number;
  sha256: string;
}

const PORT = 5001;

export const tcpStage: DemoStage<DemoLab, TcpOpts> = {
  key: 'tcp',
  title: 'TCP bulk transfer from a to b:5001, through r',
  async run(lab, o, ui) {
    const bar = createProgress(ui.progressOut, o.bytes, 'tcp a → b');
    let r;
    try {
      r = tcpStream({
        clock: lab.clock, sender: lab.a.host, receiver: lab.b.host, daddr: lab.b.addr, port: PORT, bytes: o.bytes,
        ...(o.cc !== null ? { cc: o.cc } : {}),
        onProgress: (n) => bar.update(n),
      });
    } finally {
      bar.done();
    }
    const match = r.received === o.bytes && r.senderSha256 === r.receiverSha256;
    const goodput = r.virtualMs > 0 ? (r.received * 8) / (r.virtualMs * 1000) : 0;
    const json: TcpJson = {
      bytes: r.received,
      sha256Match: match,
      retransmits: r.retransSegs,
      cc: r.info.tcpi_congestion,
      goodputMbps: Math.round(goodput * 100) / 100,
      totalRetrans: r.info.tcpi_total_retrans,
      cwnd: r.info.tcpi_snd_cwnd,
      rttUs: r.info.tcpi_rtt,
      sha256: r.receiverSha256,
    };
    const human = formatKeyValues([
      ['bytes', `${formatCount(json.bytes)} (${formatBytes(json.bytes)}) of ${formatCount(o.bytes)}`],
      ['sha256 (a sent)', r.senderSha256],
      ['sha256 (b read)', `${r.receiverSha256} ${match ? '(match)' : '(MISMATCH)'}`],
      ['goodput', `${formatRate((r.received * 1000) / Math.max(r.virtualMs, 1e-9))} of virtual time (${r.virtualMs.toFixed(1)} ms)`],
      ['wall time', `${r.wallMs.toFixed(0)} ms (${formatRate((r.received * 1000) / Math.max(r.wallMs, 1e-9))} of wall time)`],
      ['retransmits', `${formatCount(json.retransmits)} (Tcp.RetransSegs; tcpi_total_retrans ${json.totalRetrans})`],
      ['cwnd', `${json.cwnd} segments`],
      ['rtt', `${(json.rttUs / 1000).toFixed(3)} ms (tcpi_rtt)`],
      ['congestion control', json.cc],
    ]);
    return { json, human, ok: match && r.eof };
  },
};
