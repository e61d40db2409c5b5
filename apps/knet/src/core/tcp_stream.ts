// A bulk TCP transfer between two hosts over the non-blocking socket calls, on the virtual
// clock: the sender fills its socket, the reader drains its own, and each side hashes exactly
// the bytes the kernel took or gave, so a SHA-256 match proves the stream arrived intact.
import { createHash } from 'node:crypto';
import { AF_INET, IPPROTO_TCP, SHUT_WR, SOCK_STREAM, SOL_TCP, TCP_CONGESTION, TCP_INFO, inetAton } from '@knet/include';
import type { Host } from '@knet/host';
import type { VirtualClock } from '@knet/softirq';
import type { TcpInfo } from '@knet/tcp';
import { runUntil } from './lab.js';

export interface TcpStreamOpts {
  clock: VirtualClock;
  sender: Host;
  receiver: Host;
  /** The receiver's address. */
  daddr: string;
  port: number;
  bytes: number;
  /** Congestion control of the sending socket (TCP_CONGESTION); the host default when absent. */
  cc?: string;
  /** Called with the bytes received so far, at most once per clock step. */
  onProgress?(received: number): void;
  /** Virtual time the whole transfer may take before it counts as stalled. */
  maxMs?: number;
}

export interface TcpStreamResult {
  sent: number;
  received: number;
  senderSha256: string;
  receiverSha256: string;
  /** The reader saw EOF after the last byte (the sender's FIN arrived). */
  eof: boolean;
  /** From the first send to the last byte read. */
  virtualMs: number;
  wallMs: number;
  /** The sender's TCP_INFO after the last byte was read. */
  info: TcpInfo;
  /** The sender's Tcp.RetransSegs over the transfer. */
  retransSegs: number;
}

/** A failed setup call ends the stage with the call's name and errno. */
function ok(rc: number, what: string): number {
  if (rc < 0) throw new Error(`${what} failed (errno ${-rc})`);
  return rc;
}

/** Bytes the sender cycles through: seeded noise, with a length that is no multiple of an MSS. */
const PATTERN_LEN = (1 << 20) + 4099;

function pattern(seed: number): Uint8Array {
  const p = new Uint8Array(PATTERN_LEN);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < p.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  return p;
}

/** Writes handed to send() at a time, as an application's 64 KiB buffer. */
const WRITE = 65536;
/** Virtual time between rounds of the sender and the reader. */
const STEP_MS = 0.5;

export function tcpStream(o: TcpStreamOpts): TcpStreamResult {
  const ts = o.sender.task();
  const tr = o.receiver.task();
  const lfd = ok(tr.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), 'socket');
  const cfd = ok(ts.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), 'socket');
  let afd = -1;
  try {
    ok(tr.bind(lfd, { family: AF_INET, addr: 0, port: o.port }), `bind to port ${o.port}`);
    ok(tr.listen(lfd, 16), 'listen');
    if (o.cc !== undefined && ts.setsockopt(cfd, SOL_TCP, TCP_CONGESTION, o.cc) < 0) {
      throw new Error(`unknown congestion control '${o.cc}'`);
    }
    ts.connect(cfd, { family: AF_INET, addr: inetAton(o.daddr), port: o.port });
    if (!runUntil(o.clock, () => (afd = tr.accept(lfd)) >= 0, 10_000)) throw new Error('the TCP handshake did not complete');
    const src = pattern(0x6b6e6574);
    const buf = new Uint8Array(WRITE);
    const txHash = createHash('sha256');
    const rxHash = createHash('sha256');
    const retrans0 = o.sender.counters().snmp.Tcp?.RetransSegs ?? 0;
    let sent = 0;
    let received = 0;
    let eof = false;
    let shut = false;
    const w0 = performance.now();
    const v0 = o.clock.now();
    let vEnd = v0;
    const done = runUntil(o.clock, () => {
      while (sent < o.bytes) {
        const off = sent % PATTERN_LEN;
        const chunk = src.subarray(off, Math.min(PATTERN_LEN, off + WRITE, off + o.bytes - sent));
        const n = ts.send(cfd, chunk);
        if (n <= 0) break;
        txHash.update(chunk.subarray(0, n));
        sent += n;
      }
      if (sent === o.bytes && !shut) shut = ts.shutdown(cfd, SHUT_WR) === 0;
      for (;;) {
        const n = tr.recv(afd, buf);
        if (n === 0) eof = true;
        if (n <= 0) break;
        rxHash.update(buf.subarray(0, n));
        received += n;
        if (received >= o.bytes) vEnd = o.clock.now();
      }
      o.onProgress?.(received);
      return eof;
    }, o.maxMs ?? 600_000, STEP_MS);
    const wallMs = performance.now() - w0;
    if (!done) throw new Error(`the transfer stalled: ${sent} bytes sent, ${received} received`);
    const info = ts.getsockopt(cfd, SOL_TCP, TCP_INFO) as unknown as TcpInfo;
    return {
      sent,
      received,
      senderSha256: txHash.digest('hex'),
      receiverSha256: rxHash.digest('hex'),
      eof,
      virtualMs: vEnd - v0,
      wallMs,
      info,
      retransSegs: (o.sender.counters().snmp.Tcp?.RetransSegs ?? 0) - retrans0,
    };
  } finally {
    if (afd >= 0) tr.close(afd);
    ts.close(cfd);
    tr.close(lfd);
  }
}
