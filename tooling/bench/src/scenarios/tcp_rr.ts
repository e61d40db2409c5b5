// tcp_rr and tcp_crr: 1-byte request/response on one host over lo, as Node's references do over
// the kernel's loopback (node_tcp_rr, node_tcp_crr): transactions on one connection, and a
// new connection for each (connect, request, response, close), per second of wall time.
import { SOL_TCP, TCP_NODELAY } from '@knet/include';
import type { Scenario } from '../types.js';
import { LOOPBACK, connectPair, listenOn, loadHostApi, loopbackHost, pump, type Conn } from './tcp_conn.js';

const PORT = 5002;
const RUN_MS = 2000;
const WARM = 200;

const ONE = new Uint8Array([1]);
const BUF = new Uint8Array(16);

/** One request and its answer on `c`: the client writes a byte, the server echoes it. */
function transact(clock: Parameters<typeof pump>[0], c: Conn): void {
  if (c.ct.send(c.cfd, ONE) !== 1) throw new Error('request send failed');
  if (!pump(clock, () => c.st.recv(c.sfd, BUF) === 1)) throw new Error('the request never arrived');
  if (c.st.send(c.sfd, ONE) !== 1) throw new Error('response send failed');
  if (!pump(clock, () => c.ct.recv(c.cfd, BUF) === 1)) throw new Error('the response never arrived');
}

/**
 * Connections per crr run, warm-up included. The virtual clock barely moves while it runs, so
 * once connect() wraps around its half of the ephemeral range (14,116 ports) each new SYN would
 * meet the server's TIME_WAIT for the same 4-tuple with the same ISN and timestamp, which
 * RFC 6191's rules (as Linux's) refuse; stay below that.
 */
const CRR_MAX = 12_000;

/** Calls `fn` for `runMs` of wall time (or `max` calls) after WARM calls; returns calls per second. */
function rate(fn: () => void, runMs: number, max = Infinity): number {
  for (let i = 0; i < WARM; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while ((t = performance.now()) - t0 < runMs && n < max - WARM) {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
  }
  return n / ((t - t0) / 1000);
}

export async function rrRate(runMs = RUN_MS): Promise<number> {
  const { clock, host } = loopbackHost(await loadHostApi());
  const { st, lfd } = listenOn(host, PORT);
  const c = connectPair(clock, host.task(), st, lfd, LOOPBACK, PORT);
  // As the reference's sockets: no Nagle delay on either end.
  c.ct.setsockopt(c.cfd, SOL_TCP, TCP_NODELAY, 1);
  c.st.setsockopt(c.sfd, SOL_TCP, TCP_NODELAY, 1);
  return rate(() => transact(clock, c), runMs);
}

export async function crrRate(runMs = RUN_MS): Promise<number> {
  const { clock, host } = loopbackHost(await loadHostApi());
  const { st, lfd } = listenOn(host, PORT);
  const ct = host.task();
  return rate(() => {
    const c = connectPair(clock, ct, st, lfd, LOOPBACK, PORT);
    c.ct.setsockopt(c.cfd, SOL_TCP, TCP_NODELAY, 1);
    transact(clock, c);
    // The server closes first, as the reference's peer does (s.end(d)); TIME_WAIT stays there.
    c.st.close(c.sfd);
    if (!pump(clock, () => c.ct.recv(c.cfd, BUF) === 0)) throw new Error('the server FIN never arrived');
    c.ct.close(c.cfd);
    clock.run(clock.now());
  }, runMs, CRR_MAX);
}

export const tcpRr: Scenario = {
  name: 'tcp_rr',
  unit: 'trans/s',
  direction: 'higher',
  summary: '1-byte request/response on one TCP connection over lo, one host',
  reference: 'node_tcp_rr',
  run: async () => ({ value: await rrRate() }),
};

export const tcpCrr: Scenario = {
  name: 'tcp_crr',
  unit: 'conn/s',
  direction: 'higher',
  summary: 'connect + 1-byte request/response + close over lo, one host',
  reference: 'node_tcp_crr',
  run: async () => ({ value: await crrRate() }),
};
