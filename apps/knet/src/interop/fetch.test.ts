// `knet fetch` on a TAP device downloading from python3's http.server in a namespace of our
// own, plainly (with offloads) and through netem (sch_netem, or where the kernel lacks it the
// same impairment from an NFQUEUE delay line: see @knet/tap/testing's addNetem). Kernel ends
// 198.18.0.1 and 198.18.1.1, knet .2 on each.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNetem, collect, createNetns, kernelTap, type Netns, netnsSkipReason, sha256File, waitExit, waitFor } from './netns.js';

const skip = netnsSkipReason();
const inCI = process.env.CI === 'true';
if (skip !== null && !inCI) console.warn(`knet fetch interop tests skipped: ${skip}`);

const MiB = 1 << 20;

describe.skipIf(skip !== null && !inCI)(`knet fetch from Linux${skip ? ` (${skip})` : ''}`, () => {
  let ns: Netns;
  let dir: string;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    ns = createNetns('fetch');
    dir = mkdtempSync(join(tmpdir(), 'knet-fetch-'));
    writeFileSync(join(dir, 'blob32.bin'), randomBytes(32 * MiB));
    // Each test on its own TAP: a persistent TAP keeps the offloads a --offload run set on it.
    kernelTap(ns, 'ktapF');
    kernelTap(ns, 'ktapN', '198.18.1.1/24');
    for (const addr of ['198.18.0.1', '198.18.1.1']) {
      servers.push(ns.spawn('python3', ['-m', 'http.server', '--bind', addr, '--directory', dir, '8000']));
      await waitFor('http.server to listen', () => ns.run('ss', ['-Htln']).includes(`${addr}:8000`), 10_000, 50);
    }
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) {
      if (server.pid !== undefined && server.exitCode === null) {
        server.kill('SIGTERM');
        await waitExit(server, 5000);
      }
    }
    ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function knetFetch(file: string, tap: string, net: string, extra: string[], timeoutMs: number) {
    const out = join(dir, `${file}.${tap}.fetched`);
    const p = ns.knet(['fetch', `http://${net}.1:8000/${file}`, '--tap', tap, '--addr', `${net}.2/24`, '--json', '-o', out, ...extra]);
    const io = collect(p);
    const code = await waitExit(p, timeoutMs);
    return { code, out, err: io.err(), result: io.out().trim() ? (JSON.parse(io.out().trim()) as { status: number; bytes: number; sha256: string }) : null };
  }

  it('downloads 32 MiB with a matching SHA-256 (offloads on)', async () => {
    const r = await knetFetch('blob32.bin', 'ktapF', '198.18.0', ['--offload'], 100_000);
    expect(r.err).not.toMatch(/Error|unavailable/);
    expect(r.code).toBe(0);
    expect(r.result?.status).toBe(200);
    expect(r.result?.bytes).toBe(32 * MiB);
    const want = sha256File(join(dir, 'blob32.bin'));
    expect(r.result?.sha256).toBe(want);
    expect(sha256File(r.out)).toBe(want);
  }, 110_000);

  it('downloads 32 MiB intact through netem (delay 5ms loss 2% reorder 10% duplicate 1%)', async (ctx) => {
    const netem = await addNetem(ns, 'ktapN', ['delay', '5ms', 'loss', '2%', 'reorder', '10%', 'duplicate', '1%'], { peer: '198.18.1.2' });
    if (typeof netem === 'string') {
      if (inCI) throw new Error(`cannot impair ktapN: ${netem}`);
      console.warn(`netem test skipped: ${netem}`);
      ctx.skip(netem);
      return;
    }
    const r = await knetFetch('blob32.bin', 'ktapN', '198.18.1', [], 130_000).finally(() => netem.remove());
    const stats = await netem.remove(); // the counters, read once at the removal above
    expect(r.code, r.err).toBe(0);
    expect(r.result?.bytes).toBe(32 * MiB);
    expect(sha256File(r.out)).toBe(sha256File(join(dir, 'blob32.bin')));
    // The data went through the impairment, not around it.
    expect(stats.dropped, JSON.stringify(stats.raw)).toBeGreaterThan(0);
    expect(stats.delayed).toBeGreaterThan(0);
    expect(stats.reordered).toBeGreaterThan(0);
    if (stats.via === 'nfqueue') expect(stats.duplicated).toBeGreaterThan(0); // sch_netem does not count them
  }, 150_000);
});
