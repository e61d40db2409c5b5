import { describe, expect, test } from 'vitest';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import {
  ErrnoError, NF_DROP, NF_INET_LOCAL_IN, SHUT_RDWR, SOL_SOCKET, SOL_TCP, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_NODELAY,
} from '@knet/include';
import type { VirtualClock } from '@knet/softirq';
import { nfRegisterNetHook } from '@knet/ipv4';
import { A, B, type BenchHost, cableHosts, runFor, settle, twoHosts } from './test/bench.js';
import { KnetServer, KnetSocket, knetConnect, knetCreateServer } from './node_net.js';

// The stream path needs a stream protocol registered in inetsw; these check how the adapters
// surface socket-layer errors as Node does, on a host that has only UDP.
describe('KnetSocket and KnetServer errors', () => {
  test('listen on a host without a stream protocol emits an ErrnoError', async () => {
    const { clock, a } = twoHosts();
    const srv = knetCreateServer(a.task, () => {});
    srv.listen(8080);
    const [err] = (await settle(clock, once(srv, 'error'))) as [ErrnoError];
    expect(err).toBeInstanceOf(ErrnoError);
    expect(err.code).toBe('ESOCKTNOSUPPORT');
    expect(srv.address()).toBe(null);
    expect(a.task.fds()).toEqual([]);
  });

  test('connect failure destroys the socket with the errno code', async () => {
    const { clock, a } = twoHosts();
    const s = knetConnect(a.task, { port: 80, host: '198.18.0.2' });
    const err = new Promise<ErrnoError>((resolve) => s.once('error', resolve));
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    expect((await settle(clock, err)).code).toBe('ESOCKTNOSUPPORT');
    await settle(clock, closed);
    expect(s.destroyed).toBe(true);
    expect(s.remoteAddress).toBe(undefined);
  });
});

/** Payload bytes that differ along the stream, so a misordered or lost chunk shows. */
function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Collect a Readable until 'end'. */
function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

/** A KnetServer on b:port; resolves once it listens. */
async function serve(clock: VirtualClock, b: BenchHost, port: number, onConn: (s: KnetSocket) => void, opts = {}): Promise<KnetServer> {
  const srv = knetCreateServer(b.task, opts, onConn);
  const listening = once(srv, 'listening');
  srv.listen(port, B, 64);
  await settle(clock, listening);
  return srv;
}

describe('KnetSocket and KnetServer over TCP', () => {
  test('echo of 6 MiB, hash-checked; write() reports backpressure and drain follows; names and byte counts', async () => {
    const { clock, a, b } = cableHosts();
    const events: string[] = [];
    let accepted: KnetSocket | null = null;
    const srv = await serve(clock, b, 7000, (s) => {
      accepted = s;
      s.pipe(s);
    });
    expect(srv.address()).toEqual({ address: B, family: 'IPv4', port: 7000 });
    const payload = pattern(6 << 20);
    const c = knetConnect(a.task, { port: 7000, host: B });
    expect(c.connecting).toBe(true);
    expect(c.readyState).toBe('opening');
    c.on('connect', () => events.push('connect'));
    c.on('ready', () => events.push('ready'));
    c.on('drain', () => events.push('drain'));
    c.on('end', () => events.push('end'));
    c.on('close', (hadError: boolean) => events.push(`close:${hadError}`));
    const closed = once(c, 'close');
    await settle(clock, once(c, 'connect'));
    expect(c.remoteAddress).toBe(B);
    expect(c.remotePort).toBe(7000);
    expect(c.remoteFamily).toBe('IPv4');
    expect(c.localAddress).toBe(A);
    expect(c.localPort).toBeGreaterThanOrEqual(32768);
    expect(accepted).not.toBe(null);
    expect(accepted!.remotePort).toBe(c.localPort);
    expect(accepted!.localPort).toBe(7000);
    const echoed = collect(c);
    // Write in 64 KiB pieces, honouring backpressure as a well-behaved producer does.
    let falses = 0;
    const writer = (async () => {
      for (let off = 0; off < payload.length; off += 65536) {
        if (!c.write(payload.subarray(off, off + 65536))) {
          falses++;
          await once(c, 'drain');
        }
      }
      c.end();
    })();
    const got = await settle(clock, echoed, 600_000);
    await settle(clock, writer);
    expect(got.length).toBe(payload.length);
    expect(sha256(got)).toBe(sha256(payload));
    expect(falses).toBeGreaterThan(0);
    expect(events.filter((e) => e === 'drain').length).toBe(falses);
    expect(c.bytesWritten).toBe(payload.length);
    expect(c.bytesRead).toBe(payload.length);
    expect(accepted!.bytesRead).toBe(payload.length);
    await settle(clock, closed);
    expect(events.slice(0, 2)).toEqual(['connect', 'ready']);
    expect(events.slice(-2)).toEqual(['end', 'close:false']);
    // Names stay readable after close, as net.Socket's do.
    expect(c.remoteAddress).toBe(B);
    const srvClosed = new Promise<void>((resolve) => srv.close(() => resolve()));
    await settle(clock, srvClosed);
    expect(srv.listening).toBe(false);
  });

  test('each socket sleeps with one waiter on its queue, read into views of shared slabs; destroy with a write pending calls back quietly', async () => {
    const { clock, a, b } = cableHosts();
    let accepted: KnetSocket | null = null;
    const srv = await serve(clock, b, 7010, (s) => {
      accepted = s;
      s.pause();
    });
    const lsock = b.task.sockfdLookup(srv.fd);
    if (typeof lsock === 'number') throw new Error('no listener');
    // The listener's one waiter is on its queue while it listens.
    expect(lsock.wq.waiters.size).toBe(1);
    const c = knetConnect(a.task, 7010, B);
    await settle(clock, once(c, 'connect'));
    const csock = a.task.sockfdLookup(c.fd);
    if (typeof csock === 'number') throw new Error('no socket');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    await runFor(clock, 10);
    expect(csock.wq.waiters.size).toBe(1);
    // Two messages from the server arrive as two Buffers, views into one larger slab.
    accepted!.write(Buffer.from('hello'));
    await runFor(clock, 10);
    accepted!.write(Buffer.from('world'));
    await runFor(clock, 10);
    expect(Buffer.concat(chunks).toString()).toBe('helloworld');
    expect(chunks.length).toBe(2);
    expect(chunks[0]!.buffer).toBe(chunks[1]!.buffer);
    expect(chunks[0]!.buffer.byteLength).toBeGreaterThan(65536);
    expect(csock.wq.waiters.size).toBe(1);
    // The server does not read: the client's write fills both buffers and stays pending.
    let called = 0;
    let cbErr: unknown = 'not called';
    c.write(pattern(4 << 20), (err) => {
      called++;
      cbErr = err;
    });
    await runFor(clock, 200);
    expect(called).toBe(0);
    expect(c.writableLength).toBe(4 << 20);
    const closed = once(c, 'close');
    c.destroy();
    await settle(clock, closed);
    expect(called).toBe(1);
    expect(cbErr ?? null).toBe(null);
    // The waiter left with the socket; the fd is gone.
    expect(csock.wq.waiters.size).toBe(0);
    expect(a.task.fds()).toEqual([]);
    srv.close();
    expect(lsock.wq.waiters.size).toBe(0);
  });

  test('a paused reader: its Readable buffer stays bounded, the kernel buffers fill, the writer waits for drain', async () => {
    const { clock, a, b } = cableHosts();
    let server: KnetSocket | null = null;
    await serve(clock, b, 7001, (s) => {
      server = s;
      s.pause();
    }, { readableHighWaterMark: 65536 });
    const c = knetConnect(a.task, 7001, B);
    await settle(clock, once(c, 'connect'));
    const chunk = pattern(65536, 9);
    let written = 0;
    let stalled = false;
    // Write with backpressure until a drain does not come within a virtual second.
    for (let i = 0; i < 2000 && !stalled; i++) {
      written += chunk.length;
      if (c.write(chunk)) continue;
      let drained = false;
      c.once('drain', () => (drained = true));
      for (let t = 0; t < 100 && !drained; t++) await runFor(clock, 10);
      stalled = !drained;
    }
    expect(stalled).toBe(true);
    expect(server).not.toBe(null);
    const rs = server!;
    // The reader took no more than its high-water mark plus one read from the kernel.
    expect(rs.readableLength).toBeLessThanOrEqual(65536 + 65536);
    expect(rs.bytesRead).toBe(rs.readableLength);
    expect(c.writableNeedDrain).toBe(true);
    // net.Socket counts what write() was given, queued or not.
    expect(c.bytesWritten).toBe(written);
    const body = collect(rs);
    rs.resume();
    c.end();
    const got = await settle(clock, body, 60_000);
    expect(got.length).toBe(written);
    expect(sha256(got.subarray(got.length - chunk.length))).toBe(sha256(chunk));
  });

  test('end() half-closes after flushing: the server reads to the end, answers, and ends in turn', async () => {
    const { clock, a, b } = cableHosts();
    await serve(clock, b, 7002, (s) => {
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      s.on('end', () => {
        // The write side is still open (allowHalfOpen): answer with the size seen.
        s.end(`got ${Buffer.concat(parts).length}`);
      });
    }, { allowHalfOpen: true });
    const c = new KnetSocket(a.task, -1, { allowHalfOpen: true });
    c.connect(7002, B);
    const answer = collect(c);
    const closed = once(c, 'close');
    c.write(pattern(300_000));
    c.end();
    let finished = false;
    c.on('finish', () => (finished = true));
    expect((await settle(clock, answer)).toString()).toBe('got 300000');
    expect(finished).toBe(true);
    await settle(clock, closed);
  });

  test('error codes: ECONNREFUSED, ETIMEDOUT, ECONNRESET and EPIPE as ErrnoErrors with code', async () => {
    const { clock, a, b } = cableHosts();
    const refused = knetConnect(a.task, { port: 1, host: B });
    const order: string[] = [];
    refused.on('connect', () => order.push('connect'));
    refused.on('error', () => order.push('error'));
    const refusedClosed = new Promise<boolean>((resolve) => refused.once('close', resolve));
    const [e1] = (await settle(clock, once(refused, 'error').catch((e: unknown) => [e]))) as [ErrnoError & { address: string; port: number }];
    // net.Socket's order: 'error', then 'close' with hadError.
    expect(await settle(clock, refusedClosed)).toBe(true);
    expect(order).toEqual(['error']);
    expect(e1).toBeInstanceOf(ErrnoError);
    expect(e1.code).toBe('ECONNREFUSED');
    expect(e1.syscall).toBe('connect');
    expect([e1.address, e1.port]).toEqual([B, 1]);

    // A listener that resets every connection it gets.
    await serve(clock, b, 7003, (s) => s.resetAndDestroy());
    const reset = knetConnect(a.task, 7003, B);
    const r2 = new Promise<ErrnoError>((resolve) => reset.once('error', resolve));
    reset.resume();
    expect((await settle(clock, r2)).code).toBe('ECONNRESET');

    // The server closes; the half-open client writes into the dead connection: RST, then EPIPE.
    await serve(clock, b, 7004, (s) => s.destroy(), { allowHalfOpen: true });
    const pipe = new KnetSocket(a.task, -1, { allowHalfOpen: true });
    pipe.connect(7004, B);
    pipe.resume();
    await settle(clock, once(pipe, 'end'));
    const r3 = new Promise<ErrnoError>((resolve) => pipe.once('error', resolve));
    pipe.write('data after the peer closed');
    // The peer's RST lands in CLOSE_WAIT, which Linux reports as EPIPE.
    await runFor(clock, 20);
    pipe.write('more');
    expect((await settle(clock, r3)).code).toBe('EPIPE');

    // Nobody answers the SYNs: ETIMEDOUT after the retries, on the virtual clock.
    const drop = { name: 'drop', hooknum: NF_INET_LOCAL_IN, priority: 0, hook: () => NF_DROP };
    nfRegisterNetHook(b.net, drop);
    const silent = knetConnect(a.task, 7005, B);
    const r4 = new Promise<ErrnoError>((resolve) => silent.once('error', resolve));
    expect((await settle(clock, r4, 200_000, 100)).code).toBe('ETIMEDOUT');
  });

  test('setTimeout fires on the host clock after idleness, and activity pushes it back', async () => {
    const { clock, a, b } = cableHosts();
    let srvSock: KnetSocket | null = null;
    await serve(clock, b, 7006, (s) => (srvSock = s));
    const c = knetConnect(a.task, 7006, B);
    await settle(clock, once(c, 'connect'));
    const times: number[] = [];
    c.setTimeout(1000, () => times.push(clock.now()));
    expect(c.timeout).toBe(1000);
    const t0 = clock.now();
    clock.schedule(600, () => srvSock!.write('keep alive'));
    c.resume();
    await settle(clock, once(c, 'timeout'));
    // The data at +600 ms restarted the idle timer.
    expect(times.length).toBe(1);
    expect(times[0]! - t0).toBeGreaterThanOrEqual(1600);
    c.setTimeout(0);
    expect(c.timeout).toBe(undefined);
    c.destroy();
  });

  test('setNoDelay and setKeepAlive reach the socket options; destroy() sends FIN and closes both ends', async () => {
    const { clock, a, b } = cableHosts();
    let srvSock: KnetSocket | null = null;
    await serve(clock, b, 7007, (s) => (srvSock = s));
    const c = knetConnect(a.task, { port: 7007, host: B, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    await settle(clock, once(c, 'connect'));
    expect(a.task.getsockopt(c.fd, SOL_TCP, TCP_NODELAY)).toBe(1);
    expect(a.task.getsockopt(c.fd, SOL_SOCKET, SO_KEEPALIVE)).toBe(1);
    expect(a.task.getsockopt(c.fd, SOL_TCP, TCP_KEEPIDLE)).toBe(30);
    c.setNoDelay(false);
    expect(a.task.getsockopt(c.fd, SOL_TCP, TCP_NODELAY)).toBe(0);
    const fd = c.fd;
    srvSock!.resume();
    const srvClosed = once(srvSock!, 'close');
    c.destroy();
    expect(c.destroyed).toBe(true);
    await settle(clock, once(c, 'close'));
    expect(a.task.fds()).not.toContain(fd);
    // allowHalfOpen is off: the server's 'end' ends its side too, and it closes.
    await settle(clock, srvClosed);
  });

  test('maxConnections drops the excess; getConnections counts; close waits for the last connection', async () => {
    const { clock, a, b } = cableHosts();
    const conns: KnetSocket[] = [];
    const srv = await serve(clock, b, 7008, (s) => conns.push(s));
    srv.maxConnections = 2;
    const drops: unknown[] = [];
    srv.on('drop', (d) => drops.push(d));
    const clients = [0, 1, 2].map(() => knetConnect(a.task, 7008, B));
    for (const c of clients) c.on('error', () => {});
    await runFor(clock, 50);
    expect(conns.length).toBe(2);
    expect(drops.length).toBe(1);
    const n = await settle(clock, new Promise<number>((resolve) => srv.getConnections((_e, k) => resolve(k))));
    expect(n).toBe(2);
    let closed = false;
    srv.close(() => (closed = true));
    await runFor(clock, 20);
    expect(closed).toBe(false);
    // A new connection attempt is refused now.
    const late = knetConnect(a.task, 7008, B);
    const lateErr = new Promise<ErrnoError>((resolve) => late.once('error', resolve));
    expect((await settle(clock, lateErr)).code).toBe('ECONNREFUSED');
    for (const s of conns) s.destroy();
    await runFor(clock, 20);
    expect(closed).toBe(true);
  });

  test('listen on a port in use is EADDRINUSE', async () => {
    const { clock, b } = cableHosts();
    // listen(port, host, backlog, cb), as net.Server takes it.
    const first = knetCreateServer(b.task, () => {});
    const listening = new Promise<void>((resolve) => first.listen(7009, B, 8, resolve));
    await settle(clock, listening);
    expect(first.address()).toEqual({ address: B, family: 'IPv4', port: 7009 });
    const again = knetCreateServer(b.task, () => {});
    again.listen(7009);
    const [err] = (await settle(clock, once(again, 'error').catch((e: unknown) => [e]))) as [ErrnoError];
    expect(err.code).toBe('EADDRINUSE');
  });

  test('a listener shut down under the server: one EINVAL error, and accepting stops', async () => {
    const { clock, b } = cableHosts();
    const srv = await serve(clock, b, 7010, () => {});
    const errors: string[] = [];
    srv.on('error', (e: ErrnoError) => errors.push(e.code));
    expect(b.task.shutdown(srv.fd, SHUT_RDWR)).toBe(0);
    await runFor(clock, 20);
    expect(errors).toEqual(['EINVAL']);
    expect(srv.listening).toBe(false);
  });
});
