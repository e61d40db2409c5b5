import { describe, expect, test } from 'vitest';
import { EINVAL, SOL_TCP, TCP_CM_INQ, TCP_INQ, type Cmsghdr, type Msghdr } from '@knet/include';
import { createTcpTestbench } from '../testbench.js';
import { tcpGetsockopt, tcpRecvmsg } from '../tcp.js';

function recvInq(sk: Parameters<typeof tcpRecvmsg>[0], n: number): { r: number; control: Cmsghdr[] } {
  const control: Cmsghdr[] = [];
  const msg: Msghdr = { name: null, iov: [new Uint8Array(n)], flags: 0, control };
  return { r: tcpRecvmsg(sk, msg, 0), control };
}

describe('TCP_INQ', () => {
  test('recvmsg reports the bytes left in a TCP_CM_INQ cmsg, and 1 after the FIN until EOF is read', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair(80);
    expect(tcpGetsockopt(s, SOL_TCP, TCP_INQ)).toBe(0);
    expect(tb.setsockopt(s, SOL_TCP, TCP_INQ, 2)).toBe(-EINVAL);
    expect(tb.setsockopt(s, SOL_TCP, TCP_INQ, 1)).toBe(0);
    expect(tcpGetsockopt(s, SOL_TCP, TCP_INQ)).toBe(1);

    tb.send(c, new Uint8Array(3000));
    tb.run(50);
    let got = recvInq(s, 1000);
    expect(got.r).toBe(1000);
    expect(got.control).toEqual([{ level: SOL_TCP, type: TCP_CM_INQ, data: 2000 }]);
    got = recvInq(s, 2000);
    expect(got.r).toBe(2000);
    expect(got.control).toEqual([{ level: SOL_TCP, type: TCP_CM_INQ, data: 0 }]);

    tb.send(c, new Uint8Array(500));
    tb.close(c);
    tb.run(50);
    got = recvInq(s, 500);
    expect(got.r).toBe(500);
    // The FIN is still to be read: the hint stays non-zero so the reader goes on to the EOF.
    expect(got.control[0]?.data).toBe(1);
    expect(tb.recv(s)).toEqual(new Uint8Array(0));
  });

  test('without TCP_INQ no control message is added', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair(80);
    tb.send(c, new Uint8Array(100));
    tb.run(50);
    const got = recvInq(s, 50);
    expect(got.r).toBe(50);
    expect(got.control).toEqual([]);
  });
});
