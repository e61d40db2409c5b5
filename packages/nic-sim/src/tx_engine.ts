// Transmit path of the 82576 model (datasheet 7.2): fetch advanced descriptors from TDH to TDT,
// remember context descriptors, collect a packet's data descriptors up to EOP, apply checksum
// offload or TSO (tx_offload.ts), put the frames on the wire, write DD back where RS asks,
// raise the queue's cause. One packet per run: the next run waits until the wire is free, so a
// stack that sends faster than the link fills the ring, as on real hardware.
//
// The DMA engine reads each buffer once, straight into the frame the MAC sends: a frame that
// fits a wire buffer is built in one (the wire takes it without a copy), and TSO copies each
// segment's payload from host memory into its own frame behind a copy of the headers.
import { rd32, type Igb82576 } from './igb82576.js';
import { GATHER_ADDR, gatherBuffer } from './csum_simd.js';
import * as R from './regs.js';
import { TxGather, txChecksum, tsoSegment } from './tx_offload.js';
import { WIRE_FRAME_LEN, takeWireFrame, takenFrameAddr } from './wire.js';

/** The data buffers of the packet being sent (one engine, runs never overlap). */
const gather = new TxGather();

/** Process one packet of queue q; returns the delay (ms) before the next run, or -1 if idle. */
export function txProcess(d: Igb82576, q: number): number {
  const count = d.txReg(q, R.Q_LEN) >>> 4;
  if (count === 0) return -1;
  let head = d.txReg(q, R.Q_HEAD) % count;
  const tail = d.txReg(q, R.Q_TAIL) % count;
  const base = d.txReg(q, R.Q_BAL) + d.txReg(q, R.Q_BAH) * 0x100000000;
  const ring = d.dma.resolve(base, count << 4);
  if (ring === null) return -1;
  const ro = d.dma.resolvedOff;

  let i = head, first = -1, plen = 0, cmd0 = 0, olinfo0 = 0, eop = false, bad = false;
  gather.reset();
  while (i !== tail) {
    const o = ro + (i << 4);
    const ctl = rd32(ring, o + 8);
    const next = i + 1 === count ? 0 : i + 1;
    if ((ctl & R.TXD_DTYP_MASK) === R.TXD_DTYP_CTXT && ctl & R.TXD_DCMD_DEXT) {
      const idx = (q << 3) + (((rd32(ring, o + 12) >> 4) & 1) << 2);
      for (let w = 0; w < 4; w++) d.txCtx[idx + w] = rd32(ring, o + (w << 2));
      if (ctl & R.TXD_DCMD_RS) ring[o + 12] |= R.TXD_STAT_DD;
      i = next;
      if (first < 0) head = i;
      continue;
    }
    if (first < 0) {
      first = i;
      cmd0 = ctl;
      olinfo0 = rd32(ring, o + 12);
    }
    const n = ctl & 0xffff;
    if (plen + n <= gatherBuffer.length) {
      const src = d.dma.resolve(rd32(ring, o) + rd32(ring, o + 4) * 0x100000000, n);
      if (src === null || !gather.add(src, d.dma.resolvedOff, n)) bad = true;
    } else bad = true;
    plen += n;
    i = next;
    if (ctl & R.TXD_DCMD_EOP) {
      eop = true;
      break;
    }
  }
  if (!eop) {
    // Software has not written the rest of the chain yet; resume at the next tail bump.
    d.setTxReg(q, R.Q_HEAD, head);
    return -1;
  }

  if (!bad) {
    const popts = olinfo0 & (R.TXD_POPTS_IXSM | R.TXD_POPTS_TXSM);
    const ctx = (q << 3) + (((olinfo0 >> 4) & 1) << 2);
    if (cmd0 & R.TXD_DCMD_TSE) tsoSegment(d, gather, plen, ctx, popts);
    else if (gather.n === 1 && popts === 0 && (plen >= 60 || !(d.tctl & R.TCTL_PSP))) {
      // One buffer and nothing to rewrite: the MAC streams it out of host memory.
      d.sendFrame(gather.buf[0], gather.off[0], plen);
    } else {
      const flen = plen < 60 && d.tctl & R.TCTL_PSP ? 60 : plen;
      const own = flen <= WIRE_FRAME_LEN;
      const f = own ? takeWireFrame() : gatherBuffer;
      const addr = own ? takenFrameAddr() : GATHER_ADDR;
      gather.copy(0, f, 0, plen);
      if (popts !== 0) txChecksum(d, f, addr, plen, ctx, popts);
      if (flen > plen) f.fill(0, plen, flen);
      if (own) d.sendOwnedFrame(f, flen, addr);
      else d.sendFrame(f, 0, flen);
    }
  }
  gather.reset();
  for (let j = first; j !== i; j = j + 1 === count ? 0 : j + 1) {
    const o = ro + (j << 4);
    if (rd32(ring, o + 8) & R.TXD_DCMD_RS) ring[o + 12] |= R.TXD_STAT_DD;
  }
  d.setTxReg(q, R.Q_HEAD, i);
  d.intr.queueCause(q, true);
  if (i === tail) return -1;
  const wait = d.port.wireFreeAt() - d.clock.now();
  return wait > 0 ? wait : 0;
}
