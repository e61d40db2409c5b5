import { NETIF_F_GRO, NETIF_F_TSO } from '@knet/include';
import { describe, expect, it } from 'vitest';
import { IGB_B, LOOPBACK, connectPair, igbHosts, listenOn, loadHostApi, loopbackHost } from './tcp_conn.js';

describe('the TCP scenarios\' set-ups', () => {
  it('connects over lo on one host and moves bytes both ways', async () => {
    const { clock, host } = loopbackHost(await loadHostApi());
    const { st, lfd } = listenOn(host, 7000);
    const c = connectPair(clock, host.task(), st, lfd, LOOPBACK, 7000);
    expect(host.ss().filter((r) => r.state === 'ESTAB')).toHaveLength(2);
    expect(c.ct.send(c.cfd, new Uint8Array([1, 2, 3]))).toBe(3);
    clock.run(clock.now());
    const buf = new Uint8Array(8);
    expect(c.st.recv(c.sfd, buf)).toBe(3);
    expect([...buf.subarray(0, 3)]).toEqual([1, 2, 3]);
  });

  it('igb hosts keep TSO and GRO, or drop both when offloads are off', async () => {
    const api = await loadHostApi();
    for (const offloads of [true, false]) {
      const { clock, a, b } = igbHosts(api, { offloads });
      const dev = a.net.devices.find((d) => d.name === 'eth0')!;
      expect(dev.features & NETIF_F_TSO ? 'tso' : 'no tso').toBe(offloads ? 'tso' : 'no tso');
      expect(dev.features & NETIF_F_GRO ? 'gro' : 'no gro').toBe(offloads ? 'gro' : 'no gro');
      const { st, lfd } = listenOn(b, 7001);
      const c = connectPair(clock, a.task(), st, lfd, IGB_B, 7001);
      expect(c.sfd).toBeGreaterThanOrEqual(0);
    }
  });
});
