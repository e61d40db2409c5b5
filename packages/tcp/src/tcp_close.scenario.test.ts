import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { TCP_CLOSE, TCP_FIN_WAIT1, TCP_CLOSE_WAIT, TCPHDR_ACK, TCPHDR_FIN } from '@knet/include';
import { createTcpTestbench, TcpTimewaitSock } from './index.js';
import { pattern } from './test/scenario_helpers.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('close sequences', () => {
  test('close() with unsent data: everything is delivered first and the FIN rides on the last data segment', () => {
    const tb = createTcpTestbench({ delayMs: 5, rateBytesPerMs: 5000 });
    const { c, s } = tb.pair();
    const d = pattern(40_000, 4);
    let off = 0;
    while (off < d.length) {
      const n = tb.send(c, d.subarray(off));
      if (n <= 0) break;
      off += n;
    }
    expect(off).toBe(d.length); // the send buffer holds it all
    expect(c.sndNxt).not.toBe(c.writeSeq); // part of it is still unsent
    tb.close(c);
    expect(c.skState).toBe(TCP_FIN_WAIT1);
    const parts: Uint8Array[] = [];
    tb.runUntil(() => {
      const r = tb.drain(s);
      if (r.length) parts.push(r);
      return s.skState === TCP_CLOSE_WAIT;
    }, 10_000);
    parts.push(tb.drain(s));
    expect(sha(Buffer.concat(parts))).toBe(sha(d));
    // tcp_send_fin: the FIN is set on the tail skb when it is still unsent, so no bare FIN follows.
    const fins = tb.log.filter((x) => x.from === 'a' && (x.flags & TCPHDR_FIN));
    expect(fins.length).toBe(1);
    expect(fins[0].len).toBeGreaterThan(0);
    expect((fins[0].seq + fins[0].len) >>> 0).toBe((c.writeSeq - 1) >>> 0);
    expect(tb.recv(s)).toEqual(new Uint8Array(0));
  });

  test('a FIN answered by FIN+ACK takes FIN_WAIT1 straight to TIME_WAIT: three segments close the connection', () => {
    const tb = createTcpTestbench({ delayMs: 5 });
    const { c, s } = tb.pair();
    tb.run(500);
    // The server closes as soon as it sees EOF (the usual request/response server).
    const change = s.skStateChange;
    s.skStateChange = (sk) => {
      change(sk);
      if (s.skState === TCP_CLOSE_WAIT) tb.clock.schedule(0, () => tb.close(s));
    };
    const n0 = tb.log.length;
    tb.close(c);
    tb.run(50);
    const out = tb.log.slice(n0);
    // FIN (a), FIN+ACK (b): Linux holds the ACK of a FIN (pingpong) so it rides on the FIN; ACK (a).
    expect(out.map((x) => `${x.from}:${x.flags & (TCPHDR_FIN | TCPHDR_ACK)}`)).toEqual([
      `a:${TCPHDR_FIN | TCPHDR_ACK}`, `b:${TCPHDR_FIN | TCPHDR_ACK}`, `a:${TCPHDR_ACK}`,
    ]);
    expect(out[1].ack).toBe((out[0].seq + 1) >>> 0);
    expect(s.skState).toBe(TCP_CLOSE);
    const tw = [...tb.a.tn.ehash.values()].filter((e) => e instanceof TcpTimewaitSock) as TcpTimewaitSock[];
    expect(tw.length).toBe(1);
    expect(tw[0].substate).toBe(6); // TIME_WAIT, never FIN_WAIT2
  });
});
