// `knet serve` on a TAP device against the real Linux stack in a namespace of our own:
// ping, curl (whole file and a range), discard, TCP and UDP echo, then the same curl under
// netem (sch_netem, or where the kernel lacks it the same impairment from an NFQUEUE delay
// line: see @knet/tap/testing's addNetem), and a clean SIGTERM. Kernel end 198.18.0.1, knet
// 198.18.0.2.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNetem, createNetns, kernelTap, type Netns, netnsSkipReason, runIn, type ServeProc, sha256File, startServe,
} from './netns.js';

const skip = netnsSkipReason();
const inCI = process.env.CI === 'true';
if (skip !== null && !inCI) console.warn(`knet serve interop tests skipped: ${skip}`);

const MAC = '02:00:5e:12:00:02';
const MiB = 1 << 20;

// Sends `total` bytes as numbered 1024-byte datagrams, at most `window` unanswered, resending
// what is not echoed within 200 ms; prints "ok <resends>" when every datagram came back intact.
const UDP_ECHO_PY = `
import socket, sys, os, hashlib, time
total, window = int(sys.argv[1]), 64
n = total // 1024
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.connect(("198.18.0.2", 7))
payload = lambda i: i.to_bytes(4, "big") + hashlib.sha256(i.to_bytes(4, "big")).digest() * 31 + bytes(1020 - 992)
got, sent_at, nxt, resends, deadline = set(), {}, 0, 0, time.time() + 60
while len(got) < n and time.time() < deadline:
    while nxt < n and len(sent_at) < window:
        s.send(payload(nxt)); sent_at[nxt] = time.time(); nxt += 1
    try:
        d = s.recv(2048)
        i = int.from_bytes(d[:4], "big")
        if d != payload(i): sys.exit("corrupt datagram %d" % i)
        got.add(i); sent_at.pop(i, None)
    except socket.timeout:
        for i in list(sent_at):
            s.send(payload(i)); sent_at[i] = time.time(); resends += 1
print("ok" if len(got) == n else "incomplete %d/%d" % (len(got), n), resends)
`;

describe.skipIf(skip !== null && !inCI)(`knet serve against Linux${skip ? ` (${skip})` : ''}`, () => {
  let ns: Netns;
  let dir: string;
  let serve: ServeProc | null = null;

  beforeAll(async () => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    ns = createNetns('serve');
    dir = mkdtempSync(join(tmpdir(), 'knet-serve-'));
    writeFileSync(join(dir, 'blob32.bin'), randomBytes(32 * MiB));
    writeFileSync(join(dir, 'echo4.bin'), randomBytes(4 * MiB));
    kernelTap(ns, 'ktapS');
    serve = await startServe(ns, ['--tap', 'ktapS', '--addr', '198.18.0.2/24', '--mac', MAC, '--http-root', dir]);
  }, 90_000);

  afterAll(() => {
    if (serve?.proc.pid !== undefined && serve.proc.exitCode === null) serve.proc.kill('SIGKILL');
    ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ping -c 20: no loss, and the kernel learns knet\'s MAC', async () => {
    const r = await runIn(ns, 'ping', ['-c', '20', '-i', '0.05', '-W', '2', '198.18.0.2'], 20_000);
    expect(r.out).toContain(' 0% packet loss');
    expect(r.code).toBe(0);
    expect(ns.run('ip', ['neigh', 'show', '198.18.0.2', 'dev', 'ktapS'])).toContain(`lladdr ${MAC}`);
  }, 30_000);

  it('curl fetches 32 MiB intact, and a byte range', async () => {
    const out = join(dir, 'curl32.out');
    const r = await runIn(ns, 'curl', ['-sS', '--max-time', '90', '-o', out, '-w', '%{http_code} %{size_download}', 'http://198.18.0.2/blob32.bin'], 100_000);
    expect(r.err, serve!.err()).toBe('');
    expect(r.out).toBe(`200 ${32 * MiB}`);
    expect(sha256File(out)).toBe(sha256File(join(dir, 'blob32.bin')));
    const part = join(dir, 'range.out');
    const rr = await runIn(ns, 'curl', ['-sS', '--max-time', '20', '-r', '1000000-1999999', '-D', '-', '-o', part, 'http://198.18.0.2/blob32.bin'], 30_000);
    expect(rr.out).toMatch(/^HTTP\/1\.1 206/);
    expect(rr.out).toMatch(new RegExp(`content-range: bytes 1000000-1999999/${32 * MiB}`, 'i'));
    expect(readFileSync(part).equals(readFileSync(join(dir, 'blob32.bin')).subarray(1_000_000, 2_000_000))).toBe(true);
  }, 130_000);

  it('Linux sends 64 MiB to discard', async () => {
    const r = await runIn(ns, 'sh', ['-c', `head -c ${64 * MiB} /dev/zero | socat -u - TCP:198.18.0.2:9`], 90_000);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 100_000);

  it('4 MiB round-trips through TCP echo (socat)', async () => {
    const back = join(dir, 'echo4.back');
    const r = await runIn(ns, 'sh', ['-c', `socat -t 30 -T 60 - TCP:198.18.0.2:7 < ${join(dir, 'echo4.bin')} > ${back}`], 90_000);
    expect(r.err).toBe('');
    expect(sha256File(back)).toBe(sha256File(join(dir, 'echo4.bin')));
  }, 100_000);

  it('4 MiB round-trips through UDP echo, every datagram intact', async () => {
    const r = await runIn(ns, 'python3', ['-c', UDP_ECHO_PY, String(4 * MiB)], 90_000);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^ok \d+/);
  }, 100_000);

  it('curl fetches 32 MiB intact through netem (delay 5ms loss 2% reorder 10% duplicate 1%)', async (ctx) => {
    // netem sits on the kernel's egress, so here it impairs curl's request and ACKs.
    const netem = await addNetem(ns, 'ktapS', ['delay', '5ms', 'loss', '2%', 'reorder', '10%', 'duplicate', '1%'], { peer: '198.18.0.2' });
    if (typeof netem === 'string') {
      if (inCI) throw new Error(`cannot impair ktapS: ${netem}`);
      console.warn(`netem test skipped: ${netem}`);
      ctx.skip(netem);
      return;
    }
    const out = join(dir, 'netem.out');
    const r = await runIn(ns, 'curl', ['-sS', '--max-time', '120', '-o', out, '-w', '%{http_code}', 'http://198.18.0.2/blob32.bin'], 130_000)
      .finally(() => netem.remove());
    const stats = await netem.remove(); // the counters, read once at the removal above
    expect(r.err, serve!.err()).toBe('');
    expect(r.out).toBe('200');
    expect(sha256File(out)).toBe(sha256File(join(dir, 'blob32.bin')));
    // The ACKs went through the impairment, not around it.
    expect(stats.dropped, JSON.stringify(stats.raw)).toBeGreaterThan(0);
    expect(stats.delayed).toBeGreaterThan(0);
    expect(stats.reordered).toBeGreaterThan(0);
    if (stats.via === 'nfqueue') expect(stats.duplicated).toBeGreaterThan(0); // sch_netem does not count them
  }, 150_000);

  it('with --offload (virtio-net header, TSO and checksum offload both ways) curl fetches 32 MiB intact', async () => {
    kernelTap(ns, 'ktapO', '198.18.1.1/24');
    const off = await startServe(ns, ['--tap', 'ktapO', '--addr', '198.18.1.2/24', '--offload', '--http-root', dir]);
    try {
      const out = join(dir, 'offload.out');
      const r = await runIn(ns, 'curl', ['-sS', '--max-time', '90', '-o', out, '-w', '%{http_code}', 'http://198.18.1.2/blob32.bin'], 100_000);
      expect(r.err).toBe('');
      expect(r.out).toBe('200');
      expect(sha256File(out)).toBe(sha256File(join(dir, 'blob32.bin')));
    } finally {
      expect((await off.stop()).code).toBe(0);
    }
  }, 130_000);

  it('SIGTERM: a clean exit with every discarded and echoed byte counted', async () => {
    const { code, summary } = await serve!.stop(15_000);
    expect(code, serve!.err()).toBe(0);
    const s = summary as { services: Record<string, { rxBytes: number; datagrams: number }> };
    expect(s.services['discard/tcp']!.rxBytes).toBe(64 * MiB);
    expect(s.services['echo/tcp']!.rxBytes).toBe(4 * MiB);
    expect(s.services['echo/udp']!.datagrams).toBeGreaterThanOrEqual(4096);
  }, 30_000);
});
