// `knet fetch` on a TAP device downloading from python3's http.server in a namespace of our
// own, plainly and through netem (sch_netem, or where the kernel lacks it the same impairment
// from an NFQUEUE delay line: see @knet/tap/testing's addNetem). Kernel end 198.18.0.1, knet
// 198.18.0.2.
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
  let server: ChildProcess;

  beforeAll(async () => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    ns = createNetns('fetch');
    dir = mkdtempSync(join(tmpdir(), 'knet-fetch-'));
    writeFileSync(join(dir, 'blob32.bin'), randomBytes(32 * MiB));
    kernelTap(ns, 'ktapF');
    server = ns.spawn('python3', ['-m', 'http.server', '--bind', '198.18.0.1', '--directory', dir, '8000']);
    await waitFor('http.server to listen', () => ns.run('ss', ['-Htln']).includes('198.18.0.1:8000'), 10_000, 50);
  }, 60_000);

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      server.kill('SIGTERM');
      await waitExit(server, 5000);
    }
    ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function knetFetch(file: string, extra: string[], timeoutMs: number) {
    const out = join(dir, `${file}.fetched`);
    const p = ns.knet(['fetch', `http://198.18.0.1:8000/${file}`, '--tap', 'ktapF', '--addr', '198.18.0.2/24', '--json', '-o', out, ...extra]);
    const io = collect(p);
    const code = await waitExit(p, timeoutMs);
    return { code, out, err: io.err(), result: io.out().trim() ? (JSON.parse(io.out().trim()) as { status: number; bytes: number; sha256: string }) : null };
  }

  it('downloads 32 MiB with a matching SHA-256 (offloads on)', async () => {
    const r = await knetFetch('blob32.bin', ['--offload'], 100_000);
    expect(r.err).not.toMatch(/Error|unavailable/);
    expect(r.code).toBe(0);
    expect(r.result?.status).toBe(200);
    expect(r.result?.bytes).toBe(32 * MiB);
    const want = sha256File(join(dir, 'blob32.bin'));
    expect(r.result?.sha256).toBe(want);
    expect(sha256File(r.out)).toBe(want);
  }, 110_000);

  it('downloads 32 MiB intact through netem (delay 5ms loss 2% reorder 10% duplicate 1%)', async (ctx) => {
    const netem = await addNetem(ns, 'ktapF', ['delay', '5ms', 'loss', '2%', 'reorder', '10%', 'duplicate', '1%'], { peer: '198.18.0.2' });
    if (typeof netem === 'string') {
      if (inCI) throw new Error(`cannot impair ktapF: ${netem}`);
      console.warn(`netem test skipped: ${netem}`);
      ctx.skip(netem);
      return;
    }
    const r = await knetFetch('blob32.bin', [], 130_000).finally(() => netem.remove());
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
