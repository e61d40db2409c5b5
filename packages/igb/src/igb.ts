// The driver's structures, as drivers/net/ethernet/intel/igb/igb.h.
import type { NapiStruct, Net, NetDevice, PciDev, SkBuff, TimerList } from '@knet/include';

export const IGB_DEFAULT_TXD = 256, IGB_DEFAULT_RXD = 256;
export const IGB_MIN_TXD = 80, IGB_MIN_RXD = 80, IGB_MAX_TXD = 4096, IGB_MAX_RXD = 4096;
/** Refill RX descriptors in batches this large (one tail write each). */
export const IGB_RX_BUFFER_WRITE = 16;
export const IGB_RXBUFFER_2048 = 2048;
/** The 82576's per-descriptor byte limit used by igb_tx_map. */
export const IGB_MAX_DATA_PER_TXD = 1 << 15;
export const txdUseCount = (s: number): number => Math.ceil(s / IGB_MAX_DATA_PER_TXD);
/** Worst case for one skb: MAX_SKB_FRAGS + head + context + a gap so TDT never meets TDH. */
export const DESC_NEEDED = 17 + 4;
export const TX_WAKE_THRESHOLD = DESC_NEEDED * 2;
export const IGB_DEFAULT_TX_WORK = 128;
/** 82576: 16 queues, of which igb uses up to 8 for RSS. */
export const IGB_MAX_RX_QUEUES = 8;
export const IGB_RETA_SIZE = 128;

// ITR values in EITR units (0.25 µs steps of the interval field), as igb.h.
export const IGB_70K_ITR = 56, IGB_20K_ITR = 196, IGB_4K_ITR = 980, IGB_START_ITR = 648;
/** rx-usecs 3: the conservative dynamic mode, Linux's default. */
export const IGB_DEFAULT_ITR = 3;
export const LOWEST_LATENCY = 0, LOW_LATENCY = 1, BULK_LATENCY = 2;

// tx_flags
export const IGB_TX_FLAGS_TSO = 1 << 1, IGB_TX_FLAGS_CSUM = 1 << 2, IGB_TX_FLAGS_IPV4 = 1 << 4;

/** struct igb_tx_buffer: bookkeeping for one TX descriptor. */
export class IgbTxBuffer {
  /** Index of the packet's EOP descriptor, -1 when nothing is in flight here. */
  nextToWatch = -1;
  timeStamp = 0;
  skb: SkBuff | null = null;
  bytecount = 0;
  gsoSegs = 0;
  txFlags = 0;
  hdrLen = 0;
  /** Bus address from dmaMapSingle and its length (0: not mapped). */
  dma = 0;
  len = 0;
}

/** struct igb_rx_buffer: one posted receive buffer, an skb whose data the device writes. */
export class IgbRxBuffer {
  /** Bus address of skb's data from dmaMapSingle (0: not mapped). */
  dma = 0;
  skb: SkBuff | null = null;
}

export class IgbRingStats {
  packets = 0;
  bytes = 0;
  restartQueue = 0;
  txBusy = 0;
  csumErr = 0;
  allocFailed = 0;
  drops = 0;
}

/** struct igb_ring_container: per-direction totals since the last ITR update. */
export class IgbRingContainer {
  totalPackets = 0;
  totalBytes = 0;
  itr = LOW_LATENCY;
}

/** struct igb_ring */
export class IgbRing {
  desc: Uint8Array = new Uint8Array(0);
  dma = 0;
  size = 0;
  nextToUse = 0;
  nextToClean = 0;
  nextToAlloc = 0;
  /** The tail doorbell register (RDT/TDT). */
  tail = 0;
  readonly txBufferInfo: IgbTxBuffer[] = [];
  readonly rxBufferInfo: IgbRxBuffer[] = [];
  /** A frame whose first buffers were cleaned but whose EOP has not arrived. */
  skb: SkBuff | null = null;
  /** Dropping the rest of an oversized frame until its EOP buffer. */
  discard = false;
  readonly stats = new IgbRingStats();
  constructor(
    readonly adapter: IgbAdapter,
    readonly queueIndex: number,
    readonly regIdx: number,
    public count: number,
    readonly isTx: boolean,
  ) {}
  qVector: IgbQVector | null = null;
}

/** The NAPI context of one vector; embeds NapiStruct as igb embeds napi_struct in q_vector. */
export interface IgbNapi extends NapiStruct {
  qVector: IgbQVector;
}

/** struct igb_q_vector: one MSI-X vector serving an RX/TX queue pair. */
export class IgbQVector {
  napi!: IgbNapi;
  rx: IgbRing | null = null;
  tx: IgbRing | null = null;
  readonly rxc = new IgbRingContainer();
  readonly txc = new IgbRingContainer();
  /** MSI-X vector number and its EIMS bit. */
  vector = 0;
  eimsValue = 0;
  itrVal = IGB_START_ITR;
  itrRegister = 0;
  setItr = false;
  cpu = 0;
  txWorkLimit = IGB_DEFAULT_TX_WORK;
  irqCount = 0;
  constructor(
    readonly adapter: IgbAdapter,
    readonly vIdx: number,
  ) {}
}

/** Hardware counters accumulated from the clear-on-read statistics registers. */
export class IgbHwStats {
  crcerrs = 0;
  mpc = 0;
  gprc = 0;
  gptc = 0;
  gorc = 0;
  gotc = 0;
  rnbc = 0;
  ruc = 0;
  roc = 0;
  bprc = 0;
  mprc = 0;
  tsctc = 0;
  rqdpc = 0;
}

/** struct igb_adapter */
export class IgbAdapter {
  numQueues = 1;
  txRingCount = IGB_DEFAULT_TXD;
  rxRingCount = IGB_DEFAULT_RXD;
  readonly txRing: IgbRing[] = [];
  readonly rxRing: IgbRing[] = [];
  readonly qVector: IgbQVector[] = [];
  eimsEnableMask = 0;
  eimsOther = 0;
  /** ethtool rx-usecs / tx-usecs as stored by igb (usecs << 2, or 0-3 for the special modes). */
  rxItrSetting = IGB_DEFAULT_ITR;
  txItrSetting = IGB_DEFAULT_ITR;
  /** Not __IGB_DOWN. */
  up = false;
  linkSpeed = 0;
  getLinkStatus = true;
  txTimeoutCount = 0;
  resets = 0;
  readonly hwStats = new IgbHwStats();
  readonly rssIndirTbl = new Uint8Array(IGB_RETA_SIZE);
  readonly rssKey = new Uint8Array(40);
  watchdogTimer!: TimerList;
  readonly irqNames: string[] = [];
  constructor(
    readonly netdev: NetDevice,
    readonly pdev: PciDev,
    readonly net: Net,
  ) {}
}

export function netdevPriv(dev: NetDevice): IgbAdapter {
  return dev.priv as IgbAdapter;
}

/** igb_desc_unused: descriptors software may fill, one always kept empty. */
export function igbDescUnused(r: IgbRing): number {
  const ntc = r.nextToClean, ntu = r.nextToUse;
  return (ntc > ntu ? 0 : r.count) + ntc - ntu - 1;
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

/** Store a 64-bit bus address little-endian (the lower and upper dwords of a descriptor). */
export function wr64(b: Uint8Array, o: number, v: number): void {
  wr32(b, o, v % 0x100000000);
  wr32(b, o + 4, Math.floor(v / 0x100000000));
}
