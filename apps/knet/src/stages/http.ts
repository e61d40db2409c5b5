// Node's own http module on knet sockets: an http.Server on b fed the connections a KnetServer
// accepts, and an http.get from a whose socket is a knetConnect, through r.
import { createHash } from 'node:crypto';
import { createServer, get, type IncomingMessage } from 'node:http';
import { knetConnect, knetCreateServer } from '@knet/socket';
import type { DemoLab } from '../core/lab.js';
import { settle } from '../core/settle.js';
import { formatKeyValues } from '../ui/table.js';
import { formatCount } from '../ui/units.js';
import type { DemoStage } from './types.js';

export interface HttpJson {
  status: number;
  /** Body bytes a read. */
  bytes: number;
  /** The body's SHA-256 matched what the server wrote. */
  sha256Match: boolean;
}

const PORT = 80;
const BODY_LEN = 100_000;
/** Virtual time the exchange may take, handshake and close included. */
const MAX_MS = 10_000;

function body(): Buffer {
  const b = Buffer.alloc(BODY_LEN);
  for (let i = 0; i < b.length; i++) b[i] = 0x20 + ((i * 31 + (i >> 7)) % 95);
  return b;
}

export const httpStage: DemoStage<DemoLab, unknown> = {
  key: 'http',
  title: `HTTP: Node's http.Server on b:${PORT}, http.get from a, over knet sockets`,
  async run(lab) {
    const payload = body();
    const httpd = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': payload.length });
      res.end(req.method === 'HEAD' ? undefined : payload);
    });
    // The listener is knet's; http only sees the accepted connections.
    const srv = knetCreateServer(lab.b.host.task(), (s) => httpd.emit('connection', s));
    const cli = lab.a.host.task();
    try {
      await settle(lab.clock, new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(PORT, resolve);
      }), MAX_MS);
      const res = await settle(lab.clock, new Promise<{ msg: IncomingMessage; data: Buffer }>((resolve, reject) => {
        const req = get({
          host: lab.b.addr,
          port: PORT,
          path: '/demo',
          createConnection: () => knetConnect(cli, { host: lab.b.addr, port: PORT }),
        }, (msg) => {
          const chunks: Buffer[] = [];
          msg.on('data', (c: Buffer) => chunks.push(c));
          msg.on('end', () => resolve({ msg, data: Buffer.concat(chunks) }));
          msg.on('error', reject);
        });
        req.on('error', reject);
      }), MAX_MS);
      const sum = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const json: HttpJson = { status: res.msg.statusCode ?? 0, bytes: res.data.length, sha256Match: sum(res.data) === sum(payload) };
      const human = formatKeyValues([
        ['request', `GET http://${lab.b.addr}/demo (http.get, createConnection: knetConnect)`],
        ['status', `${json.status} ${res.msg.statusMessage ?? ''}`.trimEnd()],
        ['content-length', res.msg.headers['content-length'] ?? '-'],
        ['body', `${formatCount(json.bytes)} bytes, sha256 ${json.sha256Match ? 'matches' : 'DIFFERS'}`],
      ]);
      return { json, human, ok: json.status === 200 && json.bytes === BODY_LEN && json.sha256Match };
    } finally {
      await settle(lab.clock, new Promise<void>((resolve) => srv.close(() => resolve())), MAX_MS).catch(() => {});
      httpd.close();
    }
  },
};
