import { describe, expect, it } from 'vitest';
import {
  ACK, decodeTcp, decodeTcpOptions, encodeTcp, encodeTcpOptions, findTimestamp, flagsFromString, flagsToString,
  ipv4, optionsToString, PSH, SYN,
} from './wire.js';
import type { TcpOption } from './ast.js';

// Golden bytes checked once against tcpdump -vv ("cksum ... (correct)").
const SYN_HEX = '45000034000040004006ae9cc6120002c61200019c401f90000000000000000080028018a8cc0000020403e80402010101030307';
const DATA_HEX = '450200371234400040069c63c6120001c61200021f909c40000f424100000001801801f65fdd00000101080a00000064000000c8686921';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

const synOpts: TcpOption[] = [{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', value: 7 }];

describe('wire encoding', () => {
  it('builds a SYN byte for byte', () => {
    const b = encodeTcp({ src: ipv4('198.18.0.2'), dst: ipv4('198.18.0.1'), sport: 40000, dport: 8080, seq: 0, ack: 0, flags: SYN,
      win: 32792, urg: 0, options: encodeTcpOptions(synOpts), payload: new Uint8Array(0), tos: 0, ttl: 64, id: 0 });
    expect(hex(b)).toBe(SYN_HEX);
  });

  it('builds a data segment with ECT(0), timestamps and payload', () => {
    const b = encodeTcp({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), sport: 8080, dport: 40000, seq: 1000001, ack: 1,
      flags: PSH | ACK, win: 502, urg: 0, options: encodeTcpOptions([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 100, ecr: 200 }]),
      payload: Uint8Array.from([0x68, 0x69, 0x21]), tos: 2, ttl: 64, id: 0x1234 });
    expect(hex(b)).toBe(DATA_HEX);
  });

  it('decodes what it encodes and verifies checksums', () => {
    const d = decodeTcp(bytes(DATA_HEX));
    expect(d).toMatchObject({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), sport: 8080, dport: 40000, seq: 1000001, ack: 1,
      flags: PSH | ACK, win: 502, tos: 2, ipChecksumOk: true, tcpChecksumOk: true });
    expect(Array.from(d.payload)).toEqual([0x68, 0x69, 0x21]);
    expect(decodeTcpOptions(d.options)).toEqual([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 100, ecr: 200 }]);
    const bad = bytes(DATA_HEX);
    bad[bad.length - 1]! ^= 1;
    expect(decodeTcp(bad).tcpChecksumOk).toBe(false);
    expect(() => decodeTcp(bytes(DATA_HEX).subarray(0, 30))).toThrow(/truncated/);
  });

  it('round-trips every option kind and pads to 4 bytes', () => {
    const all: TcpOption[] = [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 0xfffffff0, ecr: 7 }, { kind: 'nop' },
      { kind: 'wscale', value: 14 }, { kind: 'sack', blocks: [[1, 2]] }, { kind: 'fastopen', cookie: 'abcd1234', experimental: false }];
    const b = encodeTcpOptions(all);
    expect(b.length % 4).toBe(0);
    expect(decodeTcpOptions(b)).toEqual(all);
    expect(findTimestamp(b)).toBe(8);
    const exp = encodeTcpOptions([{ kind: 'fastopen', cookie: '00abaaabe8e954c2', experimental: true }]);
    expect(hex(exp)).toBe('fe0cf98900abaaabe8e954c2');
    expect(optionsToString(decodeTcpOptions(exp))).toBe('FOEXP 00abaaabe8e954c2');
    expect(() => encodeTcpOptions([{ kind: 'sack', blocks: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]] }])).toThrow(/too long/);
  });

  it('maps flag letters both ways', () => {
    expect(flagsFromString('S.')).toBe(SYN | ACK);
    expect(flagsToString(flagsFromString('FP.'))).toBe('FP.');
    expect(flagsToString(flagsFromString('SEW'))).toBe('SEW');
    expect(() => flagsFromString('Q')).toThrow();
  });
});
