// Programs an Igb82576's queues through its registers, as a driver would, for the model tests.
import type { Igb82576 } from '../igb82576.js';
import { rd32, wr32 } from '../igb82576.js';
import * as R from '../regs.js';

export interface TestRxRing {
  desc: Uint8Array;
  bufs: Uint8Array[];
  dmas: number[];
  count: number;
}

export function setupRx(nic: Igb82576, q: number, count: number, bufKb = 2): TestRxRing {
  const ring = nic.dma.dmaAllocCoherent(count * 16, 128);
  const bufs: Uint8Array[] = [];
  const dmas: number[] = [];
  for (let i = 0; i < count; i++) {
    const b = nic.dma.dmaAllocCoherent(bufKb * 1024, 128);
    bufs.push(b.buf);
    dmas.push(b.dma);
    wr32(ring.buf, i * 16, b.dma % 0x100000000);
    wr32(ring.buf, i * 16 + 4, Math.floor(b.dma / 0x100000000));
  }
  const base = R.rxqBase(q);
  nic.writel(base + R.Q_BAL, ring.dma % 0x100000000);
  nic.writel(base + R.Q_BAH, Math.floor(ring.dma / 0x100000000));
  nic.writel(base + R.Q_LEN, count * 16);
  nic.writel(base + R.Q_SRRCTL, bufKb | R.SRRCTL_DESCTYPE_ADV_ONEBUF);
  nic.writel(base + R.Q_HEAD, 0);
  nic.writel(base + R.Q_DCTL, R.XDCTL_ENABLE);
  nic.writel(base + R.Q_TAIL, count - 1);
  return { desc: ring.buf, bufs, dmas, count };
}

/** Give descriptor i back to the device (write-back overwrote its buffer address). */
export function rearm(r: TestRxRing, i: number): void {
  wr32(r.desc, i * 16, r.dmas[i] % 0x100000000);
  wr32(r.desc, i * 16 + 4, Math.floor(r.dmas[i] / 0x100000000));
  wr32(r.desc, i * 16 + 8, 0);
  wr32(r.desc, i * 16 + 12, 0);
}

export interface RxWb {
  info: number;
  hash: number;
  status: number;
  len: number;
}

export function rxWb(r: TestRxRing, i: number): RxWb {
  const o = i * 16;
  return { info: rd32(r.desc, o), hash: rd32(r.desc, o + 4), status: rd32(r.desc, o + 8), len: rd32(r.desc, o + 12) & 0xffff };
}

export interface TestTxRing {
  desc: Uint8Array;
  count: number;
  next: number;
  q: number;
}

export function setupTx(nic: Igb82576, q: number, count: number): TestTxRing {
  const ring = nic.dma.dmaAllocCoherent(count * 16, 128);
  const base = R.txqBase(q);
  nic.writel(base + R.Q_BAL, ring.dma % 0x100000000);
  nic.writel(base + R.Q_BAH, Math.floor(ring.dma / 0x100000000));
  nic.writel(base + R.Q_LEN, count * 16);
  nic.writel(base + R.Q_HEAD, 0);
  nic.writel(base + R.Q_TAIL, 0);
  nic.writel(base + R.Q_DCTL, R.XDCTL_ENABLE);
  return { desc: ring.buf, count, next: 0, q };
}

/** Write one 16-byte descriptor as four little-endian words and advance. */
export function putDesc(r: TestTxRing, w0: number, w1: number, w2: number, w3: number): number {
  const o = r.next * 16;
  wr32(r.desc, o, w0);
  wr32(r.desc, o + 4, w1);
  wr32(r.desc, o + 8, w2);
  wr32(r.desc, o + 12, w3);
  const i = r.next;
  r.next = (r.next + 1) % r.count;
  return i;
}

export function bumpTail(nic: Igb82576, r: TestTxRing): void {
  nic.writel(R.txqBase(r.q) + R.Q_TAIL, r.next);
}
