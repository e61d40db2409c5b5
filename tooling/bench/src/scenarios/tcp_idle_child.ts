// The measuring side of tcp_idle_conn_memory, run in a child started with --expose-gc so a
// full collection can be forced before each reading. Prints one JSON line:
// { conns, socks, bytesBefore, bytesAfter } (V8 heap plus ArrayBuffer/external memory), `socks`
// being the established sockets the connections added (two per connection, one per endpoint).
import type { Host } from '@knet/host';
import { LOOPBACK, connectPair, listenOn, loadHostApi, loopbackHost, pump, type Conn } from './tcp_conn.js';

const PORT = 5003;
/**
 * Connections opened (and kept) before the first reading. The first connections run every
 * path cold: V8 compiles and optimises the stack's functions then, and that code is the
 * process's once, not any socket's, so it belongs in the baseline. With fewer (256) the
 * optimised code and deopt data still made while the measured connections open add about
 * 300 B to each socket's figure; from about 1000 on they add almost nothing.
 */
const WARM = 1000;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with --expose-gc');
  // Twice: the first pass can leave garbage found only by the next (weak refs, finalizers).
  g();
  g();
}

function used(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Established sockets as `ss -t state established` lists them: one per endpoint. */
function established(host: Host): number {
  return host.ss().filter((r) => r.state === 'ESTAB').length;
}

async function main(n: number): Promise<void> {
  const { clock, host } = loopbackHost(await loadHostApi());
  const { st, lfd } = listenOn(host, PORT);
  const ct = host.task();
  ct.nofile = st.nofile = 2 * (n + WARM) + 64;
  // Warm-up connections first, so compiled code, pools and tables that exist once are in the baseline.
  const warm: Conn[] = [];
  for (let i = 0; i < WARM; i++) warm.push(connectPair(clock, ct, st, lfd, LOOPBACK, PORT));
  pump(clock, () => false, 1000, 10);
  const estabBefore = established(host);
  const before = used();
  const conns: Conn[] = [];
  for (let i = 0; i < n; i++) conns.push(connectPair(clock, ct, st, lfd, LOOPBACK, PORT));
  // Idle: handshakes, delayed ACKs and any timers they armed have run their course.
  pump(clock, () => false, 1000, 10);
  const after = used();
  // Both readings hold the same live objects but the new connections: the array of them and
  // the host, listener and warm-up connections are alive at each.
  const socks = established(host) - estabBefore;
  if (warm.length !== WARM || socks !== 2 * n) throw new Error(`${socks} more established sockets, not ${2 * n}`);
  process.stdout.write(`${JSON.stringify({ conns: n, socks, bytesBefore: before, bytesAfter: after })}\n`);
}

main(Number(process.argv[2] ?? 1000)).catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
