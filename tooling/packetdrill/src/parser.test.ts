import { describe, expect, it } from 'vitest';
import { parseScript } from './parser.js';
import { ScriptSyntaxError, secondsToUsecs, tokenize } from './lexer.js';
import type { SyscallAction, TcpPacket } from './ast.js';

const one = (line: string) => {
  const s = parseScript(line);
  expect(s.events).toHaveLength(1);
  return s.events[0]!;
};

describe('lexer', () => {
  it('splits times, ellipses and sequence ranges', () => {
    const texts = tokenize('+0...0.200 x 1:1001(1000) +.004~+.008 0x1f').map((t) => `${t.type}:${t.text}`);
    expect(texts).toEqual(['punct:+', 'int:0', 'ellipsis:...', 'float:0.200', 'word:x', 'int:1', 'punct::', 'int:1001',
      'punct:(', 'int:1000', 'punct:)', 'punct:+', 'float:.004', 'punct:~', 'punct:+', 'float:.008', 'int:0x1f', 'eof:']);
  });
  it('drops both comment styles and counts lines through them', () => {
    const toks = tokenize('a // x\n/* b\nc */ d\n`e\nf` g');
    expect(toks.map((t) => [t.text, t.line])).toEqual([['a', 1], ['d', 3], ['e\nf', 4], ['g', 5], ['', 5]]);
  });
  it('decodes string escapes and keeps code blocks raw', () => {
    const [s, c] = tokenize('"\\xf7\\x63" %{ assert x == 1 }%');
    expect(s!.text).toBe('\xf7\x63');
    expect(c).toMatchObject({ type: 'code', text: 'assert x == 1' });
  });
  it('converts seconds to microseconds exactly', () => {
    expect(secondsToUsecs('0.100')).toBe(100_000);
    expect(secondsToUsecs('.29')).toBe(290_000);
    expect(secondsToUsecs('2')).toBe(2_000_000);
    expect(secondsToUsecs('1.2')).toBe(1_200_000);
  });
});

describe('parser', () => {
  it('reads options, init command, events and cleanup command', () => {
    const s = parseScript('--tolerance_usecs=10000\n--ip_version=ipv4\n--strict_segments\n`../common/defaults.sh`\n0 close(3) = 0\n`/tmp/restore.sh`\n');
    expect(s.options.map((o) => [o.name, o.value])).toEqual([['tolerance_usecs', '10000'], ['ip_version', 'ipv4'], ['strict_segments', null]]);
    expect(s.initCommand?.command).toBe('../common/defaults.sh');
    expect(s.cleanupCommand?.command).toBe('/tmp/restore.sh');
    expect(s.events).toHaveLength(1);
  });

  it('reads every time form', () => {
    expect(one('0.100 close(3) = 0').time).toEqual({ kind: 'absolute', usecs: 100_000 });
    expect(one('+.1 close(3) = 0').time).toEqual({ kind: 'relative', usecs: 100_000 });
    expect(one('* > F. 1:1(0) ack 12').time).toEqual({ kind: 'any' });
    expect(one('0.1~0.2 > . 1:1(0) ack 1').time).toEqual({ kind: 'absoluteRange', usecs: 100_000, endUsecs: 200_000 });
    expect(one('+0~+0.1 > . 1:1(0) ack 1').time).toEqual({ kind: 'relativeRange', usecs: 0, endUsecs: 100_000 });
    expect(() => parseScript('* close(3) = 0')).toThrow(ScriptSyntaxError);
    expect(() => parseScript('+.2~+.1 > . 1:1(0) ack 1')).toThrow(/backwards/);
  });

  it('reads a blocking syscall with errno and note', () => {
    const e = one('+0...0.200 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)');
    const a = e.action as SyscallAction;
    expect(a).toMatchObject({ name: 'connect', endUsecs: 200_000, errno: 'ECONNREFUSED', note: 'Connection refused' });
    expect(a.result).toEqual({ kind: 'int', value: -1, hex: false });
    expect(a.args).toEqual([{ kind: 'int', value: 3, hex: false }, { kind: 'ellipsis' }, { kind: 'ellipsis' }]);
  });

  it('reads structs, arrays, flags and function-style fields', () => {
    const a = one(`0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0}, MSG_MORE|0x10) = 1000`).action as SyscallAction;
    expect(a.args[1]).toEqual({ kind: 'struct', fields: [
      { name: 'msg_name', arg: { kind: 'ellipsis' }, value: { kind: 'ellipsis' } },
      { name: 'msg_iov', arg: { kind: 'int', value: 1, hex: false }, value: { kind: 'list', items: [
        { kind: 'struct', fields: [{ name: null, arg: null, value: { kind: 'ellipsis' } }, { name: null, arg: null, value: { kind: 'int', value: 1000, hex: false } }] },
      ] } },
      { name: 'msg_flags', arg: null, value: { kind: 'int', value: 0, hex: false } },
    ] });
    expect(a.args[2]).toEqual({ kind: 'or', lhs: { kind: 'word', name: 'MSG_MORE' }, rhs: { kind: 'int', value: 16, hex: true } });
    const p = one('0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1').action as SyscallAction;
    expect(p.args[0]).toMatchObject({ kind: 'list', items: [{ kind: 'struct', fields: [{ name: 'fd' }, { name: 'events' }, { name: 'revents' }] }] });
    const b = one('0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0').action as SyscallAction;
    expect(b.args[1]).toMatchObject({ kind: 'struct', fields: [{ name: 'sa_family' }, { name: 'sin_port', value: { kind: 'call', name: 'htons' } }, { name: 'sin_addr' }] });
    const l = one('0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0').action as SyscallAction;
    expect(l.args[3]).toMatchObject({ kind: 'struct', fields: [{ name: 'l_onoff' }, { name: 'l_linger' }] });
    const f = one('0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)').action as SyscallAction;
    expect(f).toMatchObject({ result: { kind: 'int', value: 2, hex: true }, errno: null, note: 'flags O_RDWR' });
  });

  it('reads TCP packets with flags, ack, win, urg and options', () => {
    const p = one('+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>').action as TcpPacket;
    expect(p).toMatchObject({ direction: 'inbound', flags: 'S', seq: 0, len: 0, ack: null, win: 32792 });
    expect(p.options).toEqual([{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'wscale', value: 7 }]);
    const q = one('+0 > P. 1:1001(1000) ack 1 <nop,nop,TS val 100 ecr 200,sack 2001:3001 4001:5001,eol>').action as TcpPacket;
    expect(q).toMatchObject({ direction: 'outbound', flags: 'P.', seq: 1, len: 1000, ack: 1, win: null });
    expect(q.options).toContainEqual({ kind: 'ts', val: 100, ecr: 200 });
    expect(q.options).toContainEqual({ kind: 'sack', blocks: [[2001, 3001], [4001, 5001]] });
    expect((one('0 > S. 0:0(0) ack 1 <...>').action as TcpPacket).options).toBe('any');
    expect(one('0 < U. 1:101(100) ack 1 win 257 urg 100').action).toMatchObject({ flags: 'U.', urg: 100 });
    expect(one('0 < [ect1] . 1:1(0) ack 1 win 320').action).toMatchObject({ flags: '.', ip: { ecn: 'ect1' } });
    expect(one('0 > SEW 0:0(0) <FO abcd1234,nop,nop>').action).toMatchObject({ flags: 'SEW', options: [{ kind: 'fastopen', cookie: 'abcd1234' }, { kind: 'nop' }, { kind: 'nop' }] });
    expect(() => parseScript('0 < S 0:0(0) win 1 <...>')).toThrow(/outbound/);
    expect(() => parseScript('0 < S 0:5(0) win 1')).toThrow(/inconsistent/);
  });

  it('reads udp and icmp packets', () => {
    expect(one('0 < udp (100)').action).toMatchObject({ proto: 'udp', len: 100 });
    expect(one('0 < icmp unreachable frag_needed mtu 800').action).toMatchObject({ proto: 'icmp', type: 'unreachable', code: 'frag_needed', mtu: 800 });
    expect(one('0 < icmp unreachable [5000:6000(1000)]').action).toMatchObject({ proto: 'icmp', code: null, echoed: { proto: 'tcp', seq: 5000, len: 1000 } });
  });

  it('keeps shell and python text', () => {
    const s = parseScript('0 `sysctl -q net.ipv4.tcp_ecn=2`\n+0 %{\nassert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state\n}%\n');
    expect(s.events[0]!.action).toEqual({ kind: 'shell', line: 1, command: 'sysctl -q net.ipv4.tcp_ecn=2' });
    expect(s.events[1]!.action).toMatchObject({ kind: 'code', line: 2, code: '\nassert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state\n' });
    expect(s.events[1]!.line).toBe(2);
  });

  it('reports the line of a syntax error', () => {
    expect(() => parseScript('0 close(3) = 0\n+0 > Q 1:1(0)\n')).toThrow(/^line 2: expected TCP flags/);
  });
});
