// What knet puts on the wire, checked by Wireshark's dissectors and the kernel's tcpdump:
// knet's own pcap has no malformed frames or bad checksums, the kernel sees the handshake,
// and SIGTERM in the middle of a transfer ends with a FIN or RST and no hung process.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect, createNetns, kernelTap, type Netns, netnsSkipReason, runIn, startServe, waitExit, waitFor,
} from './netns.js';

const skip = netnsSkipReason();
const inCI = process.env.CI === 'true';
if (skip !== null && !inCI) console.warn(`knet capture interop tests skipped: ${skip}`);

const MiB = 1 << 20;

describe.skipIf(skip !== null && !inCI)(`knet on the wire${skip ? ` (${skip})` : ''}`, () => {
  let ns: Netns;
  let dir: string;

  beforeAll(() => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    ns = createNetns('cap');
    dir = mkdtempSync(join(tmpdir(), 'knet-cap-'));
    writeFileSync(join(dir, 'small.bin'), randomBytes(256 * 1024));
    writeFileSync(join(dir, 'big.bin'), randomBytes(64 * MiB));
  });

  afterAll(() => {
    ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('knet\'s pcap passes tshark\'s checksum checks; the kernel\'s tcpdump sees the handshake', async () => {
    kernelTap(ns, 'ktapP');
    const knetPcap = join(dir, 'knet.pcap');
    const kernPcap = join(dir, 'kernel.pcap');
    const dump = ns.spawn('tcpdump', ['-i', 'ktapP', '-nn', '-U', '-w', kernPcap]);
    const dumpIo = collect(dump);
    await waitFor('tcpdump to listen', () => dumpIo.err().includes('listening on'), 10_000);
    const serve = await startServe(ns, ['--tap', 'ktapP', '--addr', '198.18.0.2/24', '--pcap', knetPcap, '--http-root', dir]);
    const r = await runIn(ns, 'curl', ['-sS', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code}', 'http://198.18.0.2/small.bin'], 40_000);
    expect(r.out).toBe('200');
    await runIn(ns, 'sh', ['-c', 'printf datagram | socat -u - UDP-SENDTO:198.18.0.2:9'], 10_000);
    expect((await serve.stop()).code, serve.err()).toBe(0);
    dump.kill('SIGTERM');
    await waitExit(dump, 5000);

    expect(statSync(knetPcap).size).toBeGreaterThan(24);
    const checks = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    const all = await runIn(ns, 'tshark', ['-r', knetPcap, ...checks, '-T', 'fields', '-e', 'frame.number'], 30_000);
    const frames = all.out.trim().split('\n').filter(Boolean).length;
    expect(frames).toBeGreaterThan(150);
    const bad = await runIn(ns, 'tshark', [
      '-r', knetPcap, ...checks, '-Y',
      '_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || _ws.expert.severity == "Error"',
    ], 30_000);
    expect(bad.err.replace(/^.*Running as user "root".*\n?/m, '')).toBe('');
    expect(bad.out).toBe('');
    const udp = await runIn(ns, 'tshark', ['-r', knetPcap, ...checks, '-Y', 'udp.dstport == 9 && udp.checksum.status == "Good"'], 30_000);
    expect(udp.out).toContain('198.18.0.1');

    const syns = await runIn(ns, 'tcpdump', ['-r', kernPcap, '-nn', 'tcp[tcpflags] & tcp-syn != 0'], 20_000);
    expect(syns.out).toMatch(/198\.18\.0\.1\.\d+ > 198\.18\.0\.2\.80: Flags \[S\]/);
    expect(syns.out).toMatch(/198\.18\.0\.2\.80 > 198\.18\.0\.1\.\d+: Flags \[S\.\]/);
    // The next test uses the same addresses on another TAP.
    ns.run('ip', ['link', 'del', 'ktapP']);
  }, 120_000);

  it('SIGTERM mid-transfer: knet exits promptly and Linux sees a FIN or RST', async () => {
    kernelTap(ns, 'ktapT');
    const serve = await startServe(ns, ['--tap', 'ktapT', '--addr', '198.18.0.2/24', '--http-root', dir]);
    const fin = ns.spawn('tcpdump', ['-i', 'ktapT', '-nn', '-l', '-c', '1', 'src host 198.18.0.2 and tcp[tcpflags] & (tcp-fin|tcp-rst) != 0']);
    const finIo = collect(fin);
    await waitFor('tcpdump to listen', () => finIo.err().includes('listening on'), 10_000);
    const curl = ns.spawn('curl', ['-sS', '--max-time', '60', '--limit-rate', '4M', '-o', '/dev/null', 'http://198.18.0.2/big.bin']);
    await waitFor('the transfer to start', () => ns.run('ss', ['-Htn', 'state', 'established']).includes('198.18.0.2:80'), 15_000, 50);
    await new Promise((r) => setTimeout(r, 500));
    // A hung process would be SIGKILLed by stop() and report the signal instead of 0.
    const { code } = await serve.stop(10_000);
    expect(code, serve.err()).toBe(0);
    expect(await waitExit(fin, 10_000)).toBe(0);
    expect(finIo.out()).toMatch(/198\.18\.0\.2\.80 > 198\.18\.0\.1\.\d+: Flags \[[^\]]*[FR]/);
    const curlCode = await waitExit(curl, 20_000);
    // The transfer was cut short: curl reports a partial file or a reset, never success.
    expect(curlCode).not.toBe(0);
  }, 90_000);
});
