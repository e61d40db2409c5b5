// A UDP echo from a to a server on b, through r, over the socket syscalls (host.task()).
import { AF_INET, IPPROTO_UDP, SOCK_DGRAM, inetAton } from '@knet/include';
import type { DemoLab } from '../core/lab.js';
import type { DemoStage } from './types.js';

export interface UdpOpts {
  datagrams: number;
  lossy: boolean;
}

export interface UdpJson {
  sent: number;
  echoed: number;
  bytes: number;
  rttMsAvg: number;
}

/** The echo port (RFC 862). */
const ECHO_PORT = 7;
const SIZE = 512;
/** How long a datagram may take to come back before it counts as lost. */
const WAIT_MS = 200;

export const udpStage: DemoStage<DemoLab, UdpOpts> = {
  key: 'udp',
  title: 'UDP echo from a to b:7, through r',
  async run(lab, o) {
    const srvTask = lab.b.host.task();
    const cliTask = lab.a.host.task();
    const srv = srvTask.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const cli = cliTask.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (srv < 0 || cli < 0) throw new Error(`socket: ${srv} ${cli}`);
    if (srvTask.bind(srv, { family: AF_INET, addr: 0, port: ECHO_PORT }) < 0) throw new Error('bind to port 7 failed');
    const to = { family: AF_INET, addr: inetAton(lab.b.addr), port: ECHO_PORT };
    const msg = new Uint8Array(SIZE);
    const sbuf = new Uint8Array(2048);
    const cbuf = new Uint8Array(2048);
    const json: UdpJson = { sent: 0, echoed: 0, bytes: 0, rttMsAvg: 0 };
    let rttSum = 0;
    try {
      for (let i = 0; i < o.datagrams; i++) {
        msg.fill(i & 0xff);
        if (cliTask.sendto(cli, msg, 0, to) !== SIZE) continue;
        json.sent++;
        const t0 = lab.clock.now();
        let n = 0;
        lab.network.runUntil(() => {
          // The server echoes whatever it has; the client waits for its own datagram back.
          const s = srvTask.recvfrom(srv, sbuf, 0);
          if (s.n > 0 && s.addr) srvTask.sendto(srv, sbuf.subarray(0, s.n), 0, s.addr);
          n = cliTask.recvfrom(cli, cbuf, 0).n;
          return n > 0;
        }, WAIT_MS, 0.05);
        if (n === SIZE && cbuf[0] === (i & 0xff)) {
          json.echoed++;
          json.bytes += n;
          rttSum += lab.clock.now() - t0;
        }
      }
    } finally {
      srvTask.close(srv);
      cliTask.close(cli);
    }
    json.rttMsAvg = json.echoed > 0 ? rttSum / json.echoed : 0;
    const human = `${json.sent} datagrams of ${SIZE} bytes sent, ${json.echoed} echoed back, rtt avg ${json.rttMsAvg.toFixed(3)} ms\n`;
    return { json, human, ok: json.sent === o.datagrams && (o.lossy || json.echoed === json.sent) };
  },
};
