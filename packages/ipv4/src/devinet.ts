// net/ipv4/devinet.c: IPv4 addresses on devices (in_device / in_ifaddr) and source selection.
import type { Net, NetDevice } from '@knet/include';
import { EADDRNOTAVAIL, EEXIST, EINVAL, ENODEV, IFF_LOOPBACK, inetAton, inetNtoa } from '@knet/include';
import { inetMakeMask, ipv4IsLoopback, ipv4IsMulticast, ipv4IsZeronet } from './ip_hdr.js';
import { RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE } from './fib_trie.js';
import { fibAddIfaddr, fibDelIfaddr, fibSyncDownDev } from './fib_frontend.js';

export const IFA_F_SECONDARY = 0x01;

/** struct in_ifaddr */
export interface InIfaddr {
  ifaLocal: number;
  ifaAddress: number;
  ifaMask: number;
  ifaPrefixlen: number;
  ifaBroadcast: number;
  ifaScope: number;
  ifaFlags: number;
  ifaLabel: string;
  ifaDev: NetDevice;
}

/** struct in_device (dev->ip_ptr) */
export interface InDevice {
  dev: NetDevice;
  /** Primaries first, in the order added, then secondaries (as Linux keeps ifa_list). */
  ifaList: InIfaddr[];
}

export function inDevGet(dev: NetDevice): InDevice | null {
  return (dev.ipPtr as InDevice | null) ?? null;
}

function inDevGetOrCreate(dev: NetDevice): InDevice {
  let d = inDevGet(dev);
  if (d === null) {
    d = { dev, ifaList: [] };
    dev.ipPtr = d;
  }
  return d;
}

/** inet_ifa_match: is `addr` on the subnet of `ifa`? */
export function inetIfaMatch(addr: number, ifa: InIfaddr): boolean {
  return ((addr ^ ifa.ifaAddress) & ifa.ifaMask) === 0;
}

export interface InetAddrOpts {
  broadcast?: number | string;
  scope?: number;
  label?: string;
}

function parseCidr(spec: string | { addr: number | string; prefixlen: number }): [number, number] {
  if (typeof spec === 'string') {
    const [a, l] = spec.split('/');
    const addr = inetAton(a ?? '');
    const plen = l === undefined ? 32 : Number(l);
    return [addr, Number.isInteger(plen) && plen >= 0 && plen <= 32 ? plen : -1];
  }
  const addr = typeof spec.addr === 'number' ? spec.addr >>> 0 : inetAton(spec.addr);
  return [addr, Number.isInteger(spec.prefixlen) && spec.prefixlen >= 0 && spec.prefixlen <= 32 ? spec.prefixlen : -1];
}

/**
 * `ip addr add a.b.c.d/len dev X`: the first address of a subnet is primary, later ones
 * secondary. Adds the local, broadcast and prefix routes (fib_add_ifaddr). 0 or -errno.
 */
export function inetAddrAdd(
  net: Net, dev: NetDevice, spec: string | { addr: number | string; prefixlen: number }, opts: InetAddrOpts = {},
): number {
  if (dev.ndNet !== net) return -ENODEV;
  const [addr, plen] = parseCidr(spec);
  if (addr < 0 || plen < 0 || ipv4IsMulticast(addr) || ipv4IsZeronet(addr) || addr === 0xffffffff) return -EINVAL;
  const ind = inDevGetOrCreate(dev);
  const mask = inetMakeMask(plen);
  for (const o of ind.ifaList) if (o.ifaLocal === addr && o.ifaMask === mask) return -EEXIST;
  let brd = 0;
  if (opts.broadcast !== undefined) {
    brd = typeof opts.broadcast === 'number' ? opts.broadcast >>> 0 : inetAton(opts.broadcast);
    if (brd < 0) return -EINVAL;
  } else if (plen < 31) {
    // iproute2 `brd +`: the all-ones host part, which is what hosts are normally given.
    brd = (addr | ~mask) >>> 0;
  }
  const ifa: InIfaddr = {
    ifaLocal: addr, ifaAddress: addr, ifaMask: mask, ifaPrefixlen: plen, ifaBroadcast: brd,
    ifaScope: opts.scope ?? (ipv4IsLoopback(addr) || dev.flags & IFF_LOOPBACK ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE),
    ifaFlags: 0, ifaLabel: opts.label ?? dev.name, ifaDev: dev,
  };
  // __inet_insert_ifa: a primary already on this subnet makes the new one secondary.
  for (const o of ind.ifaList) {
    if (!(o.ifaFlags & IFA_F_SECONDARY) && o.ifaMask === mask && inetIfaMatch(addr, o)) {
      ifa.ifaFlags |= IFA_F_SECONDARY;
      break;
    }
  }
  if (ifa.ifaFlags & IFA_F_SECONDARY) ind.ifaList.push(ifa);
  else {
    let i = 0;
    while (i < ind.ifaList.length && !(ind.ifaList[i].ifaFlags & IFA_F_SECONDARY)) i++;
    ind.ifaList.splice(i, 0, ifa);
  }
  fibAddIfaddr(net, ifa);
  return 0;
}

/**
 * `ip addr del`: removing a primary also removes its secondaries (promote_secondaries is 0
 * by default in Linux). 0 or -EADDRNOTAVAIL.
 */
export function inetAddrDel(net: Net, dev: NetDevice, spec: string | { addr: number | string; prefixlen: number }): number {
  const [addr, plen] = parseCidr(spec);
  const ind = inDevGet(dev);
  if (ind === null || addr < 0) return -EADDRNOTAVAIL;
  const mask = plen < 0 ? -1 : inetMakeMask(plen);
  const ifa = ind.ifaList.find((o) => o.ifaLocal === addr && (typeof spec === 'string' && !spec.includes('/') ? true : o.ifaMask === mask));
  if (ifa === undefined) return -EADDRNOTAVAIL;
  const gone = [ifa];
  if (!(ifa.ifaFlags & IFA_F_SECONDARY)) {
    for (const o of ind.ifaList) {
      if (o !== ifa && o.ifaFlags & IFA_F_SECONDARY && o.ifaMask === ifa.ifaMask && inetIfaMatch(o.ifaLocal, ifa)) gone.push(o);
    }
  }
  ind.ifaList = ind.ifaList.filter((o) => !gone.includes(o));
  for (const g of gone) fibDelIfaddr(net, g);
  if (ind.ifaList.length === 0) fibSyncDownDev(net, dev);
  return 0;
}

export interface InetAddrRow {
  dev: string;
  local: string;
  prefixlen: number;
  broadcast: string | null;
  scope: string;
  secondary: boolean;
  label: string;
}

function scopeName(s: number): string {
  return s === RT_SCOPE_HOST ? 'host' : s === RT_SCOPE_LINK ? 'link' : s === RT_SCOPE_UNIVERSE ? 'global' : String(s);
}

/** `ip addr show` */
export function inetAddrList(net: Net): InetAddrRow[] {
  const rows: InetAddrRow[] = [];
  for (const dev of net.devices) {
    const ind = inDevGet(dev);
    if (ind === null) continue;
    for (const ifa of ind.ifaList) {
      rows.push({
        dev: dev.name, local: inetNtoa(ifa.ifaLocal), prefixlen: ifa.ifaPrefixlen,
        broadcast: ifa.ifaBroadcast ? inetNtoa(ifa.ifaBroadcast) : null, scope: scopeName(ifa.ifaScope),
        secondary: (ifa.ifaFlags & IFA_F_SECONDARY) !== 0, label: ifa.ifaLabel,
      });
    }
  }
  return rows;
}

/**
 * inet_select_addr: a primary address of `dev` within `scope`, preferring one on dst's
 * subnet; failing that, any device's address of narrower-than-link scope. 0 if none.
 */
export function inetSelectAddr(dev: NetDevice, dst: number, scope: number): number {
  let addr = 0;
  const ind = inDevGet(dev);
  if (ind !== null) {
    for (const ifa of ind.ifaList) {
      if (ifa.ifaFlags & IFA_F_SECONDARY || ifa.ifaScope > scope) continue;
      if (dst === 0 || inetIfaMatch(dst, ifa)) return ifa.ifaLocal;
      if (addr === 0) addr = ifa.ifaLocal;
    }
  }
  if (addr !== 0) return addr;
  for (const d of dev.ndNet.devices) {
    const i2 = inDevGet(d);
    if (i2 === null) continue;
    for (const ifa of i2.ifaList) {
      if (!(ifa.ifaFlags & IFA_F_SECONDARY) && ifa.ifaScope !== RT_SCOPE_LINK && ifa.ifaScope <= scope) return ifa.ifaLocal;
    }
  }
  return 0;
}

/** __ip_dev_find: the device holding local address `addr`, or null. */
export function ipDevFind(net: Net, addr: number): NetDevice | null {
  for (const dev of net.devices) {
    const ind = inDevGet(dev);
    if (ind === null) continue;
    for (const ifa of ind.ifaList) if (ifa.ifaLocal === addr) return dev;
  }
  return null;
}

/** Every address of the net, for re-deriving routes. */
export function forEachIfaddr(net: Net, fn: (ifa: InIfaddr) => void): void {
  for (const dev of net.devices) {
    const ind = inDevGet(dev);
    if (ind !== null) for (const ifa of ind.ifaList) fn(ifa);
  }
}
