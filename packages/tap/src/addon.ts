// Loading the N-API addon (native/tap.c). It is built at install time; when that failed the
// reason is in build/status.json and every entry point reports it instead of crashing.
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A uv_poll handle owned by the addon. */
export type PollHandle = object;
/** A transmit ring and its writer thread, owned by the addon. */
export type TxRing = object;

/** The syscalls of native/tap.c. Numbers below zero are -errno. */
export interface TapAddon {
  open(name: string, vnetHdr: boolean, multiQueue: boolean, netnsPath: string | null): [number, string] | number;
  setOffload(fd: number, flags: number): number;
  setVnetHdrSz(fd: number, size: number): number;
  read(fd: number, buf: Uint8Array, off: number, len: number): number;
  read2(fd: number, a: Uint8Array, aOff: number, aLen: number, b: Uint8Array, bOff: number, bLen: number): number;
  /**
   * Up to `max` frames read back to back into `buf` from `off` while `slot` bytes are left;
   * their lengths go to `lens` (max + 1 entries) and, after the last, why the batch ended:
   * -EAGAIN (empty), another -errno, or 0 (more may be queued). The frame count, or the
   * -errno that ended a batch before its first frame. With `csum` (max entries) each frame's
   * TCP/UDP checksum is verified: RXCSUM_NONE (not checked), _OK or _BAD. With `gso` too (max
   * entries), verified segments of a TCP flow are coalesced under GRO's rules: gso[i] is
   * (segments << 16 | gso size) for a coalesced frame (its TCP checksum left partial), else 0.
   */
  readBatch(
    fd: number, buf: Uint8Array, off: number, len: number, slot: number, lens: Int32Array, max: number,
    csum: Uint8Array | null, gso: Int32Array | null,
  ): number;
  write(fd: number, buf: Uint8Array, off: number, len: number): number;
  /** `parts` holds `count` triplets: buffer, offset, length. */
  writev(fd: number, parts: (Uint8Array | number)[], count: number): number;
  close(fd: number): number;
  /**
   * A transmit ring of `bytes` with its writer thread on `fd`; `onRoom` runs when a ring that
   * refused a frame (-ENOBUFS) has half its room back. With `soft` every frame is sent behind
   * a virtio_net_hdr that the ring applies itself (checksum, TSO): the fd takes plain frames.
   */
  txStart(fd: number, bytes: number, onRoom: () => void, soft: boolean): TxRing | number;
  /**
   * Copy one frame (`count` triplets as for writev) into the ring: 0 when queued. With
   * `inline` and nothing queued, it is written at once instead and its length returned (a
   * soft ring writes a super-frame's segments from its thread only).
   * -ENOBUFS when the ring is full, or the write's -errno.
   */
  txSend(ring: TxRing, parts: (Uint8Array | number)[], count: number, inline: boolean): number;
  /** Into `out`: frames, bytes and errors the writer counted, its last errno, bytes queued. */
  txStats(ring: TxRing, out: Float64Array): number;
  /** Write what is queued (briefly), stop the thread; idempotent. Before closing the fd. */
  txStop(ring: TxRing): number;
  pollStart(fd: number, events: number, cb: (status: number, events: number) => void): PollHandle | number;
  pollUpdate(h: PollHandle, events: number): number;
  pollStop(h: PollHandle): number;
}

export interface TapAvailability {
  ok: boolean;
  reason?: string;
}

// src/ and dist/ both sit one level below the package root.
const pkgRoot = fileURLToPath(new URL('..', import.meta.url));
const addonPath = `${pkgRoot}build/Release/knet_tap.node`;
const statusPath = `${pkgRoot}build/status.json`;

let cached: { addon: TapAddon | null; reason: string | undefined } | null = null;

function buildReason(): string {
  try {
    const s = JSON.parse(readFileSync(statusPath, 'utf8')) as { ok?: boolean; reason?: string };
    if (s.ok === false && s.reason) return `the TAP addon was not built: ${s.reason}`;
  } catch {
    // No status file: the install script never ran.
  }
  return `the TAP addon is not built (${addonPath} is missing; run \`pnpm install\` or \`node packages/tap/scripts/build-native.mjs\`)`;
}

/** The addon, or null with the reason it cannot be used. */
export function loadTapAddon(): { addon: TapAddon | null; reason: string | undefined } {
  if (cached !== null) return cached;
  if (process.platform !== 'linux') {
    cached = { addon: null, reason: `TAP devices need Linux (this is ${process.platform})` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { addon: require('../build/Release/knet_tap.node') as TapAddon, reason: undefined };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    cached = { addon: null, reason: code === 'MODULE_NOT_FOUND' ? buildReason() : `the TAP addon failed to load: ${(e as Error).message}` };
  }
  return cached;
}

/**
 * Can this process open TAP devices? Checks the addon and /dev/net/tun. Creating a device
 * also needs CAP_NET_ADMIN, which only the attempt itself can tell.
 */
export function tapAvailable(): TapAvailability {
  const { addon, reason } = loadTapAddon();
  if (addon === null) return { ok: false, reason };
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch (e) {
    return { ok: false, reason: `/dev/net/tun is not usable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  return { ok: true };
}
