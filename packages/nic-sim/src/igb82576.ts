// An Intel 82576-like gigabit controller behind a PCI function: the MMIO register file, the
// descriptor engines in rx_engine.ts / tx_engine.ts, and the interrupt logic in intr.ts.
import type { Clock, ClockEvent, PciDev } from '@knet/include';
import { DmaMemory } from './dma.js';
import { IntrController, MSIX_VECTORS } from './intr.js';
import * as R from './regs.js';
import { rxFrame } from './rx_engine.js';
import { txProcess } from './tx_engine.js';
import { Port, type FrameSink } from './wire.js';

export const IGB_MAX_QUEUES = 16;
const QREGS = 16;

export interface Igb82576Opts {
  /** The address in the NVM, loaded into RAR[0] at reset. Default 02:00:00:00:00:01. */
  mac?: Uint8Array;
  name?: string;
}

export class Igb82576 implements PciDev, FrameSink {
  readonly name: string;
  readonly dma = new DmaMemory();
  readonly msixVectors = MSIX_VECTORS;
  readonly port: Port;
  readonly intr: IntrController;
  readonly nvmMac: Uint8Array;
  ctrl = 0;
  rctl = 0;
  tctl = 0;
  rxcsum = 0;
  mrqc = 0;
  readonly ral = new Uint32Array(R.RAR_ENTRIES);
  readonly rah = new Uint32Array(R.RAR_ENTRIES);
  readonly mta = new Uint32Array(R.MTA_REGS);
  /** RETA as 128 one-byte entries; RSSRK as 40 key bytes (register byte 0 = key byte 0). */
  readonly reta = new Uint8Array(128);
  readonly rssKey = new Uint8Array(40);
  /** The hash unit's lookup table for the current key (see toeplitzTable); rebuilt on demand. */
  readonly rssTable = new Uint32Array(12 * 256);
  rssTableValid = false;
  /** Per-queue registers, QREGS words per queue, indexed by (offset in block) / 4. */
  readonly rxq = new Uint32Array(IGB_MAX_QUEUES * QREGS);
  readonly txq = new Uint32Array(IGB_MAX_QUEUES * QREGS);
  readonly rqdpc = new Float64Array(IGB_MAX_QUEUES);
  /** Statistics registers 0x4000-0x40fc as counters; 64-bit ones kept whole at their low index. */
  readonly stats = new Float64Array(64);
  /** Two TX contexts per queue (IDX 0/1): vlan_macip_lens, seqnum_seed, type_tucmd, mss_l4len_idx. */
  readonly txCtx = new Uint32Array(IGB_MAX_QUEUES * 8);
  /** TSO requests the engine could not honour (bad context); nothing was sent for them. */
  tsoErrors = 0;
  private readonly other = new Map<number, number>();
  private readonly txEv: (ClockEvent | null)[] = new Array<ClockEvent | null>(IGB_MAX_QUEUES).fill(null);
  private readonly txFns: (() => void)[] = [];

  constructor(
    readonly clock: Clock,
    opts: Igb82576Opts = {},
  ) {
    this.name = opts.name ?? 'igb-sim';
    this.nvmMac = opts.mac ?? new Uint8Array([0x02, 0, 0, 0, 0, 1]);
    this.intr = new IntrController(clock);
    this.port = new Port(this.name, this);
    this.port.onCarrier = () => this.intr.setIcr(R.ICR_LSC);
    for (let q = 0; q < IGB_MAX_QUEUES; q++) this.txFns.push(() => this.txRun(q));
    this.reset();
  }

  /** CTRL.RST (§4.3.1): registers back to defaults, engines stopped, MAC reloaded from NVM. */
  reset(): void {
    this.ctrl = this.rctl = this.tctl = this.mrqc = 0;
    this.rxcsum = R.RXCSUM_IPOFL;
    this.ral.fill(0);
    this.rah.fill(0);
    this.mta.fill(0);
    this.reta.fill(0);
    this.rssKey.fill(0);
    this.rssTableValid = false;
    this.rxq.fill(0);
    this.txq.fill(0);
    this.txCtx.fill(0);
    this.stats.fill(0);
    this.rqdpc.fill(0);
    this.other.clear();
    this.intr.reset();
    for (let q = 0; q < IGB_MAX_QUEUES; q++) {
      const e = this.txEv[q];
      if (e !== null) this.clock.cancel(e);
      this.txEv[q] = null;
    }
    const m = this.nvmMac;
    this.ral[0] = (m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)) >>> 0;
    this.rah[0] = (m[4] | (m[5] << 8) | R.RAH_AV) >>> 0;
  }

  // --- PciDev -------------------------------------------------------------------------------

  requestIrq(vector: number, handler: () => void): number {
    if (vector < 0 || vector >= MSIX_VECTORS) return -22; // -EINVAL
    if (this.intr.handlers[vector] !== null) return -16; // -EBUSY
    this.intr.handlers[vector] = handler;
    return 0;
  }

  freeIrq(vector: number): void {
    if (vector >= 0 && vector < MSIX_VECTORS) this.intr.handlers[vector] = null;
  }

  readl(reg: number): number {
    const q = queueOf(reg);
    if (q >= 0) return this.readQueue(reg, q);
    if (reg >= R.STATS_FIRST && reg <= R.STATS_LAST) return this.readStat(reg);
    const it = this.intr;
    switch (reg) {
      case R.CTRL: return this.ctrl;
      case R.STATUS: return this.status();
      case R.ICR: return it.readIcr();
      case R.IMS: return it.ims;
      case R.RCTL: return this.rctl;
      case R.TCTL: return this.tctl;
      case R.GPIE: return it.gpie;
      case R.EICR: {
        const v = it.eicr;
        it.eicr = 0;
        return v;
      }
      case R.EIMS: return it.eims;
      case R.EIAC: return it.eiac;
      case R.EIAM: return it.eiam;
      case R.IVAR_MISC: return it.ivarMisc;
      case R.RXCSUM: return this.rxcsum;
      case R.MRQC: return this.mrqc;
    }
    if (reg >= R.EITR0 && reg < R.EITR0 + 4 * MSIX_VECTORS) return it.eitr[(reg - R.EITR0) >> 2];
    if (reg >= R.IVAR0 && reg < R.IVAR0 + 4 * R.IVAR_REGS) return it.ivar[(reg - R.IVAR0) >> 2];
    if (reg >= R.RAL0 && reg < R.RAL0 + 8 * R.RAR_ENTRIES) {
      const i = (reg - R.RAL0) >> 3;
      return reg & 4 ? this.rah[i] : this.ral[i];
    }
    if (reg >= R.MTA && reg < R.MTA + 4 * R.MTA_REGS) return this.mta[(reg - R.MTA) >> 2];
    if (reg >= R.RETA && reg < R.RETA + 4 * R.RETA_REGS) return rd32(this.reta, reg - R.RETA);
    if (reg >= R.RSSRK && reg < R.RSSRK + 4 * R.RSSRK_REGS) return rd32(this.rssKey, reg - R.RSSRK);
    return this.other.get(reg) ?? 0;
  }

  writel(reg: number, val: number): void {
    val >>>= 0;
    const q = queueOf(reg);
    if (q >= 0) {
      this.writeQueue(reg, q, val);
      return;
    }
    const it = this.intr;
    switch (reg) {
      case R.CTRL:
        if (val & (R.CTRL_RST | R.CTRL_DEV_RST)) this.reset();
        else this.ctrl = val;
        return;
      case R.STATUS: return;
      case R.ICR: it.icr = (it.icr & ~val) >>> 0; return;
      case R.ICS: it.setIcr(val); return;
      case R.IMS: it.writeIms(val); return;
      case R.IMC: it.ims = (it.ims & ~val) >>> 0; return;
      case R.RCTL: this.rctl = val; return;
      case R.TCTL: {
        const was = this.tctl & R.TCTL_EN;
        this.tctl = val;
        if (!was && val & R.TCTL_EN) for (let i = 0; i < IGB_MAX_QUEUES; i++) this.kickTx(i);
        return;
      }
      case R.GPIE: it.gpie = val; return;
      case R.EICS: it.setEicr(val); return;
      case R.EIMS: it.writeEims(val); return;
      case R.EIMC: it.eims = (it.eims & ~val) >>> 0; return;
      case R.EICR: it.eicr = (it.eicr & ~val) >>> 0; return;
      case R.EIAC: it.eiac = val; return;
      case R.EIAM: it.eiam = val; return;
      case R.IVAR_MISC: it.ivarMisc = val; return;
      case R.RXCSUM: this.rxcsum = val; return;
      case R.MRQC: this.mrqc = val; return;
    }
    if (reg >= R.EITR0 && reg < R.EITR0 + 4 * MSIX_VECTORS) it.eitr[(reg - R.EITR0) >> 2] = val;
    else if (reg >= R.IVAR0 && reg < R.IVAR0 + 4 * R.IVAR_REGS) it.ivar[(reg - R.IVAR0) >> 2] = val;
    else if (reg >= R.RAL0 && reg < R.RAL0 + 8 * R.RAR_ENTRIES) {
      const i = (reg - R.RAL0) >> 3;
      if (reg & 4) this.rah[i] = val;
      else this.ral[i] = val;
    } else if (reg >= R.MTA && reg < R.MTA + 4 * R.MTA_REGS) this.mta[(reg - R.MTA) >> 2] = val;
    else if (reg >= R.RETA && reg < R.RETA + 4 * R.RETA_REGS) wr32(this.reta, reg - R.RETA, val);
    else if (reg >= R.RSSRK && reg < R.RSSRK + 4 * R.RSSRK_REGS) {
      wr32(this.rssKey, reg - R.RSSRK, val);
      this.rssTableValid = false;
    }
    else if (reg >= R.STATS_FIRST && reg <= R.STATS_LAST) return;
    else this.other.set(reg, val);
  }

  // --- FrameSink: the MAC receives from the wire -------------------------------------------

  receiveFrame(bytes: Uint8Array, len: number, engineAddr = -1): void {
    rxFrame(this, bytes, len, engineAddr);
  }

  // --- helpers shared by the engines --------------------------------------------------------

  rxReg(q: number, off: number): number {
    return this.rxq[q * QREGS + (off >> 2)];
  }
  setRxReg(q: number, off: number, v: number): void {
    this.rxq[q * QREGS + (off >> 2)] = v;
  }
  txReg(q: number, off: number): number {
    return this.txq[q * QREGS + (off >> 2)];
  }
  setTxReg(q: number, off: number, v: number): void {
    this.txq[q * QREGS + (off >> 2)] = v;
  }
  count(reg: number, n: number): void {
    this.stats[(reg - R.STATS_FIRST) >> 2] += n;
  }

  /** The MAC hands the finished frame b[off, off+len) to the PHY. */
  sendFrame(b: Uint8Array, off: number, len: number): void {
    const group = b[off] & 1 ? (b[off] & b[off + 1] & b[off + 2] & b[off + 3] & b[off + 4] & b[off + 5]) === 0xff ? 2 : 1 : 0;
    this.sent(this.port.send(b, len, off), len, group);
  }

  /** sendFrame of a frame built in a wire buffer (takeWireFrame at engine address `addr`), which the wire keeps. */
  sendOwnedFrame(b: Uint8Array, len: number, addr: number): void {
    const group = b[0] & 1 ? (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) === 0xff ? 2 : 1 : 0;
    this.sent(this.port.sendOwned(b, len, addr), len, group);
  }

  /** Transmit statistics of a frame the PHY took (end >= 0) or dropped; group 2 broadcast, 1 multicast. */
  private sent(end: number, len: number, group: number): void {
    const st = this.stats;
    st[(R.TPT - R.STATS_FIRST) >> 2]++;
    st[(R.TOTL - R.STATS_FIRST) >> 2] += len + 4;
    if (end < 0) return;
    st[(R.GPTC - R.STATS_FIRST) >> 2]++;
    st[(R.GOTCL - R.STATS_FIRST) >> 2] += len + 4;
    if (group === 2) this.count(R.BPTC, 1);
    else if (group === 1) this.count(R.MPTC, 1);
  }

  /** Run queue q's transmit engine at `delayMs` unless it is already due. */
  kickTx(q: number, delayMs = 0): void {
    if (this.txEv[q] !== null) return;
    if (!(this.tctl & R.TCTL_EN) || !(this.txReg(q, R.Q_DCTL) & R.XDCTL_ENABLE)) return;
    if (this.txReg(q, R.Q_HEAD) === this.txReg(q, R.Q_TAIL)) return;
    this.txEv[q] = this.clock.schedule(delayMs, this.txFns[q]);
  }

  private txRun(q: number): void {
    this.txEv[q] = null;
    const next = txProcess(this, q);
    if (next >= 0) this.kickTx(q, next);
  }

  private status(): number {
    let s = R.STATUS_FD;
    if (this.port.carrier) {
      s |= R.STATUS_LU;
      if (this.port.speedMbps >= 1000) s |= R.STATUS_SPEED_1000;
      else if (this.port.speedMbps >= 100) s |= R.STATUS_SPEED_100;
    }
    return s;
  }

  private readStat(reg: number): number {
    const i = (reg - R.STATS_FIRST) >> 2;
    switch (reg) {
      // 64-bit counters: low half reads without clearing, high half reads and clears.
      case R.GORCL: case R.GOTCL: case R.TORL: case R.TOTL:
        return this.stats[i] % 0x100000000;
      case R.GORCH: case R.GOTCH: case R.TORH: case R.TOTH: {
        const v = Math.floor(this.stats[i - 1] / 0x100000000);
        this.stats[i - 1] = 0;
        return v >>> 0;
      }
    }
    const v = this.stats[i];
    this.stats[i] = 0;
    return v >>> 0;
  }

  private readQueue(reg: number, q: number): number {
    const off = qoff(reg);
    if (reg < 0x3000 || (reg >= 0xc000 && reg < 0xe000)) {
      if (off === 0x30) {
        const v = this.rqdpc[q];
        this.rqdpc[q] = 0;
        return v >>> 0;
      }
      return this.rxReg(q, off);
    }
    return this.txReg(q, off);
  }

  private writeQueue(reg: number, q: number, val: number): void {
    const off = qoff(reg);
    if (reg < 0x3000 || (reg >= 0xc000 && reg < 0xe000)) {
      if (off === R.Q_LEN) val &= 0xfff80; // RDLEN: a multiple of 128 bytes
      this.setRxReg(q, off, val);
      return;
    }
    if (off === R.Q_LEN) val &= 0xfff80;
    this.setTxReg(q, off, val);
    if (off === R.Q_TAIL || (off === R.Q_DCTL && val & R.XDCTL_ENABLE)) this.kickTx(q);
  }
}

/** Queue number of a per-queue register, or -1. */
function queueOf(reg: number): number {
  if ((reg >= 0x2800 && reg < 0x2c00) || (reg >= 0x3800 && reg < 0x3c00)) {
    return (reg & 0xff) < 0x40 ? (reg >> 8) & 3 : -1;
  }
  if ((reg >= 0xc000 && reg < 0xc400) || (reg >= 0xe000 && reg < 0xe400)) return (reg >> 6) & 0xf;
  return -1;
}

function qoff(reg: number): number {
  return reg & 0x3f;
}

export function rd32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
