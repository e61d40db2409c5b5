// drivers/net/ethernet/intel/igb/igb_main.c: probe, open/close, hardware configuration,
// MSI-X, NAPI polling and the watchdog. RX and TX paths live in igb_rx.ts and igb_tx.ts.
//
// The driver reaches the device only through PciDev: MMIO registers, DMA memory and MSI-X
// vectors. Vector 0 carries link and other causes (igb_msix_other); vector i+1 serves the RX/TX
// queue pair i (igb_msix_ring), and its NAPI polls on CPU i mod ncpus.
import type { Net, NetDevice, NetDeviceOps, PciDev, RtnlLinkStats64 } from '@knet/include';
import {
  EADDRNOTAVAIL, EINVAL, ETH_HLEN, HZ, IFF_ALLMULTI, IFF_PROMISC, NETIF_F_GRO, NETIF_F_HW_CSUM,
  NETIF_F_RXCSUM, NETIF_F_RXHASH, NETIF_F_SG, NETIF_F_TSO,
} from '@knet/include';
import {
  allocEtherdev, isValidEtherAddr, napiAlloc, type NapiPoll, napiCompleteDone, napiDisable, napiEnable,
  napiSchedule, netifCarrierOff, netifCarrierOn, netifNapiAdd, netifSetRealNumTxQueues,
  netifTxStartAllQueues, netifTxStopAllQueues, registerNetdev, traceEvent, unregisterNetdev,
} from '@knet/netdevice';
import { delTimer, irqEnter, irqExit, jiffies, modTimer, timerSetup } from '@knet/softirq';
import * as R from './e1000_regs.js';
import * as D from './e1000_defines.js';
import {
  IGB_DEFAULT_RXD, IGB_DEFAULT_TXD, IGB_MAX_RX_QUEUES, IGB_RETA_SIZE, IGB_RXBUFFER_2048,
  IGB_START_ITR, IgbAdapter, IgbQVector, IgbRing, IgbRxBuffer, IgbTxBuffer, igbDescUnused,
  netdevPriv, type IgbNapi,
} from './igb.js';
import { igbEthtoolOps } from './igb_ethtool.js';
import { igbSetItr } from './igb_itr.js';
import { igbAllocRxBuffers, igbCleanRxIrq, igbCleanRxRing } from './igb_rx.js';
import { igbCleanTxIrq, igbCleanTxRing, igbXmitFrame } from './igb_tx.js';

export interface IgbProbeOpts {
  /** RSS queue pairs (default: one per CPU, at most 8 and the vectors the device has). */
  queues?: number;
  name?: string;
  txRingCount?: number;
  rxRingCount?: number;
}

/** The 82576 takes jumbo frames up to 9216 bytes (MAX_STD_JUMBO_FRAME_SIZE). */
const MAX_JUMBO_MTU = 9216 - ETH_HLEN - 4;
const IGB_WATCHDOG_PERIOD = 2 * HZ;

// ---- interrupts -----------------------------------------------------------------------------

/** igb_write_itr: program the EITR value igb_set_itr chose, at interrupt time. */
function igbWriteItr(qv: IgbQVector): void {
  if (!qv.setItr) return;
  qv.adapter.pdev.writel(qv.itrRegister, qv.itrVal & 0x7ffc);
  qv.setItr = false;
}

/** igb_msix_ring: hard IRQ of a queue vector. The vector auto-masked itself (EIAM). */
export function igbMsixRing(qv: IgbQVector): void {
  const net = qv.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbMsixRing', `v=${qv.vector}`);
  qv.irqCount++;
  igbWriteItr(qv);
  napiSchedule(qv.napi);
}

/** igb_msix_other: link changes; ICR is clear-on-read. */
export function igbMsixOther(adapter: IgbAdapter): void {
  const icr = adapter.pdev.readl(R.E1000_ICR);
  if (icr & D.E1000_ICR_LSC) {
    adapter.getLinkStatus = true;
    // Let the watchdog look at the link now rather than at its next period.
    if (adapter.up) modTimer(adapter.net, adapter.watchdogTimer, jiffies(adapter.net) + 1);
  }
  if (adapter.up) adapter.pdev.writel(R.E1000_EIMS, adapter.eimsOther);
}

/** igb_ring_irq_enable: after a poll that finished, pick the next ITR and unmask the vector. */
export function igbRingIrqEnable(qv: IgbQVector): void {
  const adapter = qv.adapter;
  const net = adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbRingIrqEnable', `v=${qv.vector}`);
  if ((qv.rx !== null && adapter.rxItrSetting & 3) || (qv.rx === null && adapter.txItrSetting & 3)) {
    igbSetItr(qv);
  }
  if (adapter.up) adapter.pdev.writel(R.E1000_EIMS, qv.eimsValue);
}

/** igb_poll: TX completions first, then RX within the budget. */
export function igbPoll(napi: IgbNapi, budget: number): number {
  const qv = napi.qVector;
  const net = qv.adapter.net;
  if (net.trace !== null) traceEvent(net, 'igbPoll', `v=${qv.vector}`);
  let cleanComplete = true;
  let workDone = 0;
  if (qv.tx !== null) cleanComplete = igbCleanTxIrq(qv, budget);
  if (qv.rx !== null) {
    workDone = igbCleanRxIrq(qv, budget);
    if (workDone >= budget) cleanComplete = false;
  }
  // Unfinished work keeps the NAPI scheduled and the vector masked.
  if (!cleanComplete) return budget;
  if (workDone > budget - 1) workDone = budget - 1;
  if (napiCompleteDone(napi, workDone)) igbRingIrqEnable(qv);
  return workDone;
}

/** igb_configure_msix: GPIE in MSI-X mode, IVAR routes each queue and the other causes. */
function igbConfigureMsix(adapter: IgbAdapter): void {
  const p = adapter.pdev;
  p.writel(R.E1000_GPIE, D.E1000_GPIE_MSIX_MODE | D.E1000_GPIE_PBA | D.E1000_GPIE_EIAME | D.E1000_GPIE_NSICR);
  p.writel(R.E1000_IVAR_MISC, (D.E1000_IVAR_VALID << 8) >>> 0);
  adapter.eimsOther = 1;
  adapter.eimsEnableMask = adapter.eimsOther;
  for (const qv of adapter.qVector) {
    const v = qv.vIdx + 1;
    qv.vector = v;
    // igb_assign_vector (82576): queue q's byte lives in IVAR[q & 7], upper half for q >= 8.
    if (qv.rx !== null) igbWriteIvar(p, v, qv.rx.regIdx & 7, (qv.rx.regIdx & 8) << 1);
    if (qv.tx !== null) igbWriteIvar(p, v, qv.tx.regIdx & 7, ((qv.tx.regIdx & 8) << 1) + 8);
    qv.eimsValue = 1 << v;
    adapter.eimsEnableMask |= qv.eimsValue;
    qv.itrRegister = R.E1000_EITR(v);
    p.writel(qv.itrRegister, qv.itrVal & 0x7ffc);
  }
}

function igbWriteIvar(p: PciDev, vector: number, index: number, offset: number): void {
  const reg = R.E1000_IVAR0 + (index << 2);
  let ivar = p.readl(reg);
  ivar &= ~(0xff << offset);
  ivar |= (vector | D.E1000_IVAR_VALID) << offset;
  p.writel(reg, ivar >>> 0);
}

/** igb_request_msix: one handler per vector, run as a hard IRQ on the vector's CPU. */
function igbRequestMsix(adapter: IgbAdapter): number {
  const { pdev, net } = adapter;
  const cpu0 = net.cpus[0];
  let err = pdev.requestIrq(0, () => {
    irqEnter(cpu0);
    igbMsixOther(adapter);
    irqExit(cpu0);
  });
  if (err < 0) return err;
  for (const qv of adapter.qVector) {
    const cpu = net.cpus[qv.cpu];
    err = pdev.requestIrq(qv.vIdx + 1, () => {
      irqEnter(cpu);
      igbMsixRing(qv);
      irqExit(cpu);
    });
    if (err < 0) {
      igbFreeIrq(adapter);
      return err;
    }
  }
  return 0;
}

function igbFreeIrq(adapter: IgbAdapter): void {
  adapter.pdev.freeIrq(0);
  for (const qv of adapter.qVector) adapter.pdev.freeIrq(qv.vIdx + 1);
}

/** igb_irq_enable: auto-clear and auto-mask every vector, unmask them, and the link cause. */
function igbIrqEnable(adapter: IgbAdapter): void {
  const p = adapter.pdev, m = adapter.eimsEnableMask;
  p.writel(R.E1000_EIAC, p.readl(R.E1000_EIAC) | m);
  p.writel(R.E1000_EIAM, p.readl(R.E1000_EIAM) | m);
  p.writel(R.E1000_EIMS, m);
  p.writel(R.E1000_IMS, D.E1000_IMS_LSC);
}

function igbIrqDisable(adapter: IgbAdapter): void {
  const p = adapter.pdev, m = adapter.eimsEnableMask;
  p.writel(R.E1000_EIAM, p.readl(R.E1000_EIAM) & ~m);
  p.writel(R.E1000_EIMC, m);
  p.writel(R.E1000_EIAC, p.readl(R.E1000_EIAC) & ~m);
  p.writel(R.E1000_IMC, 0xffffffff);
}

// ---- configuration --------------------------------------------------------------------------

/** igb_set_rx_mode: RAR[0] from dev_addr, promiscuous and all-multicast bits from the flags. */
export function igbSetRxMode(dev: NetDevice): void {
  const adapter = netdevPriv(dev);
  const p = adapter.pdev;
  const a = dev.devAddr;
  p.writel(R.E1000_RAL(0), (a[0] | (a[1] << 8) | (a[2] << 16) | (a[3] << 24)) >>> 0);
  p.writel(R.E1000_RAH(0), (a[4] | (a[5] << 8) | D.E1000_RAH_AV) >>> 0);
  let rctl = p.readl(R.E1000_RCTL) & ~(D.E1000_RCTL_UPE | D.E1000_RCTL_MPE);
  if (dev.flags & IFF_PROMISC) rctl |= D.E1000_RCTL_UPE | D.E1000_RCTL_MPE;
  else if (dev.flags & IFF_ALLMULTI) rctl |= D.E1000_RCTL_MPE;
  p.writel(R.E1000_RCTL, rctl >>> 0);
}

/** igb_setup_mrqc: RSS key, the indirection table spread over the queues, hashed fields. */
function igbSetupMrqc(adapter: IgbAdapter): void {
  const p = adapter.pdev, k = adapter.rssKey, n = adapter.numQueues;
  for (let j = 0; j < 10; j++) {
    p.writel(R.E1000_RSSRK(j), (k[4 * j] | (k[4 * j + 1] << 8) | (k[4 * j + 2] << 16) | (k[4 * j + 3] << 24)) >>> 0);
  }
  const tbl = adapter.rssIndirTbl;
  for (let j = 0; j < IGB_RETA_SIZE; j++) tbl[j] = Math.floor((j * n) / IGB_RETA_SIZE);
  for (let j = 0; j < IGB_RETA_SIZE / 4; j++) {
    p.writel(R.E1000_RETA(j), (tbl[4 * j] | (tbl[4 * j + 1] << 8) | (tbl[4 * j + 2] << 16) | (tbl[4 * j + 3] << 24)) >>> 0);
  }
  // PCSD: the descriptor's second dword carries the RSS hash instead of the IP checksum.
  let rxcsum = D.E1000_RXCSUM_PCSD;
  if (adapter.netdev.features & NETIF_F_RXCSUM) rxcsum |= D.E1000_RXCSUM_IPOFL | D.E1000_RXCSUM_TUOFL;
  p.writel(R.E1000_RXCSUM, rxcsum);
  p.writel(R.E1000_MRQC, D.E1000_MRQC_ENABLE_RSS_MQ | D.E1000_MRQC_RSS_FIELD_IPV4 | D.E1000_MRQC_RSS_FIELD_IPV4_TCP);
}

function igbSetupRctl(adapter: IgbAdapter): void {
  const p = adapter.pdev;
  let rctl = p.readl(R.E1000_RCTL) | D.E1000_RCTL_EN | D.E1000_RCTL_BAM | D.E1000_RCTL_SECRC;
  if (adapter.netdev.mtu > 1500) rctl |= D.E1000_RCTL_LPE;
  else rctl &= ~D.E1000_RCTL_LPE;
  p.writel(R.E1000_RCTL, rctl >>> 0);
}

function igbConfigureTxRing(adapter: IgbAdapter, r: IgbRing): void {
  const p = adapter.pdev, q = r.regIdx;
  p.writel(R.E1000_TXDCTL(q), 0);
  p.writel(R.E1000_TDBAL(q), r.dma % 0x100000000);
  p.writel(R.E1000_TDBAH(q), Math.floor(r.dma / 0x100000000));
  p.writel(R.E1000_TDLEN(q), r.count << 4);
  p.writel(R.E1000_TDH(q), 0);
  p.writel(R.E1000_TDT(q), 0);
  r.tail = R.E1000_TDT(q);
  p.writel(R.E1000_TXDCTL(q), D.E1000_TXDCTL_QUEUE_ENABLE);
}

function igbConfigureRxRing(adapter: IgbAdapter, r: IgbRing): void {
  const p = adapter.pdev, q = r.regIdx;
  p.writel(R.E1000_RXDCTL(q), 0);
  p.writel(R.E1000_RDBAL(q), r.dma % 0x100000000);
  p.writel(R.E1000_RDBAH(q), Math.floor(r.dma / 0x100000000));
  p.writel(R.E1000_RDLEN(q), r.count << 4);
  p.writel(R.E1000_RDH(q), 0);
  p.writel(R.E1000_RDT(q), 0);
  r.tail = R.E1000_RDT(q);
  // DROP_EN with several queues: one full ring must not stall the others (no flow control).
  let srrctl = (IGB_RXBUFFER_2048 >> D.E1000_SRRCTL_BSIZEPKT_SHIFT) | D.E1000_SRRCTL_DESCTYPE_ADV_ONEBUF;
  if (adapter.numQueues > 1) srrctl |= D.E1000_SRRCTL_DROP_EN;
  p.writel(R.E1000_SRRCTL(q), srrctl >>> 0);
  p.writel(R.E1000_RXDCTL(q), D.E1000_RXDCTL_QUEUE_ENABLE);
}

/** igb_configure: filters, offloads, RSS, then every ring, then fill the RX rings. */
function igbConfigure(adapter: IgbAdapter): void {
  const p = adapter.pdev;
  igbSetRxMode(adapter.netdev);
  p.writel(R.E1000_TCTL, D.E1000_TCTL_EN | D.E1000_TCTL_PSP);
  igbSetupMrqc(adapter);
  igbSetupRctl(adapter);
  for (const r of adapter.txRing) igbConfigureTxRing(adapter, r);
  for (const r of adapter.rxRing) igbConfigureRxRing(adapter, r);
  igbConfigureMsix(adapter);
  for (const r of adapter.rxRing) igbAllocRxBuffers(r, igbDescUnused(r));
}

// ---- resources ------------------------------------------------------------------------------

function igbSetupRing(adapter: IgbAdapter, r: IgbRing, count: number): void {
  r.count = count;
  const d = adapter.pdev.dma.dmaAllocCoherent(count << 4, 128);
  r.dma = d.dma;
  r.desc = d.buf;
  r.size = count << 4;
  r.nextToUse = r.nextToClean = r.nextToAlloc = 0;
  if (r.isTx) {
    r.txBufferInfo.length = 0;
    for (let i = 0; i < count; i++) r.txBufferInfo.push(new IgbTxBuffer());
  } else {
    r.rxBufferInfo.length = 0;
    for (let i = 0; i < count; i++) r.rxBufferInfo.push(new IgbRxBuffer());
  }
}

function igbFreeRing(adapter: IgbAdapter, r: IgbRing): void {
  const dma = adapter.pdev.dma;
  if (!r.isTx) igbCleanRxRing(r);
  if (r.size !== 0) dma.dmaFree(r.dma);
  r.size = 0;
  r.desc = new Uint8Array(0);
}

/** igb_alloc_q_vectors: one vector per queue pair, with its NAPI and rings. */
function igbAllocQVectors(adapter: IgbAdapter): void {
  const dev = adapter.netdev;
  const ncpus = adapter.net.cpus.length;
  for (let i = 0; i < adapter.numQueues; i++) {
    const qv = new IgbQVector(adapter, i);
    const napi = napiAlloc(dev, igbPoll as NapiPoll) as IgbNapi;
    napi.qVector = qv;
    qv.napi = napi;
    netifNapiAdd(dev, napi, 64);
    qv.cpu = i % ncpus;
    qv.itrVal = adapter.rxItrSetting & 3 ? IGB_START_ITR : adapter.rxItrSetting;
    const tx = new IgbRing(adapter, i, i, adapter.txRingCount, true);
    const rx = new IgbRing(adapter, i, i, adapter.rxRingCount, false);
    tx.qVector = rx.qVector = qv;
    qv.tx = tx;
    qv.rx = rx;
    adapter.qVector.push(qv);
    adapter.txRing.push(tx);
    adapter.rxRing.push(rx);
  }
}

/** igb_free_q_vectors */
function igbFreeQVectors(adapter: IgbAdapter): void {
  const list = adapter.netdev.napiList;
  for (const qv of adapter.qVector) {
    const i = list.indexOf(qv.napi);
    if (i >= 0) list.splice(i, 1);
  }
  adapter.qVector.length = adapter.txRing.length = adapter.rxRing.length = 0;
}

// ---- open / close ---------------------------------------------------------------------------

/** igb_open (ndo_open): rings, configuration, vectors, NAPI, interrupts, queues, watchdog. */
export function igbOpen(dev: NetDevice): number {
  const adapter = netdevPriv(dev);
  netifCarrierOff(dev);
  for (const r of adapter.txRing) igbSetupRing(adapter, r, adapter.txRingCount);
  for (const r of adapter.rxRing) igbSetupRing(adapter, r, adapter.rxRingCount);
  igbConfigure(adapter);
  const err = igbRequestMsix(adapter);
  if (err < 0) {
    igbReset(adapter);
    for (const r of adapter.txRing) igbFreeRing(adapter, r);
    for (const r of adapter.rxRing) igbFreeRing(adapter, r);
    return err;
  }
  igbUp(adapter);
  return 0;
}

/** The second half of igb_open and of igb_up: go live. */
function igbUp(adapter: IgbAdapter): void {
  adapter.up = true;
  for (const qv of adapter.qVector) napiEnable(qv.napi);
  adapter.pdev.readl(R.E1000_ICR);
  igbIrqEnable(adapter);
  netifTxStartAllQueues(adapter.netdev);
  adapter.getLinkStatus = true;
  modTimer(adapter.net, adapter.watchdogTimer, jiffies(adapter.net) + 1);
}

function igbReset(adapter: IgbAdapter): void {
  adapter.pdev.writel(R.E1000_CTRL, D.E1000_CTRL_RST);
}

/** igb_down: stop the hardware and the stack's use of it; rings keep their memory. */
function igbDown(adapter: IgbAdapter): void {
  const p = adapter.pdev, dev = adapter.netdev;
  adapter.up = false;
  p.writel(R.E1000_RCTL, p.readl(R.E1000_RCTL) & ~D.E1000_RCTL_EN);
  netifCarrierOff(dev);
  netifTxStopAllQueues(dev);
  p.writel(R.E1000_TCTL, p.readl(R.E1000_TCTL) & ~D.E1000_TCTL_EN);
  for (const qv of adapter.qVector) napiDisable(qv.napi);
  igbIrqDisable(adapter);
  delTimer(adapter.net, adapter.watchdogTimer);
  igbUpdateStats(adapter);
  adapter.linkSpeed = 0;
  igbReset(adapter);
  for (const r of adapter.txRing) igbCleanTxRing(r);
  for (const r of adapter.rxRing) igbCleanRxRing(r);
}

/** igb_close (ndo_stop) */
export function igbClose(dev: NetDevice): number {
  const adapter = netdevPriv(dev);
  if (adapter.up) igbDown(adapter);
  igbFreeIrq(adapter);
  for (const r of adapter.txRing) igbFreeRing(adapter, r);
  for (const r of adapter.rxRing) igbFreeRing(adapter, r);
  return 0;
}

/** igb_reinit_locked: down and up again with the current settings (ring size, queues ...). */
export function igbReinit(adapter: IgbAdapter, change?: () => void): number {
  const dev = adapter.netdev;
  const running = adapter.up;
  if (running) igbClose(dev);
  if (change !== undefined) change();
  if (!running) return 0;
  adapter.resets++;
  return igbOpen(dev);
}

/** ethtool -L: rebuild the vectors for `n` queue pairs. */
export function igbSetQueues(adapter: IgbAdapter, n: number): number {
  if (n < 1 || n > igbMaxQueues(adapter)) return -EINVAL;
  return igbReinit(adapter, () => {
    igbFreeQVectors(adapter);
    adapter.numQueues = n;
    netifSetRealNumTxQueues(adapter.netdev, n);
    igbAllocQVectors(adapter);
  });
}

export function igbMaxQueues(adapter: IgbAdapter): number {
  return Math.min(IGB_MAX_RX_QUEUES, adapter.pdev.msixVectors - 1, adapter.netdev.numTxQueues);
}

// ---- watchdog and statistics ----------------------------------------------------------------

/** igb_update_stats: fold the clear-on-read hardware counters into the adapter's totals. */
export function igbUpdateStats(adapter: IgbAdapter): void {
  const p = adapter.pdev, s = adapter.hwStats;
  s.crcerrs += p.readl(R.E1000_CRCERRS);
  s.mpc += p.readl(R.E1000_MPC);
  s.gprc += p.readl(R.E1000_GPRC);
  s.gptc += p.readl(R.E1000_GPTC);
  s.gorc += p.readl(R.E1000_GORCL) + p.readl(R.E1000_GORCH) * 0x100000000;
  s.gotc += p.readl(R.E1000_GOTCL) + p.readl(R.E1000_GOTCH) * 0x100000000;
  s.rnbc += p.readl(R.E1000_RNBC);
  s.ruc += p.readl(R.E1000_RUC);
  s.roc += p.readl(R.E1000_ROC);
  s.bprc += p.readl(R.E1000_BPRC);
  s.mprc += p.readl(R.E1000_MPRC);
  s.tsctc += p.readl(R.E1000_TSCTC);
  for (const r of adapter.rxRing) {
    const n = p.readl(R.E1000_RQDPC(r.regIdx));
    s.rqdpc += n;
    r.stats.drops += n;
  }
}

/**
 * igb_watchdog_task: carrier from STATUS.LU, statistics, and stuck transmit queues: with the
 * link gone, or a packet older than watchdog_timeo, the queue is declared hung (ndo_tx_timeout).
 */
export function igbWatchdog(adapter: IgbAdapter): void {
  if (!adapter.up) return;
  const { net, netdev: dev, pdev: p } = adapter;
  if (net.trace !== null) traceEvent(net, 'igbWatchdog');
  const status = p.readl(R.E1000_STATUS);
  adapter.getLinkStatus = false;
  if (status & D.E1000_STATUS_LU) {
    if (!dev.carrier) {
      adapter.linkSpeed = status & D.E1000_STATUS_SPEED_1000 ? 1000 : status & D.E1000_STATUS_SPEED_100 ? 100 : 10;
      netifCarrierOn(dev);
    }
  } else if (dev.carrier) {
    adapter.linkSpeed = 0;
    netifCarrierOff(dev);
  }
  igbUpdateStats(adapter);
  const now = net.clock.now();
  for (const r of adapter.txRing) {
    const tb = r.txBufferInfo[r.nextToClean];
    const pending = tb.nextToWatch >= 0;
    if (pending && (!dev.carrier || now - tb.timeStamp > dev.watchdogTimeo)) {
      dev.netdevOps.ndoTxTimeout?.(dev, r.queueIndex);
      return;
    }
  }
  // A software interrupt on every queue vector, in case a write-back was missed.
  p.writel(R.E1000_EICS, adapter.eimsEnableMask & ~adapter.eimsOther);
  modTimer(net, adapter.watchdogTimer, jiffies(net) + IGB_WATCHDOG_PERIOD);
}

/** igb_tx_timeout: count it and reset the adapter outside the timer (reset_task). */
export function igbTxTimeout(dev: NetDevice, _txqueue: number): void {
  const adapter = netdevPriv(dev);
  adapter.txTimeoutCount++;
  adapter.net.clock.defer(() => {
    if (adapter.up) igbReinit(adapter);
  });
}

// ---- netdev ops -----------------------------------------------------------------------------

function igbGetStats64(dev: NetDevice, s: RtnlLinkStats64): void {
  const adapter = netdevPriv(dev);
  if (adapter.up) igbUpdateStats(adapter);
  for (const r of adapter.rxRing) {
    s.rxPackets += r.stats.packets;
    s.rxBytes += r.stats.bytes;
  }
  for (const r of adapter.txRing) {
    s.txPackets += r.stats.packets;
    s.txBytes += r.stats.bytes;
    s.txDropped += r.stats.drops;
  }
  const h = adapter.hwStats;
  s.multicast = h.mprc;
  s.rxCrcErrors = h.crcerrs;
  s.rxLengthErrors = h.ruc + h.roc + dev.stats.rxLengthErrors;
  s.rxMissedErrors = h.mpc;
  s.rxFifoErrors = h.rqdpc;
  s.rxErrors = h.crcerrs + h.ruc + h.roc + dev.stats.rxErrors;
}

function igbSetMac(dev: NetDevice, addr: Uint8Array): number {
  if (addr.length !== 6 || !isValidEtherAddr(addr)) return -EADDRNOTAVAIL;
  dev.devAddr.set(addr);
  if (netdevPriv(dev).up) igbSetRxMode(dev);
  return 0;
}

function igbChangeMtu(dev: NetDevice, mtu: number): number {
  if (mtu < dev.minMtu || mtu > dev.maxMtu) return -EINVAL;
  return igbReinit(netdevPriv(dev), () => {
    dev.mtu = mtu;
  });
}

export const igbNetdevOps: NetDeviceOps = Object.freeze({
  name: 'igb',
  ndoOpen: igbOpen,
  ndoStop: igbClose,
  ndoStartXmit: igbXmitFrame,
  ndoSetMacAddress: igbSetMac,
  ndoChangeMtu: igbChangeMtu,
  ndoGetStats64: igbGetStats64,
  ndoSetRxMode: igbSetRxMode,
  ndoTxTimeout: igbTxTimeout,
});

// ---- probe / remove -------------------------------------------------------------------------

/**
 * igb_probe: reset the device, read its address from RAR[0] (loaded from the NVM), set up the
 * queue vectors and register an Ethernet device. Null if registration fails.
 */
export function igbProbe(net: Net, pdev: PciDev, opts: IgbProbeOpts = {}): NetDevice | null {
  pdev.writel(R.E1000_CTRL, D.E1000_CTRL_RST);
  const maxq = Math.max(1, Math.min(IGB_MAX_RX_QUEUES, pdev.msixVectors - 1));
  const dev = allocEtherdev(net, opts.name ?? 'eth%d', { txqs: maxq, rxqs: maxq });
  const adapter = new IgbAdapter(dev, pdev, net);
  dev.priv = adapter;
  adapter.numQueues = Math.max(1, Math.min(opts.queues ?? net.cpus.length, maxq));
  netifSetRealNumTxQueues(dev, adapter.numQueues);
  adapter.txRingCount = opts.txRingCount ?? IGB_DEFAULT_TXD;
  adapter.rxRingCount = opts.rxRingCount ?? IGB_DEFAULT_RXD;
  const ral = pdev.readl(R.E1000_RAL(0)), rah = pdev.readl(R.E1000_RAH(0));
  dev.devAddr.set([ral & 0xff, (ral >>> 8) & 0xff, (ral >>> 16) & 0xff, ral >>> 24, rah & 0xff, (rah >>> 8) & 0xff]);
  const features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_TSO | NETIF_F_GRO | NETIF_F_RXHASH;
  dev.features |= features;
  dev.hwFeatures |= features;
  dev.maxMtu = MAX_JUMBO_MTU;
  dev.netdevOps = igbNetdevOps;
  dev.ethtoolOps = igbEthtoolOps;
  dev.watchdogTimeo = 5 * HZ;
  // netdev_rss_key_fill: a random key per device, from the host's (seeded) clock.
  for (let i = 0; i < adapter.rssKey.length; i++) adapter.rssKey[i] = Math.floor(net.clock.random() * 256);
  adapter.watchdogTimer = timerSetup(() => igbWatchdog(adapter));
  igbAllocQVectors(adapter);
  if (registerNetdev(dev) < 0) {
    igbFreeQVectors(adapter);
    return null;
  }
  netifCarrierOff(dev);
  return dev;
}

/** igb_remove */
export function igbRemove(dev: NetDevice): void {
  const adapter = netdevPriv(dev);
  unregisterNetdev(dev);
  igbFreeQVectors(adapter);
  igbReset(adapter);
}
