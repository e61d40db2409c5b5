import { describe, expect, it } from 'vitest';
import { measureIdleMemory, tcpIdleConnMemory } from './tcp_idle_memory.js';

describe('tcp_idle_conn_memory', () => {
  it('opens the connections in a child with --expose-gc and reports what they hold', { timeout: 60_000 }, async () => {
    const m = await measureIdleMemory(100);
    expect(m.conns).toBe(100);
    // Counted per endpoint: each connection over lo is two established sockets.
    expect(m.socks).toBe(200);
    // A hundred more established connection pairs take memory.
    expect(m.bytesAfter).toBeGreaterThan(m.bytesBefore);
  });

  it('is a cost, compared with the 4 KiB target', () => {
    expect(tcpIdleConnMemory).toMatchObject({ unit: 'B/sock', direction: 'lower' });
  });
});
