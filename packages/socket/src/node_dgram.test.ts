import { describe, expect, test } from 'vitest';
import { once } from 'node:events';
import { B, settle, twoHosts } from './test/bench.js';
import { knetCreateDgramSocket, type RemoteInfo } from './node_dgram.js';

describe('KnetDgramSocket', () => {
  test('an echo server answers a client across the veth', async () => {
    const { clock, a, b } = twoHosts();
    const server = knetCreateDgramSocket(b.task, 'udp4', (msg, rinfo) => {
      server.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address);
    });
    server.bind(7777, B);
    await settle(clock, once(server, 'listening'));
    expect(server.address()).toEqual({ address: B, family: 'IPv4', port: 7777 });

    const client = knetCreateDgramSocket(a.task);
    const got = new Promise<[Buffer, RemoteInfo]>((resolve) => client.once('message', (m, r) => resolve([m, r])));
    const sent = new Promise<number>((resolve, reject) => client.send('hi there', 7777, B, (err, n) => (err ? reject(err) : resolve(n!))));
    expect(await settle(clock, sent)).toBe(8);
    const [msg, rinfo] = await settle(clock, got);
    expect(msg.toString()).toBe('echo:hi there');
    expect(rinfo).toEqual({ address: B, family: 'IPv4', port: 7777, size: 13 });
    // Autobound on the first send: wildcard address, ephemeral port (the sender's source port).
    expect(client.address().address).toBe('0.0.0.0');
    expect(client.address().port).toBeGreaterThanOrEqual(32768);
    client.close();
    server.close();
    await settle(clock, once(server, 'close'));
  });

  test('connect fixes the peer; a refused datagram surfaces as ECONNREFUSED', async () => {
    const { clock, a } = twoHosts();
    const s = knetCreateDgramSocket(a.task);
    s.connect(9, B);
    await settle(clock, once(s, 'connect'));
    expect(s.remoteAddress()).toEqual({ address: B, family: 'IPv4', port: 9 });
    const err = new Promise<NodeJS.ErrnoException>((resolve) => s.once('error', resolve));
    s.send('x');
    const e = await settle(clock, err);
    expect(e.code).toBe('ECONNREFUSED');
    s.disconnect();
    expect(() => s.remoteAddress()).toThrow(/ENOTCONN/);
    s.close();
  });

  test('broadcast needs setBroadcast(true)', async () => {
    const { clock, a } = twoHosts();
    const s = knetCreateDgramSocket(a.task);
    const denied = new Promise<Error | null>((resolve) => s.send('x', 9, '198.18.0.255', (err) => resolve(err)));
    expect(((await settle(clock, denied)) as NodeJS.ErrnoException).code).toBe('EACCES');
    s.setBroadcast(true);
    const ok = new Promise<Error | null>((resolve) => s.send('x', 9, '198.18.0.255', (err) => resolve(err)));
    expect(await settle(clock, ok)).toBe(null);
    s.close();
  });
});
