// Interrupt logic of the 82576 (datasheet 7.3): ICR/IMS causes, the extended EICR/EIMS vector
// bits in MSI-X mode, auto-clear (EIAC) and auto-mask (EIAM), and per-vector throttling (EITR):
// a vector never fires twice within its interval; causes in between are coalesced.
import type { Clock, ClockEvent } from '@knet/include';
import {
  EITR_INTERVAL_MASK, GPIE_EIAME, GPIE_MSIX_MODE, ICR_INT_ASSERTED, ICR_RXT0, ICR_TXDW,
  IVAR_VALID,
} from './regs.js';

export const MSIX_VECTORS = 25;
const VECTOR_BITS = (1 << MSIX_VECTORS) - 1;

export class IntrController {
  icr = 0;
  ims = 0;
  eicr = 0;
  eims = 0;
  eiac = 0;
  eiam = 0;
  gpie = 0;
  ivar = new Uint32Array(8);
  ivarMisc = 0;
  readonly eitr = new Uint32Array(MSIX_VECTORS);
  /** Interrupts delivered per vector (what /proc/interrupts would show). */
  readonly fired = new Float64Array(MSIX_VECTORS);
  readonly handlers: ((() => void) | null)[] = new Array<(() => void) | null>(MSIX_VECTORS).fill(null);
  private readonly lastFire = new Float64Array(MSIX_VECTORS).fill(-Infinity);
  private readonly ev: (ClockEvent | null)[] = new Array<ClockEvent | null>(MSIX_VECTORS).fill(null);
  private readonly fireFns: (() => void)[] = [];

  constructor(private readonly clock: Clock) {
    for (let v = 0; v < MSIX_VECTORS; v++) this.fireFns.push(() => this.fire(v));
  }

  reset(): void {
    this.icr = this.ims = this.eicr = this.eims = this.eiac = this.eiam = this.gpie = 0;
    this.ivar.fill(0);
    this.ivarMisc = 0;
    this.eitr.fill(0);
    this.lastFire.fill(-Infinity);
    for (let v = 0; v < MSIX_VECTORS; v++) {
      const e = this.ev[v];
      if (e !== null) this.clock.cancel(e);
      this.ev[v] = null;
    }
  }

  get msix(): boolean {
    return (this.gpie & GPIE_MSIX_MODE) !== 0;
  }

  /** A queue finished DMA: route the cause through IVAR (MSI-X) or ICR (legacy). */
  queueCause(q: number, tx: boolean): void {
    if (!this.msix) {
      this.setIcr(tx ? ICR_TXDW : ICR_RXT0);
      return;
    }
    // IVAR (82576 §8.8.15): queue q's byte is in register q & 7, the upper word for q >= 8.
    const shift = ((q & 8) << 1) + (tx ? 8 : 0);
    const ent = (this.ivar[q & 7] >>> shift) & 0xff;
    if (ent & IVAR_VALID) this.setEicr(1 << (ent & 0x1f));
  }

  setIcr(bits: number): void {
    this.icr |= bits;
    this.evalOther();
  }

  /** Causes in ICR reach a vector through IMS; in MSI-X mode via IVAR_MISC's "other" entry. */
  evalOther(): void {
    if ((this.icr & this.ims) === 0) return;
    if (!this.msix) {
      this.trigger(0);
      return;
    }
    const ent = (this.ivarMisc >>> 8) & 0xff;
    if (ent & IVAR_VALID) this.setEicr(1 << (ent & 0x1f));
  }

  setEicr(mask: number): void {
    this.eicr = (this.eicr | mask) >>> 0;
    // Lowest vector first, visiting only the set bits.
    for (let m = mask & VECTOR_BITS; m !== 0; m &= m - 1) this.trigger(31 - Math.clz32(m & -m));
  }

  /** ICR read: returns and clears every cause (§8.8.2). */
  readIcr(): number {
    const v = this.icr;
    this.icr = 0;
    return v === 0 ? 0 : (v | ICR_INT_ASSERTED) >>> 0;
  }

  writeEims(mask: number): void {
    this.eims = (this.eims | mask) >>> 0;
    // Unmasking a vector with a pending cause raises it, as the hardware does.
    const pend = this.eicr & mask;
    for (let m = pend & VECTOR_BITS; m !== 0; m &= m - 1) this.trigger(31 - Math.clz32(m & -m));
  }

  writeIms(mask: number): void {
    this.ims = (this.ims | mask) >>> 0;
    this.evalOther();
  }

  /** EITR interval in ms: bits 14:2 count microseconds. */
  intervalMs(v: number): number {
    return ((this.eitr[v] & EITR_INTERVAL_MASK) >>> 2) / 1000;
  }

  private pending(v: number): boolean {
    if (this.msix) return ((this.eicr & this.eims) & (1 << v)) !== 0;
    return v === 0 && (this.icr & this.ims) !== 0;
  }

  private trigger(v: number): void {
    if (this.ev[v] !== null || !this.pending(v)) return;
    const d = this.lastFire[v] + this.intervalMs(v) - this.clock.now();
    this.ev[v] = this.clock.schedule(d > 0 ? d : 0, this.fireFns[v]);
  }

  private fire(v: number): void {
    this.ev[v] = null;
    if (!this.pending(v)) return;
    const bit = 1 << v;
    this.lastFire[v] = this.clock.now();
    if (this.msix) {
      this.eicr = (this.eicr & ~(bit & this.eiac)) >>> 0;
      if (this.gpie & GPIE_EIAME) this.eims = (this.eims & ~(bit & this.eiam)) >>> 0;
    }
    this.fired[v]++;
    const h = this.handlers[v];
    if (h !== null) h();
  }
}
