// knet fetch: HTTP GET with Node's http client over a knet TCP socket on a TAP device.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { ArgError, intFlag, parseArgs } from '../args.js';
import type { Io } from '../io.js';
import { createOutput } from '../ui/output.js';
import { createProgress } from '../ui/progress.js';
import { formatKeyValues } from '../ui/table.js';
import { formatBytes, formatCount, formatRate } from '../ui/units.js';
import { mib, openTapHost, reportUnavailable, type TapHostOpts } from './stack.js';
import type { Command } from './types.js';

const usage = `usage: knet fetch URL --tap IFNAME --addr CIDR [options]
  URL               http://a.b.c.d[:port]/path (IPv4 literal; no DNS)
  --tap IFNAME      the Linux TAP interface to attach to
  --addr CIDR       knet's address, e.g. 198.18.0.2/24
  --gw IP           default gateway
  --mtu N, --mac MAC, --cc NAME, --pcap FILE   as for knet serve; --offload asks for IFF_VNET_HDR (off unless given)
  -o FILE           write the body to FILE (default: discard it)
  --range SPEC      send Range: bytes=SPEC
  --json            print one JSON object: { status, bytes, ms, goodputBps, sha256 }`;

export interface FetchResult {
  status: number;
  bytes: number;
  ms: number;
  goodputBps: number;
  sha256: string;
  retransSegs: number;
}

export interface FetchOpts extends TapHostOpts {
  url: URL;
  output?: string;
  range?: string;
}

export function parseFetchArgs(argv: readonly string[]): { opts: FetchOpts; json: boolean } {
  // -o is the one short flag; rewrite it before the long-flag parser sees it.
  const a = argv.map((x) => (x === '-o' ? '--output' : x));
  const args = parseArgs(a, { boolean: ['offload', 'json'], string: ['tap', 'addr', 'gw', 'mtu', 'mac', 'cc', 'pcap', 'output', 'range'] });
  const f = args.flags;
  if (args.positional.length !== 1) throw new ArgError('exactly one URL is required');
  let url: URL;
  try {
    url = new URL(args.positional[0]!);
  } catch {
    throw new ArgError(`not a URL: ${args.positional[0]}`);
  }
  if (url.protocol !== 'http:') throw new ArgError('only http:// URLs are supported');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname)) throw new ArgError('the URL host must be an IPv4 address');
  if (typeof f.tap !== 'string') throw new ArgError('--tap IFNAME is required');
  if (typeof f.addr !== 'string' || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(f.addr)) throw new ArgError('--addr a.b.c.d/len is required');
  const opts: FetchOpts = { url, tap: f.tap, addr: f.addr, offload: f.offload === true };
  if (typeof f.gw === 'string') opts.gw = f.gw;
  if (f.mtu !== undefined) opts.mtu = intFlag(args, 'mtu', 1500);
  if (typeof f.mac === 'string') opts.mac = f.mac;
  if (typeof f.cc === 'string') opts.cc = f.cc;
  if (typeof f.pcap === 'string') opts.pcap = f.pcap;
  if (typeof f.output === 'string') opts.output = f.output;
  if (typeof f.range === 'string') opts.range = f.range;
  return { opts, json: f.json === true };
}

export async function runFetch(opts: FetchOpts, io: Io, json: boolean): Promise<FetchResult> {
  const out = createOutput(io, json);
  const th = await openTapHost(opts);
  try {
    const t0 = performance.now();
    const hash = createHash('sha256');
    const file = opts.output !== undefined ? createWriteStream(opts.output) : null;
    const { status, bytes } = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = request(
        {
          host: opts.url.hostname,
          port: Number(opts.url.port || 80),
          path: `${opts.url.pathname}${opts.url.search}`,
          headers: { Connection: 'close', ...(opts.range ? { Range: `bytes=${opts.range}` } : {}) },
          // No agent: with `agent: false` Node makes a fresh Agent, which ignores createConnection
          // and dials through the kernel's own sockets instead of knet.
          createConnection: () => th.api.knetConnect(th.task, { host: opts.url.hostname, port: Number(opts.url.port || 80) }) as never,
        },
        (res) => {
          const total = Number(res.headers['content-length'] ?? 0);
          const bar = createProgress(out.human, total, opts.url.pathname);
          let n = 0;
          res.on('data', (b: Buffer) => {
            n += b.length;
            hash.update(b);
            if (file !== null && !file.write(b)) {
              res.pause();
              file.once('drain', () => res.resume());
            }
            bar.update(n);
          });
          res.on('end', () => {
            if (total > 0) bar.done();
            resolve({ status: res.statusCode ?? 0, bytes: n });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    if (file !== null) await new Promise<void>((r, j) => file.end((e?: Error | null) => (e ? j(e) : r())));
    const ms = performance.now() - t0;
    const r: FetchResult = {
      status, bytes, ms, goodputBps: bytes / (ms / 1000), sha256: hash.digest('hex'), retransSegs: mib(th.host, 'Tcp', 'RetransSegs'),
    };
    if (json) out.result(r);
    else
      out.say(
        formatKeyValues([
          ['status', r.status],
          ['bytes', `${formatCount(r.bytes)} (${formatBytes(r.bytes)})`],
          ['time', `${(r.ms / 1000).toFixed(3)} s`],
          ['goodput', formatRate(r.goodputBps)],
          ['sha256', r.sha256],
          ['retransmits', r.retransSegs],
        ]),
      );
    return r;
  } finally {
    // Let the last ACK and FIN leave before the TAP closes.
    await new Promise((r) => setTimeout(r, 50));
    th.close();
  }
}

export const fetch: Command = {
  name: 'fetch',
  summary: 'HTTP GET over knet TCP on a Linux TAP device: bytes, time, goodput',
  usage,
  async run(argv, io) {
    const { opts, json } = parseFetchArgs(argv);
    return reportUnavailable('fetch', io, async () => {
      const r = await runFetch(opts, io, json);
      return r.status >= 200 && r.status < 300 ? 0 : 1;
    });
  },
};
