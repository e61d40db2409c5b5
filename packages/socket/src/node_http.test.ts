// Node's own http server and client over knet stream sockets: KnetServer hands each accepted
// KnetSocket to http.Server as a 'connection'; the client dials through createConnection. The
// stack runs on the virtual clock; settle() turns the event loop between clock steps.
import { describe, expect, test } from 'vitest';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import type { VirtualClock } from '@knet/softirq';
import { A, B, type BenchHost, cableHosts, settle } from './test/bench.js';
import { type KnetServer, type KnetSocket, knetConnect, knetCreateServer } from './node_net.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function body(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >> 11)) & 0xff;
  return b;
}

const BIG = body(1 << 20);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  localPort: number | undefined;
}

/** One request; resolves with the whole response. */
function request(opts: http.RequestOptions, payload?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const parts: Buffer[] = [];
      // An agent takes the socket back at the end of the response: note it now.
      const localPort = (res.socket as unknown as KnetSocket).localPort;
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** An http.Server fed by a KnetServer on b:80. */
async function httpOnKnet(clock: VirtualClock, b: BenchHost): Promise<{ httpSrv: http.Server; srv: KnetServer; conns: KnetSocket[] }> {
  const httpSrv = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/hello') {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello ${req.socket.remoteAddress}`);
      return;
    }
    if (req.method === 'GET' && req.url === '/big') {
      res.setHeader('content-length', BIG.length);
      res.end(BIG);
      return;
    }
    if (req.method === 'POST' && req.url === '/echo') {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const got = Buffer.concat(parts);
        res.setHeader('x-sha256', sha256(got));
        res.end(got);
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const conns: KnetSocket[] = [];
  const srv = knetCreateServer(b.task, (s) => {
    conns.push(s);
    httpSrv.emit('connection', s);
  });
  const listening = once(srv, 'listening');
  srv.listen(80, B);
  await settle(clock, listening);
  return { httpSrv, srv, conns };
}

describe('Node http over knet sockets', () => {
  test('GET and POST through createConnection, one connection per request', async () => {
    const { clock, a, b } = cableHosts();
    const { conns } = await httpOnKnet(clock, b);
    const dial = (): Duplex => knetConnect(a.task, { port: 80, host: B });
    const hello = await settle(clock, request({ path: '/hello', createConnection: dial }));
    expect(hello.status).toBe(200);
    expect(hello.headers['content-type']).toBe('text/plain');
    expect(hello.body.toString()).toBe(`hello ${A}`);
    const payload = body(200_000);
    const echo = await settle(clock, request({ method: 'POST', path: '/echo', createConnection: dial }, payload));
    expect(echo.status).toBe(200);
    expect(echo.headers['x-sha256']).toBe(sha256(payload));
    expect(echo.body.equals(payload)).toBe(true);
    const missing = await settle(clock, request({ path: '/nope', createConnection: dial }));
    expect(missing.status).toBe(404);
    expect(conns.length).toBe(3);
  });

  test('keep-alive: two requests on one connection, then a 1 MiB body checked by hash', async () => {
    const { clock, a, b } = cableHosts();
    const { conns, httpSrv } = await httpOnKnet(clock, b);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // http.Agent dials through createConnection(options, callback).
    (agent as unknown as { createConnection: () => Duplex }).createConnection = () => knetConnect(a.task, { port: 80, host: B });
    const first = await settle(clock, request({ agent, path: '/hello' }));
    expect(first.headers.connection).toBe('keep-alive');
    expect(first.localPort).toBeGreaterThanOrEqual(32768);
    const posted = body(50_000);
    const second = await settle(clock, request({ agent, method: 'POST', path: '/echo' }, posted));
    expect(second.body.equals(posted)).toBe(true);
    expect(second.localPort).toBe(first.localPort);
    const big = await settle(clock, request({ agent, path: '/big' }));
    expect(big.status).toBe(200);
    expect(Number(big.headers['content-length'])).toBe(BIG.length);
    expect(sha256(big.body)).toBe(sha256(BIG));
    expect(big.localPort).toBe(first.localPort);
    // All three went over the one accepted connection.
    expect(conns.length).toBe(1);
    expect(conns[0]!.remotePort).toBe(first.localPort);
    // The server drops the idle connection after keepAliveTimeout, on the host clock.
    const serverSide = conns[0]!;
    const closed = once(serverSide, 'close');
    expect(httpSrv.keepAliveTimeout).toBe(5000);
    await settle(clock, closed, 10_000);
    agent.destroy();
  });
});
