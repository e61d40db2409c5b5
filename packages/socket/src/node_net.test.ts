import { describe, expect, test } from 'vitest';
import { once } from 'node:events';
import { ErrnoError } from '@knet/include';
import { settle, twoHosts } from './test/bench.js';
import { knetConnect, knetCreateServer } from './node_net.js';

// The stream path needs a stream protocol registered in inetsw; these check how the adapters
// surface socket-layer errors as Node does, on a host that has only UDP.
describe('KnetSocket and KnetServer errors', () => {
  test('listen on a host without a stream protocol emits an ErrnoError', async () => {
    const { clock, a } = twoHosts();
    const srv = knetCreateServer(a.task, () => {});
    srv.listen(8080);
    const [err] = (await settle(clock, once(srv, 'error'))) as [ErrnoError];
    expect(err).toBeInstanceOf(ErrnoError);
    expect(err.code).toBe('ESOCKTNOSUPPORT');
    expect(srv.address()).toBe(null);
    expect(a.task.fds()).toEqual([]);
  });

  test('connect failure destroys the socket with the errno code', async () => {
    const { clock, a } = twoHosts();
    const s = knetConnect(a.task, { port: 80, host: '198.18.0.2' });
    const err = new Promise<ErrnoError>((resolve) => s.once('error', resolve));
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    expect((await settle(clock, err)).code).toBe('ESOCKTNOSUPPORT');
    await settle(clock, closed);
    expect(s.destroyed).toBe(true);
    expect(s.remoteAddress).toBe(undefined);
  });
});
