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

  test.skipIf(skip)('every frame is there, well formed, with good IP and UDP checksums', async () => {
    expect(tsharkFound, 'tshark must be installed in CI').toBe(true);
    const file = join(dir, 'a.pcap');
    const frames = 150;
    const io = bufferIo();
    expect(await runCli(['demo', '--json', '--frames', String(frames), '--len', '600', '--pcap', file], io)).toBe(0);
    const r = JSON.parse(io.out()) as { pcap: { frames: number } };
    // Host a sends each frame and gets its reflection back: both directions are on the tap.
    expect(r.pcap.frames).toBe(2 * frames);

    const rows = tshark(file, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.number', '-e', 'frame.len', '-e', 'ip.checksum.status',
      '-e', 'udp.checksum.status', '-e', '_ws.malformed').trim().split('\n').map((l) => l.split(','));
    expect(rows).toHaveLength(2 * frames);
    for (const [num, len, ipStatus, udpStatus, malformed] of rows) {
      // checksum.status: 0 bad, 1 good, 2 unverified.
      expect({ num, len, ipStatus, udpStatus, malformed }).toEqual({ num, len: '600', ipStatus: '1', udpStatus: '1', malformed: '' });
    }

    const expert = tshark(file, '-q', '-z', 'expert');
    expect(expert).not.toMatch(/Errors|Warnings|Malformed/);
  });
});
