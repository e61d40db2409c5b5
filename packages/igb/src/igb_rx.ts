// The receive half of igb_main.c: igb_clean_rx_irq and the buffer handling around it.
//
// Buffers are 2 KiB blocks of DMA memory, posted in batches of IGB_RX_BUFFER_WRITE with one RDT
// write. A received buffer is copied into a pooled skb and the block goes straight back to the
// ring (igb_reuse_rx_page). Linux can also hand its half-page to the stack as a frag because
// the page refcount tells it when the stack is done; skb frags here carry no such count, so a
// recycled buffer could be overwritten under a queued skb. Copying keeps the steady state
// allocation-free (skb data comes from the skbuff pools) at the cost of one memcpy per frame.
import type { SkBuff } from '@knet/include';
import {
  CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, NETIF_F_RXCSUM, NETIF_F_RXHASH, SKB_DROP_REASON,
} from '@knet/include';
import { ethTypeTrans, napiGroReceive, traceEvent } from '@knet/netdevice';
import { kfreeSkbReason, memcpy, netdevAllocSkb, skbPut, skbTailroom } from '@knet/skbuff';
import {
  E1000_RXD_STAT_DD, E1000_RXD_STAT_EOP, E1000_RXD_STAT_IXSM, E1000_RXD_STAT_TCPCS,
  E1000_RXD_STAT_UDPCS, E1000_RXDEXT_STATERR_IPE, E1000_RXDEXT_STATERR_L4E,
  E1000_RXDEXT_STATERR_RXE,
} from './e1000_defines.js';
import {
  IGB_RX_BUFFER_WRITE, IGB_RXBUFFER_2048, igbDescUnused, rd32, wr64, type IgbQVector,
  type IgbRing, type IgbRxBuffer,
} from './igb.js';

/** igb_alloc_mapped_page: a DMA buffer for a slot that has none (only while the ring fills). */
function igbAllocMappedPage(ring: IgbRing, bi: IgbRxBuffer): boolean {
  if (bi.page !== null) return true;
  const pg = ring.adapter.pdev.dma.dmaAllocCoherent(IGB_RXBUFFER_2048, 128);
  if (pg.buf.length < IGB_RXBUFFER_2048) {
    ring.stats.allocFailed++;
    return false;
  }
  ring.pages.push(pg.dma);
  bi.dma = pg.dma;
  bi.page = pg.buf;
  bi.pageOffset = 0;
  return true;
}

/** igb_alloc_rx_buffers: post `cleanedCount` buffers from next_to_use, then bump RDT once. */
export function igbAllocRxBuffers(ring: IgbRing, cleanedCount: number): void {
  if (cleanedCount === 0) return;
  const net = ring.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbAllocRxBuffers', `q=${ring.queueIndex} n=${cleanedCount}`);
  let i = ring.nextToUse;
  const desc = ring.desc;
  do {
    const bi = ring.rxBufferInfo[i];
    if (!igbAllocMappedPage(ring, bi)) break;
    // Read format: packet address, then a zero header address, which also clears DD.
    wr64(desc, i << 4, bi.dma + bi.pageOffset);
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

/** igb_reuse_rx_page: the buffer goes back to the ring at next_to_alloc. */
function igbReuseRxPage(ring: IgbRing, old: IgbRxBuffer): void {
  const nta = ring.nextToAlloc;
  const nb = ring.rxBufferInfo[nta];
  ring.nextToAlloc = nta + 1 < ring.count ? nta + 1 : 0;
  if (nb === old) return;
  nb.page = old.page;
  nb.dma = old.dma;
  nb.pageOffset = old.pageOffset;
  old.page = null;
}

/** igb_construct_skb: a pooled skb sized for the largest frame, with the first buffer in it. */
function igbConstructSkb(ring: IgbRing, bi: IgbRxBuffer, size: number): SkBuff | null {
  const dev = ring.adapter.netdev;
  const skb = netdevAllocSkb(dev, dev.mtu + ETH_HLEN + 8);
  if (skbTailroom(skb) < size) {
    kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_BIG);
    return null;
  }
  const at = skbPut(skb, size);
  memcpy(skb.head, at, bi.page!, bi.pageOffset, size);
  return skb;
}

/** igb_add_rx_frag, copying: a later buffer of a multi-descriptor frame. False if it cannot fit. */
function igbAddRxFrag(skb: SkBuff, bi: IgbRxBuffer, size: number): boolean {
  if (skbTailroom(skb) < size) return false;
  const at = skbPut(skb, size);
  memcpy(skb.head, at, bi.page!, bi.pageOffset, size);
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
    let ok = size <= IGB_RXBUFFER_2048 && !ring.discard;
    if (ok) {
      if (skb === null) ok = (skb = igbConstructSkb(ring, bi, size)) !== null;
      else ok = igbAddRxFrag(skb, bi, size);
    }
    igbReuseRxPage(ring, bi);
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

/** igb_clean_rx_ring: free a partial frame and forget the posted buffers. */
export function igbCleanRxRing(ring: IgbRing): void {
  if (ring.skb !== null) kfreeSkbReason(ring.skb, SKB_DROP_REASON.DEV_DOWN);
  ring.skb = null;
  ring.discard = false;
  ring.nextToClean = ring.nextToUse = ring.nextToAlloc = 0;
  ring.desc.fill(0);
}
