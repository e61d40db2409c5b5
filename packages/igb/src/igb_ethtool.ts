// drivers/net/ethernet/intel/igb/igb_ethtool.c: ring sizes, channels, coalescing, link
// settings and the `ethtool -S` counters.
import type {
  EthtoolChannels, EthtoolCoalesce, EthtoolLinkKsettings, EthtoolOps, EthtoolRingparam, NetDevice,
} from '@knet/include';
import { EINVAL } from '@knet/include';
import { E1000_STATUS } from './e1000_regs.js';
import { E1000_STATUS_LU, E1000_STATUS_SPEED_100, E1000_STATUS_SPEED_1000 } from './e1000_defines.js';
import {
  IGB_MAX_RXD, IGB_MAX_TXD, IGB_MIN_RXD, IGB_MIN_TXD, IGB_START_ITR, netdevPriv,
} from './igb.js';
import { igbMaxQueues, igbReinit, igbSetQueues, igbUpdateStats } from './igb_main.js';

// Ring sizes are multiples of 8 descriptors: RDLEN/TDLEN count 128-byte units.
const REQ_MULTIPLE = 8;

function clampRing(n: number, min: number, max: number): number {
  const v = Math.min(Math.max(n, min), max);
  return Math.ceil(v / REQ_MULTIPLE) * REQ_MULTIPLE;
}

function getRingparam(dev: NetDevice): EthtoolRingparam {
  const a = netdevPriv(dev);
  return { rxMaxPending: IGB_MAX_RXD, txMaxPending: IGB_MAX_TXD, rxPending: a.rxRingCount, txPending: a.txRingCount };
}

/** igb_set_ringparam: a new size means new rings, so a running device goes down and up. */
function setRingparam(dev: NetDevice, ring: EthtoolRingparam): number {
  const a = netdevPriv(dev);
  if (!(ring.rxPending > 0 && ring.txPending > 0)) return -EINVAL;
  const rx = clampRing(ring.rxPending, IGB_MIN_RXD, IGB_MAX_RXD);
  const tx = clampRing(ring.txPending, IGB_MIN_TXD, IGB_MAX_TXD);
  if (rx === a.rxRingCount && tx === a.txRingCount) return 0;
  return igbReinit(a, () => {
    a.rxRingCount = rx;
    a.txRingCount = tx;
  });
}

function getChannels(dev: NetDevice): EthtoolChannels {
  const a = netdevPriv(dev);
  return { maxCombined: igbMaxQueues(a), combinedCount: a.numQueues };
}

function setChannels(dev: NetDevice, ch: EthtoolChannels): number {
  const a = netdevPriv(dev);
  if (ch.combinedCount === a.numQueues) return 0;
  return igbSetQueues(a, ch.combinedCount);
}

/** rx-usecs as igb stores it: 0-3 are modes (off, dynamic, conservative), else usecs << 2. */
function itrToUsecs(setting: number): number {
  return setting <= 3 ? setting : setting >> 2;
}

function getCoalesce(dev: NetDevice): EthtoolCoalesce {
  const a = netdevPriv(dev);
  return { rxCoalesceUsecs: itrToUsecs(a.rxItrSetting), txCoalesceUsecs: itrToUsecs(a.txItrSetting) };
}

/**
 * igb_set_coalesce: 0 turns throttling off, 1 and 3 choose dynamic moderation, 10-10000 µs a
 * fixed EITR interval (IGB_MIN_ITR_USECS..IGB_MAX_ITR_USECS). Queue pairs share a vector, so
 * rx-usecs rules.
 */
function setCoalesce(dev: NetDevice, c: EthtoolCoalesce): number {
  const a = netdevPriv(dev);
  const u = c.rxCoalesceUsecs;
  if (!(Number.isInteger(u) && u >= 0 && u <= 10000) || (u > 3 && u < 10) || u === 2) return -EINVAL;
  a.rxItrSetting = a.txItrSetting = u <= 3 ? u : u << 2;
  const val = u === 0 ? 0 : u <= 3 ? IGB_START_ITR : u << 2;
  for (const qv of a.qVector) {
    qv.itrVal = val;
    if (a.up) a.pdev.writel(qv.itrRegister, val & 0x7ffc);
  }
  return 0;
}

function getLinkKsettings(dev: NetDevice): EthtoolLinkKsettings {
  const a = netdevPriv(dev);
  const s = a.pdev.readl(E1000_STATUS);
  const link = (s & E1000_STATUS_LU) !== 0;
  const speed = !link ? 0 : s & E1000_STATUS_SPEED_1000 ? 1000 : s & E1000_STATUS_SPEED_100 ? 100 : 10;
  return { speed, duplex: 'full', autoneg: true, link };
}

/** igb_get_ethtool_stats: hardware counters, then per-queue software counters. */
function getEthtoolStats(dev: NetDevice): Record<string, number> {
  const a = netdevPriv(dev);
  if (a.up) igbUpdateStats(a);
  const h = a.hwStats;
  const out: Record<string, number> = {
    rx_packets: h.gprc, tx_packets: h.gptc, rx_bytes: h.gorc, tx_bytes: h.gotc,
    rx_broadcast: h.bprc, rx_multicast: h.mprc, rx_crc_errors: h.crcerrs,
    rx_missed_errors: h.mpc, rx_no_buffer_count: h.rnbc, rx_short_length_errors: h.ruc,
    rx_long_length_errors: h.roc, tx_tcp_seg_good: h.tsctc, rx_queue_drop_packet_count: h.rqdpc,
    tx_timeout_count: a.txTimeoutCount,
  };
  for (const r of a.txRing) {
    const p = `tx_queue_${r.queueIndex}_`;
    out[p + 'packets'] = r.stats.packets;
    out[p + 'bytes'] = r.stats.bytes;
    out[p + 'restart'] = r.stats.restartQueue;
    out[p + 'busy'] = r.stats.txBusy;
  }
  for (const r of a.rxRing) {
    const p = `rx_queue_${r.queueIndex}_`;
    out[p + 'packets'] = r.stats.packets;
    out[p + 'bytes'] = r.stats.bytes;
    out[p + 'drops'] = r.stats.drops;
    out[p + 'csum_err'] = r.stats.csumErr;
    out[p + 'alloc_failed'] = r.stats.allocFailed;
  }
  for (const qv of a.qVector) out[`irq_${qv.vector}`] = qv.irqCount;
  return out;
}

export const igbEthtoolOps: EthtoolOps = Object.freeze({
  name: 'igb',
  getDrvinfo: (dev: NetDevice) => ({ driver: 'igb', version: '5.4.0-k', busInfo: netdevPriv(dev).pdev.name }),
  getLink: (dev: NetDevice) => netdevPriv(dev).netdev.carrier,
  getRingparam,
  setRingparam,
  getChannels,
  setChannels,
  getCoalesce,
  setCoalesce,
  getLinkKsettings,
  getEthtoolStats,
});
