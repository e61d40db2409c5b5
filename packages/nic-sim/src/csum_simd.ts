// The checksum engine's datapath: a WebAssembly SIMD kernel that adds the 16-bit words of a
// memory range in 128-bit vectors (i32x4.extadd_pairwise_i16x8_u), 64 bytes per step, and
// folds the total to 16 bits. Words are read little-endian; csum.ts swaps the result.
//
// Its memory is the engine's own: the transmit gather buffer lives in it (so TSO segments
// are summed where they are built), so do the buffers that hold frames in flight on the
// wires (so a receiving MAC sums a frame where it lies, as in its RX FIFO), and a scratch
// area takes ranges of any other memory. The memory never grows, so views of it stay valid.
// Without WebAssembly SIMD, `simd` is null and csum.ts sums in JavaScript.

/** Bytes of engine memory for the transmit gather buffer (the 82576 takes TSO packets to 256 KiB). */
export const GATHER_LEN = 256 * 1024;
/** Where the scratch area starts, and its size. */
export const SIMD_SCRATCH = GATHER_LEN;
export const SIMD_SCRATCH_LEN = 64 * 1024;
/** Frame buffers for the wires: how many, and the size of each (a full frame with room). */
export const FRAME_BUFS = 2048;
export const FRAME_BUF_LEN = 2048;
const FRAMES_AT = SIMD_SCRATCH + SIMD_SCRATCH_LEN;
/**
 * After the frames, one more page: the kernel's tail masks (64 bytes of 0xff, then 64 of 0) at
 * its start, and room for the last block of a range to read past its end.
 */
const MASKS_AT = FRAMES_AT + FRAME_BUFS * FRAME_BUF_LEN;
const PAGES = (MASKS_AT >>> 16) + 1;

const leb = (n: number): number[] => {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    o.push(b);
  } while (n !== 0);
  return o;
};
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

/** Signed LEB128, as i32.const takes its operand. */
const sleb = (n: number): number[] => {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
};

const I32 = 0x7f, I64 = 0x7e, V128 = 0x7b;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_AND = 0x71, I32_ADD = 0x6a, I32_SUB = 0x6b;
const V128_LOAD = [0xfd, 0x00, 0x04], V128_AND = [0xfd, 0x4e];
/** i32x4.extadd_pairwise_i16x8_u, then i32x4.add into the accumulator. */
const ADD_PAIRS = [0xfd, 0x7f, 0xfd, 0xae, 0x01];
/** acc_l += extadd_pairwise_u(v128.load(p + off)) */
const accumulate = (l: number, off: number): number[] =>
  [LOCAL_GET, l, LOCAL_GET, 0, ...V128_LOAD, ...leb(off), ...ADD_PAIRS, LOCAL_SET, l];
/** acc_l += extadd_pairwise_u(v128.load(p + off) & v128.load(m + off)): the tail, masked. */
const accumulateMasked = (l: number, off: number): number[] =>
  [LOCAL_GET, l, LOCAL_GET, 0, ...V128_LOAD, ...leb(off), LOCAL_GET, 8, ...V128_LOAD, ...leb(off), ...V128_AND, ...ADD_PAIRS, LOCAL_SET, l];

/**
 * (func (param p i32) (param n i32) (result i32)): folded sum of the LE words at [p, p+n).
 * Whole 64-byte blocks in the loop; the last 1-63 bytes as one more block ANDed with a mask
 * that keeps only them (an odd last byte pairs with zero, as RFC 1071 pads).
 */
const body: number[] = [
  // Locals: 2 = end of the whole blocks (i32); 3-6 = four i32x4 accumulators; 7 = s (i64);
  // 8 = the tail's mask address (i32).
  ...vec([[1, I32], [4, V128], [1, I64], [1, I32]]),
  LOCAL_GET, 0, LOCAL_GET, 1, I32_CONST, ...sleb(-64), I32_AND, I32_ADD, LOCAL_SET, 2,
  0x02, 0x40, 0x03, 0x40,
  LOCAL_GET, 0, LOCAL_GET, 2, 0x4f, 0x0d, 1,
  ...accumulate(3, 0), ...accumulate(4, 16), ...accumulate(5, 32), ...accumulate(6, 48),
  LOCAL_GET, 0, I32_CONST, ...sleb(64), I32_ADD, LOCAL_SET, 0,
  0x0c, 0, 0x0b, 0x0b,
  // The tail: m = MASKS_AT + 64 - (n & 63) starts (n & 63) bytes of 0xff, then zeros.
  I32_CONST, ...sleb(MASKS_AT + 64), LOCAL_GET, 1, I32_CONST, ...sleb(63), I32_AND, I32_SUB, LOCAL_SET, 8,
  LOCAL_GET, 1, I32_CONST, ...sleb(63), I32_AND, 0x04, 0x40,
  ...accumulateMasked(3, 0), ...accumulateMasked(4, 16), ...accumulateMasked(5, 32), ...accumulateMasked(6, 48),
  0x0b,
  // s = the sixteen lanes widened to i64 and added (each lane stays below 2^32 up to 2 MiB).
  ...[3, 4, 5, 6].flatMap((l, k) =>
    [0, 1, 2, 3].flatMap((lane, j) => [LOCAL_GET, l, 0xfd, 0x1b, lane, 0xad, ...(k === 0 && j === 0 ? [] : [0x7c])])),
  LOCAL_SET, 7,
  // Four end-around-carry folds bring any such total to 16 bits.
  ...[0, 1, 2, 3].flatMap(() => [LOCAL_GET, 7, 0x42, 0xff, 0xff, 0x03, 0x83, LOCAL_GET, 7, 0x42, 16, 0x88, 0x7c, LOCAL_SET, 7]),
  LOCAL_GET, 7, 0xa7, 0x0b,
];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([[0x60, ...vec([[I32], [I32]]), ...vec([[I32]])]])),
  ...section(3, vec([[0]])),
  ...section(5, vec([[0x01, ...leb(PAGES), ...leb(PAGES)]])),
  ...section(7, vec([[...name('mem'), 0x02, 0], [...name('sum'), 0x00, 0]])),
  ...section(10, vec([[...leb(body.length), ...body]])),
]);

export interface SimdEngine {
  /** The engine's memory: the gather buffer at 0, the scratch area at SIMD_SCRATCH. */
  readonly mem: Uint8Array;
  /** Folded 16-bit sum of the little-endian words at mem[p, p+n), any n up to 2 MiB. */
  readonly sum: (p: number, n: number) => number;
}

/** The part of the WebAssembly JS API used here (the compiler's lib has no DOM/WebAssembly types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (mod: object) => { exports: Record<string, unknown> };
}

function instantiate(): SimdEngine | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    if (wasm === undefined || !wasm.validate(MODULE)) return null;
    const inst = new wasm.Instance(new wasm.Module(MODULE));
    const mem = new Uint8Array((inst.exports['mem'] as { buffer: ArrayBuffer }).buffer);
    mem.fill(0xff, MASKS_AT, MASKS_AT + 64);
    return { mem, sum: inst.exports['sum'] as (p: number, n: number) => number };
  } catch {
    return null;
  }
}

/** The kernel, or null where WebAssembly SIMD is not available. */
export const simd: SimdEngine | null = instantiate();

/** The transmit gather buffer: engine memory at GATHER_ADDR when the kernel runs, else a plain array. */
export const gatherBuffer: Uint8Array = simd !== null ? simd.mem.subarray(0, GATHER_LEN) : new Uint8Array(GATHER_LEN);

let framesUsed = 0;

/**
 * The engine address of a new FRAME_BUF_LEN-byte frame buffer (view it with engineView), or -1
 * once they are all handed out: callers keep and reuse what they get.
 */
export function newFrameBuffer(): number {
  if (simd === null || framesUsed === FRAME_BUFS) return -1;
  return FRAMES_AT + framesUsed++ * FRAME_BUF_LEN;
}

/** The index (0 to FRAME_BUFS-1) of the frame buffer at engine address `addr` from newFrameBuffer. */
export function frameBufferIndex(addr: number): number {
  return (addr - FRAMES_AT) / FRAME_BUF_LEN;
}

/** A view of engine memory [addr, addr+len). */
export function engineView(addr: number, len: number): Uint8Array {
  return simd!.mem.subarray(addr, addr + len);
}

/** The gather buffer's engine address, or -1 when it is a plain array. */
export const GATHER_ADDR: number = simd !== null ? 0 : -1;
