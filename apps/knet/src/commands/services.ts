// The small services of `knet serve`, written against Node's stream and dgram interfaces so
// they run the same over knet sockets and over Node's own: echo (RFC 862), discard (RFC 863),
// chargen (RFC 864), and static files over HTTP/1.1 with byte ranges (RFC 9110 §14).
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import type { DgramLike } from './stack.js';

/** Per-service counters, shown in the status line and printed at exit. */
export interface ServiceStats {
  connections: number;
  active: number;
  rxBytes: number;
  txBytes: number;
  datagrams: number;
  requests: number;
}

export function newServiceStats(): ServiceStats {
  return { connections: 0, active: 0, rxBytes: 0, txBytes: 0, datagrams: 0, requests: 0 };
}

function track(sock: Duplex, st: ServiceStats): void {
  st.connections++;
  st.active++;
  sock.once('close', () => st.active--);
  // A reset from the peer must not take the server down.
  sock.on('error', () => sock.destroy());
}

/** RFC 862 over TCP: everything received goes back. */
export function tcpEcho(sock: Duplex, st: ServiceStats): void {
  track(sock, st);
  sock.on('data', (b: Buffer) => {
    st.rxBytes += b.length;
    st.txBytes += b.length;
    if (!sock.write(b)) {
      sock.pause();
      sock.once('drain', () => sock.resume());
    }
  });
  sock.on('end', () => sock.end());
}

/** RFC 863 over TCP: read and count. */
export function tcpDiscard(sock: Duplex, st: ServiceStats): void {
  track(sock, st);
  sock.on('data', (b: Buffer) => {
    st.rxBytes += b.length;
  });
  sock.on('end', () => sock.end());
}

/** RFC 864: 72-character lines, each starting one further along the 95 printable characters. */
export function chargenPattern(lines = 95): Buffer {
  const out = Buffer.alloc(lines * 74);
  for (let l = 0; l < lines; l++) {
    for (let i = 0; i < 72; i++) out[l * 74 + i] = 32 + ((l + i) % 95);
    out[l * 74 + 72] = 13;
    out[l * 74 + 73] = 10;
  }
  return out;
}

// Nine full cycles (63,270 bytes): each write continues the pattern where the last one ended.
export const CHARGEN_CHUNK = Buffer.concat(Array.from({ length: 9 }, () => chargenPattern()));

/** RFC 864 over TCP: send as fast as the peer's window allows until it closes. */
export function tcpChargen(sock: Duplex, st: ServiceStats): void {
  track(sock, st);
  let open = true;
  const stop = () => {
    open = false;
  };
  sock.once('close', stop);
  sock.once('error', stop);
  sock.on('data', (b: Buffer) => {
    st.rxBytes += b.length;
  });
  sock.once('end', () => {
    open = false;
    sock.end();
  });
  const pump = () => {
    while (open) {
      st.txBytes += CHARGEN_CHUNK.length;
      if (!sock.write(CHARGEN_CHUNK)) {
        sock.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** RFC 862 over UDP. */
export function udpEcho(sock: DgramLike, st: ServiceStats): void {
  sock.on('message', (msg, rinfo) => {
    st.datagrams++;
    st.rxBytes += msg.length;
    st.txBytes += msg.length;
    sock.send(msg, rinfo.port, rinfo.address);
  });
}

/** RFC 863 over UDP. */
export function udpDiscard(sock: DgramLike, st: ServiceStats): void {
  sock.on('message', (msg) => {
    st.datagrams++;
    st.rxBytes += msg.length;
  });
}

/** A parsed `Range: bytes=` header against a file of `size` bytes. */
export type RangeResult = { start: number; end: number } | 'none' | 'unsatisfiable';

/** One byte range (RFC 9110 §14.1.2); several ranges are served as the whole file. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return 'none';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return 'none';
  const [, a, b] = m;
  if (a === '' && b === '') return 'none';
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return 'none';
  return { start, end };
}

/** Static files under `root` with Content-Length and single byte ranges. */
export function httpFileServer(root: string, st: ServiceStats): Server {
  const base = resolve(root);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    st.requests++;
    const fail = (code: number, extra: Record<string, string> = {}) => {
      res.writeHead(code, { 'Content-Length': '0', ...extra });
      res.end();
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, { Allow: 'GET, HEAD' });
    let path: string;
    try {
      path = resolve(base, `.${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`);
    } catch {
      return fail(400);
    }
    if (path !== base && !path.startsWith(base + sep)) return fail(403);
    let size: number;
    try {
      const s = statSync(path);
      if (!s.isFile()) return fail(404);
      size = s.size;
    } catch {
      return fail(404);
    }
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') return fail(416, { 'Content-Range': `bytes */${size}` });
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    let start = 0;
    let end = size - 1;
    if (range === 'none') res.writeHead(200, { ...headers, 'Content-Length': String(size) });
    else {
      ({ start, end } = range);
      res.writeHead(206, { ...headers, 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${size}` });
    }
    if (req.method === 'HEAD' || size === 0) return res.end();
    const rs = createReadStream(path, { start, end, highWaterMark: 256 * 1024 });
    rs.on('data', (c) => {
      st.txBytes += c.length;
    });
    rs.on('error', () => res.destroy());
    res.on('close', () => rs.destroy());
    rs.pipe(res);
  });
}

/** Hand a connected socket to an http.Server, as net.Server would. */
export function httpAccept(server: Server, sock: Duplex, st: ServiceStats): void {
  track(sock, st);
  server.emit('connection', sock);
}
