// inetd's built-ins on one knet host, reached from the same host over its loopback with
// knet's Node-style sockets.
import type { Duplex } from 'node:stream';
import { createHost } from '@knet/host';
import { createRealClock } from '@knet/softirq';
import { knetConnect } from '@knet/socket';
import { afterEach, describe, expect, it } from 'vitest';
import { Inetd, type InetdTask } from './inetd.js';
import { CHARGEN_CHUNK, newServiceStats } from './services.js';

function setup() {
  const host = createHost({ name: 'inetd-test', cpus: 1, clock: createRealClock() });
  const task = host.task();
  const inetd = new Inetd(task as InetdTask);
  return { task, inetd };
}

function connect(task: unknown, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = knetConnect(task as never, { host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the peer sends until it closes, or until `want` bytes have come. */
function collect(s: Duplex, want = Infinity): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    const done = () => resolve(Buffer.concat(parts));
    s.on('data', (b: Buffer) => {
      parts.push(b);
      n += b.length;
      if (n >= want) {
        s.removeAllListeners('end');
        done();
      }
    });
    s.once('end', done);
  });
}

describe('inetd built-in services on knet sockets', () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });

  it('echo sends back every byte, more than one send buffer holds included, and closes after the peer', async () => {
    const { task, inetd } = setup();
    stop = () => inetd.stop();
    const st = newServiceStats();
    expect(inetd.listen(7, 'echo', st)).toBe(0);
    const s = await connect(task, 7);
    const data = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 31) % 256));
    const got = collect(s);
    s.end(data);
    expect((await got).equals(data)).toBe(true);
    expect(st).toMatchObject({ connections: 1, rxBytes: data.length, txBytes: data.length });
    await new Promise((r) => setTimeout(r, 20));
    expect(st.active).toBe(0);
    expect(inetd.active).toBe(0);
  });

  it('discard counts and drops; chargen sends the RFC 864 pattern from where each send left off', async () => {
    const { task, inetd } = setup();
    stop = () => inetd.stop();
    const dst = newServiceStats();
    const cst = newServiceStats();
    expect(inetd.listen(9, 'discard', dst)).toBe(0);
    expect(inetd.listen(19, 'chargen', cst)).toBe(0);
    const d = await connect(task, 9);
    const nothing = collect(d);
    d.end(Buffer.alloc(100_000, 7));
    expect((await nothing).length).toBe(0);
    expect(dst.rxBytes).toBe(100_000);
    const c = await connect(task, 19);
    const want = 3 * CHARGEN_CHUNK.length + 1000;
    const got = await collect(c, want);
    c.destroy();
    for (let i = 0; i < want; i++) {
      if (got[i] !== CHARGEN_CHUNK[i % CHARGEN_CHUNK.length]) throw new Error(`chargen byte ${i} is ${got[i]}`);
    }
    expect(cst.txBytes).toBeGreaterThanOrEqual(want);
  });

  it('a port already taken is refused with the errno, and stop() sends open connections a FIN', async () => {
    const { task, inetd } = setup();
    const st = newServiceStats();
    expect(inetd.listen(7, 'echo', st)).toBe(0);
    expect(inetd.listen(7, 'discard', newServiceStats())).toBeLessThan(0);
    const s = await connect(task, 7);
    const ended = new Promise<void>((r) => s.once('end', r));
    s.resume();
    await new Promise((r) => setTimeout(r, 20));
    expect(inetd.active).toBe(1);
    const stopped = inetd.stop();
    await ended;
    s.end();
    await stopped;
    expect(inetd.active).toBe(0);
    expect(st.active).toBe(0);
  });
});
