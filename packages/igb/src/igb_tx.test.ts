import { NETDEV_TX_BUSY, NETDEV_TX_OK, SKB_DROP_REASON } from '@knet/include';
import { dropCount, netifTxQueueStopped } from '@knet/netdevice';
import type { FrameSink } from '@knet/nic-sim';
import { getUint16, getUint32, kfreeSkb } from '@knet/skbuff';
import { describe, expect, test } from 'vitest';
import { DESC_NEEDED, IGB_MIN_TXD } from './igb.js';
import { buildFrame, checksumsOk, frameSkb, twoHosts, xmit } from './test/bench.js';

describe('igb transmit', () => {
  test('TX ring full: the queue stops, and wakes once completions are cleaned', () => {
    const { clock, a, b } = twoHosts({ a: { txRingCount: IGB_MIN_TXD } });
    const dev = a.dev;
    const txq = dev.txQueues[0];
    let sent = 0;
    // Feed the driver as the qdisc would, back to back, until it stops the queue.
    while (!netifTxQueueStopped(txq)) {
      const rc = dev.netdevOps.ndoStartXmit(frameSkb(a, buildFrame(a, b, { seq: sent, payload: 1400 })), dev);
      expect(rc).toBe(NETDEV_TX_OK);
      sent++;
    }
    expect(sent).toBe(IGB_MIN_TXD - DESC_NEEDED);
    // A caller that ignores the stop still gets what fits, then NETDEV_TX_BUSY, never an overrun.
    for (;;) {
      const skb = frameSkb(a, buildFrame(a, b, { seq: sent, payload: 1400 }));
      if (dev.netdevOps.ndoStartXmit(skb, dev) === NETDEV_TX_BUSY) {
        kfreeSkb(skb);
        break;
      }
      sent++;
    }
    expect(sent).toBeLessThan(IGB_MIN_TXD);
    expect(netifTxQueueStopped(txq)).toBe(true);
    clock.runFor(5);
    expect(netifTxQueueStopped(txq)).toBe(false);
    expect(b.rx.length).toBe(sent);
    const st = dev.ethtoolOps!.getEthtoolStats!(dev);
    expect(st.tx_queue_0_restart).toBeGreaterThanOrEqual(1);
    expect(st.tx_queue_0_busy).toBe(1);
    // And it carries on.
    xmit(a, buildFrame(a, b, { seq: 99 }));
    clock.runFor(1);
    expect(b.rx.length).toBe(sent + 1);
  });

  test('checksum offload: CHECKSUM_PARTIAL TCP and UDP leave with valid checksums', () => {
    const { clock, a, b } = twoHosts();
    for (const proto of [6, 17] as const) {
      const f = buildFrame(a, b, { proto, payload: 777 });
      f[proto === 6 ? 50 : 40] ^= 0x5a; // whatever software left there is replaced
      xmit(a, f, { partial: true });
    }
    clock.runFor(1);
    expect(b.rx.length).toBe(2);
    for (const r of b.rx) expect(checksumsOk(r.bytes)).toBe(true);
  });

  test('TSO: one 60 KB skb with frags becomes MSS-sized frames, every checksum valid', () => {
    const { clock, a, b } = twoHosts();
    // Watch the wire itself between the two NICs.
    const wire: Uint8Array[] = [];
    const tap: FrameSink = { receiveFrame: (bytes, len) => wire.push(bytes.slice(0, len)) };
    const sink = b.nic.port.sink;
    b.nic.port.sink = { receiveFrame: (bytes, len) => { tap.receiveFrame(bytes, len); sink.receiveFrame(bytes, len); } };
    const payload = 60000, mss = 1448;
    const f = buildFrame(a, b, { proto: 6, payload, seq: 0x10000 });
    xmit(a, f, { gsoSize: mss, fragFrom: 54 + 1000, fragSize: 4096 });
    clock.runFor(2);
    const n = Math.ceil(payload / mss);
    expect(wire.length).toBe(n);
    let seq = 0x10000, bytes = 0;
    for (const [k, s] of wire.entries()) {
      expect(checksumsOk(s)).toBe(true);
      expect(getUint32(s, 38)).toBe(seq);
      const len = s.length - 54;
      expect(len).toBe(k < n - 1 ? mss : payload - (n - 1) * mss);
      expect(getUint16(s, 16)).toBe(40 + len);
      expect(s.subarray(54)).toEqual(f.subarray(54 + bytes, 54 + bytes + len));
      // PSH only on the last segment.
      expect(s[47] & 0x08).toBe(k === n - 1 ? 0x08 : 0);
      seq += len;
      bytes += len;
    }
    expect(b.rx.length).toBe(n);
    const st = a.dev.ethtoolOps!.getEthtoolStats!(a.dev);
    expect(st.tx_tcp_seg_good).toBe(1);
    expect(st.tx_queue_0_packets).toBe(n);
  });

  test('a GSO skb the hardware cannot segment is dropped with a reason, not sent', () => {
    const { clock, a, b } = twoHosts();
    const f = buildFrame(a, b, { proto: 17, payload: 3000 });
    const before = dropCount(a.net, SKB_DROP_REASON.SKB_GSO_SEG);
    const skb = frameSkb(a, f, { gsoSize: 1000 });
    expect(a.dev.netdevOps.ndoStartXmit(skb, a.dev)).toBe(NETDEV_TX_OK);
    clock.runFor(1);
    expect(b.rx.length).toBe(0);
    expect(dropCount(a.net, SKB_DROP_REASON.SKB_GSO_SEG)).toBe(before + 1);
  });

  test('a hung TX queue trips the watchdog: ndoTxTimeout, reset, traffic resumes', () => {
    const { clock, a, b } = twoHosts();
    // Freeze queue 0's DMA engine behind the driver's back.
    a.nic.writel(0x3828, 0);
    const before = dropCount(a.net, SKB_DROP_REASON.DEV_DOWN);
    xmit(a, buildFrame(a, b));
    clock.runFor(4000);
    expect(a.adapter.txTimeoutCount).toBe(0);
    clock.runFor(4000);
    expect(a.adapter.txTimeoutCount).toBe(1);
    expect(a.adapter.resets).toBe(1);
    expect(dropCount(a.net, SKB_DROP_REASON.DEV_DOWN)).toBe(before + 1);
    expect(b.rx.length).toBe(0);
    clock.runFor(5);
    xmit(a, buildFrame(a, b));
    clock.runFor(1);
    expect(b.rx.length).toBe(1);
  });
});
