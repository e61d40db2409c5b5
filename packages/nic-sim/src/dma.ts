// The bus address space behind a simulated PCI device.
//
// Coherent memory (rings, RX pages) lives in a few large ArrayBuffers at COHERENT_BASE; memory a
// driver lends with dmaMapSingle (an skb's data for TX) gets an IOMMU-style slot above
// MAP_BASE, so the device reads it in place without a copy. MAP_BASE sits above 4 GiB on
// purpose: drivers must program both halves of 64-bit address registers.
import type { DmaBuffer, DmaMemory as IDmaMemory } from '@knet/include';

export const COHERENT_BASE = 0x1000_0000;
const CHUNK = 4 << 20;
export const MAP_BASE = 2 ** 40;
const MAP_STRIDE = 1 << 17;
const MAX_MAP_SLOTS = 1 << 16;
const EMPTY = new Uint8Array(0);

/** A physical address space a driver allocates from and a device reads and writes. */
export class DmaMemory implements IDmaMemory {
  // Per CHUNK of coherent address space: the backing array and where the chunk starts in it.
  private chunkBuf: Uint8Array[] = [];
  private chunkOff: number[] = [];
  private bumpChunk = -1;
  private bumpOff = CHUNK;
  private allocSize = new Map<number, number>();
  private freeDma: number[] = [];
  private freeSize: number[] = [];
  private mapBuf: Uint8Array[] = [];
  private mapOff: number[] = [];
  private mapLen: number[] = [];
  private freeSlots: number[] = [];
  /** Mapped-slot count in use, and how often the device hit an unmapped address. */
  mapped = 0;
  faults = 0;
  /** Offset into the array `resolve` returned last. */
  resolvedOff = 0;

  dmaAllocCoherent(size: number, align = 128): DmaBuffer {
    if (!(size > 0)) size = 1;
    for (let i = 0; i < this.freeDma.length; i++) {
      const d = this.freeDma[i];
      if (this.freeSize[i] >= size && d % align === 0) {
        this.freeDma.splice(i, 1);
        const sz = this.freeSize.splice(i, 1)[0];
        this.allocSize.set(d, sz);
        const buf = this.map(d, size);
        buf.fill(0);
        return { dma: d, buf };
      }
    }
    let dma: number;
    if (size > CHUNK) {
      const n = Math.ceil(size / CHUNK);
      const backing = new Uint8Array(n * CHUNK);
      const first = this.chunkBuf.length;
      for (let i = 0; i < n; i++) {
        this.chunkBuf.push(backing);
        this.chunkOff.push(i * CHUNK);
      }
      dma = COHERENT_BASE + first * CHUNK;
    } else {
      let off = (this.bumpOff + align - 1) & ~(align - 1);
      if (this.bumpChunk < 0 || off + size > CHUNK) {
        this.bumpChunk = this.chunkBuf.length;
        this.chunkBuf.push(new Uint8Array(CHUNK));
        this.chunkOff.push(0);
        off = 0;
      }
      this.bumpOff = off + size;
      dma = COHERENT_BASE + this.bumpChunk * CHUNK + off;
    }
    this.allocSize.set(dma, size);
    return { dma, buf: this.map(dma, size) };
  }

  dmaFree(dma: number): void {
    const size = this.allocSize.get(dma);
    if (size === undefined) return;
    this.allocSize.delete(dma);
    this.freeDma.push(dma);
    this.freeSize.push(size);
  }

  dmaMapSingle(buf: Uint8Array, off: number, len: number): number {
    let slot: number;
    if (this.freeSlots.length > 0) slot = this.freeSlots.pop()!;
    else {
      slot = this.mapBuf.length;
      if (slot >= MAX_MAP_SLOTS) return 0;
      this.mapBuf.push(EMPTY);
      this.mapOff.push(0);
      this.mapLen.push(0);
    }
    this.mapBuf[slot] = buf;
    this.mapOff[slot] = off;
    this.mapLen[slot] = len;
    this.mapped++;
    return MAP_BASE + slot * MAP_STRIDE;
  }

  dmaUnmapSingle(dma: number): void {
    const slot = Math.floor((dma - MAP_BASE) / MAP_STRIDE);
    if (slot < 0 || slot >= this.mapBuf.length || this.mapBuf[slot] === EMPTY) return;
    this.mapBuf[slot] = EMPTY;
    this.freeSlots.push(slot);
    this.mapped--;
  }

  map(dma: number, len: number): Uint8Array {
    const b = this.resolve(dma, len);
    if (b === null) return EMPTY;
    return b.subarray(this.resolvedOff, this.resolvedOff + len);
  }

  /**
   * The device side: the array holding bus range [dma, dma+len), its offset in `resolvedOff`,
   * or null (a master abort; counted in `faults`).
   */
  resolve(dma: number, len: number): Uint8Array | null {
    if (dma >= MAP_BASE) {
      const rel = dma - MAP_BASE;
      const slot = Math.floor(rel / MAP_STRIDE);
      const inner = rel - slot * MAP_STRIDE;
      if (slot < this.mapBuf.length) {
        const b = this.mapBuf[slot];
        if (b !== EMPTY && inner + len <= this.mapLen[slot]) {
          this.resolvedOff = this.mapOff[slot] + inner;
          return b;
        }
      }
    } else if (dma >= COHERENT_BASE) {
      const rel = dma - COHERENT_BASE;
      const idx = Math.floor(rel / CHUNK);
      if (idx < this.chunkBuf.length) {
        const b = this.chunkBuf[idx];
        const o = this.chunkOff[idx] + (rel - idx * CHUNK);
        if (o + len <= b.length) {
          this.resolvedOff = o;
          return b;
        }
      }
    }
    this.faults++;
    return null;
  }
}
