import { describe, expect, it } from 'vitest';
import type { TcpPacket } from './ast.js';
import { inboundAck, inboundOptions, inboundSeq, mergeSegments, newSeqState, toActual, verifyOutbound, describePacket } from './match.js';
import { parseScript } from './parser.js';
import { ACK, encodeTcpOptions, FIN, flagsFromString, PSH, SYN, type DecodedTcp } from './wire.js';
import type { TcpOption } from './ast.js';

const pkt = (line: string): TcpPacket => parseScript(`0 ${line}`).events[0]!.action as TcpPacket;
const live = (flags: string, seq: number, len: number, ack: number, opts: TcpOption[] = [], win = 502): DecodedTcp => ({
  src: 1, dst: 2, sport: 8080, dport: 40000, seq: seq >>> 0, ack, flags: flagsFromString(flags), win, urg: 0,
  options: encodeTcpOptions(opts), payload: new Uint8Array(len), tos: 0, ttl: 64, id: 0, ipChecksumOk: true, tcpChecksumOk: true,
});
const rules = { tsTickUsecs: 0, toleranceUsecs: 4000 };
const ISN = 0xfffff000; // wraps, to check mod-2^32 arithmetic

describe('sequence numbers relative to the ISN', () => {
  it('learns the local ISN from the SYN-ACK and maps later packets', () => {
    const st = newSeqState();
    expect(verifyOutbound(pkt('> S. 0:0(0) ack 1 <mss 1460>'), live('S.', ISN, 0, 1, [{ kind: 'mss', value: 1460 }]), st, rules)).toBeNull();
    expect(st.localOffset).toBe(ISN);
    expect(verifyOutbound(pkt('> P. 1:1001(1000) ack 1'), live('P.', ISN + 1, 1000, 1), st, rules)).toBeNull();
    expect(verifyOutbound(pkt('> P. 1:1001(1000) ack 1'), live('P.', ISN + 2, 1000, 1), st, rules)).toMatch(/tcp_seq: expected: 1 .* actual: 2/);
    // Injected acks and SACK blocks move into live space.
    const ackPkt = pkt('< . 1:1(0) ack 1001 win 257 <sack 2001:3001,nop,nop>');
    expect(inboundAck(ackPkt, st)).toBe((ISN + 1001) >>> 0);
    expect(inboundOptions(ackPkt, st).options[0]).toEqual({ kind: 'sack', blocks: [[(ISN + 2001) >>> 0, (ISN + 3001) >>> 0]] });
    expect(toActual(live('.', ISN + 1001, 0, 5), st)).toMatchObject({ flags: '.', seq: 1001, ack: 5 });
  });

  it('takes the remote ISN from the script\'s SYN-ACK; the remote\'s later seqs, and our acks of them, are relative to it', () => {
    const st = newSeqState();
    // The SYN-ACK's seq is absolute (packetdrill's remote_seq_script_to_live_offset is 0 for a SYN).
    expect(inboundSeq(pkt('< S. 123:123(0) ack 1 win 14600'), st)).toBe(123);
    expect(inboundSeq(pkt('< F. 1:1(0) ack 2 win 92'), st)).toBe(124);
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1'), live('.', ISN + 1, 0, 124), { ...st, localOffset: ISN }, rules)).toBeNull();
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1'), live('.', ISN + 1, 0, 125), { ...st, localOffset: ISN }, rules)).toMatch(/tcp_ack_seq: expected: 1 .* actual: 2/);
    expect(toActual(live('.', ISN + 1, 0, 124), { ...st, localOffset: ISN })).toMatchObject({ seq: 1, ack: 1 });
  });

  it('checks flags, ack, urg and payload length', () => {
    const st = newSeqState();
    st.localOffset = 0;
    expect(verifyOutbound(pkt('> F. 1:1(0) ack 1'), live('.', 1, 0, 1), st, rules)).toMatch(/tcp_flags.*F\. vs \./);
    expect(verifyOutbound(pkt('> . 1:1(0) ack 2'), live('.', 1, 0, 1), st, rules)).toMatch(/tcp_ack_seq: expected: 2/);
    expect(verifyOutbound(pkt('> P. 1:101(100) ack 1'), live('P.', 1, 99, 1), st, rules)).toMatch(/tcp_payload_len/);
  });
});

describe('window and options', () => {
  const st = () => Object.assign(newSeqState(), { localOffset: 0 });
  it('checks win only when the script gives it', () => {
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1'), live('.', 1, 0, 1, [], 1234), st(), rules)).toBeNull();
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1 win 1234'), live('.', 1, 0, 1, [], 1234), st(), rules)).toBeNull();
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1 win 1000'), live('.', 1, 0, 1, [], 1234), st(), rules)).toMatch(/tcp_window/);
  });
  it('skips options for <...> and requires none when omitted', () => {
    const opts: TcpOption[] = [{ kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'wscale', value: 8 }];
    expect(verifyOutbound(pkt('> S 0:0(0) <...>'), live('S', 7, 0, 0, opts), newSeqState(), rules)).toBeNull();
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1'), live('.', 1, 0, 1, opts), st(), rules)).toBe('bad outbound TCP options');
    expect(verifyOutbound(pkt('> . 1:1(0) ack 1 <mss 1460,nop,wscale 7>'), live('.', 1, 0, 1, opts), st(), rules)).toBe('bad outbound TCP options');
  });
  it('checks ECN marks only when the script gives them', () => {
    const l = live('P.', 1, 10, 1);
    l.tos = 2;
    expect(verifyOutbound(pkt('> P. 1:11(10) ack 1'), l, st(), rules)).toBeNull();
    expect(verifyOutbound(pkt('> [ect0] P. 1:11(10) ack 1'), l, st(), rules)).toBeNull();
    expect(verifyOutbound(pkt('> [ect01] P. 1:11(10) ack 1'), l, st(), rules)).toBeNull();
    expect(verifyOutbound(pkt('> [ce] P. 1:11(10) ack 1'), l, st(), rules)).toMatch(/ip_ecn/);
  });
});

describe('TCP timestamps', () => {
  it('maps script TS val to the live one and injected ecr back to it', () => {
    const st = newSeqState();
    const e = pkt('> S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>');
    const l = live('S', 5000, 0, 0, [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 987654, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 8 }]);
    expect(verifyOutbound(e, l, st, rules)).toBeNull();
    const synack = pkt('< S. 0:0(0) ack 1 win 5792 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 7>');
    const { options, error } = inboundOptions(synack, st);
    expect(error).toBeNull();
    expect(options).toContainEqual({ kind: 'ts', val: 700, ecr: 987654 });
    expect(inboundOptions(pkt('< . 1:1(0) ack 1 win 5 <nop,nop,TS val 1 ecr 555>'), st).error).toBe('unable to find mapping for timestamp ecr 555');
    // Later TS vals are shown relative to the first pair.
    const later = live('.', 5001, 0, 1, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 987754, ecr: 700 }]);
    expect(toActual(later, st).options).toContainEqual({ kind: 'ts', val: 200, ecr: 700 });
  });

  it('checks TS val against the tick only when --tcp_ts_tick_usecs is set', () => {
    const mk = () => {
      const st = newSeqState();
      st.localOffset = 0;
      st.firstTs = { script: 100, live: 10_000 };
      return st;
    };
    const e = pkt('> . 1:1(0) ack 1 <nop,nop,TS val 200 ecr 5>');
    const l = live('.', 1, 0, 1, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 10_110, ecr: 5 }]); // script-space 210
    expect(verifyOutbound(e, l, mk(), rules)).toBeNull();
    expect(verifyOutbound(e, l, mk(), { tsTickUsecs: 1000, toleranceUsecs: 4000 })).toBe('bad outbound TCP timestamp value');
    expect(verifyOutbound(e, l, mk(), { tsTickUsecs: 1000, toleranceUsecs: 10_000 })).toBeNull();
    const badEcr = live('.', 1, 0, 1, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 10_100, ecr: 6 }]);
    expect(verifyOutbound(e, badEcr, mk(), rules)).toBe('bad outbound TCP options');
  });
});

describe('merging segments as TSO would', () => {
  it('merges contiguous segments up to the expected length, PSH from the last', () => {
    const segs = [live('.', 1, 1000, 1), live('.', 1001, 1000, 1), live('P.', 2001, 1000, 1), live('P.', 3001, 1000, 1)];
    const { merged, used } = mergeSegments(segs, 3000);
    expect(used).toBe(3);
    expect(merged.payload.length).toBe(3000);
    expect(merged.flags).toBe(PSH | ACK);
    expect(mergeSegments(segs, 1000).used).toBe(1);
  });
  it('stops at gaps, ack changes, overshoot and FIN', () => {
    expect(mergeSegments([live('.', 1, 1000, 1), live('.', 2002, 1000, 1)], 2000).used).toBe(1);
    expect(mergeSegments([live('.', 1, 1000, 1), live('.', 1001, 1000, 2)], 2000).used).toBe(1);
    expect(mergeSegments([live('.', 1, 1000, 1), live('.', 1001, 1500, 1)], 2000).used).toBe(1);
    const fin = mergeSegments([live('.', 1, 1000, 1), live('F.', 1001, 1000, 1), live('.', 2001, 10, 1)], 2010);
    expect(fin.used).toBe(2);
    expect(fin.merged.flags).toBe(FIN | ACK);
    expect(mergeSegments([live('S', 0, 0, 0), live('.', 1, 10, 1)], 10).used).toBe(1);
    expect(SYN).toBe(2);
  });
});

describe('describePacket', () => {
  it('prints packets the way scripts write them', () => {
    expect(describePacket(pkt('> P. 1:1001(1000) ack 1 win 5 <nop,nop,TS val 1 ecr 2>'))).toBe('P. 1:1001(1000) ack 1 win 5 <nop,nop,TS val 1 ecr 2>');
    expect(describePacket(pkt('> S 0:0(0) <...>'))).toBe('S 0:0(0) <...>');
  });
});
