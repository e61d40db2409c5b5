import { describe, expect, it } from 'vitest';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';
import { parseFetchArgs } from './fetch.js';
import { parseServeArgs } from './serve.js';

describe('knet serve/fetch/ping/connect arguments', () => {
  it('serve takes the TAP, address and options', () => {
    const { opts, json } = parseServeArgs([
      '--tap', 'tap0', '--addr', '198.18.0.2/24', '--gw', '198.18.0.1', '--mtu', '9000', '--cc', 'reno',
      '--offload', '--pcap', '/tmp/x.pcap', '--http-root', '/srv', '--http-port', '8080', '--json',
    ]);
    expect(opts).toEqual({
      tap: 'tap0', addr: '198.18.0.2/24', gw: '198.18.0.1', mtu: 9000, cc: 'reno', offload: true,
      pcap: '/tmp/x.pcap', httpRoot: '/srv', httpPort: 8080,
    });
    expect(json).toBe(true);
    expect(parseServeArgs(['--tap', 't', '--addr', '198.18.0.2/24']).opts.httpPort).toBe(80);
  });

  it('serve asks for TAP offloads unless told not to, or a capture wants the frames as on the wire', () => {
    const base = ['--tap', 't', '--addr', '198.18.0.2/24'];
    expect(parseServeArgs(base).opts.offload).toBe(true);
    expect(parseServeArgs([...base, '--offload=false']).opts.offload).toBe(false);
    expect(parseServeArgs([...base, '--pcap', '/tmp/x.pcap']).opts.offload).toBe(false);
    expect(parseServeArgs([...base, '--pcap', '/tmp/x.pcap', '--offload']).opts.offload).toBe(true);
  });

  it('serve takes --busy-poll in µs, off by default', () => {
    const base = ['--tap', 't', '--addr', '198.18.0.2/24'];
    expect(parseServeArgs(base).opts.busyPollUs).toBeUndefined();
    expect(parseServeArgs([...base, '--busy-poll', '50']).opts.busyPollUs).toBe(50);
    expect(() => parseServeArgs([...base, '--busy-poll', 'x'])).toThrow(/--busy-poll/);
  });

  it('fetch takes one http URL with an IPv4 host, and -o', () => {
    const { opts } = parseFetchArgs(['http://198.18.0.1:8000/big.bin?x=1', '--tap', 't', '--addr', '198.18.0.2/24', '-o', '/tmp/out']);
    expect(opts.url.port).toBe('8000');
    expect(opts.url.pathname).toBe('/big.bin');
    expect(opts.output).toBe('/tmp/out');
  });

  it.each([
    [['serve', '--addr', '198.18.0.2/24'], /--tap IFNAME is required/],
    [['serve', '--tap', 't', '--addr', '198.18.0.2'], /--addr a\.b\.c\.d\/len/],
    [['serve', '--tap', 't', '--addr', '198.18.0.2/24', '--mtu', 'big'], /--mtu must be a positive integer/],
    [['fetch', 'https://198.18.0.1/', '--tap', 't', '--addr', '198.18.0.2/24'], /only http:\/\//],
    [['fetch', 'http://example.com/', '--tap', 't', '--addr', '198.18.0.2/24'], /IPv4 address/],
    [['ping', '--tap', 't', '--addr', '198.18.0.2/24'], /one IPv4 HOST/],
    [['ping', '198.18.0.1', '--tap', 't', '--addr', '198.18.0.2/24', '-c', '0'], /--count must be a positive integer/],
    [['connect', '198.18.0.1', '70000', '--tap', 't', '--addr', '198.18.0.2/24'], /PORT must be/],
  ])('%j is a usage error (exit 2)', async (argv, msg) => {
    const io = bufferIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(msg);
  });

  it('the help lists the four commands', async () => {
    const io = bufferIo();
    expect(await runCli(['help'], io)).toBe(0);
    for (const name of ['serve', 'fetch', 'ping', 'connect']) expect(io.out()).toMatch(new RegExp(`^${name}\\s`, 'm'));
  });
});
