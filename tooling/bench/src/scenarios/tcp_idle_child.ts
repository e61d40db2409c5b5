// The measuring side of tcp_idle_conn_memory, run in a child started with --expose-gc so a
// full collection can be forced before each reading. Prints one JSON line:
// { conns, bytesBefore, bytesAfter } (V8 heap plus ArrayBuffer/external memory).
import { LOOPBACK, connectPair, listenOn, loadHostApi, loopbackHost, pump, type Conn } from './tcp_conn.js';

const PORT = 5003;

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

async function main(n: number): Promise<void> {
  const { clock, host } = loopbackHost(await loadHostApi());
  const { st, lfd } = listenOn(host, PORT);
  const ct = host.task();
  ct.nofile = st.nofile = 2 * n + 64;
  // One connection first, so code paths, pools and tables that exist once are in the baseline.
  const first = connectPair(clock, ct, st, lfd, LOOPBACK, PORT);
  pump(clock, () => false, 1000, 10);
  const before = used();
  const conns: Conn[] = [];
  for (let i = 0; i < n; i++) conns.push(connectPair(clock, ct, st, lfd, LOOPBACK, PORT));
  // Idle: handshakes, delayed ACKs and any timers they armed have run their course.
  pump(clock, () => false, 1000, 10);
  const after = used();
  const estab = host.ss().filter((r) => r.state === 'ESTAB').length;
  if (first.sfd < 0 || estab !== 2 * (n + 1)) throw new Error(`${estab} established sockets, not ${2 * (n + 1)}`);
  process.stdout.write(`${JSON.stringify({ conns: n, bytesBefore: before, bytesAfter: after })}\n`);
}

main(Number(process.argv[2] ?? 1000)).catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
