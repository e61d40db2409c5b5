import { describe, expect, test } from 'vitest';
import { TCP_CA_CWR, TCP_CA_Open, TCPHDR_ACK, TCPHDR_CWR, TCPHDR_ECE, TCPHDR_SYN } from '@knet/include';
import { createTcpTestbench, type TcpTestbench, type WireSegment } from '../testbench.js';
import { tcpGetInfo, TCPI_OPT_ECN, TCPI_OPT_ECN_SEEN } from '../tcp_info.js';
import { TCP_ECN_OK, INET_ECN_ECT_0, INET_ECN_NOT_ECT } from '../tcp_ecn.js';
import { tcpFrame } from './scenario_helpers.js';

const ecnField = (s: WireSegment): number => s.tos & 3;
const data = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);

function ecnBench(clientEcn: number, serverEcn: number): TcpTestbench {
  const tb = createTcpTestbench();
  tb.a.tn.sysctl.tcp_ecn = clientEcn;
  tb.b.tn.sysctl.tcp_ecn = serverEcn;
  return tb;
}

describe('ECN (RFC 3168)', () => {
  test('tcp_ecn=1 asks with SYN|ECE|CWR; a tcp_ecn=2 server agrees with SYN-ACK|ECE; data is ECT(0)', () => {
    const tb = ecnBench(1, 2);
    const { c, s } = tb.pair(80);
    const [syn, synack] = tb.log;
    expect(syn.flags).toBe(TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR);
    expect(synack.flags).toBe(TCPHDR_SYN | TCPHDR_ACK | TCPHDR_ECE);
    // §6.1.1: SYN and SYN-ACK are never ECT.
    expect(ecnField(syn)).toBe(INET_ECN_NOT_ECT);
    expect(ecnField(synack)).toBe(INET_ECN_NOT_ECT);
    expect(c.ecnFlags & TCP_ECN_OK).toBe(TCP_ECN_OK);
    expect(s.ecnFlags & TCP_ECN_OK).toBe(TCP_ECN_OK);
    expect(tcpGetInfo(c).tcpi_options & TCPI_OPT_ECN).toBe(TCPI_OPT_ECN);

    const before = tb.log.length;
    expect(tb.send(c, data(3000))).toBe(3000);
    tb.run(50);
    expect(tb.drain(s).length).toBe(3000);
    const sent = tb.log.slice(before);
    const fromC = sent.filter((x) => x.from === 'a' && x.len > 0);
    const acks = sent.filter((x) => x.from === 'b' && x.len === 0);
    expect(fromC.length).toBeGreaterThan(0);
    expect(acks.length).toBeGreaterThan(0);
    for (const x of fromC) expect(ecnField(x)).toBe(INET_ECN_ECT_0);
    // §6.1.4: pure ACKs are Not-ECT.
    for (const x of acks) expect(ecnField(x)).toBe(INET_ECN_NOT_ECT);
    // The receiver saw ECT and says so in tcpi_options.
    expect(tcpGetInfo(s).tcpi_options & TCPI_OPT_ECN_SEEN).toBe(TCPI_OPT_ECN_SEEN);
  });

  test('a server with tcp_ecn=0 answers without ECE and the client sends Not-ECT', () => {
    const tb = ecnBench(1, 0);
    const { c, s } = tb.pair(80);
    expect(tb.log[1].flags).toBe(TCPHDR_SYN | TCPHDR_ACK);
    expect(c.ecnFlags & TCP_ECN_OK).toBe(0);
    expect(s.ecnFlags & TCP_ECN_OK).toBe(0);
    const before = tb.log.length;
    tb.send(c, data(1000));
    tb.run(50);
    for (const x of tb.log.slice(before)) expect(ecnField(x)).toBe(INET_ECN_NOT_ECT);
    expect(tcpGetInfo(c).tcpi_options & TCPI_OPT_ECN).toBe(0);
  });

  test('tcp_ecn=2 (the default) does not ask for ECN on active opens', () => {
    const tb = ecnBench(2, 2);
    const { c } = tb.pair(80);
    expect(tb.log[0].flags).toBe(TCPHDR_SYN);
    expect(tb.log[1].flags).toBe(TCPHDR_SYN | TCPHDR_ACK);
    expect(c.ecnFlags).toBe(0);
  });

  test('a retransmitted SYN goes without ECN (§6.1.1.1) and the connection falls back', () => {
    const tb = ecnBench(1, 1);
    let dropped = 0;
    tb.dropIf = (x) => x.from === 'a' && (x.flags & TCPHDR_SYN) !== 0 && dropped++ === 0;
    const { c, s } = tb.pair(80);
    const syns = tb.segments('a').filter((x) => x.flags & TCPHDR_SYN);
    expect(syns.length).toBe(2);
    expect(syns[0].flags).toBe(TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR);
    expect(syns[1].flags).toBe(TCPHDR_SYN);
    expect(s.ecnFlags & TCP_ECN_OK).toBe(0);
    expect(c.ecnFlags & TCP_ECN_OK).toBe(0);
  });

  test('an ECN-setup SYN that is itself ECT gets no ECN (§6.1.1)', () => {
    const tb = ecnBench(2, 2);
    tb.listen(tb.b, 80);
    const f = tcpFrame({ saddr: tb.a.addr, daddr: tb.b.addr, sport: 40000, dport: 80, seq: 1000, flags: TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR, opts: [2, 4, 5, 180] });
    f[1] = INET_ECN_ECT_0;
    tb.deliver(tb.b, f);
    tb.run(1);
    const synack = tb.segments('b').find((x) => x.flags & TCPHDR_SYN);
    expect(synack?.flags).toBe(TCPHDR_SYN | TCPHDR_ACK);
  });

  test('a CE mark is echoed with ECE until CWR; the sender enters CWR once and sends CWR once', () => {
    const tb = ecnBench(1, 2);
    const { c, s } = tb.pair(80);
    tb.run(20);
    const cwnd0 = c.sndCwnd;
    let marked = 0;
    tb.markCeIf = (x) => x.from === 'a' && x.len > 0 && marked++ === 0;
    const start = tb.log.length;
    tb.send(c, data(4000));
    tb.run(8);
    // The receiver owes an echo and ACKs the CE segment without delay.
    const echo = tb.log.slice(start).filter((x) => x.from === 'b');
    expect(echo.length).toBeGreaterThan(0);
    expect(echo[0].flags & TCPHDR_ECE).toBe(TCPHDR_ECE);
    tb.run(10);
    // §6.1.2: one reduction per window, as PRR in the CWR state.
    expect(c.icskCaState).toBe(TCP_CA_CWR);
    expect(c.sndSsthresh).toBeLessThan(cwnd0);
    expect(tcpGetInfo(c).tcpi_delivered_ce).toBeGreaterThan(0);

    const mid = tb.log.length;
    tb.send(c, data(2000));
    tb.run(50);
    const newData = tb.log.slice(mid).filter((x) => x.from === 'a' && x.len > 0);
    expect(newData.length).toBeGreaterThan(0);
    expect(newData[0].flags & TCPHDR_CWR).toBe(TCPHDR_CWR);
    for (const x of newData.slice(1)) expect(x.flags & TCPHDR_CWR).toBe(0);
    // After CWR the receiver stops echoing.
    const lastAcks = tb.log.slice(mid).filter((x) => x.from === 'b');
    expect(lastAcks.at(-1)!.flags & TCPHDR_ECE).toBe(0);
    expect(tb.drain(s).length).toBe(6000);
    expect(c.icskCaState).toBe(TCP_CA_Open);
    expect(c.sndCwnd).toBeLessThan(cwnd0 + 4);
  });

  test('retransmissions are Not-ECT (§6.1.5)', () => {
    const tb = ecnBench(1, 2);
    const { c, s } = tb.pair(80);
    let n = 0;
    tb.dropIf = (x) => x.from === 'a' && x.len > 0 && n++ === 0;
    tb.send(c, data(1000));
    tb.run(2000);
    expect(tb.drain(s).length).toBe(1000);
    const tx = tb.segments('a').filter((x) => x.len > 0);
    expect(tx.length).toBe(2);
    expect(ecnField(tx[0])).toBe(INET_ECN_ECT_0);
    expect(ecnField(tx[1])).toBe(INET_ECN_NOT_ECT);
  });
});
