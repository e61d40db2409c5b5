import { describe, expect, test } from 'vitest';
import { TCP_ESTABLISHED, TCPHDR_SYN, TCPHDR_ACK } from '@knet/include';
import { createTcpTestbench } from '../index.js';

describe('handshake and data', () => {
  test('three-way handshake then data both ways', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair(80);
    expect(c.skState).toBe(TCP_ESTABLISHED);
    expect(s.skState).toBe(TCP_ESTABLISHED);
    const syn = tb.log[0];
    expect(syn.flags).toBe(TCPHDR_SYN);
    expect(tb.log[1].flags).toBe(TCPHDR_SYN | TCPHDR_ACK);
    expect(tb.send(c, new TextEncoder().encode('hello'))).toBe(5);
    tb.run(50);
    expect(new TextDecoder().decode(tb.drain(s))).toBe('hello');
    expect(tb.send(s, new TextEncoder().encode('world!'))).toBe(6);
    tb.run(50);
    expect(new TextDecoder().decode(tb.drain(c))).toBe('world!');
  });
});
