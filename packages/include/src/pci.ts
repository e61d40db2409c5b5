/** A block of coherent DMA memory (dma_alloc_coherent): the bus address and the CPU's view. */
export interface DmaBuffer {
  readonly dma: number;
  readonly buf: Uint8Array;
}

/**
 * The bus address space a device reaches (include/linux/dma-mapping.h). Addresses are plain
 * numbers below 2^53; drivers split them into the low and high 32-bit halves registers take.
 */
export interface DmaMemory {
  /** Memory both the CPU and the device see; `align` is a power of two (default 128). */
  dmaAllocCoherent(size: number, align?: number): DmaBuffer;
  dmaFree(dma: number): void;
  /** dma_map_single: lend `buf[off, off+len)` to the device; the bus address until unmapped. */
  dmaMapSingle(buf: Uint8Array, off: number, len: number): number;
  dmaUnmapSingle(dma: number): void;
  /** A CPU view of `len` bytes at bus address `dma` (allocates a view: not for hot paths). */
  map(dma: number, len: number): Uint8Array;
}

/** A PCI function as a driver sees it: MMIO registers, DMA and MSI-X vectors. */
export interface PciDev {
  readonly name: string;
  readl(reg: number): number;
  writel(reg: number, val: number): void;
  readonly dma: DmaMemory;
  /** Install `handler` on MSI-X `vector`; 0 or -errno (-EBUSY, -EINVAL). */
  requestIrq(vector: number, handler: () => void): number;
  freeIrq(vector: number): void;
  readonly msixVectors: number;
}
