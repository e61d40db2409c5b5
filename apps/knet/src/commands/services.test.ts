// The services over Node's own sockets on 127.0.0.1: the same stream interfaces knet's
// adapters provide, so this checks the service logic on its own.
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chargenPattern, httpAccept, httpFileServer, newServiceStats, parseRange, tcpChargen, tcpDiscard,
  tcpEcho, udpEcho,
} from './services.js';
import type { DgramLike } from './stack.js';

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(handler: (s: Duplex) => void): Promise<number> {
  const srv = createServer((s) => handler(s));
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as AddressInfo).port;
}

function dial(port: number): Promise<Socket> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1', () => r(s));
  });
}

function readAll(s: Socket, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    s.on('data', (b: Buffer) => {
      parts.push(b);
      n += b.length;
      if (n >= limit) s.destroy();
    });
    s.on('close', () => resolve(Buffer.concat(parts)));
  });
}

describe('TCP services', () => {
  it('echo returns every byte of 4 MiB, then closes after the peer does', async () => {
    const st = newServiceStats();
    const port = await listen((s) => tcpEcho(s, st));
    const c = await dial(port);
    const data = randomBytes(4 << 20);
    const back = readAll(c);
    c.end(data);
    const got = await back;
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
    expect(st.rxBytes).toBe(data.length);
    expect(st.connections).toBe(1);
  });

  it('discard counts every byte and sends nothing', async () => {
    const st = newServiceStats();
    const port = await listen((s) => tcpDiscard(s, st));
    const c = await dial(port);
    const back = readAll(c);
    c.end(Buffer.alloc(3_000_001, 7));
    expect((await back).length).toBe(0);
    expect(st.rxBytes).toBe(3_000_001);
  });

  it('chargen streams the RFC 864 pattern until the peer goes away', async () => {
    const st = newServiceStats();
    const port = await listen((s) => tcpChargen(s, st));
    const c = await dial(port);
    const got = await readAll(c, 1 << 20);
    const p = chargenPattern();
    expect(p.subarray(0, 74).toString('latin1')).toBe(
      `${' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_\`abcdefg'}\r\n`,
    );
    for (let i = 0; i + p.length <= got.length; i += p.length) expect(got.subarray(i, i + p.length).equals(p)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(st.active).toBe(0);
  });
});

describe('UDP echo', () => {
  it('returns each datagram to its sender', async () => {
    const st = newServiceStats();
    const srv = createSocket('udp4');
    udpEcho(srv as unknown as DgramLike, st);
    await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
    const cli = createSocket('udp4');
    const got = new Promise<Buffer>((r) => cli.once('message', (m) => r(m)));
    cli.send(Buffer.from('ping over udp'), srv.address().port, '127.0.0.1');
    expect((await got).toString()).toBe('ping over udp');
    expect(st.datagrams).toBe(1);
    cli.close();
    srv.close();
  });
});

describe('parseRange', () => {
  it.each([
    [undefined, 'none'],
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=100-', { start: 100, end: 999 }],
    ['bytes=-10', { start: 990, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=5-2', 'none'],
    ['bytes=0-1,5-6', 'none'],
    ['items=0-1', 'none'],
  ] as const)('%s', (h, want) => {
    expect(parseRange(h, 1000)).toEqual(want);
  });
});

describe('HTTP file server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knet-http-'));
  const body = randomBytes(1_000_003);
  writeFileSync(join(dir, 'blob.bin'), body);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function fetchIt(port: number, path: string, headers: Record<string, string> = {}): Promise<{ res: IncomingMessage; body: Buffer }> {
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => resolve({ res, body: Buffer.concat(parts) }));
      }).on('error', reject);
    });
  }

  it('serves whole files, single ranges, 416 and nothing outside its root', async () => {
    const st = newServiceStats();
    const http = httpFileServer(dir, st);
    const port = await listen((s) => httpAccept(http, s, st));
    const whole = await fetchIt(port, '/blob.bin');
    expect(whole.res.statusCode).toBe(200);
    expect(whole.res.headers['content-length']).toBe(String(body.length));
    expect(createHash('sha256').update(whole.body).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));

    const part = await fetchIt(port, '/blob.bin', { Range: 'bytes=1000-1999' });
    expect(part.res.statusCode).toBe(206);
    expect(part.res.headers['content-range']).toBe(`bytes 1000-1999/${body.length}`);
    expect(part.body.equals(body.subarray(1000, 2000))).toBe(true);

    const tail = await fetchIt(port, '/blob.bin', { Range: 'bytes=-3' });
    expect(tail.body.equals(body.subarray(body.length - 3))).toBe(true);

    const bad = await fetchIt(port, '/blob.bin', { Range: `bytes=${body.length}-` });
    expect(bad.res.statusCode).toBe(416);
    expect(bad.res.headers['content-range']).toBe(`bytes */${body.length}`);

    expect((await fetchIt(port, '/missing')).res.statusCode).toBe(404);
    expect((await fetchIt(port, '/..%2f..%2f..%2fetc%2fpasswd')).res.statusCode).toBe(403);
    expect(st.requests).toBe(6);
  });
});
