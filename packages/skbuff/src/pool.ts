// Data buffers and their skb_shared_info, recycled per size class as kmalloc caches and
// page_pool do, so a steady packet flow allocates nothing.
import type { SkbFrag as ISkbFrag, SkbSharedInfo as ISkbSharedInfo } from '@knet/include';
import { NET_SKB_PAD } from '@knet/include';

/** skb_frag_t. Pooled; the page itself belongs to whoever filled it (a driver's page pool). */
export class SkbFrag implements ISkbFrag {
  page: Uint8Array;
  off: number;
  len: number;
  constructor() {
    this.page = EMPTY_BUF;
    this.off = 0;
    this.len = 0;
  }
}

export const EMPTY_BUF = new Uint8Array(0);

/**
 * skb_shared_info. As in Linux it lives with the data buffer: `buf` is the head it describes and
 * `sizeClass` the pool that buffer returns to (-1: too big to pool).
 */
export class SkbSharedInfo implements ISkbSharedInfo {
  frags: ISkbFrag[];
  gsoSize: number;
  gsoSegs: number;
  gsoType: number;
  dataref: number;
  buf: Uint8Array;
  sizeClass: number;
  constructor(buf: Uint8Array, sizeClass: number) {
    this.frags = [];
    this.gsoSize = 0;
    this.gsoSegs = 0;
    this.gsoType = 0;
    this.dataref = 0;
    this.buf = buf;
    this.sizeClass = sizeClass;
  }
}

/** Buffer sizes; the last holds a 64 KiB GSO super-packet plus all headers and NET_SKB_PAD. */
export const SKB_SIZE_CLASSES: readonly number[] = [256, 2048, 4096, 16384, 65536 + 1024 + NET_SKB_PAD];
/** Free buffers kept per class; beyond this they go to the garbage collector. */
const CLASS_FREE_MAX: readonly number[] = [4096, 4096, 1024, 256, 64];
const FRAG_FREE_MAX = 8192;

const freeData: SkbSharedInfo[][] = SKB_SIZE_CLASSES.map(() => []);
const createdData: number[] = SKB_SIZE_CLASSES.map(() => 0);
const inUseData: number[] = SKB_SIZE_CLASSES.map(() => 0);
let unpooledData = 0;
const freeFrags: SkbFrag[] = [];
let createdFrags = 0;

function sizeClassOf(size: number): number {
  for (let i = 0; i < SKB_SIZE_CLASSES.length; i++) if (size <= SKB_SIZE_CLASSES[i]) return i;
  return -1;
}

/** A data buffer of at least `size` bytes with a reset shinfo and dataref 1. */
export function allocData(size: number): SkbSharedInfo {
  const c = sizeClassOf(size);
  let sh: SkbSharedInfo;
  if (c < 0) {
    unpooledData++;
    sh = new SkbSharedInfo(new Uint8Array(size), -1);
  } else {
    const stack = freeData[c];
    if (stack.length > 0) {
      sh = stack.pop()!;
    } else {
      createdData[c]++;
      sh = new SkbSharedInfo(new Uint8Array(SKB_SIZE_CLASSES[c]), c);
    }
    inUseData[c]++;
  }
  sh.dataref = 1;
  return sh;
}

/** Drop one reference to the data; the last one recycles the buffer and its frags. */
export function releaseData(sh: SkbSharedInfo): void {
  if (--sh.dataref > 0) return;
  releaseFrags(sh.frags, 0);
  sh.gsoSize = 0;
  sh.gsoSegs = 0;
  sh.gsoType = 0;
  const c = sh.sizeClass;
  if (c < 0) return;
  inUseData[c]--;
  if (freeData[c].length < CLASS_FREE_MAX[c]) freeData[c].push(sh);
}

export function allocFrag(page: Uint8Array, off: number, len: number): SkbFrag {
  let f: SkbFrag;
  if (freeFrags.length > 0) f = freeFrags.pop()!;
  else {
    createdFrags++;
    f = new SkbFrag();
  }
  f.page = page;
  f.off = off;
  f.len = len;
  return f;
}

/** Truncate `frags` to `from` entries, recycling the descriptors dropped. */
export function releaseFrags(frags: ISkbFrag[], from: number): void {
  for (let i = from; i < frags.length; i++) {
    const f = frags[i];
    if (f instanceof SkbFrag) {
      f.page = EMPTY_BUF;
      if (freeFrags.length < FRAG_FREE_MAX) freeFrags.push(f);
    }
  }
  // Setting an array's length is a runtime call even when it does not change.
  if (frags.length !== from) frags.length = from;
}

export interface SkbDataClassStats {
  size: number;
  created: number;
  free: number;
  inUse: number;
}

export function dataPoolStats(): { classes: SkbDataClassStats[]; unpooled: number; fragsCreated: number; fragsFree: number } {
  return {
    classes: SKB_SIZE_CLASSES.map((size, i) => ({ size, created: createdData[i], free: freeData[i].length, inUse: inUseData[i] })),
    unpooled: unpooledData,
    fragsCreated: createdFrags,
    fragsFree: freeFrags.length,
  };
}
