// The receive half of igb_main.c: igb_clean_rx_irq and the buffer handling around it.
//
// Each RX slot holds an skb whose data area is mapped for the device (dma_map_single), as igb
// and e1000 did before half-page buffers: the 82576 writes the frame straight into the skb that
// goes up the stack, and the slot gets a fresh pooled skb when the ring is refilled. Buffers
// are posted in batches of IGB_RX_BUFFER_WRITE with one RDT write. Linux now attaches pages as
// frags instead; here GRO merges linear skbs, so a linear skb per frame is what the stack wants.
// A frame that spans descriptors (jumbo MTU) is copied on into the first skb; the later
// buffers stay in their slots. Steady state allocates nothing: skbs come from the skbuff pools.
import type { SkBuff } from '@knet/include';
import {
  CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_DATA_LEN, ETH_HLEN, NETIF_F_RXCSUM, NETIF_F_RXHASH, SKB_DROP_REASON,
} from '@knet/include';
import { ethTypeTrans, napiGroReceive, traceEvent } from '@knet/netdevice';
import {
  consumeSkb, kfreeSkbReason, memcpy, netdevAllocSkb, pskbExpandHead, skbPut, skbTailroom,
} from '@knet/skbuff';
import {
  E1000_RXD_STAT_DD, E1000_RXD_STAT_EOP, E1000_RXD_STAT_IXSM, E1000_RXD_STAT_TCPCS,
  E1000_RXD_STAT_UDPCS, E1000_RXDEXT_STATERR_IPE, E1000_RXDEXT_STATERR_L4E,
  E1000_RXDEXT_STATERR_RXE,
} from './e1000_defines.js';
import {
  IGB_RX_BUFFER_WRITE, IGB_RXBUFFER_2048, igbDescUnused, rd32, wr64, type IgbQVector,
  type IgbRing, type IgbRxBuffer,
} from './igb.js';

/** The largest frame the stack takes from this ring: MTU, Ethernet header, VLAN tag and slack. */
export function igbRxMaxFrame(ring: IgbRing): number {
  return ring.adapter.netdev.mtu + ETH_HLEN + 8;
}

/**
 * The bytes each RX buffer holds: SRRCTL's 2 KiB with long packets on (RCTL.LPE, MTU above
 * 1500); without LPE the MAC takes no frame longer than the standard maximum, so a buffer of
 * that size, which fits a 2 KiB pool buffer with its headroom, is enough.
 */
export function igbRxBufLen(ring: IgbRing): number {
  return ring.adapter.netdev.mtu > ETH_DATA_LEN ? IGB_RXBUFFER_2048 : igbRxMaxFrame(ring);
}

/** igb_alloc_mapped_skb: a pooled skb for a slot that has none, its data mapped for the device. */
function igbAllocMappedSkb(ring: IgbRing, bi: IgbRxBuffer, bufLen: number): boolean {
  if (bi.skb !== null) return true;
  const skb = netdevAllocSkb(ring.adapter.netdev, bufLen);
  const dma = ring.adapter.pdev.dma.dmaMapSingle(skb.head, skb.data, skbTailroom(skb));
  if (dma === 0) {
    consumeSkb(skb);
    ring.stats.allocFailed++;
    return false;
  }
  bi.skb = skb;
  bi.dma = dma;
  return true;
}

/** Unmap a slot's skb and take it out of the ring. */
function igbTakeRxSkb(ring: IgbRing, bi: IgbRxBuffer): SkBuff {
  const skb = bi.skb!;
  ring.adapter.pdev.dma.dmaUnmapSingle(bi.dma);
  bi.skb = null;
  bi.dma = 0;
  return skb;
}

/** igb_alloc_rx_buffers: post `cleanedCount` buffers from next_to_use, then bump RDT once. */
export function igbAllocRxBuffers(ring: IgbRing, cleanedCount: number): void {
  if (cleanedCount === 0) return;
  const net = ring.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbAllocRxBuffers', `q=${ring.queueIndex} n=${cleanedCount}`);
  let i = ring.nextToUse;
  const desc = ring.desc;
  const bufLen = igbRxBufLen(ring);
  do {
    const bi = ring.rxBufferInfo[i];
    if (!igbAllocMappedSkb(ring, bi, bufLen)) break;
    // Read format: packet address, then a zero header address, which also clears DD.
    wr64(desc, i << 4, bi.dma);
    wr64(desc, (i << 4) + 8, 0);
    i++;
    if (i === ring.count) i = 0;
  } while (--cleanedCount > 0);
  if (ring.nextToUse !== i) {
    ring.nextToUse = i;
    ring.nextToAlloc = i;
    ring.adapter.pdev.writel(ring.tail, i);
  }
}

/** igb_fetch_rx_buffer: the buffer at next_to_clean, with `size` bytes the device wrote. */
export function igbFetchRxBuffer(ring: IgbRing, size: number): IgbRxBuffer {
  const net = ring.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbFetchRxBuffer', `len=${size}`);
  return ring.rxBufferInfo[ring.nextToClean];
}

/** The first buffer of a frame: its skb leaves the ring with the `size` bytes the device wrote. */
function igbConstructSkb(ring: IgbRing, bi: IgbRxBuffer, size: number): SkBuff {
  const skb = igbTakeRxSkb(ring, bi);
  skbPut(skb, size);
  return skb;
}

/**
 * igb_add_rx_frag, copying: a later buffer of a multi-descriptor frame goes on into the first
 * skb (grown when it has no room), and the buffer stays in its slot. False past `maxFrame`.
 */
function igbAddRxFrag(skb: SkBuff, bi: IgbRxBuffer, size: number, maxFrame: number): boolean {
  if (skb.len + size > maxFrame) return false;
  if (skbTailroom(skb) < size && pskbExpandHead(skb, 0, size - skbTailroom(skb)) !== 0) return false;
  const at = skbPut(skb, size);
  const src = bi.skb!;
  memcpy(skb.head, at, src.head, src.data, size);
  return true;
}

/** igb_rx_checksum: trust the device's verdict only when it checked an L4 checksum and liked it. */
function igbRxChecksum(ring: IgbRing, staterr: number, skb: SkBuff): void {
  skb.ipSummed = CHECKSUM_NONE;
  if (staterr & E1000_RXD_STAT_IXSM) return;
  if (!(ring.adapter.netdev.features & NETIF_F_RXCSUM)) return;
  if (staterr & (E1000_RXDEXT_STATERR_L4E | E1000_RXDEXT_STATERR_IPE)) {
    // The stack verifies again and drops with its own reason; we only count.
    ring.stats.csumErr++;
    return;
  }
  if (staterr & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_UDPCS)) skb.ipSummed = CHECKSUM_UNNECESSARY;
}

/** igb_rx_hash: the Toeplitz hash the device wrote (RXCSUM.PCSD), so RPS needs no software hash. */
function igbRxHash(ring: IgbRing, desc: Uint8Array, o: number, skb: SkBuff): void {
  if (ring.adapter.netdev.features & NETIF_F_RXHASH && (rd32(desc, o) & 0xf) !== 0) skb.hash = rd32(desc, o + 4);
}

/**
 * igb_clean_rx_irq: deliver up to `budget` frames whose descriptors the device wrote back,
 * refilling the ring as it goes. Returns the frames delivered.
 */
export function igbCleanRxIrq(qv: IgbQVector, budget: number): number {
  const ring = qv.rx!;
  const adapter = ring.adapter;
  const net = adapter.net;
  const dev = adapter.netdev;
  if (net.trace !== null) traceEvent(net, 'igbCleanRxIrq', `q=${ring.queueIndex}`);
  const desc = ring.desc;
  let skb = ring.skb;
  let totalPackets = 0, totalBytes = 0;
  let cleanedCount = igbDescUnused(ring);
  const maxFrame = igbRxMaxFrame(ring);
  while (totalPackets < budget) {
    if (cleanedCount >= IGB_RX_BUFFER_WRITE) {
      igbAllocRxBuffers(ring, cleanedCount);
      cleanedCount = 0;
    }
    const ntc = ring.nextToClean;
    const o = ntc << 4;
    const staterr = rd32(desc, o + 8);
    if (!(staterr & E1000_RXD_STAT_DD)) break;
    const size = rd32(desc, o + 12) & 0xffff;
    const bi = igbFetchRxBuffer(ring, size);
    let ok = size <= IGB_RXBUFFER_2048 && !ring.discard && bi.skb !== null;
    if (ok) {
      if (skb === null) ok = (skb = igbConstructSkb(ring, bi, size)).len <= maxFrame;
      else ok = igbAddRxFrag(skb, bi, size, maxFrame);
    }
    cleanedCount++;
    ring.nextToClean = ntc + 1 < ring.count ? ntc + 1 : 0;
    if (!ok) {
      // A frame longer than the MTU allows: drop it, and skip its buffers up to EOP.
      if (skb !== null) kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_BIG);
      if (skb !== null || !ring.discard) {
        ring.stats.drops++;
        dev.stats.rxLengthErrors++;
      }
      skb = null;
      ring.discard = (staterr & E1000_RXD_STAT_EOP) === 0;
      continue;
    }
    if (!(staterr & E1000_RXD_STAT_EOP)) continue;
    const frame: SkBuff = skb!;
    skb = null;
    // igb_cleanup_headers: frame errors, and runts the MAC let through.
    if (staterr & E1000_RXDEXT_STATERR_RXE || frame.len < ETH_HLEN) {
      dev.stats.rxErrors++;
      kfreeSkbReason(frame, frame.len < ETH_HLEN ? SKB_DROP_REASON.PKT_TOO_SMALL : SKB_DROP_REASON.FCS_CORRUPT);
      continue;
    }
    totalBytes += frame.len;
    igbRxHash(ring, desc, o, frame);
    igbRxChecksum(ring, staterr, frame);
    frame.queueMapping = ring.queueIndex;
    frame.tstamp = net.clock.now();
    ethTypeTrans(frame, dev);
    napiGroReceive(qv.napi, frame);
    totalPackets++;
  }
  ring.skb = skb;
  ring.stats.packets += totalPackets;
  ring.stats.bytes += totalBytes;
  qv.rxc.totalPackets += totalPackets;
  qv.rxc.totalBytes += totalBytes;
  if (cleanedCount !== 0) igbAllocRxBuffers(ring, cleanedCount);
  return totalPackets;
}

/** igb_clean_rx_ring: free a partial frame and the posted buffers. */
export function igbCleanRxRing(ring: IgbRing): void {
  if (ring.skb !== null) kfreeSkbReason(ring.skb, SKB_DROP_REASON.DEV_DOWN);
  ring.skb = null;
  // Unused receive buffers, not packets: nothing is dropped.
  for (const bi of ring.rxBufferInfo) if (bi.skb !== null) consumeSkb(igbTakeRxSkb(ring, bi));
  ring.discard = false;
  ring.nextToClean = ring.nextToUse = ring.nextToAlloc = 0;
  ring.desc.fill(0);
}
