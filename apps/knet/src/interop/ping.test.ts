// ICMP both ways between knet (on a TAP) and Linux in a namespace of our own: `knet ping`
// to the kernel, and the kernel's ping to knet while knet's host is up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, createNetns, kernelTap, type Netns, netnsSkipReason, runIn, startServe, waitExit, waitFor } from './netns.js';

const skip = netnsSkipReason();
const inCI = process.env.CI === 'true';
if (skip !== null && !inCI) console.warn(`knet ping interop tests skipped: ${skip}`);

const MAC = '02:00:5e:12:00:02';

describe.skipIf(skip !== null && !inCI)(`ICMP echo between knet and Linux${skip ? ` (${skip})` : ''}`, () => {
  let ns: Netns;

  beforeAll(() => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    ns = createNetns('ping');
    kernelTap(ns, 'ktapI');
  });
  afterAll(() => ns?.remove());

  it('knet ping -c 20 to Linux and Linux ping -c 20 to knet: no loss, and the kernel learns knet\'s MAC', async () => {
    const knet = ns.knet(['ping', '198.18.0.1', '-c', '20', '--interval', '100', '--tap', 'ktapI', '--addr', '198.18.0.2/24', '--mac', MAC, '--json']);
    const io = collect(knet);
    await waitFor('knet\'s first reply', () => io.err().includes('icmp_seq=1 '), 20_000, 20);
    const r = await runIn(ns, 'ping', ['-c', '20', '-i', '0.05', '-W', '2', '198.18.0.2'], 20_000);
    expect(r.out).toContain(' 0% packet loss');
    expect(r.code).toBe(0);
    expect(ns.run('ip', ['neigh', 'show', '198.18.0.2', 'dev', 'ktapI'])).toContain(`lladdr ${MAC}`);
    expect(await waitExit(knet, 20_000)).toBe(0);
    const res = JSON.parse(io.out().trim()) as { sent: number; received: number; lossPct: number };
    expect(res).toMatchObject({ sent: 20, received: 20, lossPct: 0 });
  }, 60_000);

  it('with --busy-poll, a flood ping from Linux is answered without loss and busy polling takes frames', async () => {
    kernelTap(ns, 'ktapB', '198.18.1.1/24');
    const serve = await startServe(ns, ['--tap', 'ktapB', '--addr', '198.18.1.2/24', '--busy-poll', '200']);
    try {
      // -f sends the next request as soon as the reply is in: the next frame comes within a turn.
      const r = await runIn(ns, 'ping', ['-f', '-c', '500', '-W', '2', '198.18.1.2'], 30_000);
      expect(r.out).toContain(' 0% packet loss');
    } finally {
      const { code, summary } = await serve.stop();
      expect(code).toBe(0);
      const driver = (summary as { driver: Record<string, number> }).driver;
      expect(driver.busyPollHits).toBeGreaterThan(0);
    }
  }, 60_000);
});
