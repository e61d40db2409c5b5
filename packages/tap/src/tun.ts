// drivers/net/tun.c, seen from the other side of the fd: a knet net_device whose wire is a
// real Linux TAP interface. The kernel's tun_net_xmit is our receive (read the fd in a NAPI
// poll), and our ndoStartXmit is the kernel's tun_get_user (write the fd).
import type { NapiStruct, Net, NetDevice, NetDeviceOps, RtnlLinkStats64, SkBuff } from '@knet/include';
import {
  CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, EAGAIN, EINVAL, ENOBUFS, ENOSYS, ErrnoError, ETH_DATA_LEN, ETH_HLEN, ETH_MAX_MTU, MAX_SKB_FRAGS,
  NAPI_POLL_WEIGHT, NAPI_STATE_SCHED, NETDEV_TX_BUSY, NETDEV_TX_OK, NETIF_F_HW_CSUM, NETIF_F_RXCSUM, NETIF_F_SG,
  NETIF_F_LRO, NETIF_F_TSO, SKB_DROP_REASON, SKB_GSO_DODGY, SKB_GSO_TCPV4,
} from '@knet/include';
import {
  allocEtherdev, ethAddrFromString, ethHwAddrRandom, ethTypeTrans, isValidEtherAddr,
  napiEnable, napiCompleteDone, napiDisable, napiGroFlush, napiGroReceive, napiSchedule,
  netifCarrierOff, netifNapiAdd, netifReceiveSkb, netifTxStopQueue, netifTxWakeQueue,
  registerNetdev, unregisterNetdev,
} from '@knet/netdevice';
import { consumeSkb, kfreeSkbReason, memcpy, netdevAllocSkb, skbPut } from '@knet/skbuff';
import { irqEnter, irqExit } from '@knet/softirq';
import { type PollHandle, type TapAddon, type TxRing, loadTapAddon } from './addon.js';
import {
  POLL_READABLE, POLL_WRITABLE, RXCSUM_BAD, RXCSUM_OK, TUN_F_CSUM, TUN_F_TSO4, VIRTIO_NET_HDR_LEN,
} from './if_tun.js';
import { virtioNetHdrFromSkb, virtioNetHdrToSkb } from './virtio_net.js';

export interface TapOpenOpts {
  /** IFF_VNET_HDR with checksum and TSO offloads both ways (default false: frame by frame). */
  vnetHdr?: boolean;
  mtu?: number;
  /** knet's MAC address, 'aa:bb:cc:dd:ee:ff'; random and locally administered by default. */
  mac?: string;
  /** Name of the knet device (default: the TAP's name). */
  devName?: string;
  /** Create/attach the TAP inside this network namespace (`ip netns` name or a path). */
  netns?: string;
  /**
   * Bytes of the transmit ring a thread of the addon writes to the fd from (default 2 MiB,
   * at least 64 KiB); 0 writes every frame on the JS thread.
   */
  txRing?: number;
  /**
   * Without vnetHdr: the addon's offload engines stand in for a NIC's (TSO, checksums both
   * ways), so the stack hands over 64 KiB super-frames and skips checksum work while the kernel
   * still sees plain, checksummed frames. Default true; needs the transmit ring (txRing > 0).
   */
  nicOffload?: boolean;
  /**
   * Linux's net.core.busy_poll for this device, in µs (default 0, off): after frames were
   * handled, keep reading the TAP that long before sleeping in epoll, trading CPU for the
   * wakeup a request/response peer's next frame would otherwise cost.
   */
  busyPollUs?: number;
}

/** Driver counters beyond rtnl_link_stats64 (`ethtool -S`). */
export interface TapStats {
  rxFrames: number;
  /** Busy-poll rounds that found frames before the device went back to sleep. */
  busyPollHits: number;
  rxGso: number;
  rxCsumPartial: number;
  rxCsumValid: number;
  rxBadVnetHdr: number;
  rxTooShort: number;
  rxReadErrors: number;
  /** Frames longer than the MTU read into their own linear skb, without offloads. */
  rxSpill: number;
  /** TSO super-frames handed up in the 64 KiB skb they were read into. */
  rxBig: number;
  txGso: number;
  txCsumPartial: number;
  txBusy: number;
  txWriteErrors: number;
  /** Frames whose TCP/UDP checksum the addon found wrong (left for the stack to count and drop). */
  rxCsumBad: number;
  /** TCP segments the addon coalesced into larger frames (NETIF_F_LRO). */
  rxLro: number;
  irqs: number;
}

/**
 * The driver's own rtnl_link_stats64 counters, reported through ndoGetStats64 as Linux
 * drivers keep theirs (tun's dev_sw_netstats). The core's dev.stats counts what reaches
 * __netifReceiveSkbCore and devHardStartXmit, so the driver never adds to those.
 */
export interface TapLinkStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
}

/** netdev_priv of a TAP device. */
export interface TapPriv {
  addon: TapAddon;
  fd: number;
  /** The kernel's name for the interface (differs from the knet device name if asked). */
  ifname: string;
  vnetHdr: boolean;
  /** Bytes of virtio_net_hdr in front of each frame on the fd (0 without IFF_VNET_HDR). */
  hdrLen: number;
  /**
   * No IFF_VNET_HDR, but the addon's offload engines: frames still go to the transmit ring
   * behind a virtio_net_hdr, which the ring finishes (checksum, TSO) before writing.
   */
  nicOffload: boolean;
  napi: NapiStruct;
  poll: PollHandle | null;
  /** The uv_poll interest set: READABLE is masked while NAPI owns the queue. */
  events: number;
  /** Receives the part of a frame past an MTU-sized buffer (no offloads); never handed up. */
  spare: Uint8Array;
  /**
   * Without offloads: frames are read in batches, back to back, into this buffer (one addon
   * call per NAPI round), then copied into right-sized skbs. Null when the addon predates
   * readBatch, or with offloads, where a TSO super-frame is read straight into its 64 KiB skb.
   */
  rxBatch: Uint8Array | null;
  /** Lengths of the frames in rxBatch, then why the batch ended (see TapAddon.readBatch). */
  rxLens: Int32Array;
  /** The addon's checksum verdict on each frame of rxBatch (RXCSUM_*), with NETIF_F_RXCSUM. */
  rxCsum: Uint8Array;
  /** With NETIF_F_LRO: (segments << 16 | gso size) of each frame the addon coalesced, else 0. */
  rxGso: Int32Array;
  /** With offloads: the pooled 64 KiB skb the next frame is read into. */
  rxBig: SkBuff | null;
  /** Where the last frame read starts (its virtio header, if any) in its skb's head. */
  rxHdrOff: number;
  /** virtio_net_hdr of the frame being sent. */
  txHdr: Uint8Array;
  /** Reused writev triplets, so sending allocates nothing. */
  iov: (Uint8Array | number)[];
  /**
   * The transmit ring while the device is open (null if the addon has none): frames are copied
   * into it and written by a thread of the addon, as the kernel runs its whole receive path
   * inside each write. The first frame of a burst is written inline when nothing is queued.
   */
  tx: TxRing | null;
  txRingLen: number;
  /** A frame went out in this task already (a burst); cleared by a microtask. */
  txBurst: boolean;
  txBurstEnd: () => void;
  onTxRoom: () => void;
  /** txStats' answer, and the writer's frames, bytes and errors already counted. */
  txStatsBuf: Float64Array;
  txSeen: Float64Array;
  irqCpu: number;
  onPoll: (status: number, events: number) => void;
  /** net.core.busy_poll for this device: µs to keep reading after traffic before sleeping; 0 off. */
  busyPollUs: number;
  busyPollArmed: boolean;
  busyPoll: () => void;
  stats: TapStats;
  link: TapLinkStats;
}

const SPARE_LEN = 65536;
/** Bytes the transmit ring holds: about 700 standard frames, or 32 TSO super-frames. */
const TX_RING_LEN = 2 << 20;
/** Frames up to this size (pure ACKs and the like) are written inline when nothing is queued. */
const TX_INLINE_MAX = 256;
/** Frames one readBatch call takes at most (a NAPI weight). */
const RX_BATCH = NAPI_POLL_WEIGHT;
/** The largest frame a TAP hands over without offloads: the kernel's MTU may exceed ours. */
const RX_SLOT = ETH_HLEN + ETH_MAX_MTU;
/** Room for a batch of full-sized standard frames with a largest one still fitting. */
const RX_BATCH_LEN = RX_SLOT + RX_BATCH * (ETH_HLEN + ETH_DATA_LEN);

function newTapStats(): TapStats {
  return {
    rxFrames: 0, busyPollHits: 0, rxGso: 0, rxCsumPartial: 0, rxCsumValid: 0, rxBadVnetHdr: 0, rxTooShort: 0,
    rxReadErrors: 0, rxSpill: 0, rxBig: 0, txGso: 0, txCsumPartial: 0, txBusy: 0, txWriteErrors: 0, rxCsumBad: 0, rxLro: 0,
    irqs: 0,
  };
}

export function tapPriv(dev: NetDevice): TapPriv {
  return dev.priv as TapPriv;
}

function setEvents(p: TapPriv, events: number): void {
  if (p.events === events || p.poll === null) return;
  p.events = events;
  p.addon.pollUpdate(p.poll, events);
}

/**
 * The "interrupt": uv_poll says the fd is readable (frames queued by tun_net_xmit) or
 * writable again. As a NIC masks its RX interrupt while NAPI runs, READABLE comes off the
 * interest set until the poll completes. The poll normally runs and completes inside irqExit,
 * so the mask is only applied when it is still pending after that (budget spent, left to
 * ksoftirqd): masking and unmasking around every interrupt would cost two epoll_ctl calls.
 */
function tunInterrupt(dev: NetDevice, status: number, events: number): void {
  const p = tapPriv(dev);
  const cpu = dev.ndNet.cpus[p.irqCpu]!;
  p.stats.irqs++;
  irqEnter(cpu);
  try {
    if (status < 0) {
      // The fd is broken (interface gone with its namespace): no more frames will come.
      tunLinkLost(dev);
      return;
    }
    if ((events & POLL_WRITABLE) !== 0) {
      setEvents(p, p.events & ~POLL_WRITABLE);
      netifTxWakeQueue(dev.txQueues[0]!);
    }
    if ((events & POLL_READABLE) !== 0) napiSchedule(p.napi);
  } finally {
    irqExit(cpu);
  }
  // uv_poll is level-triggered: a poll left pending must not be woken again for the same frames.
  if ((p.napi.state & NAPI_STATE_SCHED) !== 0) setEvents(p, p.events & ~POLL_READABLE);
}

function tunLinkLost(dev: NetDevice): void {
  const p = tapPriv(dev);
  setEvents(p, 0);
  netifCarrierOff(dev);
}

function dropRx(dev: NetDevice, skb: SkBuff, reason: number): void {
  dev.stats.rxDropped++;
  kfreeSkbReason(skb, reason);
}

/**
 * skb_linearize for a frame that spilled past the linear buffer into the spare page: the upper
 * layers (TCP in particular) read headers and payload from the linear part, so a frame is
 * handed up in one buffer. The spare page stays with the driver.
 */
function tunLinearize(dev: NetDevice, p: TapPriv, skb: SkBuff, aOff: number, aLen: number, n: number): SkBuff {
  const hdrLen = p.hdrLen;
  const big = netdevAllocSkb(dev, n);
  const bOff = big.data - hdrLen;
  big.head.set(skb.head.subarray(aOff, aOff + aLen), bOff);
  big.head.set(p.spare.subarray(0, n - aLen), bOff + aLen);
  consumeSkb(skb);
  skbPut(big, n - hdrLen);
  p.stats.rxSpill++;
  return big;
}

/**
 * Read one frame. With offloads a frame may be a 64 KiB TSO super-frame: it is read into a
 * pooled 64 KiB skb, which goes up the stack as it is, while a frame that fits the MTU is
 * copied into a right-sized skb (rx_copybreak, as NIC drivers do) and the big one is reused,
 * so small frames neither pin 64 KiB each nor cost an allocation of it. Without offloads a
 * frame fits the MTU and is read straight into its skb. Returns the skb with its data at the
 * mac header and `p.rxHdrOff` set to its virtio header, or a negative errno.
 */
function tunReadFrame(dev: NetDevice, p: TapPriv): SkBuff | number {
  const hdrLen = p.hdrLen;
  if (p.vnetHdr) {
    let big = p.rxBig;
    if (big === null) big = p.rxBig = netdevAllocSkb(dev, hdrLen + ETH_HLEN + ETH_MAX_MTU);
    const bOff = big.data - hdrLen;
    const n = p.addon.read(p.fd, big.head, bOff, big.end - bOff);
    if (n < 0) return n;
    if (n - hdrLen > ETH_HLEN + dev.mtu) {
      p.rxBig = null;
      if (n > hdrLen) skbPut(big, n - hdrLen);
      p.rxHdrOff = bOff;
      p.stats.rxBig++;
      return big;
    }
    const skb = netdevAllocSkb(dev, n);
    const aOff = skb.data - hdrLen;
    skb.head.set(big.head.subarray(bOff, bOff + n), aOff);
    if (n > hdrLen) skbPut(skb, n - hdrLen);
    p.rxHdrOff = aOff;
    return skb;
  }
  const skb = netdevAllocSkb(dev, ETH_HLEN + dev.mtu);
  const aOff = skb.data;
  const aLen = skb.end - aOff;
  const spare = p.spare;
  const n = p.addon.read2(p.fd, skb.head, aOff, aLen, spare, 0, spare.length);
  if (n < 0) {
    consumeSkb(skb);
    return n;
  }
  p.rxHdrOff = aOff;
  if (n <= aLen) {
    skbPut(skb, n);
    return skb;
  }
  // The kernel's MTU is larger than ours.
  const big = tunLinearize(dev, p, skb, aOff, aLen, n);
  p.rxHdrOff = big.data;
  return big;
}

/**
 * One frame from the fd into a pooled skb (the reverse of tun_put_user). 1 when a frame was
 * taken (delivered or dropped), 0 when the queue is empty, -1 on a read error.
 */
function tunGetFrame(dev: NetDevice, p: TapPriv): number {
  const skb = tunReadFrame(dev, p);
  if (typeof skb === 'number') {
    if (skb === -EAGAIN) return 0;
    tunReadError(dev, p);
    return -1;
  }
  tunRxSkb(dev, p, skb, dev.ndNet.clock.now());
  return 1;
}

function tunReadError(dev: NetDevice, p: TapPriv): void {
  p.stats.rxReadErrors++;
  dev.stats.rxErrors++;
}

/**
 * Frames from one readBatch (no offloads), each copied into a right-sized pooled skb and
 * handed up; a frame longer than our MTU (the kernel's is larger) goes up linear all the same,
 * counted as a spill. Returns the frames taken and leaves in `p.rxLens[count]` why the batch
 * ended; a read error before the first frame is returned as -1.
 */
function tunGetBatch(dev: NetDevice, p: TapPriv, max: number): number {
  const buf = p.rxBatch!;
  const lens = p.rxLens;
  const csum = p.nicOffload && (dev.features & NETIF_F_RXCSUM) !== 0 ? p.rxCsum : null;
  const gso = csum !== null && (dev.features & NETIF_F_LRO) !== 0 ? p.rxGso : null;
  const cnt = p.addon.readBatch(p.fd, buf, 0, buf.length, RX_SLOT, lens, max, csum, gso);
  if (cnt < 0) {
    lens[0] = cnt;
    if (cnt === -EAGAIN) return 0;
    tunReadError(dev, p);
    return -1;
  }
  const big = ETH_HLEN + dev.mtu;
  // The frames of a batch were read within microseconds of each other: one receive time.
  const now = dev.ndNet.clock.now();
  let off = 0;
  for (let i = 0; i < cnt; i++) {
    const n = lens[i]!;
    const skb = netdevAllocSkb(dev, n);
    memcpy(skb.head, skb.data, buf, off, n);
    if (n > 0) skbPut(skb, n);
    const g = gso !== null ? gso[i]! : 0;
    if (g !== 0) {
      // Segments the addon coalesced: handed up as the kernel's TSO super-frames are on the
      // IFF_VNET_HDR path (NEEDS_CSUM over TCP, untrusted GSO).
      skb.ipSummed = CHECKSUM_PARTIAL;
      skb.csumStart = skb.data + ETH_HLEN + 20;
      skb.csumOffset = 16;
      skb.transportHeader = skb.csumStart;
      const sh = skb.shinfo;
      sh.gsoSize = g & 0xffff;
      sh.gsoType = SKB_GSO_TCPV4 | SKB_GSO_DODGY;
      sh.gsoSegs = 0;
      p.stats.rxLro += g >>> 16;
    } else if (n > big) p.stats.rxSpill++;
    if (g === 0 && csum !== null) {
      // igb_rx_checksum: a verified sum spares the stack its own; a bad one is left to it.
      const v = csum[i];
      if (v === RXCSUM_OK) skb.ipSummed = CHECKSUM_UNNECESSARY;
      else if (v === RXCSUM_BAD) p.stats.rxCsumBad++;
    }
    p.rxHdrOff = skb.data;
    off += n;
    tunRxSkb(dev, p, skb, now);
  }
  if (lens[cnt]! < 0 && lens[cnt] !== -EAGAIN) tunReadError(dev, p);
  return cnt;
}

/** A frame read from the fd, its data at the mac header, on its way up (or dropped). */
function tunRxSkb(dev: NetDevice, p: TapPriv, skb: SkBuff, now: number): void {
  const hdrLen = p.hdrLen;
  const frameLen = skb.len;
  if (frameLen < ETH_HLEN) {
    p.stats.rxTooShort++;
    dev.stats.rxLengthErrors++;
    dropRx(dev, skb, SKB_DROP_REASON.PKT_TOO_SMALL);
    return;
  }
  if (hdrLen !== 0) {
    if (virtioNetHdrToSkb(skb, skb.head, p.rxHdrOff) < 0) {
      p.stats.rxBadVnetHdr++;
      dev.stats.rxErrors++;
      dropRx(dev, skb, SKB_DROP_REASON.DEV_HDR);
      return;
    }
  }
  p.stats.rxFrames++;
  p.link.rxPackets++;
  p.link.rxBytes += frameLen;
  skb.tstamp = now;
  ethTypeTrans(skb, dev);
  const sh = skb.shinfo;
  if (sh.gsoSize !== 0) {
    // Already one big segment, as GRO would have made it: send up behind what GRO holds.
    p.stats.rxGso++;
    napiGroFlush(p.napi);
    netifReceiveSkb(skb);
  } else {
    if (skb.ipSummed === CHECKSUM_PARTIAL) p.stats.rxCsumPartial++;
    else if (skb.ipSummed === CHECKSUM_UNNECESSARY) p.stats.rxCsumValid++;
    napiGroReceive(p.napi, skb);
  }
}

/** The NAPI poll: frames until the fd is empty or the budget is spent. */
function tunNapiPoll(napi: NapiStruct, budget: number): number {
  const dev = napi.dev;
  const p = tapPriv(dev);
  let work = 0;
  let broken = false;
  if (p.rxBatch !== null) {
    while (work < budget) {
      const r = tunGetBatch(dev, p, Math.min(budget - work, RX_BATCH));
      if (r < 0) {
        broken = true;
        break;
      }
      work += r;
      // The batch ended on an empty queue or an error: no further read to learn that.
      const why = p.rxLens[r]!;
      if (why !== 0) {
        broken = why !== -EAGAIN;
        break;
      }
    }
  } else {
    while (work < budget) {
      const r = tunGetFrame(dev, p);
      if (r <= 0) {
        broken = r < 0;
        break;
      }
      work++;
    }
  }
  if (work < budget && napiCompleteDone(napi, work)) {
    if (broken) tunLinkLost(dev);
    else setEvents(p, p.events | POLL_READABLE);
  }
  if (work > 0 && p.busyPollUs > 0 && !p.busyPollArmed && !broken) {
    p.busyPollArmed = true;
    setImmediate(p.busyPoll);
  }
  return work;
}

/**
 * Busy polling (Linux's net.core.busy_poll / napi_busy_loop): once the application has run on
 * what the last poll delivered, keep reading the TAP for up to busyPollUs before going back to
 * sleep in epoll, so a request/response peer's next frame is taken without a wakeup.
 */
function tunBusyPoll(dev: NetDevice): void {
  const p = tapPriv(dev);
  p.busyPollArmed = false;
  if (p.poll === null || (p.napi.state & NAPI_STATE_SCHED) !== 0) return;
  const cpu = dev.ndNet.cpus[p.irqCpu]!;
  const before = dev.stats.rxPackets;
  const deadline = performance.now() + p.busyPollUs / 1000;
  do {
    irqEnter(cpu);
    try {
      napiSchedule(p.napi);
    } finally {
      irqExit(cpu);
    }
    if (dev.stats.rxPackets !== before || p.busyPollArmed) {
      p.stats.busyPollHits++;
      return;
    }
  } while (performance.now() < deadline);
}

function dropTx(dev: NetDevice, skb: SkBuff, reason: number): number {
  dev.stats.txDropped++;
  kfreeSkbReason(skb, reason);
  return NETDEV_TX_OK;
}

/**
 * ndo_start_xmit: one write per frame (the kernel's tun_get_user), with the virtio header
 * in front when offloads are on. With the transmit ring the frame is copied into it and the
 * ring's thread writes it, unless it can go inline (nothing queued, and the first frame of
 * this task or a small one); a full ring stops the queue until the thread has made room
 * (onTxRoom). A full socket buffer (-EAGAIN on an inline write) stops the queue until the fd
 * is writable again.
 */
function tunNetXmit(skb: SkBuff, dev: NetDevice): number {
  const p = tapPriv(dev);
  const headlen = skb.len - skb.dataLen;
  const frags = skb.shinfo.frags;
  if (frags.length > MAX_SKB_FRAGS) return dropTx(dev, skb, SKB_DROP_REASON.PKT_TOO_BIG);
  let n: number;
  if (p.tx === null && !p.vnetHdr && frags.length === 0) {
    n = p.addon.write(p.fd, skb.head, skb.data, headlen);
  } else {
    const iov = p.iov;
    let c = 0;
    if (p.vnetHdr || p.nicOffload) {
      if (virtioNetHdrFromSkb(skb, p.txHdr, 0) < 0) {
        p.stats.txWriteErrors++;
        return dropTx(dev, skb, SKB_DROP_REASON.SKB_GSO_SEG);
      }
      iov[0] = p.txHdr;
      iov[1] = 0;
      iov[2] = VIRTIO_NET_HDR_LEN;
      c = 1;
      if (skb.shinfo.gsoSize !== 0) p.stats.txGso++;
      else if (skb.ipSummed === CHECKSUM_PARTIAL) p.stats.txCsumPartial++;
    }
    iov[3 * c] = skb.head;
    iov[3 * c + 1] = skb.data;
    iov[3 * c + 2] = headlen;
    c++;
    for (let i = 0; i < frags.length; i++, c++) {
      const f = frags[i]!;
      iov[3 * c] = f.page;
      iov[3 * c + 1] = f.off;
      iov[3 * c + 2] = f.len;
    }
    if (p.tx !== null) {
      // Written inline when nothing is queued: the first frame of a burst, and small ones
      // (ACKs), for which a hand-off would cost more than the write.
      let inline = skb.len <= TX_INLINE_MAX;
      if (!p.txBurst) {
        p.txBurst = true;
        queueMicrotask(p.txBurstEnd);
        inline = true;
      }
      n = p.addon.txSend(p.tx, iov, c, inline);
    } else {
      n = p.addon.writev(p.fd, iov, c);
    }
    // Keep no references to packet memory between sends.
    for (let i = 0; i < 3 * c; i++) iov[i] = 0;
  }
  if (n === -ENOBUFS) {
    // The ring is full: onTxRoom wakes the queue once the writer has made room.
    p.stats.txBusy++;
    netifTxStopQueue(dev.txQueues[0]!);
    return NETDEV_TX_BUSY;
  }
  if (n === -EAGAIN) {
    p.stats.txBusy++;
    netifTxStopQueue(dev.txQueues[0]!);
    setEvents(p, p.events | POLL_WRITABLE);
    return NETDEV_TX_BUSY;
  }
  if (n < 0) {
    // -EIO: the kernel's side is down; -EINVAL: it refused the frame.
    p.stats.txWriteErrors++;
    dev.stats.txErrors++;
    return dropTx(dev, skb, SKB_DROP_REASON.DEV_READY);
  }
  // Queued frames are counted once the ring's thread has written them (tunTxSync).
  if (n > 0) {
    p.link.txPackets++;
    p.link.txBytes += skb.len;
  }
  consumeSkb(skb);
  return NETDEV_TX_OK;
}

/**
 * ndo_get_stats64: the frames the driver moved across the fd (one per read or write, a TSO
 * super-frame counting once, Ethernet header included), with the errors it counted in
 * dev.stats; devGetStats adds the drops.
 */
function tunGetStats64(dev: NetDevice, s: RtnlLinkStats64): void {
  const p = tapPriv(dev);
  tunTxSync(dev, p);
  const l = p.link;
  s.rxPackets = l.rxPackets;
  s.rxBytes = l.rxBytes;
  s.txPackets = l.txPackets;
  s.txBytes = l.txBytes;
  s.rxErrors = dev.stats.rxErrors;
  s.txErrors = dev.stats.txErrors;
  s.rxLengthErrors = dev.stats.rxLengthErrors;
}

/**
 * Bring the ring's counters into the driver's: the frames its thread wrote (their bytes
 * without the virtio header) and the writes that failed, as write errors and drops.
 */
function tunTxSync(dev: NetDevice, p: TapPriv): void {
  if (p.tx === null) return;
  const b = p.txStatsBuf;
  if (p.addon.txStats(p.tx, b) < 0) return;
  const frames = b[0]! - p.txSeen[0]!;
  const bytes = b[1]! - p.txSeen[1]!;
  const errs = b[2]! - p.txSeen[2]!;
  p.txSeen[0] = b[0]!;
  p.txSeen[1] = b[1]!;
  p.txSeen[2] = b[2]!;
  p.link.txPackets += frames;
  p.link.txBytes += bytes - frames * p.hdrLen;
  if (errs > 0) {
    p.stats.txWriteErrors += errs;
    dev.stats.txErrors += errs;
    dev.stats.txDropped += errs;
  }
}

/** The writer made room in a ring that had refused a frame: as a TX-done interrupt. */
function tunTxRoom(dev: NetDevice): void {
  const p = tapPriv(dev);
  if (p.tx === null) return;
  const cpu = dev.ndNet.cpus[p.irqCpu]!;
  irqEnter(cpu);
  try {
    netifTxWakeQueue(dev.txQueues[0]!);
  } finally {
    irqExit(cpu);
  }
}

/** 0, or the -errno of a ring the offload engines need and could not get. */
function tunTxStart(p: TapPriv): number {
  if (typeof p.addon.txStart !== 'function' || p.txRingLen === 0) return 0;
  const r = p.addon.txStart(p.fd, p.txRingLen, p.onTxRoom, p.nicOffload);
  if (typeof r === 'number') return p.nicOffload ? r : 0; // no thread: every frame is written inline
  p.tx = r;
  p.txSeen.fill(0);
  return 0;
}

function tunTxStop(dev: NetDevice, p: TapPriv): void {
  if (p.tx === null) return;
  p.addon.txStop(p.tx);
  tunTxSync(dev, p);
  p.tx = null;
}

/** ndo_open: unmask the "interrupt" and let NAPI run. */
function tunOpen(dev: NetDevice): number {
  const p = tapPriv(dev);
  napiEnable(p.napi);
  const h = p.addon.pollStart(p.fd, POLL_READABLE, p.onPoll);
  if (typeof h === 'number') {
    napiDisable(p.napi);
    return h;
  }
  p.poll = h;
  p.events = POLL_READABLE;
  const e = tunTxStart(p);
  if (e < 0) {
    p.addon.pollStop(h);
    p.poll = null;
    p.events = 0;
    napiDisable(p.napi);
    return e;
  }
  return 0;
}

/** ndo_stop: stop polling the fd; frames queue in the kernel (and drop there) until reopened. */
function tunStop(dev: NetDevice): number {
  const p = tapPriv(dev);
  if (p.poll !== null) {
    p.addon.pollStop(p.poll);
    p.poll = null;
    p.events = 0;
  }
  tunTxStop(dev, p);
  napiDisable(p.napi);
  return 0;
}

/** ndo_uninit: the fd goes with the device (tun_detach). */
function tunUninit(dev: NetDevice): void {
  const p = tapPriv(dev);
  if (p.poll !== null) {
    p.addon.pollStop(p.poll);
    p.poll = null;
  }
  tunTxStop(dev, p);
  if (p.fd >= 0) {
    p.addon.close(p.fd);
    p.fd = -1;
  }
  if (p.rxBig !== null) {
    consumeSkb(p.rxBig);
    p.rxBig = null;
  }
}

function tunChangeMtu(dev: NetDevice, mtu: number): number {
  // Receive buffers are sized from dev.mtu at each read, so nothing else changes.
  dev.mtu = mtu;
  return 0;
}

export const tapNetdevOps: NetDeviceOps = Object.freeze({
  name: 'tap',
  ndoOpen: tunOpen,
  ndoStop: tunStop,
  ndoStartXmit: tunNetXmit,
  ndoChangeMtu: tunChangeMtu,
  ndoGetStats64: tunGetStats64,
  ndoUninit: tunUninit,
});

function netnsPath(ns: string): string {
  return ns.includes('/') ? ns : `/var/run/netns/${ns}`;
}

/**
 * Open (creating if needed) the Linux TAP interface `ifname` and register a knet Ethernet
 * device on it in `net`. Throws ErrnoError when the addon is missing (ENOSYS, with the
 * reason), or the kernel refuses (EPERM without CAP_NET_ADMIN, EBUSY when taken ...).
 */
export function tapOpen(net: Net, ifname: string, opts: TapOpenOpts = {}): NetDevice {
  const { addon, reason } = loadTapAddon();
  if (addon === null) throw new ErrnoError(ENOSYS, 'tapOpen', reason);
  const vnet = opts.vnetHdr === true;
  const mtu = opts.mtu ?? ETH_DATA_LEN;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > ETH_MAX_MTU - ETH_HLEN) throw new ErrnoError(EINVAL, 'tapOpen', `mtu ${mtu}`);
  let mac: Uint8Array | null = null;
  if (opts.mac !== undefined) {
    mac = ethAddrFromString(opts.mac);
    if (mac === null || !isValidEtherAddr(mac)) throw new ErrnoError(EINVAL, 'tapOpen', `mac ${opts.mac}`);
  }
  const txRingLen = opts.txRing ?? TX_RING_LEN;
  if (!Number.isInteger(txRingLen) || (txRingLen !== 0 && (txRingLen < 65536 || txRingLen > 1 << 30))) {
    throw new ErrnoError(EINVAL, 'tapOpen', `txRing ${txRingLen}`);
  }
  const busyPollUs = opts.busyPollUs ?? 0;
  if (!Number.isInteger(busyPollUs) || busyPollUs < 0 || busyPollUs > 1_000_000) {
    throw new ErrnoError(EINVAL, 'tapOpen', `busyPollUs ${busyPollUs}`);
  }
  // The engines live in the transmit ring's writer; an addon without one cannot offer them.
  const nicOffload = !vnet && opts.nicOffload !== false && txRingLen !== 0 && typeof addon.txStart === 'function' &&
    typeof addon.readBatch === 'function';
  const r = addon.open(ifname, vnet, false, opts.netns !== undefined ? netnsPath(opts.netns) : null);
  if (typeof r === 'number') throw new ErrnoError(r, 'tapOpen', ifname);
  const [fd, kname] = r;
  const fail = (err: number, what: string): never => {
    addon.close(fd);
    throw new ErrnoError(err, 'tapOpen', what);
  };
  if (vnet) {
    let e = addon.setVnetHdrSz(fd, VIRTIO_NET_HDR_LEN);
    if (e < 0) fail(e, 'TUNSETVNETHDRSZ');
    // The kernel may now hand us unfinished checksums and TCPv4 super-frames.
    e = addon.setOffload(fd, TUN_F_CSUM | TUN_F_TSO4);
    if (e < 0) fail(e, 'TUNSETOFFLOAD');
  } else {
    // A persistent TAP keeps the offloads its last owner asked for; without a virtio-net
    // header the kernel must hand us finished frames, so clear them.
    const e = addon.setOffload(fd, 0);
    if (e < 0) fail(e, 'TUNSETOFFLOAD');
  }
  const dev = allocEtherdev(net, opts.devName ?? kname);
  dev.netdevOps = tapNetdevOps;
  dev.mtu = mtu;
  dev.maxMtu = ETH_MAX_MTU - ETH_HLEN;
  if (vnet || nicOffload) {
    dev.features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM;
    // The addon's coalescing keeps to GRO's rules, so its frames can be resegmented exactly
    // (as NETIF_F_GRO_HW, which forwarding may keep on).
    if (nicOffload) dev.features |= NETIF_F_LRO;
    dev.hwFeatures = dev.features;
  }
  if (mac !== null) dev.devAddr.set(mac);
  else ethHwAddrRandom(dev);
  const priv: TapPriv = {
    addon,
    fd,
    ifname: kname,
    vnetHdr: vnet,
    hdrLen: vnet ? VIRTIO_NET_HDR_LEN : 0,
    nicOffload,
    napi: null as unknown as NapiStruct,
    poll: null,
    events: 0,
    spare: new Uint8Array(SPARE_LEN),
    rxBatch: !vnet && typeof addon.readBatch === 'function' ? new Uint8Array(RX_BATCH_LEN) : null,
    rxLens: new Int32Array(RX_BATCH + 1),
    rxCsum: new Uint8Array(RX_BATCH),
    rxGso: new Int32Array(RX_BATCH),
    rxBig: null,
    rxHdrOff: 0,
    txHdr: new Uint8Array(VIRTIO_NET_HDR_LEN),
    iov: new Array<Uint8Array | number>(3 * (MAX_SKB_FRAGS + 2)).fill(0),
    tx: null,
    txRingLen,
    txBurst: false,
    txBurstEnd: () => {
      priv.txBurst = false;
    },
    onTxRoom: () => tunTxRoom(dev),
    txStatsBuf: new Float64Array(5),
    txSeen: new Float64Array(3),
    irqCpu: 0,
    onPoll: (status, events) => tunInterrupt(dev, status, events),
    busyPollUs,
    busyPollArmed: false,
    busyPoll: () => tunBusyPoll(dev),
    stats: newTapStats(),
    link: { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 },
  };
  dev.priv = priv;
  priv.napi = netifNapiAdd(dev, tunNapiPoll, NAPI_POLL_WEIGHT);
  dev.ethtoolOps = {
    name: 'tap',
    getDrvinfo: () => ({ driver: 'tun', version: '1.6', busInfo: 'tap' }),
    getLink: (d) => d.carrier,
    getEthtoolStats: (d) => {
      tunTxSync(d, tapPriv(d));
      return { ...tapPriv(d).stats };
    },
  };
  const idx = registerNetdev(dev);
  if (idx < 0) fail(idx, `register ${dev.name}`);
  return dev;
}

/** Unregister the device and close its fd (the kernel interface goes away unless persistent). */
export function tapClose(dev: NetDevice): void {
  if (dev.registered) unregisterNetdev(dev);
  else tunUninit(dev);
}
