// net/core/dev.c: net_device allocation, registration, open/close, carrier and queue state.
import type {
  NapiStruct, Net, NetDevice, NetDeviceOps, NetdevQueue, NetdevRxQueue, RtnlLinkStats64, SkBuff,
} from '@knet/include';
import { consumeSkb } from '@knet/skbuff';
import {
  __QUEUE_STATE_DRV_XOFF, __QUEUE_STATE_FROZEN, __QUEUE_STATE_STACK_XOFF, EADDRNOTAVAIL,
  EEXIST, EINVAL, ENFILE, ENODEV, GSO_MAX_SEGS, GSO_MAX_SIZE, IF_OPER_DOWN, IF_OPER_UNKNOWN,
  IF_OPER_UP, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, NETDEV_TX_OK, NETIF_F_GRO, NETIF_F_GSO,
} from '@knet/include';
import { netCore } from './core.js';
import { flushBacklog } from './dev_rx.js';
import { napiDisable } from './napi.js';
import {
  __netifSchedule, attachDefaultQdiscs, devActivate, devDeactivate, noopQdiscFor,
} from './sch_generic.js';
import { qdiscDestroy } from './sch_api.js';

export interface AllocNetdevOpts {
  txqs?: number;
  rxqs?: number;
  priv?: unknown;
}

/** A fresh, all-zero rtnl_link_stats64. */
export function newLinkStats(): RtnlLinkStats64 {
  return {
    rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0, rxErrors: 0, txErrors: 0,
    rxDropped: 0, txDropped: 0, multicast: 0, collisions: 0, rxLengthErrors: 0,
    rxOverErrors: 0, rxCrcErrors: 0, rxFifoErrors: 0, rxMissedErrors: 0, txFifoErrors: 0,
    txCarrierErrors: 0,
  };
}

// Until setup installs a driver, transmits vanish as into a blackhole device.
function blackholeXmit(skb: SkBuff, _dev: NetDevice): number {
  consumeSkb(skb);
  return NETDEV_TX_OK;
}

const nullOps: NetDeviceOps = Object.freeze({ name: 'none', ndoStartXmit: blackholeXmit });

/**
 * alloc_netdev_mqs: a device in `net` with `txqs`/`rxqs` queues; `setup` fills in the type
 * (etherSetup, loopbackSetup ...). Not yet registered.
 */
export function allocNetdev(net: Net, name: string, setup: (dev: NetDevice) => void, opts?: AllocNetdevOpts): NetDevice {
  const txqs = Math.max(1, opts?.txqs ?? 1);
  const rxqs = Math.max(1, opts?.rxqs ?? 1);
  const dev: NetDevice = {
    name,
    ifindex: 0,
    flags: 0,
    type: 0,
    mtu: 0,
    minMtu: 0,
    maxMtu: 0,
    hardHeaderLen: 0,
    neededHeadroom: 0,
    addrLen: 0,
    devAddr: new Uint8Array(6),
    broadcast: new Uint8Array(6),
    features: 0,
    hwFeatures: 0,
    gsoMaxSize: GSO_MAX_SIZE,
    gsoMaxSegs: GSO_MAX_SEGS,
    txQueueLen: 0,
    numTxQueues: txqs,
    realNumTxQueues: txqs,
    numRxQueues: rxqs,
    txQueues: [],
    carrier: true,
    operstate: IF_OPER_UNKNOWN,
    registered: false,
    netdevOps: nullOps,
    ethtoolOps: null,
    headerOps: null,
    stats: newLinkStats(),
    ndNet: net,
    priv: opts?.priv ?? null,
    ipPtr: null,
    rxHandler: null,
    napiList: [],
    watchdogTimeo: 0,
    privFlags: 0,
    rxQueues: [],
  };
  for (let i = 0; i < txqs; i++) {
    const txq = {
      dev,
      index: i,
      state: 0,
      qdisc: null,
      qdiscSleeping: null,
      transStart: 0,
      txBytes: 0,
      txPackets: 0,
      xmitCpu: -1,
    } as unknown as NetdevQueue;
    txq.qdisc = noopQdiscFor(txq);
    txq.qdiscSleeping = txq.qdisc;
    dev.txQueues.push(txq);
  }
  for (let i = 0; i < rxqs; i++) dev.rxQueues!.push({ dev, index: i, rpsCpus: 0, rpsMap: [] });
  setup(dev);
  return dev;
}

/** dev_alloc_name: the lowest free `eth%d`-style name. */
export function devAllocName(net: Net, pattern: string): string | number {
  const at = pattern.indexOf('%d');
  if (at < 0) return net.devByName.has(pattern) ? -EEXIST : pattern;
  for (let i = 0; i < 32768; i++) {
    const n = pattern.slice(0, at) + i + pattern.slice(at + 2);
    if (!net.devByName.has(n)) return n;
  }
  return -ENFILE;
}

/** register_netdevice: the ifindex, -EEXIST for a taken name, or the driver's init error. */
export function registerNetdev(dev: NetDevice): number {
  const net = dev.ndNet;
  if (dev.registered) return -EEXIST;
  const name = devAllocName(net, dev.name);
  if (typeof name === 'number') return name;
  if (name.length === 0 || name.length > 15) return -EINVAL;
  dev.name = name;
  const init = dev.netdevOps.ndoInit;
  if (init !== undefined) {
    const err = init(dev);
    if (err < 0) return err;
  }
  // NETIF_F_SOFT_FEATURES: GSO and GRO are software and always on.
  dev.features |= NETIF_F_GSO | NETIF_F_GRO;
  dev.ifindex = net.ifindexNext++;
  net.devices.push(dev);
  net.devByIndex[dev.ifindex] = dev;
  net.devByName.set(dev.name, dev);
  dev.registered = true;
  attachDefaultQdiscs(dev);
  dev.operstate = IF_OPER_DOWN;
  return dev.ifindex;
}

/** unregister_netdevice: close, detach qdiscs, purge its backlog packets, forget it. */
export function unregisterNetdev(dev: NetDevice): void {
  if (!dev.registered) return;
  const net = dev.ndNet;
  devClose(dev);
  for (const napi of dev.napiList) napiDisable(napi);
  flushBacklog(dev);
  for (let i = 0; i < dev.numTxQueues; i++) {
    const txq = dev.txQueues[i]!;
    qdiscDestroy(txq.qdiscSleeping);
    txq.qdisc = noopQdiscFor(txq);
    txq.qdiscSleeping = txq.qdisc;
  }
  net.ptypeAll = net.ptypeAll.filter((pt) => pt.dev !== dev);
  for (const [type, list] of net.ptypeBase) net.ptypeBase.set(type, list.filter((pt) => pt.dev !== dev));
  const i = net.devices.indexOf(dev);
  if (i >= 0) net.devices.splice(i, 1);
  net.devByIndex[dev.ifindex] = undefined;
  net.devByName.delete(dev.name);
  dev.rxHandler = null;
  dev.registered = false;
  dev.netdevOps.ndoUninit?.(dev);
}

/** dev_open: 0 or the driver's error. Brings the qdiscs in once the carrier is there. */
export function devOpen(dev: NetDevice): number {
  if (!dev.registered) return -ENODEV;
  if ((dev.flags & IFF_UP) !== 0) return 0;
  const validate = dev.netdevOps.ndoValidateAddr;
  if (validate !== undefined) {
    const err = validate(dev);
    if (err < 0) return err;
  }
  const open = dev.netdevOps.ndoOpen;
  if (open !== undefined) {
    const err = open(dev);
    if (err < 0) return err;
  }
  dev.flags |= IFF_UP;
  dev.netdevOps.ndoSetRxMode?.(dev);
  devActivate(dev);
  linkUpdate(dev);
  return 0;
}

/** dev_close: stop the driver, swap in noop, drop queued and backlogged packets of the device. */
export function devClose(dev: NetDevice): number {
  if ((dev.flags & IFF_UP) === 0) return 0;
  devDeactivate(dev);
  dev.netdevOps.ndoStop?.(dev);
  dev.flags &= ~IFF_UP;
  flushBacklog(dev);
  linkUpdate(dev);
  return 0;
}

function linkUpdate(dev: NetDevice): void {
  const running = (dev.flags & IFF_UP) !== 0 && dev.carrier;
  dev.operstate = (dev.flags & IFF_UP) === 0 ? IF_OPER_DOWN : running ? IF_OPER_UP : IF_OPER_DOWN;
  if (running) dev.flags |= IFF_RUNNING | IFF_LOWER_UP;
  else dev.flags &= ~(IFF_RUNNING | IFF_LOWER_UP);
}

export function devGetByName(net: Net, name: string): NetDevice | null {
  return net.devByName.get(name) ?? null;
}

export function devGetByIndex(net: Net, ifindex: number): NetDevice | null {
  return net.devByIndex[ifindex] ?? null;
}

/** netif_running */
export function netifRunning(dev: NetDevice): boolean {
  return (dev.flags & IFF_UP) !== 0;
}

/** dev_set_mtu: 0, -EINVAL outside [minMtu, maxMtu], or the driver's error. */
export function devSetMtu(dev: NetDevice, mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < dev.minMtu || (dev.maxMtu > 0 && mtu > dev.maxMtu)) return -EINVAL;
  const change = dev.netdevOps.ndoChangeMtu;
  if (change !== undefined) {
    const err = change(dev, mtu);
    if (err < 0) return err;
    return 0;
  }
  dev.mtu = mtu;
  return 0;
}

/** dev_set_mac_address: 0, -EADDRNOTAVAIL for a multicast/zero/wrong-length address. */
export function devSetMacAddress(dev: NetDevice, addr: Uint8Array): number {
  if (addr.length !== dev.addrLen) return -EINVAL;
  let zero = true;
  for (let i = 0; i < addr.length; i++) if (addr[i] !== 0) zero = false;
  if (dev.addrLen === 6 && (zero || (addr[0]! & 1) !== 0)) return -EADDRNOTAVAIL;
  const set = dev.netdevOps.ndoSetMacAddress;
  if (set !== undefined) return set(dev, addr);
  dev.devAddr.set(addr);
  return 0;
}

/**
 * dev_get_stats: the driver's ndoGetStats64 when it has one, else the core's software
 * counters; the drops the core itself counted are added either way.
 */
export function devGetStats(dev: NetDevice): RtnlLinkStats64 {
  const get = dev.netdevOps.ndoGetStats64;
  if (get === undefined) return { ...dev.stats };
  const s = newLinkStats();
  get(dev, s);
  s.rxDropped += dev.stats.rxDropped;
  s.txDropped += dev.stats.txDropped;
  return s;
}

// ---- carrier (linkwatch runs synchronously here) ----

export function netifCarrierOk(dev: NetDevice): boolean {
  return dev.carrier;
}

/** netif_carrier_on: the link came up; activate the qdiscs of a running device. */
export function netifCarrierOn(dev: NetDevice): void {
  if (dev.carrier) return;
  dev.carrier = true;
  if (dev.registered) devActivate(dev);
  linkUpdate(dev);
}

/** netif_carrier_off: the link went down; queued packets are dropped as linkwatch does. */
export function netifCarrierOff(dev: NetDevice): void {
  if (!dev.carrier) return;
  dev.carrier = false;
  if (dev.registered && (dev.flags & IFF_UP) !== 0) devDeactivate(dev);
  linkUpdate(dev);
}

// ---- TX queue state ----

export function netifTxStartQueue(txq: NetdevQueue): void {
  txq.state &= ~__QUEUE_STATE_DRV_XOFF;
}

export function netifTxStopQueue(txq: NetdevQueue): void {
  txq.state |= __QUEUE_STATE_DRV_XOFF;
}

/** netif_tx_wake_queue: restart a stopped queue and let its qdisc run again. */
export function netifTxWakeQueue(txq: NetdevQueue): void {
  const was = txq.state & __QUEUE_STATE_DRV_XOFF;
  txq.state &= ~__QUEUE_STATE_DRV_XOFF;
  if (was !== 0) __netifSchedule(txq.qdisc);
}

export function netifTxQueueStopped(txq: NetdevQueue): boolean {
  return (txq.state & __QUEUE_STATE_DRV_XOFF) !== 0;
}

/** netif_xmit_stopped: stopped by the driver or by BQL. */
export function netifXmitStopped(txq: NetdevQueue): boolean {
  return (txq.state & (__QUEUE_STATE_DRV_XOFF | __QUEUE_STATE_STACK_XOFF)) !== 0;
}

export function netifXmitFrozenOrStopped(txq: NetdevQueue): boolean {
  return (txq.state & (__QUEUE_STATE_DRV_XOFF | __QUEUE_STATE_STACK_XOFF | __QUEUE_STATE_FROZEN)) !== 0;
}

export function netifStartQueue(dev: NetDevice): void {
  netifTxStartQueue(dev.txQueues[0]!);
}
export function netifStopQueue(dev: NetDevice): void {
  netifTxStopQueue(dev.txQueues[0]!);
}
export function netifWakeQueue(dev: NetDevice): void {
  netifTxWakeQueue(dev.txQueues[0]!);
}
export function netifQueueStopped(dev: NetDevice): boolean {
  return netifTxQueueStopped(dev.txQueues[0]!);
}

export function netifTxStartAllQueues(dev: NetDevice): void {
  for (let i = 0; i < dev.numTxQueues; i++) netifTxStartQueue(dev.txQueues[i]!);
}
export function netifTxStopAllQueues(dev: NetDevice): void {
  for (let i = 0; i < dev.numTxQueues; i++) netifTxStopQueue(dev.txQueues[i]!);
}
export function netifTxWakeAllQueues(dev: NetDevice): void {
  for (let i = 0; i < dev.numTxQueues; i++) netifTxWakeQueue(dev.txQueues[i]!);
}

/** netif_set_real_num_tx_queues: 0 or -EINVAL outside [1, numTxQueues]. */
export function netifSetRealNumTxQueues(dev: NetDevice, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > dev.numTxQueues) return -EINVAL;
  dev.realNumTxQueues = n;
  return 0;
}

/** The NAPI list of a device (for ethtool-style introspection). */
export function devNapis(dev: NetDevice): readonly NapiStruct[] {
  return dev.napiList;
}

/**
 * Writing /sys/class/net/<dev>/queues/rx-<n>/rps_cpus: `mask` bit i steers to CPU i.
 * 0, or -EINVAL for a bad queue or a mask naming CPUs the net does not have.
 */
export function netifSetRpsCpus(dev: NetDevice, rxq: number, mask: number): number {
  const q: NetdevRxQueue | undefined = dev.rxQueues![rxq];
  if (q === undefined || !Number.isInteger(mask) || mask < 0) return -EINVAL;
  const ncpu = dev.ndNet.cpus.length;
  if (ncpu < 31 && mask >= 1 << ncpu) return -EINVAL;
  const core = netCore(dev.ndNet);
  const wasOn = q.rpsCpus !== 0;
  q.rpsCpus = mask;
  q.rpsMap.length = 0;
  for (let c = 0; c < ncpu && c < 31; c++) if ((mask & (1 << c)) !== 0) q.rpsMap.push(c);
  if (wasOn !== (mask !== 0)) core.rpsNeeded += mask !== 0 ? 1 : -1;
  return 0;
}
