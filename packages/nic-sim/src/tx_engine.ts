// Transmit path of the 82576 model (datasheet 7.2): fetch advanced descriptors from TDH to TDT,
// remember context descriptors, gather a packet's data descriptors up to EOP, apply checksum
// offload or TSO (tx_offload.ts), put the frames on the wire, write DD back where RS asks,
// raise the queue's cause. One packet per run: the next run waits until the wire is free, so a
// stack that sends faster than the link fills the ring, as on real hardware.
import { rd32, type Igb82576 } from './igb82576.js';
import { gatherBuffer } from './csum_simd.js';
import * as R from './regs.js';
import { txChecksum, tsoSegment } from './tx_offload.js';

/** Gather buffer: the 82576 accepts TSO packets up to 256 KiB. It is checksum-engine memory. */
const pkt = gatherBuffer;

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
  // A one-buffer packet with no offload is read where it lies (the MAC streams it out of host
  // memory); anything the engine must gather or rewrite is copied into its buffer.
  let direct: Uint8Array | null = null, directOff = 0;
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
    if (plen + n <= pkt.length) {
      const src = d.dma.resolve(rd32(ring, o) + rd32(ring, o + 4) * 0x100000000, n);
      if (src === null) bad = true;
      else if (plen === 0 && ctl & R.TXD_DCMD_EOP && !(ctl & R.TXD_DCMD_TSE) &&
        (olinfo0 & (R.TXD_POPTS_IXSM | R.TXD_POPTS_TXSM)) === 0 && (n >= 60 || !(d.tctl & R.TCTL_PSP))) {
        direct = src;
        directOff = d.dma.resolvedOff;
      } else pkt.set(src.subarray(d.dma.resolvedOff, d.dma.resolvedOff + n), plen);
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
    if (direct !== null) d.sendFrame(direct, directOff, plen);
    else if (cmd0 & R.TXD_DCMD_TSE) tsoSegment(d, pkt, plen, ctx, popts);
    else {
      if (popts !== 0) txChecksum(d, pkt, plen, ctx, popts);
      if (plen < 60 && d.tctl & R.TCTL_PSP) {
        pkt.fill(0, plen, 60);
        plen = 60;
      }
      d.sendFrame(pkt, 0, plen);
    }
  }
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
