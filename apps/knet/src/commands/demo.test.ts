import { describe, expect, it } from 'vitest';
import type { HostCounters } from '@knet/host';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';
import type { L2Json } from '../stages/l2.js';
import type { NicsJson } from '../stages/nics.js';
import type { PingJson } from '../stages/ping.js';
import type { UdpJson } from '../stages/udp.js';

interface DemoJson {
  l2: L2Json;
  ping: PingJson;
  udp: UdpJson;
  nics: NicsJson;
  counters: Record<string, HostCounters>;
  drops: Record<string, Record<string, number>>;
}

async function demoJson(...args: string[]): Promise<{ code: number; r: DemoJson; err: string }> {
  const io = bufferIo();
  const code = await runCli(['demo', '--json', ...args], io);
  expect(io.out().trim().split('\n')).toHaveLength(1);
  return { code, r: JSON.parse(io.out()) as DemoJson, err: io.err() };
}

describe('knet demo (in process: hosts a, r, b on igb NICs, on the virtual clock)', () => {
  it('--json: raw frames, ping through the router, UDP echo, and counters that agree', async () => {
    const { code, r, err } = await demoJson('--frames', '300', '--pings', '4', '--datagrams', '30');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(r.l2).toEqual({ sent: 300, received: 300, echoed: 300, bytes: 300 * 1514 });
    expect(r.ping).toMatchObject({ sent: 4, received: 4 });
    expect(r.ping.rttMs).toHaveLength(4);
    // Wire time alone, 4 frames of 98 bytes at 1 Gbit/s plus the switch, bounds an RTT from below.
    for (const t of r.ping.rttMs) expect(t).toBeGreaterThan(0.003);
    expect(r.ping.rttMsAvg).toBeCloseTo(r.ping.rttMs.reduce((a, b) => a + b, 0) / 4, 9);
    expect(r.udp).toMatchObject({ sent: 30, echoed: 30, bytes: 30 * 512 });
    // r forwarded every echo request and reply, and every datagram both ways.
    expect(r.counters.r!.snmp.Ip!.ForwDatagrams).toBe(2 * 4 + 2 * 30);
    expect(r.counters.b!.snmp.Icmp!.InEchos).toBe(4);
    expect(r.counters.b!.snmp.Udp!.InDatagrams).toBe(30);
    expect(r.counters.a!.snmp.Udp!.InDatagrams).toBe(30);
    expect(r.drops).toEqual({ a: {}, r: {}, b: {} });
  });

  it('--json: NIC queues, qdiscs and the 82576 registers add up to what was sent', async () => {
    const { r } = await demoJson('--frames', '200', '--pings', '2', '--datagrams', '10');
    const a = r.nics.queues.filter((q) => q.host === 'a');
    const tx = a.reduce((n, q) => n + q.txPackets, 0);
    // Raw frames, pings, datagrams, and a's ARP request.
    expect(tx).toBe(200 + 2 + 10 + 1);
    expect(r.nics.qdisc.filter((q) => q.host === 'a').reduce((n, q) => n + q.packets, 0)).toBe(tx);
    expect(r.nics.hw.find((h) => h.host === 'a')).toMatchObject({ gptc: tx, gprc: tx, mpc: 0, rnbc: 0 });
    expect(r.counters.a!.dev.eth0!.txPackets).toBe(tx);
    // Interrupt moderation: far fewer interrupts than frames.
    expect(r.nics.interrupts.a).toBeGreaterThan(0);
    expect(r.nics.interrupts.a!).toBeLessThan(tx);
    expect(r.nics.hw.map((h) => `${h.host}/${h.dev}`)).toEqual(['a/eth0', 'r/eth0', 'r/eth1', 'b/eth0']);
  });

  it('--loss drops frames on the r–b link, and the counters show it, without failing the run', async () => {
    const { code, r } = await demoJson('--frames', '10', '--pings', '20', '--datagrams', '50', '--loss', '0.2');
    expect(code).toBe(0);
    expect(r.udp.echoed).toBeLessThan(r.udp.sent);
    expect(r.ping.received).toBeLessThan(r.ping.sent);
  });

  it('is deterministic for a seed', async () => {
    const run = async () => JSON.stringify((await demoJson('--frames', '50', '--datagrams', '10', '--seed', '7')).r);
    expect(await run()).toBe(await run());
  });

  it('prints a section per stage', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--frames', '64', '--len', '128', '--pings', '2', '--datagrams', '5'], io)).toBe(0);
    const t = io.out();
    expect(t).toMatch(/^a 198\.18\.0\.2 ── switch ── 198\.18\.0\.1 r 198\.18\.1\.1 ── cable ── 198\.18\.1\.2 b\n/);
    expect(t).toMatch(/frames echoed \(a\): +64/);
    expect(t).toMatch(/2 sent, 2 received, 0% loss\nrtt min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms/);
    expect(t).toContain('5 datagrams of 512 bytes sent, 5 echoed back');
    expect(t).toContain('per queue (igb ring stats, MSI-X interrupts):');
    expect(t).toMatch(/Ip\.ForwDatagrams +0 +14 +0/);
    expect(t).toContain('== drops by reason\ndrops (kfreeSkbReason): none');
  });

  it('rejects a frame length outside Ethernet\'s and a loss outside [0, 1)', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--len', '2000'], io)).toBe(2);
    expect(io.err()).toMatch(/--len must be/);
    expect(await runCli(['demo', '--loss', '1'], io)).toBe(2);
    expect(io.err()).toMatch(/--loss must be a probability/);
  });
});
