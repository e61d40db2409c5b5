import { createVirtualClock } from '@knet/softirq';
import { describe, expect, test } from 'vitest';
import { csumFinish, onesSum, pseudoSum } from './csum.js';
import { createIgbNic } from './nic.js';
import * as R from './regs.js';
import { BCAST, buildFrame, Capture, checksumsOk, get16, get32, MAC_A, MAC_B, put16 } from './test/frames.js';
import { bumpTail, putDesc, rearm, rxWb, setupRx, setupTx } from './test/ring.js';
import { RSS_VERIFY_KEY, toeplitzHash } from './toeplitz.js';
import { Cable, Port } from './wire.js';

function rig() {
  const clock = createVirtualClock({ seed: 3 });
  const { nic, port } = createIgbNic(clock, { mac: MAC_B });
  const peerCap = new Capture(() => clock.now());
  const peer = new Port('peer', peerCap);
  const cable = new Cable(clock, peer, port);
  return { clock, nic, peer, peerCap, cable };
}

function msixOn(nic: ReturnType<typeof rig>['nic']): void {
  nic.writel(R.GPIE, R.GPIE_MSIX_MODE | R.GPIE_EIAME | R.GPIE_NSICR | R.GPIE_PBA);
}

describe('registers', () => {
  test('reset loads the NVM address into RAR0; STATUS reports link and speed', () => {
    const { nic, cable } = rig();
    expect(nic.readl(R.RAL0)).toBe(0x00000002);
    expect(nic.readl(R.RAL0 + 4)).toBe((0x0b00 | R.RAH_AV) >>> 0);
    expect(nic.readl(R.STATUS) & (R.STATUS_LU | R.STATUS_SPEED_1000)).toBe(R.STATUS_LU | R.STATUS_SPEED_1000);
    cable.setCarrier(false);
    expect(nic.readl(R.STATUS) & R.STATUS_LU).toBe(0);
  });

  test('ICR is clear-on-read and write-1-to-clear; ICS sets; IMS/IMC mask', () => {
    const { nic } = rig();
    nic.readl(R.ICR); // the link came up at cable time
    nic.writel(R.ICS, R.ICR_LSC | R.ICR_RXO);
    expect(nic.readl(R.ICR)).toBe((R.ICR_LSC | R.ICR_RXO | R.ICR_INT_ASSERTED) >>> 0);
    expect(nic.readl(R.ICR)).toBe(0);
    nic.writel(R.ICS, R.ICR_LSC | R.ICR_RXO);
    nic.writel(R.ICR, R.ICR_RXO);
    expect(nic.readl(R.ICR) & ~R.ICR_INT_ASSERTED).toBe(R.ICR_LSC);
    nic.writel(R.IMS, R.ICR_LSC | R.ICR_RXO);
    nic.writel(R.IMC, R.ICR_RXO);
    expect(nic.readl(R.IMS)).toBe(R.ICR_LSC);
  });

  test('statistics clear on read; 64-bit octet counters clear on the high half', () => {
    const { nic, peer, clock } = rig();
    nic.writel(R.RCTL, R.RCTL_EN | R.RCTL_BAM);
    setupRx(nic, 0, 8);
    peer.send(buildFrame(), 154);
    clock.runUntilIdle();
    expect(nic.readl(R.GPRC)).toBe(1);
    expect(nic.readl(R.GPRC)).toBe(0);
    expect(nic.readl(R.GORCL)).toBe(158);
    expect(nic.readl(R.GORCL)).toBe(158);
    expect(nic.readl(R.GORCH)).toBe(0);
    expect(nic.readl(R.GORCL)).toBe(0);
  });
});

describe('MSI-X', () => {
  test('a cause fires its IVAR vector; EIAM masks it until software re-enables', () => {
    const { nic, clock } = rig();
    msixOn(nic);
    let n = 0;
    nic.requestIrq(3, () => n++);
    nic.writel(R.IVAR0, (3 | R.IVAR_VALID) >>> 0); // rx queue 0 → vector 3
    nic.writel(R.EIAC, 1 << 3);
    nic.writel(R.EIAM, 1 << 3);
    nic.writel(R.EIMS, 1 << 3);
    nic.intr.queueCause(0, false);
    clock.runUntilIdle();
    expect(n).toBe(1);
    expect(nic.readl(R.EIMS) & (1 << 3)).toBe(0);
    nic.intr.queueCause(0, false);
    clock.runUntilIdle();
    expect(n).toBe(1);
    nic.writel(R.EIMS, 1 << 3); // pending cause fires on unmask
    clock.runUntilIdle();
    expect(n).toBe(2);
    expect(nic.requestIrq(3, () => {})).toBe(-16);
  });

  test('EITR spaces interrupts on a vector by its interval', () => {
    const { nic, clock } = rig();
    msixOn(nic);
    const at: number[] = [];
    nic.requestIrq(1, () => {
      at.push(clock.now());
      nic.writel(R.EIMS, 1 << 1);
    });
    nic.writel(R.IVAR0, (1 | R.IVAR_VALID) >>> 0);
    nic.writel(R.EIAC, 1 << 1);
    nic.writel(R.EIAM, 1 << 1);
    nic.writel(R.EIMS, 1 << 1);
    nic.writel(R.EITR0 + 4, 100 << 2); // 100 µs
    for (let i = 0; i < 1000; i++) clock.schedule(i * 0.001, () => nic.intr.queueCause(0, false));
    clock.runUntilIdle();
    // 1 ms of causes every µs: one at t=0, then one per 100 µs.
    expect(at.length).toBe(11);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeCloseTo(0.1, 9);
  });

  test('link change raises the other vector through IVAR_MISC and ICR.LSC', () => {
    const { nic, clock, cable } = rig();
    msixOn(nic);
    nic.readl(R.ICR);
    let other = 0;
    nic.requestIrq(0, () => other++);
    nic.writel(R.IVAR_MISC, (R.IVAR_VALID << 8) >>> 0);
    nic.writel(R.EIAC, 1);
    nic.writel(R.EIMS, 1);
    nic.writel(R.IMS, R.ICR_LSC);
    cable.setCarrier(false);
    clock.runUntilIdle();
    expect(other).toBe(1);
    expect(nic.readl(R.ICR) & R.ICR_LSC).toBe(R.ICR_LSC);
  });
});

describe('receive', () => {
  test('writes the frame and a write-back with length, EOP, checksum status and RSS hash', () => {
    const { nic, peer, clock } = rig();
    msixOn(nic);
    nic.writel(R.RCTL, R.RCTL_EN);
    nic.writel(R.RXCSUM, R.RXCSUM_IPOFL | R.RXCSUM_TUOFL | R.RXCSUM_PCSD);
    for (let i = 0; i < 10; i++) {
      const k = RSS_VERIFY_KEY;
      nic.writel(R.RSSRK + 4 * i, (k[4 * i] | (k[4 * i + 1] << 8) | (k[4 * i + 2] << 16) | (k[4 * i + 3] << 24)) >>> 0);
    }
    for (let i = 0; i < 32; i++) nic.writel(R.RETA + 4 * i, 0x03020100); // entries 0,1,2,3,...
    nic.writel(R.MRQC, R.MRQC_ENABLE_RSS_MQ | R.MRQC_RSS_FIELD_IPV4 | R.MRQC_RSS_FIELD_IPV4_TCP);
    const rings = [0, 1, 2, 3].map((q) => setupRx(nic, q, 8));
    const f = buildFrame({ saddr: 0x420995bb, daddr: 0xa18e6450, sport: 2794, dport: 1766 });
    peer.send(f, f.length);
    clock.runUntilIdle();
    const h = 0x51ccc178;
    const q = h & 3; // RETA[h & 127] = (h & 127) & 3
    const wb = rxWb(rings[q], 0);
    expect(wb.len).toBe(f.length);
    expect(wb.hash).toBe(h);
    expect(wb.status & (R.RXD_STAT_DD | R.RXD_STAT_EOP | R.RXD_STAT_IPCS | R.RXD_STAT_TCPCS)).toBe(
      R.RXD_STAT_DD | R.RXD_STAT_EOP | R.RXD_STAT_IPCS | R.RXD_STAT_TCPCS);
    expect(wb.status & (R.RXD_ERR_IPE | R.RXD_ERR_L4E)).toBe(0);
    expect(wb.info).toBe(R.RXD_RSSTYPE_IPV4_TCP | R.RXD_PKTTYPE_IPV4 | R.RXD_PKTTYPE_TCP);
    expect(rings[q].bufs[0].subarray(0, f.length)).toEqual(f);
    expect(nic.readl(R.rxqBase(q) + R.Q_HEAD)).toBe(1);
    expect(toeplitzHash(RSS_VERIFY_KEY, new Uint8Array([66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6]), 0, 12)).toBe(h);
  });

  test('a corrupted TCP checksum is flagged L4E; filters drop other unicast', () => {
    const { nic, peer, clock } = rig();
    nic.writel(R.RCTL, R.RCTL_EN);
    nic.writel(R.RXCSUM, R.RXCSUM_IPOFL | R.RXCSUM_TUOFL);
    const r = setupRx(nic, 0, 8);
    const bad = buildFrame();
    bad[60] ^= 0xff;
    peer.send(bad, bad.length);
    peer.send(buildFrame({ dst: MAC_A }), 154);
    peer.send(buildFrame({ dst: BCAST }), 154); // BAM off
    clock.runUntilIdle();
    expect(nic.readl(R.rxqBase(0) + R.Q_HEAD)).toBe(1);
    expect(rxWb(r, 0).status & R.RXD_ERR_L4E).toBe(R.RXD_ERR_L4E);
    nic.writel(R.RCTL, R.RCTL_EN | R.RCTL_UPE | R.RCTL_BAM);
    peer.send(buildFrame({ dst: MAC_A }), 154);
    peer.send(buildFrame({ dst: BCAST }), 154);
    clock.runUntilIdle();
    expect(nic.readl(R.rxqBase(0) + R.Q_HEAD)).toBe(3);
    expect(nic.readl(R.BPRC)).toBe(1);
  });

  test('a frame larger than the buffer spans descriptors, EOP on the last', () => {
    const { nic, peer, clock } = rig();
    nic.writel(R.RCTL, R.RCTL_EN);
    const r = setupRx(nic, 0, 8, 1);
    const f = buildFrame({ payload: 1400 });
    peer.send(f, f.length);
    clock.runUntilIdle();
    const a = rxWb(r, 0), b = rxWb(r, 1);
    expect([a.len, b.len]).toEqual([1024, f.length - 1024]);
    expect(a.status & (R.RXD_STAT_DD | R.RXD_STAT_EOP)).toBe(R.RXD_STAT_DD);
    expect(b.status & (R.RXD_STAT_DD | R.RXD_STAT_EOP)).toBe(R.RXD_STAT_DD | R.RXD_STAT_EOP);
    expect(r.bufs[1].subarray(0, f.length - 1024)).toEqual(f.subarray(1024));
  });

  test('no free descriptor: the frame is dropped and counted, and reception recovers', () => {
    const { nic, peer, clock } = rig();
    nic.writel(R.RCTL, R.RCTL_EN);
    const r = setupRx(nic, 0, 8); // 7 descriptors posted
    for (let i = 0; i < 10; i++) peer.send(buildFrame({ id: i }), 154);
    clock.runUntilIdle();
    expect(nic.readl(R.rxqBase(0) + R.Q_HEAD)).toBe(7);
    expect(nic.readl(R.RNBC)).toBe(3);
    expect(nic.readl(R.MPC)).toBe(3);
    expect(nic.readl(R.rqdpc(0))).toBe(3);
    for (let i = 0; i < 7; i++) rearm(r, i);
    nic.writel(R.rxqBase(0) + R.Q_TAIL, 6);
    peer.send(buildFrame({ id: 42 }), 154);
    clock.runUntilIdle();
    expect(nic.readl(R.rxqBase(0) + R.Q_HEAD)).toBe(0);
    expect(get16(r.bufs[7], 18)).toBe(42);
    expect(nic.readl(R.RNBC)).toBe(0);
  });
});

describe('transmit', () => {
  function txRig() {
    const x = rig();
    x.nic.writel(R.TCTL, R.TCTL_EN | R.TCTL_PSP);
    return { ...x, tx: setupTx(x.nic, 0, 16) };
  }
  const DATA = R.TXD_DTYP_DATA | R.TXD_DCMD_DEXT | R.TXD_DCMD_IFCS;
  const CTXT = R.TXD_DTYP_CTXT | R.TXD_DCMD_DEXT;

  test('checksum offload fills IP and TCP checksums; DD written back on RS; short frames padded', () => {
    const { nic, clock, tx, peerCap } = txRig();
    const f = buildFrame({ noCsum: true, payload: 333 });
    // CHECKSUM_PARTIAL: software seeds the TCP field with the pseudo-header sum.
    put16(f, 50, csumFinish(pseudoSum(f, 14, 6, 20 + 333)) ^ 0xffff);
    const m = nic.dma.dmaMapSingle(f, 0, f.length);
    putDesc(tx, (14 << R.TXD_MACLEN_SHIFT) | 20, 0, CTXT | R.TXD_TUCMD_IPV4 | R.TXD_TUCMD_L4T_TCP, 0);
    const last = putDesc(tx, m % 2 ** 32, Math.floor(m / 2 ** 32), DATA | R.TXD_DCMD_EOP | R.TXD_DCMD_RS | f.length,
      R.TXD_POPTS_TXSM | R.TXD_POPTS_IXSM | (f.length << R.TXD_PAYLEN_SHIFT));
    const tiny = new Uint8Array(20).fill(0xee);
    const m2 = nic.dma.dmaMapSingle(tiny, 0, 20);
    putDesc(tx, m2 % 2 ** 32, Math.floor(m2 / 2 ** 32), DATA | R.TXD_DCMD_EOP | R.TXD_DCMD_RS | 20, 20 << R.TXD_PAYLEN_SHIFT);
    bumpTail(nic, tx);
    clock.runUntilIdle();
    expect(peerCap.frames.length).toBe(2);
    expect(checksumsOk(peerCap.frames[0], peerCap.frames[0].length)).toBe(true);
    expect(peerCap.frames[1].length).toBe(60);
    expect(tx.desc[last * 16 + 12] & R.TXD_STAT_DD).toBe(1);
    expect(nic.readl(R.txqBase(0) + R.Q_HEAD)).toBe(3);
    expect(nic.readl(R.GPTC)).toBe(2);
  });

  // An odd MSS reads every other segment's payload from an odd host offset; a jumbo MSS
  // builds segments larger than a wire frame buffer.
  test.each([[10_000, 1448], [7_777, 1001], [9_000, 4_000]])('TSO of %i bytes at MSS %i: segments with valid checksums, ids, sequence numbers and flags', (payload, mss) => {
    const { nic, clock, tx, peerCap } = txRig();
    const f = buildFrame({ noCsum: true, payload, seq: 0xfffff000, flags: 0x18 | 0x01 | 0x80, id: 0xfffe });
    // TSO contract: the field holds the pseudo-header sum without the length.
    put16(f, 50, csumFinish(pseudoSum(f, 14, 6, 0)) ^ 0xffff);
    const m = nic.dma.dmaMapSingle(f, 0, f.length);
    putDesc(tx, (14 << R.TXD_MACLEN_SHIFT) | 20, 0, CTXT | R.TXD_TUCMD_IPV4 | R.TXD_TUCMD_L4T_TCP,
      (mss << R.TXD_MSS_SHIFT) | (20 << R.TXD_L4LEN_SHIFT));
    // Split the data over two descriptors, as a header + frag skb would be.
    const cut = 54 + 500;
    putDesc(tx, m % 2 ** 32, Math.floor(m / 2 ** 32), DATA | R.TXD_DCMD_TSE | cut,
      R.TXD_POPTS_TXSM | R.TXD_POPTS_IXSM | (payload << R.TXD_PAYLEN_SHIFT));
    const m2 = m + cut;
    putDesc(tx, m2 % 2 ** 32, Math.floor(m2 / 2 ** 32), DATA | R.TXD_DCMD_TSE | R.TXD_DCMD_EOP | R.TXD_DCMD_RS | (f.length - cut), 0);
    bumpTail(nic, tx);
    clock.runUntilIdle();
    const n = Math.ceil(payload / mss);
    expect(peerCap.frames.length).toBe(n);
    let got = 0;
    peerCap.frames.forEach((s, k) => {
      expect(checksumsOk(s, s.length)).toBe(true);
      const segLen = Math.min(mss, payload - k * mss);
      expect(s.length).toBe(54 + segLen);
      expect(get16(s, 16)).toBe(40 + segLen);
      expect(get16(s, 18)).toBe((0xfffe + k) & 0xffff);
      expect(get32(s, 38)).toBe((0xfffff000 + k * mss) >>> 0);
      const last = k === n - 1;
      expect(s[47]).toBe((last ? 0x19 : 0x10) | (k === 0 ? 0x80 : 0));
      expect(s.subarray(54)).toEqual(f.subarray(54 + k * mss, 54 + k * mss + segLen));
      got += segLen;
    });
    expect(got).toBe(payload);
    expect(nic.readl(R.TSCTC)).toBe(1);
    // The frames left back to back at wire speed.
    const t = peerCap.times;
    expect(t[n - 1] - t[0]).toBeCloseTo(((n - 2) * (54 + mss + 24) + (54 + payload - (n - 1) * mss + 24)) * 8 / 1e6, 9);
  });

  test('a one-buffer frame without offload goes out byte for byte from where it was mapped', () => {
    const { nic, clock, tx, peerCap } = txRig();
    const f = buildFrame({ payload: 700 });
    const host = new Uint8Array(f.length + 11).fill(0x77);
    host.set(f, 5);
    const m = nic.dma.dmaMapSingle(host, 5, f.length);
    putDesc(tx, m % 2 ** 32, Math.floor(m / 2 ** 32), DATA | R.TXD_DCMD_EOP | R.TXD_DCMD_RS | f.length, f.length << R.TXD_PAYLEN_SHIFT);
    bumpTail(nic, tx);
    clock.runUntilIdle();
    expect(peerCap.frames.length).toBe(1);
    expect(peerCap.frames[0]).toEqual(f);
    expect(nic.readl(R.GPTC)).toBe(1);
  });

  test('the engine waits for EOP and for the wire: a full ring drains at link speed', () => {
    const { nic, clock, tx, peerCap } = txRig();
    const f = buildFrame({ payload: 1446 });
    const m = nic.dma.dmaMapSingle(f, 0, f.length);
    putDesc(tx, m % 2 ** 32, Math.floor(m / 2 ** 32), DATA | 100, 0);
    bumpTail(nic, tx);
    clock.runUntilIdle();
    expect(peerCap.frames.length).toBe(0);
    tx.next = 0;
    for (let i = 0; i < 15; i++) putDesc(tx, m % 2 ** 32, Math.floor(m / 2 ** 32), DATA | R.TXD_DCMD_EOP | R.TXD_DCMD_RS | f.length, 0);
    bumpTail(nic, tx);
    clock.run(0.05);
    // 1524 wire bytes = 12.192 µs each: 50 µs fits 4 frames started, 15 only after ~183 µs.
    const head = nic.readl(R.txqBase(0) + R.Q_HEAD);
    expect(head).toBeGreaterThan(2);
    expect(head).toBeLessThan(8);
    clock.runUntilIdle();
    expect(peerCap.frames.length).toBe(15);
    expect(nic.readl(R.txqBase(0) + R.Q_HEAD)).toBe(15);
  });
});
