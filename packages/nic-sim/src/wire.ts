// Ethernet wires: ports, point-to-point cables and a learning switch, timed on a Clock.
//
// A frame occupies its link for its wire time (preamble, FCS and inter-frame gap included, as
// on real 802.3), queues behind frames sent earlier, then arrives after the propagation delay.
// Impairments draw from the clock's random(), so a seeded virtual clock replays exactly.
import type { Clock, ClockEvent } from '@knet/include';
import { FRAME_BUFS, FRAME_BUF_LEN, engineView, frameBufferIndex, newFrameBuffer } from './csum_simd.js';

/** Anything that can take a frame off a wire: a NIC model, a switch port, a test probe. */
export interface FrameSink {
  /**
   * `bytes[0, len)` is the frame without FCS; the array is reused after the call returns.
   * `engineAddr`, when given and not -1, is where the frame lies in checksum-engine memory
   * (csum_simd.ts), so a MAC can sum it in place.
   */
  receiveFrame(bytes: Uint8Array, len: number, engineAddr?: number): void;
}

/** Per-frame probabilities in [0, 1]. `corrupt` flips one bit that the FCS failed to catch. */
export interface Impairment {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
  /** Extra delay of a reordered frame, so later frames overtake it (default 50 µs). */
  reorderDelayUs?: number;
}

export interface LinkOpts {
  /** Default 1000 (1 Gbit/s). */
  speedMbps?: number;
  /** One-way propagation delay, default 5 µs. */
  delayUs?: number;
  impair?: Impairment;
  /** Bytes that may wait for the wire before tail drop (default 512 KiB). */
  queueLimitBytes?: number;
}

/** Preamble + SFD (8), FCS (4) and the inter-frame gap (12) that every frame adds on the wire. */
export const WIRE_OVERHEAD = 24;
export const ETH_ZLEN_WIRE = 60;

export interface PortStats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** Sent while the carrier was down, or tail-dropped by a full link queue. */
  txDropped: number;
}

/** One end of a link. Frames sent go to the peer; frames received go to `sink`. */
export class Port {
  link: LinkDir | null = null;
  carrier = false;
  speedMbps = 0;
  /** Told when the carrier changes (a PHY's link interrupt). */
  onCarrier: ((up: boolean) => void) | null = null;
  readonly stats: PortStats = { txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0, txDropped: 0 };

  constructor(
    readonly name: string,
    public sink: FrameSink,
  ) {}

  /**
   * Put the frame `bytes[off, off+len)` on the wire: the time (ms) its last bit leaves, or -1
   * if it was dropped. The bytes are copied; the array is the caller's again on return.
   */
  send(bytes: Uint8Array, len: number, off = 0): number {
    const l = this.link;
    if (l === null || !this.carrier) {
      this.stats.txDropped++;
      return -1;
    }
    return this.sent(l.transmit(bytes, len, off), len);
  }

  /**
   * Put a frame built in a buffer from takeWireFrame on the wire, as send does but without a
   * copy: the buffer belongs to the wire from now on, whatever the result.
   */
  sendOwned(buf: Uint8Array, len: number, engineAddr: number): number {
    const l = this.link;
    if (l === null || !this.carrier) {
      recycleFrame(buf, engineAddr);
      this.stats.txDropped++;
      return -1;
    }
    return this.sent(l.transmitOwned(buf, len, engineAddr), len);
  }

  private sent(end: number, len: number): number {
    if (end < 0) this.stats.txDropped++;
    else {
      this.stats.txFrames++;
      this.stats.txBytes += len;
    }
    return end;
  }

  /** When the wire is free for a new frame (ms). */
  wireFreeAt(): number {
    return this.link === null ? 0 : this.link.busyUntil;
  }

  setCarrier(up: boolean, speedMbps: number): void {
    if (this.carrier === up) return;
    this.carrier = up;
    this.speedMbps = up ? speedMbps : 0;
    if (!up && this.link !== null) this.link.flush();
    if (this.onCarrier !== null) this.onCarrier(up);
  }

  deliver(bytes: Uint8Array, len: number, engineAddr = -1): void {
    this.stats.rxFrames++;
    this.stats.rxBytes += len;
    this.sink.receiveFrame(bytes, len, engineAddr);
  }
}

const POOL_BUF = FRAME_BUF_LEN;
/** Initial in-flight ring size (it doubles when full), and what an empty slot holds. */
const RING0 = 64;
const NO_FRAME = new Uint8Array(0);
/** Frame buffers not in flight, shared by every link (they are all alike), with their engine addresses (-1: none). */
const framePool: Uint8Array[] = [];
const framePoolAddr: number[] = [];
const FRAME_POOL_MAX = 4096;
/** The engine address of the buffer takeFrame returned last. */
let framePendingAddr = -1;

function newFrame(): Uint8Array {
  const addr = newFrameBuffer();
  framePendingAddr = addr;
  return addr >= 0 ? engineView(addr, POOL_BUF) : new Uint8Array(POOL_BUF);
}

function takeFrame(): Uint8Array {
  if (framePool.length === 0) return newFrame();
  framePendingAddr = framePoolAddr.pop()!;
  return framePool.pop()!;
}

// Views of the first `len` bytes of each engine frame buffer, the two lengths used last (full
// frames and ACKs take turns in a buffer): making a typed-array view costs more than copying a
// whole frame, so a MAC is handed a cached view of exactly the frame.
const prefixA: Uint8Array[] = new Array<Uint8Array>(FRAME_BUFS).fill(NO_FRAME);
const prefixB: Uint8Array[] = new Array<Uint8Array>(FRAME_BUFS).fill(NO_FRAME);

/** buf[0, len) as its own array (buf itself when that is its length). */
function framePrefix(buf: Uint8Array, addr: number, len: number): Uint8Array {
  if (len === buf.length) return buf;
  if (addr < 0) return new Uint8Array(buf.buffer, buf.byteOffset, len);
  const i = frameBufferIndex(addr);
  const a = prefixA[i];
  if (a.length === len) return a;
  const b = prefixB[i];
  prefixB[i] = a;
  if (b.length === len) {
    prefixA[i] = b;
    return b;
  }
  const v = new Uint8Array(buf.buffer, buf.byteOffset, len);
  prefixA[i] = v;
  return v;
}

/** Back to the pool: a buffer of the pool's size that is no longer in flight. */
function recycleFrame(buf: Uint8Array, addr: number): void {
  if (buf.length === POOL_BUF && framePool.length < FRAME_POOL_MAX) {
    framePool.push(buf);
    framePoolAddr.push(addr);
  }
}

/** The size of a wire frame buffer: frames up to this long can be built in one (sendOwned). */
export const WIRE_FRAME_LEN = POOL_BUF;

/**
 * A free wire frame buffer of WIRE_FRAME_LEN bytes for a MAC to build its next frame in; its
 * checksum-engine address (-1: none) is then takenFrameAddr(). Hand it to Port.sendOwned.
 */
export function takeWireFrame(): Uint8Array {
  return takeFrame();
}

/** The engine address of the buffer takeWireFrame returned last. */
export function takenFrameAddr(): number {
  return framePendingAddr;
}

/** One direction of a link: serialization, queueing, delay and impairment. */
export class LinkDir {
  readonly speedMbps: number;
  readonly delayMs: number;
  busyUntil = 0;
  lost = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
  tailDrops = 0;
  private readonly loss: number;
  private readonly dup: number;
  private readonly reorder: number;
  private readonly corrupt: number;
  private readonly reorderMs: number;
  private readonly limitBytes: number;
  // In-flight frames sorted by arrival time: a ring of `count` entries from `head`, with each
  // frame's buffer, length, arrival time and checksum-engine address (-1: none).
  private fBuf: Uint8Array[] = new Array<Uint8Array>(RING0).fill(NO_FRAME);
  private fLen = new Float64Array(RING0);
  private fAt = new Float64Array(RING0);
  private fAddr = new Float64Array(RING0);
  private head = 0;
  private count = 0;
  private mask = RING0 - 1;
  private ev: ClockEvent | null = null;
  private evAt = Infinity;
  private readonly deliverFn = (): void => this.deliver();

  constructor(
    private readonly clock: Clock,
    readonly to: Port,
    opts: LinkOpts,
  ) {
    this.speedMbps = opts.speedMbps ?? 1000;
    this.delayMs = (opts.delayUs ?? 5) / 1000;
    const im = opts.impair ?? {};
    this.loss = im.loss ?? 0;
    this.dup = im.duplicate ?? 0;
    this.reorder = im.reorder ?? 0;
    this.corrupt = im.corrupt ?? 0;
    this.reorderMs = (im.reorderDelayUs ?? 50) / 1000;
    this.limitBytes = opts.queueLimitBytes ?? 512 * 1024;
  }

  /** Wire time of a `len`-byte frame in ms. */
  wireTime(len: number): number {
    return ((len < ETH_ZLEN_WIRE ? ETH_ZLEN_WIRE : len) + WIRE_OVERHEAD) * 8 / (this.speedMbps * 1000);
  }

  transmit(bytes: Uint8Array, len: number, off: number): number {
    if (this.tailDrop()) return -1;
    let buf: Uint8Array, addr = -1;
    if (len > POOL_BUF) buf = new Uint8Array(len);
    else {
      buf = takeFrame();
      addr = framePendingAddr;
    }
    buf.set(off === 0 && len === bytes.length ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset + off, len));
    return this.transmitOwned(buf, len, addr);
  }

  /** transmit of a frame already in a wire buffer (takeWireFrame), which the link now owns. */
  transmitOwned(buf: Uint8Array, len: number, addr: number): number {
    if (this.tailDrop()) {
      recycleFrame(buf, addr);
      return -1;
    }
    const now = this.clock.now();
    const end = (this.busyUntil > now ? this.busyUntil : now) + this.wireTime(len);
    this.busyUntil = end;
    let at = end + this.delayMs;
    if (this.loss > 0 && this.clock.random() < this.loss) {
      this.lost++;
      recycleFrame(buf, addr);
      return end;
    }
    if (this.reorder > 0 && this.clock.random() < this.reorder) {
      this.reordered++;
      at += this.reorderMs;
    }
    this.enqueue(buf, len, at, addr);
    if (this.corrupt > 0 && this.clock.random() < this.corrupt && len > 0) {
      this.corrupted++;
      const bit = Math.floor(this.clock.random() * len * 8);
      buf[bit >> 3] ^= 1 << (bit & 7);
    }
    if (this.dup > 0 && this.clock.random() < this.dup) {
      this.duplicated++;
      let copy: Uint8Array, caddr = -1;
      if (len > POOL_BUF) copy = new Uint8Array(len);
      else {
        copy = takeFrame();
        caddr = framePendingAddr;
      }
      copy.set(framePrefix(buf, addr, len));
      this.enqueue(copy, len, at, caddr);
    }
    return end;
  }

  /** Whether a frame sent now finds the queue in front of the wire over its limit (counted). */
  private tailDrop(): boolean {
    const now = this.clock.now();
    if ((this.busyUntil - now) * this.speedMbps * 125 > this.limitBytes) {
      this.tailDrops++;
      return true;
    }
    return false;
  }

  /** Carrier loss: what is on the wire never arrives. */
  flush(): void {
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      recycleFrame(this.fBuf[i], this.fAddr[i]);
      this.fBuf[i] = NO_FRAME;
    }
    this.lost += this.count;
    this.head = this.count = 0;
    if (this.ev !== null) this.clock.cancel(this.ev);
    this.ev = null;
    this.evAt = Infinity;
  }

  private enqueue(buf: Uint8Array, len: number, at: number, addr: number): void {
    if (this.count === this.fAt.length) this.grow();
    // Arrival order: a reordered (delayed) frame lets later ones move in front of it.
    const m = this.mask;
    let k = this.count;
    while (k > 0 && this.fAt[(this.head + k - 1) & m] > at) {
      const from = (this.head + k - 1) & m, to = (this.head + k) & m;
      this.fBuf[to] = this.fBuf[from];
      this.fLen[to] = this.fLen[from];
      this.fAt[to] = this.fAt[from];
      this.fAddr[to] = this.fAddr[from];
      k--;
    }
    const i = (this.head + k) & m;
    this.fBuf[i] = buf;
    this.fLen[i] = len;
    this.fAt[i] = at;
    this.fAddr[i] = addr;
    this.count++;
    this.arm();
  }

  /** Double the ring, oldest frame first at index 0. */
  private grow(): void {
    const n = this.fAt.length, cap = n * 2;
    const b = new Array<Uint8Array>(cap).fill(NO_FRAME);
    const l = new Float64Array(cap), a = new Float64Array(cap), d = new Float64Array(cap);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      b[k] = this.fBuf[i];
      l[k] = this.fLen[i];
      a[k] = this.fAt[i];
      d[k] = this.fAddr[i];
    }
    this.fBuf = b;
    this.fLen = l;
    this.fAt = a;
    this.fAddr = d;
    this.head = 0;
    this.mask = cap - 1;
  }

  private arm(): void {
    if (this.count === 0) return;
    const at = this.fAt[this.head];
    if (this.ev !== null) {
      if (this.evAt <= at) return;
      this.clock.cancel(this.ev);
    }
    this.evAt = at;
    const d = at - this.clock.now();
    this.ev = this.clock.schedule(d > 0 ? d : 0, this.deliverFn);
  }

  private deliver(): void {
    this.ev = null;
    this.evAt = Infinity;
    const now = this.clock.now();
    // 1 ns of slack: arrival times are sums of floating-point wire times.
    while (this.count > 0 && this.fAt[this.head] <= now + 1e-6) {
      const h = this.head;
      // Read the slot before delivering: the sink may send frames that land in this ring.
      const buf = this.fBuf[h], len = this.fLen[h], addr = this.fAddr[h];
      this.fBuf[h] = NO_FRAME;
      this.head = (h + 1) & this.mask;
      this.count--;
      this.to.deliver(framePrefix(buf, addr, len), len, addr);
      recycleFrame(buf, addr);
    }
    this.arm();
  }
}

/** A point-to-point cable between two ports; carrier comes up when it is plugged in. */
export class Cable {
  readonly ab: LinkDir;
  readonly ba: LinkDir;
  constructor(
    clock: Clock,
    readonly a: Port,
    readonly b: Port,
    opts: LinkOpts = {},
  ) {
    this.ab = new LinkDir(clock, b, opts);
    this.ba = new LinkDir(clock, a, opts);
    a.link = this.ab;
    b.link = this.ba;
    this.setCarrier(true);
  }

  /** Pull the plug (false) or plug it back in (true): both ends see the carrier change. */
  setCarrier(up: boolean): void {
    this.a.setCarrier(up, this.ab.speedMbps);
    this.b.setCarrier(up, this.ba.speedMbps);
  }
}

export interface SwitchStats {
  forwarded: number;
  flooded: number;
  filtered: number;
  runts: number;
}

/** A store-and-forward learning bridge (IEEE 802.1D): learns source MACs, ages them out. */
export class LearningSwitch {
  readonly ports: Port[] = [];
  readonly cables: Cable[] = [];
  readonly stats: SwitchStats = { forwarded: 0, flooded: 0, filtered: 0, runts: 0 };
  private readonly fdbPort = new Map<number, number>();
  private readonly fdbSeen = new Map<number, number>();
  readonly agingMs: number;

  constructor(
    private readonly clock: Clock,
    opts: { agingMs?: number } = {},
  ) {
    // 802.1D's default ageing time, 300 s.
    this.agingMs = opts.agingMs ?? 300_000;
  }

  /** Cable `peer` to a new switch port; returns the port's index. */
  connect(peer: Port, opts: LinkOpts = {}): number {
    const idx = this.ports.length;
    const sw = this;
    const p = new Port(`sw${idx}`, { receiveFrame: (b, l) => sw.ingress(idx, b, l) });
    this.ports.push(p);
    this.cables.push(new Cable(this.clock, p, peer, opts));
    return idx;
  }

  /** The port a MAC was learned on, or -1 (unknown or aged out). */
  lookup(mac: number): number {
    const p = this.fdbPort.get(mac);
    if (p === undefined) return -1;
    if (this.clock.now() - this.fdbSeen.get(mac)! > this.agingMs) {
      this.fdbPort.delete(mac);
      this.fdbSeen.delete(mac);
      return -1;
    }
    return p;
  }

  private ingress(idx: number, b: Uint8Array, len: number): void {
    if (len < 14) {
      this.stats.runts++;
      return;
    }
    const src = macAt(b, 6);
    // A group source address is invalid (802.3 §3.2.3); never learn it.
    if ((b[6] & 1) === 0) {
      this.fdbPort.set(src, idx);
      this.fdbSeen.set(src, this.clock.now());
    }
    const out = (b[0] & 1) === 0 ? this.lookup(macAt(b, 0)) : -1;
    if (out === idx) {
      this.stats.filtered++;
      return;
    }
    if (out >= 0) {
      this.stats.forwarded++;
      this.ports[out].send(b, len);
      return;
    }
    this.stats.flooded++;
    for (let i = 0; i < this.ports.length; i++) if (i !== idx) this.ports[i].send(b, len);
  }
}

/** A 48-bit MAC at b[off] as a number (exact: below 2^53). */
export function macAt(b: Uint8Array, off: number): number {
  return (b[off] * 0x10000 + ((b[off + 1] << 8) | b[off + 2])) * 0x1000000 +
    ((b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]);
}
