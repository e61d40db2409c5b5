// The transmit half of igb_main.c: igb_xmit_frame down to the TDT doorbell, and
// igb_clean_tx_irq when the device has written DD back.
import type { NetDevice, SkBuff } from '@knet/include';
import {
  CHECKSUM_PARTIAL, IPPROTO_TCP, NETDEV_TX_BUSY, NETDEV_TX_OK, SKB_DROP_REASON,
} from '@knet/include';
import { netifTxQueueStopped, netifTxStopQueue, netifTxWakeQueue, traceEvent } from '@knet/netdevice';
import {
  consumeSkb, csumTcpudpMagic, getUint32, kfreeSkbReason, pskbExpandHead, putUint16,
  skbChecksumHelp, skbCloned, skbHeadlen,
} from '@knet/skbuff';
import {
  E1000_ADVTXD_DCMD_DEXT, E1000_ADVTXD_DCMD_EOP, E1000_ADVTXD_DCMD_IFCS, E1000_ADVTXD_DCMD_RS,
  E1000_ADVTXD_DCMD_TSE, E1000_ADVTXD_DTYP_CTXT, E1000_ADVTXD_DTYP_DATA, E1000_ADVTXD_L4LEN_SHIFT,
  E1000_ADVTXD_MACLEN_SHIFT, E1000_ADVTXD_MSS_SHIFT, E1000_ADVTXD_PAYLEN_SHIFT,
  E1000_ADVTXD_POPTS_IXSM, E1000_ADVTXD_POPTS_TXSM, E1000_ADVTXD_TUCMD_IPV4,
  E1000_ADVTXD_TUCMD_L4T_TCP, E1000_ADVTXD_TUCMD_L4T_UDP, E1000_TXD_STAT_DD,
} from './e1000_defines.js';
import {
  DESC_NEEDED, IGB_MAX_DATA_PER_TXD, IGB_TX_FLAGS_CSUM, IGB_TX_FLAGS_IPV4, IGB_TX_FLAGS_TSO,
  TX_WAKE_THRESHOLD, igbDescUnused, netdevPriv, txdUseCount, wr32, wr64, type IgbQVector,
  type IgbRing, type IgbTxBuffer,
} from './igb.js';

/** igb_maybe_stop_tx: stop the queue unless `size` descriptors are free; -EBUSY if still short. */
export function igbMaybeStopTx(ring: IgbRing, size: number): number {
  if (igbDescUnused(ring) >= size) return 0;
  const txq = ring.adapter.netdev.txQueues[ring.queueIndex];
  netifTxStopQueue(txq);
  // Linux re-checks after a barrier: a clean on another CPU may have freed room meanwhile.
  if (igbDescUnused(ring) < size) return -16;
  netifTxWakeQueue(txq);
  ring.stats.restartQueue++;
  return 0;
}

/** igb_tx_ctxtdesc: one context descriptor at next_to_use. */
function igbTxCtxtdesc(ring: IgbRing, vlanMacipLens: number, typeTucmd: number, mssL4lenIdx: number): void {
  const i = ring.nextToUse;
  const o = i << 4;
  wr32(ring.desc, o, vlanMacipLens);
  wr32(ring.desc, o + 4, 0);
  wr32(ring.desc, o + 8, (typeTucmd | E1000_ADVTXD_DTYP_CTXT | E1000_ADVTXD_DCMD_DEXT) >>> 0);
  wr32(ring.desc, o + 12, mssL4lenIdx);
  ring.nextToUse = i + 1 < ring.count ? i + 1 : 0;
}

/** skb_cow_head: headers we rewrite must not be shared with a clone (TCP keeps one). */
function igbCowHead(skb: SkBuff): boolean {
  return !skbCloned(skb) || pskbExpandHead(skb, 0, 0) === 0;
}

/**
 * igb_tso: a context descriptor for a GSO skb. 1 when TSO is set up, 0 when the skb is not
 * GSO, -1 when it cannot be (the caller drops it).
 */
export function igbTso(ring: IgbRing, first: IgbTxBuffer): number {
  const skb = first.skb!;
  if (skb.ipSummed !== CHECKSUM_PARTIAL || skb.shinfo.gsoSize === 0) return 0;
  const net = ring.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbTso', `mss=${skb.shinfo.gsoSize}`);
  const ip = skb.networkHeader, l4 = skb.transportHeader;
  if (ip < skb.data || l4 < ip + 20 || l4 + 20 > skb.tail || skb.head[ip + 9] !== IPPROTO_TCP) return -1;
  if (!igbCowHead(skb)) return -1;
  const b = skb.head;
  const l4len = (b[l4 + 12] >> 4) << 2;
  if (l4len < 20 || l4 + l4len > skb.tail) return -1;
  // The device writes each segment's total length and header checksum itself.
  putUint16(b, ip + 2, 0);
  putUint16(b, ip + 10, 0);
  // It adds each segment's length to the TCP checksum, so the seed is the pseudo-header
  // sum without one (what csum_replace_by_diff leaves in Linux).
  const seed = ~csumTcpudpMagic(getUint32(b, ip + 12), getUint32(b, ip + 16), 0, IPPROTO_TCP, 0) & 0xffff;
  putUint16(b, l4 + 16, seed);
  const hdrLen = l4 + l4len - skb.data;
  const mss = skb.shinfo.gsoSize;
  const segs = Math.ceil((skb.len - hdrLen) / mss);
  first.gsoSegs = segs;
  first.bytecount += (segs - 1) * hdrLen;
  first.hdrLen = hdrLen;
  first.txFlags |= IGB_TX_FLAGS_TSO | IGB_TX_FLAGS_CSUM | IGB_TX_FLAGS_IPV4;
  igbTxCtxtdesc(
    ring,
    ((ip - skb.data) << E1000_ADVTXD_MACLEN_SHIFT) | (l4 - ip),
    E1000_ADVTXD_TUCMD_IPV4 | E1000_ADVTXD_TUCMD_L4T_TCP,
    ((mss << E1000_ADVTXD_MSS_SHIFT) | (l4len << E1000_ADVTXD_L4LEN_SHIFT)) >>> 0,
  );
  return 1;
}

/** igb_tx_csum: a context descriptor for CHECKSUM_PARTIAL (TCP or UDP), else software help. */
export function igbTxCsum(ring: IgbRing, first: IgbTxBuffer): void {
  const skb = first.skb!;
  if (skb.ipSummed !== CHECKSUM_PARTIAL) return;
  const net = ring.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbTxCsum');
  let tucmd: number;
  // csum_offset says which header the field is in: tcphdr.check or udphdr.check.
  if (skb.csumOffset === 16) tucmd = E1000_ADVTXD_TUCMD_L4T_TCP;
  else if (skb.csumOffset === 6) tucmd = E1000_ADVTXD_TUCMD_L4T_UDP;
  else {
    skbChecksumHelp(skb);
    return;
  }
  const start = skb.csumStart, ip = skb.networkHeader;
  if (ip < skb.data || start <= ip || start + skb.csumOffset + 2 > skb.tail) {
    skbChecksumHelp(skb);
    return;
  }
  first.txFlags |= IGB_TX_FLAGS_CSUM;
  igbTxCtxtdesc(ring, ((ip - skb.data) << E1000_ADVTXD_MACLEN_SHIFT) | (start - ip), tucmd, 0);
}

/** Map `len` bytes for the device; 0 on failure. */
function mapSingle(ring: IgbRing, buf: Uint8Array, off: number, len: number): number {
  return ring.adapter.pdev.dma.dmaMapSingle(buf, off, len);
}

function unmap(ring: IgbRing, tb: IgbTxBuffer): void {
  if (tb.len !== 0) ring.adapter.pdev.dma.dmaUnmapSingle(tb.dma);
  tb.len = 0;
  tb.dma = 0;
}

/**
 * igb_tx_map: data descriptors for the linear part and each frag (split at
 * IGB_MAX_DATA_PER_TXD), EOP|RS on the last, then the TDT doorbell. -1 if a mapping failed.
 */
export function igbTxMap(ring: IgbRing, first: IgbTxBuffer): number {
  const net = ring.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbTxMap');
  const skb = first.skb!;
  const flags = first.txFlags;
  let cmdType = E1000_ADVTXD_DTYP_DATA | E1000_ADVTXD_DCMD_DEXT | E1000_ADVTXD_DCMD_IFCS;
  if (flags & IGB_TX_FLAGS_TSO) cmdType |= E1000_ADVTXD_DCMD_TSE;
  let olinfo = (skb.len - first.hdrLen) << E1000_ADVTXD_PAYLEN_SHIFT;
  if (flags & IGB_TX_FLAGS_CSUM) olinfo |= E1000_ADVTXD_POPTS_TXSM;
  if (flags & IGB_TX_FLAGS_IPV4) olinfo |= E1000_ADVTXD_POPTS_IXSM;
  const desc = ring.desc;
  const frags = skb.shinfo.frags;
  let i = ring.nextToUse;
  let size = skbHeadlen(skb);
  let dma = mapSingle(ring, skb.head, skb.data, size);
  let tb = first;
  for (let f = 0; ; f++) {
    if (dma === 0) {
      igbUnmapChain(ring, first, i);
      return -1;
    }
    tb.len = size;
    tb.dma = dma;
    while (size > IGB_MAX_DATA_PER_TXD) {
      wr64(desc, i << 4, dma);
      wr32(desc, (i << 4) + 8, (cmdType | IGB_MAX_DATA_PER_TXD) >>> 0);
      wr32(desc, (i << 4) + 12, olinfo >>> 0);
      olinfo = 0;
      i = i + 1 < ring.count ? i + 1 : 0;
      dma += IGB_MAX_DATA_PER_TXD;
      size -= IGB_MAX_DATA_PER_TXD;
    }
    if (f === frags.length) break;
    wr64(desc, i << 4, dma);
    wr32(desc, (i << 4) + 8, (cmdType | size) >>> 0);
    wr32(desc, (i << 4) + 12, olinfo >>> 0);
    olinfo = 0;
    i = i + 1 < ring.count ? i + 1 : 0;
    const frag = frags[f];
    size = frag.len;
    dma = mapSingle(ring, frag.page, frag.off, size);
    tb = ring.txBufferInfo[i];
  }
  wr64(desc, i << 4, dma);
  wr32(desc, (i << 4) + 8, (cmdType | size | E1000_ADVTXD_DCMD_EOP | E1000_ADVTXD_DCMD_RS) >>> 0);
  wr32(desc, (i << 4) + 12, olinfo >>> 0);
  first.timeStamp = net.clock.now();
  // Set last: igb_clean_tx_irq treats a non-negative next_to_watch as a finished chain.
  first.nextToWatch = i;
  i = i + 1 < ring.count ? i + 1 : 0;
  ring.nextToUse = i;
  igbMaybeStopTx(ring, DESC_NEEDED);
  ring.adapter.pdev.writel(ring.tail, i);
  return 0;
}

/** Undo the mappings of a chain that failed before its doorbell, back to `first`. */
function igbUnmapChain(ring: IgbRing, first: IgbTxBuffer, upTo: number): void {
  let i = upTo;
  for (;;) {
    const tb = ring.txBufferInfo[i];
    unmap(ring, tb);
    if (tb === first) break;
    i = i === 0 ? ring.count - 1 : i - 1;
  }
}

/** igb_xmit_frame_ring: room check, offload context, descriptors. */
export function igbXmitFrameRing(skb: SkBuff, ring: IgbRing): number {
  const adapter = ring.adapter;
  const net = adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbXmitFrameRing', `q=${ring.queueIndex}`);
  // One descriptor per IGB_MAX_DATA_PER_TXD of each buffer, plus context and the gap.
  let count = txdUseCount(skbHeadlen(skb));
  const frags = skb.shinfo.frags;
  for (let f = 0; f < frags.length; f++) count += txdUseCount(frags[f].len);
  if (igbMaybeStopTx(ring, count + 3) !== 0) {
    ring.stats.txBusy++;
    return NETDEV_TX_BUSY;
  }
  const start = ring.nextToUse;
  const first = ring.txBufferInfo[start];
  first.skb = skb;
  first.bytecount = skb.len;
  first.gsoSegs = 1;
  first.txFlags = 0;
  first.hdrLen = 0;
  const tso = igbTso(ring, first);
  let failed = tso < 0;
  if (!failed) {
    if (tso === 0) igbTxCsum(ring, first);
    failed = igbTxMap(ring, first) < 0;
  }
  if (failed) {
    first.skb = null;
    ring.nextToUse = start;
    ring.stats.drops++;
    adapter.netdev.stats.txDropped++;
    kfreeSkbReason(skb, tso < 0 ? SKB_DROP_REASON.SKB_GSO_SEG : SKB_DROP_REASON.NOMEM);
  }
  return NETDEV_TX_OK;
}

/** igb_xmit_frame: ndo_start_xmit. The queue comes from skb.queueMapping (netdev_pick_tx). */
export function igbXmitFrame(skb: SkBuff, dev: NetDevice): number {
  const adapter = netdevPriv(dev);
  const net = adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbXmitFrame');
  if (!adapter.up) {
    kfreeSkbReason(skb, SKB_DROP_REASON.DEV_DOWN);
    return NETDEV_TX_OK;
  }
  const n = adapter.txRing.length;
  const q = skb.queueMapping < n ? skb.queueMapping : skb.queueMapping % n;
  return igbXmitFrameRing(skb, adapter.txRing[q]);
}

/**
 * igb_clean_tx_irq: free every packet whose EOP descriptor has DD, up to the work limit; wake
 * the queue once TX_WAKE_THRESHOLD descriptors are free. True when the ring is clean.
 */
export function igbCleanTxIrq(qv: IgbQVector, _napiBudget: number): boolean {
  const ring = qv.tx!;
  const adapter = ring.adapter;
  const net = adapter.net;
  if (!adapter.up) return true;
  if (net.trace !== null) traceEvent(net, 'igbCleanTxIrq', `q=${ring.queueIndex}`);
  const desc = ring.desc;
  let i = ring.nextToClean;
  let budget = qv.txWorkLimit;
  let totalBytes = 0, totalPackets = 0;
  while (budget > 0) {
    const tb = ring.txBufferInfo[i];
    const eop = tb.nextToWatch;
    if (eop < 0) break;
    if (!(desc[(eop << 4) + 12] & E1000_TXD_STAT_DD)) break;
    tb.nextToWatch = -1;
    totalBytes += tb.bytecount;
    totalPackets += tb.gsoSegs;
    consumeSkb(tb.skb!);
    tb.skb = null;
    unmap(ring, tb);
    while (i !== eop) {
      i = i + 1 < ring.count ? i + 1 : 0;
      unmap(ring, ring.txBufferInfo[i]);
    }
    i = i + 1 < ring.count ? i + 1 : 0;
    budget--;
  }
  ring.nextToClean = i;
  ring.stats.packets += totalPackets;
  ring.stats.bytes += totalBytes;
  qv.txc.totalPackets += totalPackets;
  qv.txc.totalBytes += totalBytes;
  const dev = adapter.netdev;
  if (totalPackets !== 0 && dev.carrier && igbDescUnused(ring) >= TX_WAKE_THRESHOLD) {
    const txq = dev.txQueues[ring.queueIndex];
    if (netifTxQueueStopped(txq) && adapter.up) {
      netifTxWakeQueue(txq);
      ring.stats.restartQueue++;
    }
  }
  return budget > 0;
}

/** igb_clean_tx_ring: drop what never completed (interface going down). */
export function igbCleanTxRing(ring: IgbRing): void {
  for (let i = 0; i < ring.count; i++) {
    const tb = ring.txBufferInfo[i];
    if (tb.skb !== null) kfreeSkbReason(tb.skb, SKB_DROP_REASON.DEV_DOWN);
    tb.skb = null;
    tb.nextToWatch = -1;
    unmap(ring, tb);
  }
  ring.nextToUse = ring.nextToClean = 0;
  ring.desc.fill(0);
}
