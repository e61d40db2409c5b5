import { IFF_RUNNING } from '@knet/include';
import { devGetStats, TraceRecorder, traceOn } from '@knet/netdevice';
import { describe, expect, test } from 'vitest';
import { buildFrame, twoHosts, xmit } from './test/bench.js';

describe('igb on an emulated 82576', () => {
  test('probe reads the NVM address; open brings the link up through the watchdog', () => {
    const { a, b } = twoHosts();
    expect([...a.dev.devAddr]).toEqual([2, 0, 0, 0, 0, 0xa]);
    expect(a.dev.carrier && b.dev.carrier).toBe(true);
    expect(a.dev.flags & IFF_RUNNING).toBe(IFF_RUNNING);
    expect(a.dev.ethtoolOps!.getLinkKsettings!(a.dev)).toMatchObject({ speed: 1000, link: true });
  });

  test('two NICs on a cable exchange frames up to a PacketType, both ways', () => {
    const { clock, a, b } = twoHosts();
    const sent = [];
    for (let i = 0; i < 10; i++) {
      const f = buildFrame(a, b, { payload: 100 + i, seq: i });
      sent.push(f);
      xmit(a, f);
    }
    xmit(b, buildFrame(b, a, { payload: 500 }));
    clock.runFor(1);
    expect(b.rx.map((r) => r.bytes)).toEqual(sent);
    expect(a.rx.length).toBe(1);
    expect(a.rx[0].bytes.length).toBe(542);
    const st = devGetStats(a.dev);
    expect(st.txPackets).toBe(10);
    expect(st.rxPackets).toBe(1);
  });

  test('the RX and TX paths fire their tracepoints in Linux order', () => {
    const { clock, a, b } = twoHosts();
    const ta = new TraceRecorder(a.net), tb = new TraceRecorder(b.net);
    traceOn(a.net, ta);
    traceOn(b.net, tb);
    xmit(a, buildFrame(a, b));
    clock.runFor(1);
    const tx = ta.fns().filter((f) => f.startsWith('igb'));
    expect(tx.slice(0, 3)).toEqual(['igbXmitFrame', 'igbXmitFrameRing', 'igbTxMap']);
    expect(tx.slice(3)).toEqual(['igbMsixRing', 'igbPoll', 'igbCleanTxIrq', 'igbCleanRxIrq', 'igbRingIrqEnable']);
    const rx = tb.fns();
    const i = rx.indexOf('igbMsixRing');
    expect(rx.slice(i, i + 10)).toEqual([
      'igbMsixRing', 'napiSchedule', 'napiSchedulePrep', '__napiSchedule', '____napiSchedule',
      '__raiseSoftirqIrqoff', '__doSoftirq', 'netRxAction', 'igbPoll', 'igbCleanTxIrq',
    ]);
    expect(rx[i + 10]).toBe('igbCleanRxIrq');
    expect(rx).toContain('igbFetchRxBuffer');
    expect(rx.indexOf('napiGroReceive')).toBeGreaterThan(rx.indexOf('igbFetchRxBuffer'));
    expect(rx.indexOf('igbRingIrqEnable')).toBeGreaterThan(rx.indexOf('napiCompleteDone'));
    expect(tb.entries.find((e) => e.fn === 'igbMsixRing')!.ctx).toBe(2);
  });

  test('carrier follows the cable: LSC interrupt, watchdog, netifCarrierOff/On', () => {
    const { clock, a, cable } = twoHosts();
    cable.setCarrier(false);
    clock.runFor(5);
    expect(a.dev.carrier).toBe(false);
    expect(a.dev.ethtoolOps!.getLink!(a.dev)).toBe(false);
    cable.setCarrier(true);
    clock.runFor(5);
    expect(a.dev.carrier).toBe(true);
  });

  test('close and reopen: rings are rebuilt and traffic flows again', () => {
    const { clock, a, b } = twoHosts();
    xmit(a, buildFrame(a, b));
    clock.runFor(1);
    a.dev.netdevOps.ndoStop!(a.dev);
    expect(a.adapter.up).toBe(false);
    expect(a.dev.netdevOps.ndoOpen!(a.dev)).toBe(0);
    clock.runFor(5);
    xmit(a, buildFrame(a, b, { seq: 7 }));
    clock.runFor(1);
    expect(b.rx.length).toBe(2);
  });
});
