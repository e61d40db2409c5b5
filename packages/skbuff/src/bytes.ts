// Big-endian field access on packet bytes (network order), shared by every layer's wire views.

export function getUint16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

export function putUint16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

export function getUint32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export function putUint32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

// Below this size a byte loop beats creating the subarray view that native set() needs.
const MEMCPY_LOOP_MAX = 64;

/** memcpy/memmove between (possibly the same) byte arrays. */
export function memcpy(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, n: number): void {
  if (n <= 0) return;
  if (dst === src) {
    dst.copyWithin(dOff, sOff, sOff + n);
  } else if (n <= MEMCPY_LOOP_MAX) {
    for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
  } else {
    dst.set(src.subarray(sOff, sOff + n), dOff);
  }
}
