// net/ipv4/fib_frontend.c + fib_semantics.c: route tables, `ip route add/del/show`, the
// routes derived from addresses (fib_add_ifaddr), inet_addr_type and source validation.
import type { Net, NetDevice } from '@knet/include';
import {
  EACCES, EAGAIN, EEXIST, EHOSTUNREACH, EINVAL, ENETUNREACH, ENODEV, ENOENT, ESRCH, IFF_LOOPBACK, IFF_UP,
  RTAX_MTU,
  RTN_BLACKHOLE, RTN_BROADCAST, RTN_LOCAL, RTN_MULTICAST, RTN_PROHIBIT, RTN_THROW, RTN_UNICAST,
  RTN_UNREACHABLE, RT_TABLE_LOCAL, RT_TABLE_MAIN, inetAton, inetNtoa,
} from '@knet/include';
import {
  RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, fibFindNode, fibTableNew, fibTableWalk,
  fibTrieMatches, fibTrimNode, type FibAlias, type FibInfo, type FibTable,
} from './fib_trie.js';
import { inetMakeMask, ipv4IsLbcast, ipv4IsMulticast, ipv4IsZeronet } from './ip_hdr.js';
import { forEachIfaddr, inDevGet, type InIfaddr } from './devinet.js';
import { rtCacheFlush } from './route.js';
import { ipv4Net } from './netns_ipv4.js';

export const RT_TABLE_DEFAULT = 253;
export const RTN_NAMES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole',
  'unreachable', 'prohibit', 'throw'] as const;

/** fib_props[type].error: what a lookup hitting such a route returns. */
export function fibPropsError(type: number): number {
  switch (type) {
    case RTN_UNREACHABLE: return -EHOSTUNREACH;
    case RTN_BLACKHOLE: return -EINVAL;
    case RTN_PROHIBIT: return -EACCES;
    case RTN_THROW: return -EAGAIN;
    default: return 0;
  }
}

/** struct fib_result */
export interface FibResult {
  type: number;
  fi: FibInfo | null;
  prefix: number;
  plen: number;
  scope: number;
  table: number;
}

export function newFibResult(): FibResult {
  return { type: 0, fi: null, prefix: 0, plen: 0, scope: 0, table: 0 };
}

export function fibTablesInit(): { tables: Map<number, FibTable>; local: FibTable; main: FibTable } {
  const local = fibTableNew(RT_TABLE_LOCAL);
  const main = fibTableNew(RT_TABLE_MAIN);
  return { tables: new Map([[RT_TABLE_LOCAL, local], [RT_TABLE_MAIN, main]]), local, main };
}

/**
 * fib_table_lookup: the longest prefix of `daddr` with a usable route. Error route types
 * answer with their error; -EAGAIN means "nothing here, try the next table".
 */
export function fibTableLookup(t: FibTable, daddr: number, tos: number, oif: number, scope: number, res: FibResult): number {
  const k = fibTrieMatches(t, daddr);
  for (let i = k - 1; i >= 0; i--) {
    const aliases = t.path[i].aliases!;
    for (let j = 0; j < aliases.length; j++) {
      const fa = aliases[j];
      if (fa.tos !== 0 && fa.tos !== tos) continue;
      if (fa.scope < scope) continue;
      const err = fibPropsError(fa.type);
      if (err < 0) {
        if (err === -EAGAIN) return -EAGAIN;
        res.type = fa.type;
        res.fi = null;
        res.prefix = fa.dst;
        res.plen = fa.plen;
        res.table = t.id;
        return err;
      }
      const fi = fa.fi;
      if (fi.dead) continue;
      if (fi.dev !== null) {
        if (!(fi.dev.flags & IFF_UP)) continue;
        if (oif !== 0 && fi.dev.ifindex !== oif) continue;
      }
      res.type = fa.type;
      res.fi = fi;
      res.prefix = fa.dst;
      res.plen = fa.plen;
      res.scope = fa.scope;
      res.table = t.id;
      return 0;
    }
  }
  return -EAGAIN;
}

/** fib_lookup with the default rules: local, then main, then default. */
export function fibLookup(net: Net, daddr: number, tos: number, oif: number, scope: number, res: FibResult): number {
  const ip = ipv4Net(net);
  let err = fibTableLookup(ip.fibLocal, daddr, tos, oif, scope, res);
  if (err !== -EAGAIN) return err;
  err = fibTableLookup(ip.fibMain, daddr, tos, oif, scope, res);
  if (err !== -EAGAIN) return err;
  const def = ip.fibTables.get(RT_TABLE_DEFAULT);
  if (def !== undefined) {
    err = fibTableLookup(def, daddr, tos, oif, scope, res);
    if (err !== -EAGAIN) return err;
  }
  return -ENETUNREACH;
}

const scratchRes = newFibResult();

/** inet_addr_type / inet_addr_type_dev_table: RTN_* of `addr` from the local table's view. */
export function inetAddrType(net: Net, addr: number): number {
  if (ipv4IsZeronet(addr) || ipv4IsLbcast(addr)) return RTN_BROADCAST;
  if (ipv4IsMulticast(addr)) return RTN_MULTICAST;
  const err = fibTableLookup(ipv4Net(net).fibLocal, addr, 0, 0, RT_SCOPE_UNIVERSE, scratchRes);
  if (err === 0 && (scratchRes.type === RTN_LOCAL || scratchRes.type === RTN_BROADCAST)) return scratchRes.type;
  return RTN_UNICAST;
}

// ---- route management ----

export type RouteTypeName = (typeof RTN_NAMES)[number];

export interface RouteSpec {
  /** 'a.b.c.d/len', 'a.b.c.d' (a /32) or 'default'. */
  dst: string;
  gw?: string | number;
  dev?: NetDevice | string;
  type?: RouteTypeName | number;
  metric?: number;
  table?: 'main' | 'local' | 'default' | number;
  /** Preferred source (`src`). */
  src?: string | number;
  scope?: number;
  tos?: number;
  mtu?: number;
  advmss?: number;
  initcwnd?: number;
  /** `mtu lock N`: the stack keeps this MTU; PMTU discovery neither lowers it nor sets DF. */
  mtuLock?: boolean;
  protocol?: string;
}

function tableId(t: RouteSpec['table']): number {
  return t === undefined || t === 'main' ? RT_TABLE_MAIN : t === 'local' ? RT_TABLE_LOCAL : t === 'default' ? RT_TABLE_DEFAULT : t;
}

function parseDst(s: string): [number, number] {
  if (s === 'default') return [0, 0];
  const [a, l] = s.split('/');
  const addr = inetAton(a ?? '');
  const plen = l === undefined ? 32 : Number(l);
  if (addr < 0 || !Number.isInteger(plen) || plen < 0 || plen > 32) return [-1, -1];
  return [(addr & inetMakeMask(plen)) >>> 0, plen];
}

function toAddr(v: string | number | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v >>> 0 : inetAton(v);
}

function fibGetTable(net: Net, id: number, create: boolean): FibTable | null {
  const ip = ipv4Net(net);
  let t = ip.fibTables.get(id) ?? null;
  if (t === null && create) {
    t = fibTableNew(id);
    ip.fibTables.set(id, t);
  }
  return t;
}

/** fib_create_info + fib_table_insert. 0 or -errno. */
export function fibTableInsert(net: Net, spec: RouteSpec, replace = false): number {
  const [dst, plen] = parseDst(spec.dst);
  if (plen < 0) return -EINVAL;
  const type = typeof spec.type === 'number' ? spec.type : RTN_NAMES.indexOf(spec.type ?? 'unicast');
  if (type <= 0 || type > RTN_THROW) return -EINVAL;
  let dev: NetDevice | null = null;
  if (spec.dev !== undefined) {
    dev = typeof spec.dev === 'string' ? net.devByName.get(spec.dev) ?? null : spec.dev;
    if (dev === null || dev.ndNet !== net) return -ENODEV;
  }
  const gw = toAddr(spec.gw);
  const prefsrc = toAddr(spec.src);
  if (gw < 0 || prefsrc < 0) return -EINVAL;
  const isErr = fibPropsError(type) < 0 || type === RTN_THROW;
  let nhScope = RT_SCOPE_HOST;
  if (!isErr) {
    if (gw !== 0) {
      // fib_check_nh: the gateway must be on a directly connected subnet.
      const r = newFibResult();
      const err = fibLookup(net, gw, 0, dev ? dev.ifindex : 0, RT_SCOPE_LINK, r);
      if (err !== 0 || r.fi === null || r.type !== RTN_UNICAST) return -ENETUNREACH;
      if (dev === null) dev = r.fi.dev;
      nhScope = RT_SCOPE_UNIVERSE;
    } else {
      if (dev === null) return -ENODEV;
      nhScope = RT_SCOPE_LINK;
    }
  }
  const scope = spec.scope ?? (type === RTN_LOCAL ? RT_SCOPE_HOST : type === RTN_BROADCAST ? RT_SCOPE_LINK
    : isErr || gw !== 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  const fi: FibInfo = {
    dev, gw, prefsrc, priority: spec.metric ?? 0, nhScope,
    metrics: { mtu: spec.mtu ?? 0, advmss: spec.advmss ?? 0, initcwnd: spec.initcwnd ?? 0, lock: spec.mtuLock ? 1 << RTAX_MTU : 0 },
    rthInput: null, rthOutput: null, dead: false,
  };
  const fa: FibAlias = {
    dst, plen, type, tos: spec.tos ?? 0, scope, table: tableId(spec.table), protocol: spec.protocol ?? 'boot', fi,
  };
  const t = fibGetTable(net, fa.table, true)!;
  const node = fibFindNode(t, dst, plen, true)!;
  const list = node.aliases ?? (node.aliases = []);
  const same = list.findIndex((o) => o.tos === fa.tos && o.fi.priority === fi.priority);
  if (same >= 0) {
    if (!replace) return -EEXIST;
    list[same].fi.dead = true;
    list[same] = fa;
  } else {
    let i = 0;
    // tos-specific routes first, then by ascending metric (fib_find_alias order).
    while (i < list.length && (list[i].tos > fa.tos || (list[i].tos === fa.tos && list[i].fi.priority <= fi.priority))) i++;
    list.splice(i, 0, fa);
    t.count++;
  }
  rtCacheFlush(net);
  return 0;
}

/** `ip route add` */
export function ipRouteAdd(net: Net, spec: RouteSpec): number {
  return fibTableInsert(net, spec, false);
}
/** `ip route replace` */
export function ipRouteReplace(net: Net, spec: RouteSpec): number {
  return fibTableInsert(net, spec, true);
}
/** `ip route change`: replace a route that must already exist (NLM_F_REPLACE without CREATE). */
export function ipRouteChange(net: Net, spec: RouteSpec): number {
  const [dst, plen] = parseDst(spec.dst);
  if (plen < 0) return -EINVAL;
  const t = fibGetTable(net, tableId(spec.table), false);
  const node = t === null ? null : fibFindNode(t, dst, plen, false);
  const metric = spec.metric ?? 0, tos = spec.tos ?? 0;
  if (node?.aliases?.some((fa) => fa.tos === tos && fa.fi.priority === metric) !== true) return -ENOENT;
  return fibTableInsert(net, spec, true);
}

/**
 * `ip route del`: the first route of the prefix that matches every given field. 0 or -ESRCH.
 */
export function ipRouteDel(net: Net, spec: Partial<RouteSpec> & { dst: string }): number {
  const [dst, plen] = parseDst(spec.dst);
  if (plen < 0) return -EINVAL;
  const t = fibGetTable(net, tableId(spec.table), false);
  if (t === null) return -ESRCH;
  const node = fibFindNode(t, dst, plen, false);
  if (node === null || node.aliases === null) return -ESRCH;
  const type = spec.type === undefined ? -1 : typeof spec.type === 'number' ? spec.type : RTN_NAMES.indexOf(spec.type);
  const gw = spec.gw === undefined ? -1 : toAddr(spec.gw);
  const dev = spec.dev === undefined ? null : typeof spec.dev === 'string' ? net.devByName.get(spec.dev) ?? null : spec.dev;
  const i = node.aliases.findIndex((fa) =>
    (type < 0 || fa.type === type) && (gw < 0 || fa.fi.gw === gw) && (dev === null || fa.fi.dev === dev) &&
    (spec.metric === undefined || fa.fi.priority === spec.metric) && (spec.tos === undefined || fa.tos === spec.tos));
  if (i < 0) return -ESRCH;
  node.aliases[i].fi.dead = true;
  node.aliases.splice(i, 1);
  t.count--;
  if (node.aliases.length === 0) fibTrimNode(t, dst, plen);
  rtCacheFlush(net);
  return 0;
}

export interface RouteRow {
  dst: string;
  type: RouteTypeName;
  dev: string | null;
  gateway: string | null;
  prefsrc: string | null;
  scope: string;
  protocol: string;
  metric: number;
  mtu: number;
  table: number;
}

function scopeName(s: number): string {
  return s === RT_SCOPE_HOST ? 'host' : s === RT_SCOPE_LINK ? 'link' : s === RT_SCOPE_UNIVERSE ? 'global'
    : s === RT_SCOPE_NOWHERE ? 'nowhere' : String(s);
}

/** `ip route show [table X]` (main by default; 'all' for every table). */
export function ipRouteShow(net: Net, table: RouteSpec['table'] | 'all' = 'main'): RouteRow[] {
  const ip = ipv4Net(net);
  const rows: RouteRow[] = [];
  const tables = table === 'all' ? [...ip.fibTables.values()] : [fibGetTable(net, tableId(table), false)].filter((t) => t !== null);
  for (const t of tables) {
    fibTableWalk(t, (fa) => rows.push({
      dst: fa.plen === 0 ? 'default' : `${inetNtoa(fa.dst)}${fa.plen === 32 ? '' : '/' + fa.plen}`,
      type: RTN_NAMES[fa.type] ?? 'unicast',
      dev: fa.fi.dev ? fa.fi.dev.name : null,
      gateway: fa.fi.gw ? inetNtoa(fa.fi.gw) : null,
      prefsrc: fa.fi.prefsrc ? inetNtoa(fa.fi.prefsrc) : null,
      scope: scopeName(fa.scope),
      protocol: fa.protocol,
      metric: fa.fi.priority,
      mtu: fa.fi.metrics.mtu,
      table: t.id,
    }));
  }
  return rows;
}

// ---- routes derived from addresses ----

interface MagicRoute { table: 'local' | 'main'; type: RouteTypeName; dst: string; src: number; dev: NetDevice }

/** The routes fib_add_ifaddr installs for one address. */
function ifaddrRoutes(ifa: InIfaddr): MagicRoute[] {
  const dev = ifa.ifaDev;
  const r: MagicRoute[] = [];
  const prim = ifa.ifaLocal;
  const prefix = (ifa.ifaAddress & ifa.ifaMask) >>> 0;
  r.push({ table: 'local', type: 'local', dst: `${inetNtoa(ifa.ifaLocal)}/32`, src: prim, dev });
  if (!(dev.flags & IFF_UP)) return r;
  if (ifa.ifaBroadcast && ifa.ifaBroadcast !== 0xffffffff) {
    r.push({ table: 'local', type: 'broadcast', dst: `${inetNtoa(ifa.ifaBroadcast)}/32`, src: prim, dev });
  }
  if (!ipv4IsZeronet(prefix) && !(ifa.ifaFlags & 1) && (prefix !== ifa.ifaLocal || ifa.ifaPrefixlen < 32)) {
    const loop = (dev.flags & IFF_LOOPBACK) !== 0;
    r.push({ table: loop ? 'local' : 'main', type: loop ? 'local' : 'unicast', dst: `${inetNtoa(prefix)}/${ifa.ifaPrefixlen}`, src: prim, dev });
    if (ifa.ifaPrefixlen < 31) {
      r.push({ table: 'local', type: 'broadcast', dst: `${inetNtoa((prefix | ~ifa.ifaMask) >>> 0)}/32`, src: prim, dev });
    }
  }
  return r;
}

/** fib_add_ifaddr */
export function fibAddIfaddr(net: Net, ifa: InIfaddr): void {
  for (const m of ifaddrRoutes(ifa)) {
    fibTableInsert(net, { dst: m.dst, type: m.type, dev: m.dev, src: m.src, table: m.table, protocol: 'kernel' });
  }
  rtCacheFlush(net);
}

/** fib_del_ifaddr: drop this address's routes, then restore those still owed to others. */
export function fibDelIfaddr(net: Net, ifa: InIfaddr): void {
  for (const m of ifaddrRoutes(ifa)) {
    ipRouteDel(net, { dst: m.dst, type: m.type, dev: m.dev, table: m.table });
  }
  forEachIfaddr(net, (o) => {
    for (const m of ifaddrRoutes(o)) {
      fibTableInsert(net, { dst: m.dst, type: m.type, dev: m.dev, src: m.src, table: m.table, protocol: 'kernel' });
    }
  });
  rtCacheFlush(net);
}

/** NETDEV_UP: (re)install the routes of every address on `dev` (fib_netdev_event). */
export function fibNetdevUp(net: Net, dev: NetDevice): void {
  const ind = inDevGet(dev);
  if (ind === null) return;
  for (const ifa of ind.ifaList) fibAddIfaddr(net, ifa);
}

/**
 * fib_validate_source: reverse-path filter (RFC 3704). Mode 1 (strict): the route back to
 * saddr must leave through the arrival device; mode 2 (loose): any route back will do.
 * 0, or -EXDEV (counted as IPRPFILTER by the caller).
 */
export function fibValidateSource(net: Net, saddr: number, dev: NetDevice, mode: number): number {
  if (mode === 0) return 0;
  const r = newFibResult();
  const err = fibLookup(net, saddr, 0, 0, RT_SCOPE_UNIVERSE, r);
  if (err !== 0 || r.fi === null || r.type !== RTN_UNICAST && r.type !== RTN_LOCAL) return -EXDEV;
  if (mode === 1 && r.fi.dev !== dev) return -EXDEV;
  return 0;
}
const EXDEV = 18;
export { EXDEV };

/**
 * fib_disable_ip / fib_sync_down_dev: the device lost its last address (or went down), so
 * every route through it dies, gateways included.
 */
export function fibSyncDownDev(net: Net, dev: NetDevice): number {
  let n = 0;
  for (const t of ipv4Net(net).fibTables.values()) {
    const victims: FibAlias[] = [];
    fibTableWalk(t, (fa) => {
      if (fa.fi.dev === dev) victims.push(fa);
    });
    for (const fa of victims) {
      const node = fibFindNode(t, fa.dst, fa.plen, false);
      if (node === null || node.aliases === null) continue;
      const i = node.aliases.indexOf(fa);
      if (i < 0) continue;
      fa.fi.dead = true;
      node.aliases.splice(i, 1);
      t.count--;
      n++;
      if (node.aliases.length === 0) fibTrimNode(t, fa.dst, fa.plen);
    }
  }
  if (n) rtCacheFlush(net);
  return n;
}
