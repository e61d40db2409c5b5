import { describe, expect, test } from 'vitest';
import {
  TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSE, TCP_SYN_SENT,
  TCPHDR_RST, TCPHDR_FIN, TCPHDR_SYN, TCPHDR_ACK, SEND_SHUTDOWN, SOL_SOCKET, SO_LINGER, ECONNRESET, ECONNREFUSED, ETIMEDOUT,
} from '@knet/include';
import { createTcpTestbench, TcpTimewaitSock } from '../index.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('close sequences', () => {
  test('active close: FIN_WAIT1 → FIN_WAIT2 → TIME_WAIT for 60 s; passive side CLOSE_WAIT → LAST_ACK → CLOSE', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    tb.close(c);
    expect(c.skState).toBe(TCP_FIN_WAIT1);
    tb.run(20);
    expect(s.skState).toBe(TCP_CLOSE_WAIT);
    expect(tb.recv(s)).toEqual(new Uint8Array(0)); // EOF
    // The orphaned client now lives as a FIN_WAIT2 mini sock.
    tb.close(s);
    expect(s.skState).toBe(TCP_LAST_ACK);
    tb.run(20);
    expect(s.skState).toBe(TCP_CLOSE);
    const tws = [...tb.a.tn.ehash.values()].filter((e) => e instanceof TcpTimewaitSock) as TcpTimewaitSock[];
    expect(tws.length).toBe(1);
    expect(tws[0].substate).toBe(6);
    const t0 = tb.clock.now();
    tb.runUntil(() => tb.a.tn.ehashCount === 0, 70_000, 100);
    const held = tb.clock.now() - t0;
    // TIME_WAIT is 60 s (the timer wheel may fire up to one level granularity late).
    expect(held).toBeGreaterThanOrEqual(59_900);
    expect(held).toBeLessThan(65_000);
  });

  test('half-close: the passive side can still send after receiving FIN', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    tb.shutdown(c, SEND_SHUTDOWN);
    tb.run(20);
    expect(c.skState).toBe(TCP_FIN_WAIT2);
    expect(tb.recv(s)).toEqual(new Uint8Array(0));
    expect(tb.send(s, enc('late data'))).toBe(9);
    tb.run(20);
    expect(new TextDecoder().decode(tb.drain(c))).toBe('late data');
    tb.close(s);
    tb.run(20);
    expect(s.skState).toBe(TCP_CLOSE);
    expect(c.skState).toBe(TCP_CLOSE); // moved to TIME_WAIT mini sock
  });

  test('simultaneous close goes through CLOSING to TIME_WAIT on both sides', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    tb.shutdown(c, SEND_SHUTDOWN);
    tb.shutdown(s, SEND_SHUTDOWN);
    expect(c.skState).toBe(TCP_FIN_WAIT1);
    expect(s.skState).toBe(TCP_FIN_WAIT1);
    tb.run(30);
    const tw = (h: typeof tb.a) => [...h.tn.ehash.values()].filter((e) => e instanceof TcpTimewaitSock).length;
    expect(tw(tb.a) + tw(tb.b)).toBe(2);
  });

  test('FIN_WAIT2 of an orphan times out after tcp_fin_timeout', () => {
    const tb = createTcpTestbench();
    const { c } = tb.pair();
    tb.close(c);
    tb.run(20);
    // The peer never closes: the FIN_WAIT2 mini sock goes away after 60 s.
    expect(tb.a.tn.ehashCount).toBe(1);
    tb.run(59_000);
    expect(tb.a.tn.ehashCount).toBe(1);
    tb.run(6_000);
    expect(tb.a.tn.ehashCount).toBe(0);
  });

  test('close with unread data sends RST and the peer gets ECONNRESET', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    tb.send(c, enc('unread'));
    tb.run(20);
    const n = tb.log.length;
    tb.close(s);
    expect(tb.log.slice(n).some((x) => x.flags & TCPHDR_RST)).toBe(true);
    expect(tb.b.tn.ext.TCPAbortOnClose).toBe(1);
    tb.run(20);
    expect(c.skState).toBe(TCP_CLOSE);
    expect(c.skErr).toBe(ECONNRESET);
  });

  test('SO_LINGER with zero timeout aborts with RST', () => {
    const tb = createTcpTestbench();
    const { c, s } = tb.pair();
    expect(tb.setsockopt(c, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 })).toBe(0);
    const n = tb.log.length;
    tb.close(c);
    const out = tb.log.slice(n);
    expect(out.length).toBe(1);
    expect(out[0].flags & TCPHDR_RST).toBeTruthy();
    expect(out[0].flags & TCPHDR_FIN).toBeFalsy();
    tb.run(20);
    expect(s.skState).toBe(TCP_CLOSE);
  });

  test('connect to a closed port is refused by RST', () => {
    const tb = createTcpTestbench();
    const c = tb.connect(tb.a, 9999);
    tb.run(20);
    expect(c.skState).toBe(TCP_CLOSE);
    expect(c.skErr).toBe(ECONNREFUSED);
    expect(tb.a.tn.mib.AttemptFails).toBe(1);
  });

  test('a RST in each synchronised state closes with the right error', () => {
    for (const mk of ['established', 'close_wait', 'fin_wait2'] as const) {
      const tb = createTcpTestbench();
      const { c, s } = tb.pair();
      if (mk === 'close_wait') {
        tb.shutdown(s, SEND_SHUTDOWN);
        tb.run(20);
      } else if (mk === 'fin_wait2') {
        tb.shutdown(c, SEND_SHUTDOWN);
        tb.run(20);
      }
      // The server aborts: its RST carries seq = rcv_nxt of the client exactly.
      const before = c.skState;
      expect([TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT2]).toContain(before);
      tb.setsockopt(s, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
      tb.close(s);
      tb.run(20);
      expect(c.skState).toBe(TCP_CLOSE);
      expect(c.skErr).toBe(before === TCP_CLOSE_WAIT ? 32 : ECONNRESET);
    }
  });
});

describe('handshake variants', () => {
  test('SYN retransmissions back off 1, 2, 4, 8 … s and give up with ETIMEDOUT after tcp_syn_retries', () => {
    const tb = createTcpTestbench();
    tb.dropIf = (x) => x.from === 'a';
    const c = tb.connect(tb.a, 80);
    tb.runUntil(() => c.skState === TCP_CLOSE, 200_000, 50);
    const syns = tb.log.filter((x) => x.flags === TCPHDR_SYN).map((x) => x.t);
    expect(syns.length).toBe(7); // 1 + tcp_syn_retries (6)
    const gaps = syns.slice(1).map((t, i) => t - syns[i]);
    const want = [1000, 2000, 4000, 8000, 16000, 32000];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(want[i]);
      expect(g).toBeLessThanOrEqual(want[i] * 1.13 + 2);
    });
    expect(c.skErr).toBe(ETIMEDOUT);
  });

  test('simultaneous open: both SYN_SENT sockets reach ESTABLISHED', () => {
    const tb = createTcpTestbench();
    const a = tb.socket(tb.a), b = tb.socket(tb.b);
    const { tcpBind } = tbBind;
    expect(tcpBind(a, { family: 2, addr: 0, port: 5000 })).toBe(0);
    expect(tcpBind(b, { family: 2, addr: 0, port: 6000 })).toBe(0);
    // a → b:6000 and b → a:5000 cross on the wire.
    tb.connect(tb.a, 6000, a);
    tb.connect(tb.b, 5000, b);
    expect(a.skState).toBe(TCP_SYN_SENT);
    tb.run(100);
    expect(a.skState).toBe(TCP_ESTABLISHED);
    expect(b.skState).toBe(TCP_ESTABLISHED);
    expect(tb.send(a, enc('x'))).toBe(1);
    tb.run(50);
    expect(new TextDecoder().decode(tb.drain(b))).toBe('x');
    expect(tb.log.filter((x) => x.flags === (TCPHDR_SYN | TCPHDR_ACK)).length).toBeGreaterThanOrEqual(2);
  });
});

import { tcpBind } from '../tcp_ipv4.js';
const tbBind = { tcpBind };
