// The Toeplitz hash of Microsoft's RSS specification, as the 82576 computes it (datasheet
// 7.1.2.8): for each set bit of the input, XOR in the 32-bit window of the key that starts at
// that bit. The key is 40 bytes; IPv4 with ports uses 12 input bytes, so the window never runs
// past key byte 16.

/** Hash `len` bytes of `input` at `off` with `key` (at least len + 4 bytes). */
export function toeplitzHash(key: Uint8Array, input: Uint8Array, off: number, len: number): number {
  let result = 0;
  // window = key bits [i, i+32) for the current input bit i; shifted in one key bit at a time.
  let window = ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
  for (let i = 0; i < len; i++) {
    const b = input[off + i];
    const next = key[i + 4] ?? 0;
    for (let bit = 7; bit >= 0; bit--) {
      if ((b >> bit) & 1) result ^= window;
      window = ((window << 1) | ((next >> bit) & 1)) >>> 0;
    }
  }
  return result >>> 0;
}

/**
 * The hash as a table walk, as hardware does it with XOR trees: table[(i << 8) | v] is the hash
 * of byte value v at input position i, for `bytes` positions. Fill it again when the key changes.
 */
export function toeplitzTable(key: Uint8Array, table: Uint32Array, bytes: number): void {
  const one = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    for (let v = 0; v < 256; v++) {
      one[i] = v;
      table[(i << 8) | v] = toeplitzHash(key, one, 0, bytes);
    }
    one[i] = 0;
  }
}

/** toeplitzHash through a table from toeplitzTable (the hash is linear in the input bits). */
export function toeplitzHashTable(table: Uint32Array, input: Uint8Array, off: number, len: number): number {
  let r = 0;
  for (let i = 0; i < len; i++) r ^= table[(i << 8) | input[off + i]];
  return r >>> 0;
}

/** The key of the RSS verification suite, which Linux also ships as a well-known default. */
export const RSS_VERIFY_KEY = new Uint8Array([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);
