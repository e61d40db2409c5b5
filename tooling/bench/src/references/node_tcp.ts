// (b)-(d) Node's own `net` over the kernel loopback: stream throughput, 1-byte request/response
// transactions, and connect/request/response/close transactions, each against a child peer.
import { connect, type Socket } from 'node:net';
import type { Reference } from '../types.js';
import { startPeer } from './peer.js';

const STREAM_BYTES = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;
const RR_MS = 1000;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `total` bytes in CHUNK writes and waits for the peer's answer to EOF; returns seconds. */
async function streamOnce(port: number, total: number): Promise<number> {
  const s = await open(port);
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const t0 = performance.now();
  const acked = new Promise<void>((resolve, reject) => {
    s.once('data', () => resolve());
    s.once('error', reject);
  });
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  s.end();
  await acked;
  const secs = (performance.now() - t0) / 1000;
  s.destroy();
  return secs;
}

/** One stream of `total` bytes after a short warm-up stream; returns Gbit/s. */
export async function streamGbps(total = STREAM_BYTES): Promise<number> {
  const peer = await startPeer('sink');
  try {
    await streamOnce(peer.port, total / 8);
    const bytes = Math.ceil(total / CHUNK) * CHUNK;
    return (bytes * 8) / (await streamOnce(peer.port, bytes)) / 1e9;
  } finally {
    await peer.close();
  }
}

/** Sequential 1-byte ping-pong on one connection for `ms`; returns transactions/s. */
export async function requestResponseRate(ms = RR_MS): Promise<number> {
  const peer = await startPeer('echo');
  try {
    const s = await open(peer.port);
    const one = Buffer.from([1]);
    let n = 0;
    const t0 = performance.now();
    const end = t0 + ms;
    await new Promise<void>((resolve, reject) => {
      s.on('data', () => {
        n++;
        if (performance.now() < end) s.write(one);
        else resolve();
      });
      s.once('error', reject);
      s.write(one);
    });
    const secs = (performance.now() - t0) / 1000;
    s.destroy();
    return n / secs;
  } finally {
    await peer.close();
  }
}

/** One connection per transaction: connect, 1-byte request, 1-byte answer, close. */
export async function connectRate(ms = RR_MS): Promise<number> {
  const peer = await startPeer('crr');
  try {
    let n = 0;
    const t0 = performance.now();
    const end = t0 + ms;
    while (performance.now() < end) {
      const s = await open(peer.port);
      await new Promise<void>((resolve, reject) => {
        s.once('data', () => resolve());
        s.once('error', reject);
        s.write(Buffer.from([1]));
      });
      s.destroy();
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await peer.close();
  }
}

export const nodeTcpStream: Reference = {
  name: 'node_tcp_stream',
  unit: 'Gbit/s',
  direction: 'higher',
  summary: 'Node net, one stream over kernel loopback (256 MiB in 64 KiB writes)',
  measure: () => streamGbps(),
};

export const nodeTcpRr: Reference = {
  name: 'node_tcp_rr',
  unit: 'trans/s',
  direction: 'higher',
  summary: 'Node net, 1-byte request/response on one connection',
  measure: () => requestResponseRate(),
};

export const nodeTcpCrr: Reference = {
  name: 'node_tcp_crr',
  unit: 'conn/s',
  direction: 'higher',
  summary: 'Node net, connect + 1-byte request/response + close',
  measure: () => connectRate(),
};
