import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';

const tsharkFound = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
// CI installs tshark (.ci/run): there, its absence is a failure, not a skip.
const skip = !tsharkFound && process.env.CI !== 'true';
if (skip) console.warn('knet demo --pcap: tshark is not installed, skipping the Wireshark check (install tshark to run it)');

const CHECKS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

function tshark(file: string, ...args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...CHECKS, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('knet demo --pcap, read back by tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knet-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.skipIf(skip)('every frame is there, well formed, with good checksums', async () => {
    expect(tsharkFound, 'tshark must be installed in CI').toBe(true);
    const file = join(dir, 'a.pcap');
    const io = bufferIo();
    expect(await runCli(['demo', '--json', '--frames', '150', '--len', '600', '--pings', '3', '--datagrams', '20', '--stages', 'l2,ping,udp', '--pcap', file], io)).toBe(0);
    const r = JSON.parse(io.out()) as {
      l2: { sent: number; echoed: number };
      ping: { sent: number; received: number };
      udp: { sent: number; echoed: number };
      pcap: { frames: number };
    };

    const rows = tshark(file, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.number', '-e', 'eth.type', '-e', 'ip.proto',
      '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status', '-e', 'tcp.checksum.status',
      '-e', '_ws.malformed').trim().split('\n').map((l) => l.split(','));
    expect(rows).toHaveLength(r.pcap.frames);
    const count = (pred: (row: string[]) => boolean) => rows.filter(pred).length;
    // Host a's tap sees each of its frames go out and each answer come in.
    expect(count((x) => x[1] === '0x88b5')).toBe(r.l2.sent + r.l2.echoed);
    expect(count((x) => x[2] === '1')).toBe(r.ping.sent + r.ping.received);
    expect(count((x) => x[2] === '17')).toBe(r.udp.sent + r.udp.echoed);
    // a's ARP request for its gateway and the reply.
    expect(count((x) => x[1] === '0x0806')).toBe(2);
    for (const [num, , , ...rest] of rows) {
      const malformed = rest.pop();
      // checksum status: 0 bad, 1 good, 2 unverified; empty when the protocol is absent.
      expect({ num, malformed, bad: rest.filter((st) => st === '0' || st === '2') }).toEqual({ num, malformed: '', bad: [] });
    }

    const expert = tshark(file, '-q', '-z', 'expert');
    expect(expert).not.toMatch(/Errors|Warnings|Malformed/);
  });
});
