import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript } from './parser.js';
import { packageRoot } from './paths.js';
import { runScript, type RunResult } from './runner.js';
import { createFakeTarget } from './test/fake-target.js';

const defaults = new Map([['net.ipv4.tcp_timestamps', '1'], ['net.ipv4.tcp_sack', '1']]);
const run = (src: string, wallLimitMs = 10_000): Promise<RunResult> => runScript(parseScript(src), createFakeTarget, { defaults, wallLimitMs });
const file = (name: string) => readFileSync(join(packageRoot, 'test-scripts', name), 'utf8');

const handshake = `
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
+0 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

describe('runner against the fake target', () => {
  it('passes the passive-open script', async () => {
    const r = await run(file('passive.pkt'));
    expect(r).toMatchObject({ status: 'passed', printed: ['1000'] });
  });

  it('passes the active-open script', async () => {
    expect((await run(file('active.pkt'))).status).toBe('passed');
  });

  it('reports a wrong field with script and actual packets', async () => {
    const r = await run(`${handshake}+0 write(4, ..., 100) = 100\n+0 > P. 1:101(100) ack 2\n`);
    expect(r.status).toBe('failed');
    expect(r.line).toBe(10);
    expect(r.reason).toMatch(/tcp_ack_seq: expected: 2 .* actual: 1/);
    expect(r.details).toEqual(['script packet: 0.100000 P. 1:101(100) ack 2', 'actual packet: 0.100000 P. 1:101(100) ack 1 win 502']);
  });

  it('reports packets that come late or never', async () => {
    const late = await run(`${handshake}+0 < P. 1:11(10) ack 1 win 257\n+.01 > . 1:1(0) ack 11\n`);
    expect(late).toMatchObject({ status: 'failed', line: 10 });
    expect(late.reason).toMatch(/timing error: expected outbound packet at 0.110000 sec but happened at 0.140000 sec/);
    const never = await run(`${handshake}+0 > . 1:1(0) ack 1\n`);
    expect(never).toMatchObject({ status: 'failed', line: 9 });
    expect(never.reason).toMatch(/timed out waiting for outbound packet/);
  });

  it('checks system call results, errno and output arguments', async () => {
    expect(await run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_GETFL) = 0\n`)).toMatchObject({ status: 'failed', line: 2, reason: 'Expected result 0 but got 2' });
    expect((await run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(9) = -1 EBADF (Bad file descriptor)\n`)).status).toBe('passed');
    expect((await run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(9) = -1 ENOTCONN (x)\n`)).reason).toMatch(/expected errno 107 \(ENOTCONN\)/);
    const r = await run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [1000], 4) = 0\n+0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [1000], [4]) = 0\n`);
    expect(r).toMatchObject({ status: 'failed', line: 3 });
    expect(r.reason).toMatch(/argument 4\[0\]: expected 1000 but got 2000/);
  });

  it('knows a descriptor by the number the script gave it, as packetdrill does', async () => {
    expect((await run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 7\n+0 fcntl(7, F_GETFL) = 2\n+0 close(7) = 0\n+0 close(7) = -1 EBADF (x)\n`)).status).toBe('passed');
  });

  it('fails a call that blocks without a scripted end time, and one that never returns', async () => {
    expect(await run(`${handshake}+0 read(4, ..., 10) = 10\n`)).toMatchObject({ status: 'failed', line: 9, reason: 'read() blocked, but the script expects it to return at once' });
    const r = await run(`${handshake}+0...0.1 read(4, ..., 10) = 10\n`);
    expect(r).toMatchObject({ status: 'failed', line: 9 });
    expect(r.reason).toMatch(/did not return/);
  });

  it('fails on a false assert in a code block', async () => {
    expect(await run(`${handshake}+0 %{ assert tcpi_snd_cwnd == 11, 'cwnd=%d' % tcpi_snd_cwnd }%\n`)).toMatchObject({ status: 'failed', line: 9, reason: 'AssertionError: cwnd=10' });
  });

  it('classifies what it cannot run as unsupported, with the feature', async () => {
    expect(await run('`ethtool -K tun0 gso off`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n')).toMatchObject({ status: 'unsupported', reason: 'ethtool -K tun0 gso off', line: 1 });
    expect(await run('`ip route show`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n')).toMatchObject({ status: 'unsupported', reason: 'shell command: ip route show', line: 1 });
    expect(await run('0 splice(3, NULL, 4, NULL, 5, 0) = 5\n')).toMatchObject({ status: 'unsupported', reason: 'syscall splice', line: 1 });
    expect(await run('--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n')).toMatchObject({ status: 'unsupported', reason: 'IPv6 (knet is IPv4-only)' });
    expect(await run(`${handshake}+0 %{ assert tcpi_rtt > 0 }%\n`)).toMatchObject({ status: 'unsupported', reason: 'tcp_info field tcpi_rtt' });
    expect(await run(`${handshake}+0 < udp (10)\n`)).toMatchObject({ status: 'unsupported', reason: 'inbound udp packets' });
  });

  it('never passes without a target', async () => {
    expect(await runScript(parseScript(file('passive.pkt')), null, { defaults, wallLimitMs: 1000 })).toMatchObject({ status: 'unsupported', reason: 'no target stack' });
  });

  it('stops at the wall-time limit', async () => {
    // A stack that crawls: each advance moves the clock by one microsecond.
    const crawling = (cfg: Parameters<typeof createFakeTarget>[0]) => {
      const t = createFakeTarget(cfg);
      let extra = 0;
      return { ...t, now: () => t.now() + extra, advance: () => void extra++ };
    };
    const r = await runScript(parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+10 close(3) = 0\n'), crawling, { defaults, wallLimitMs: 50 });
    expect(r).toMatchObject({ status: 'timedOut', reason: 'wall-time limit of 50 ms' });
  });
});
