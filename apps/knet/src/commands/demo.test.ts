import { describe, expect, it } from 'vitest';
import type { HostCounters } from '@knet/host';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';
import type { L2Json } from '../stages/l2.js';
import type { HttpJson } from '../stages/http.js';
import type { NicsJson } from '../stages/nics.js';
import type { PingJson } from '../stages/ping.js';
import type { TcpJson } from '../stages/tcp.js';
import type { UdpJson } from '../stages/udp.js';

interface DemoJson {
  l2: L2Json;
  ping: PingJson;
  udp: UdpJson;
  tcp?: TcpJson;
  http?: HttpJson;
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
    const { code, r, err } = await demoJson('--frames', '300', '--pings', '4', '--datagrams', '30', '--stages', 'l2,ping,udp');
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
    const { r } = await demoJson('--frames', '200', '--pings', '2', '--datagrams', '10', '--stages', 'l2,ping,udp');
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
    const { code, r } = await demoJson('--frames', '10', '--pings', '20', '--datagrams', '50', '--loss', '0.2', '--stages', 'l2,ping,udp');
    expect(code).toBe(0);
    expect(r.udp.echoed).toBeLessThan(r.udp.sent);
    expect(r.ping.received).toBeLessThan(r.ping.sent);
  });

  it('is deterministic for a seed', async () => {
    const run = async () => JSON.stringify((await demoJson('--frames', '50', '--datagrams', '10', '--bytes', '100000', '--seed', '7')).r);
    expect(await run()).toBe(await run());
  });

  it('prints a section per stage', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--frames', '64', '--len', '128', '--pings', '2', '--datagrams', '5', '--stages', 'l2,ping,udp'], io)).toBe(0);
    const t = io.out();
    expect(t).toMatch(/^a 198\.18\.0\.2 ── switch ── 198\.18\.0\.1 r 198\.18\.1\.1 ── cable ── 198\.18\.1\.2 b\n/);
    expect(t).toMatch(/frames echoed \(a\): +64/);
    expect(t).toMatch(/2 sent, 2 received, 0% loss\nrtt min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms/);
    expect(t).toContain('5 datagrams of 512 bytes sent, 5 echoed back');
    expect(t).toContain('per queue (igb ring stats, MSI-X interrupts):');
    expect(t).toMatch(/Ip\.ForwDatagrams +0 +14 +0/);
    expect(t).toContain('== drops by reason\ndrops (kfreeSkbReason): none');
  });

  it('rejects an unknown --stages key and a --cc that is not registered', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--stages', 'l2,sctp'], io)).toBe(2);
    expect(io.err()).toMatch(/--stages takes/);
    expect(await runCli(['demo', '--cc', 'bbr'], io)).toBe(2);
    expect(io.err()).toMatch(/--cc must be one of reno, cubic/);
  });

  it('rejects a frame length outside Ethernet\'s and a loss outside [0, 1)', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--len', '2000'], io)).toBe(2);
    expect(io.err()).toMatch(/--len must be/);
    expect(await runCli(['demo', '--loss', '1'], io)).toBe(2);
    expect(io.err()).toMatch(/--loss must be a probability/);
  });
});

describe('knet demo: TCP and HTTP through the router', () => {
  const tcpJson = async (...args: string[]) => {
    const { code, r, err } = await demoJson('--stages', 'tcp,http', ...args);
    expect(err).toBe('');
    return { code, tcp: r.tcp!, http: r.http!, r };
  };

  it('--json: the stream arrives byte-exact (SHA-256 on both ends) and http.get gets 200 with the whole body', async () => {
    const { code, tcp, http, r } = await tcpJson('--bytes', '300000');
    expect(code).toBe(0);
    expect(tcp).toMatchObject({ bytes: 300000, sha256Match: true, cc: 'cubic' });
    expect(tcp.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(tcp.goodputMbps).toBeGreaterThan(0);
    // The wire is 1 Gbit/s, so no goodput measured on the virtual clock can exceed it.
    expect(tcp.goodputMbps).toBeLessThan(1000);
    expect(tcp.cwnd).toBeGreaterThan(0);
    expect(tcp.rttUs).toBeGreaterThan(0);
    expect(tcp.retransmits).toBe(tcp.totalRetrans);
    expect(http).toEqual({ status: 200, bytes: 100000, sha256Match: true });
    // Both connections went through r, and a's snmp counts them.
    expect(r.counters.a!.snmp.Tcp!.ActiveOpens).toBe(2);
    expect(r.counters.b!.snmp.Tcp!.PassiveOpens).toBe(2);
    expect(r.counters.r!.snmp.Ip!.ForwDatagrams).toBeGreaterThan(0);
    expect(r.l2).toBeUndefined();
  });

  it('--cc picks the sender\'s congestion control, and reports it', async () => {
    const reno = await tcpJson('--bytes', '200000', '--cc', 'reno', '--stages', 'tcp');
    const cubic = await tcpJson('--bytes', '200000', '--cc', 'cubic', '--stages', 'tcp');
    expect(reno.tcp).toMatchObject({ cc: 'reno', sha256Match: true, bytes: 200000 });
    expect(cubic.tcp).toMatchObject({ cc: 'cubic', sha256Match: true, bytes: 200000 });
  });

  it('--loss 0.01 on the r–b cable: retransmissions, and the stream is still byte-exact', async () => {
    const { code, tcp, http } = await tcpJson('--bytes', '1000000', '--loss', '0.01');
    expect(code).toBe(0);
    expect(tcp).toMatchObject({ bytes: 1000000, sha256Match: true });
    expect(tcp.retransmits).toBeGreaterThan(0);
    expect(http.status).toBe(200);
  });

  it('prints the transfer and the response for people', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--stages', 'tcp,http', '--bytes', '65536'], io)).toBe(0);
    const t = io.out();
    expect(t).toContain('== TCP bulk transfer from a to b:5001, through r\nbytes:');
    expect(t).toMatch(/sha256 \(b read\): +[0-9a-f]{64} \(match\)/);
    expect(t).toMatch(/goodput: +[\d.]+ [kMG]?bit\/s of virtual time/);
    expect(t).toMatch(/congestion control: cubic/);
    expect(t).toMatch(/status: +200 OK/);
    expect(t).toContain('100,000 bytes, sha256 matches');
  });

  it('draws a progress bar for the transfer on a terminal only', async () => {
    const tty = bufferIo({ tty: true });
    expect(await runCli(['demo', '--stages', 'tcp', '--bytes', '200000', '--json'], tty)).toBe(0);
    expect(tty.err()).toMatch(/tcp a → b \[#+\] 100%\n/);
    const pipe = bufferIo();
    expect(await runCli(['demo', '--stages', 'tcp', '--bytes', '200000', '--json'], pipe)).toBe(0);
    expect(pipe.err()).toBe('');
  });
});
