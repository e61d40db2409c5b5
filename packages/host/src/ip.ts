import type { Net, NetDevice } from '@knet/include';
import { ENODEV, IFF_UP, inetNtoa } from '@knet/include';
import {
  devClose, devGetByName, devOpen, devSetMtu, devGetStats, ethAddrToString, netifCarrierOk,
} from '@knet/netdevice';
import {
  inetDevUp, inetAddrAdd, inetAddrDel, inetAddrList, ipRouteAdd, ipRouteChange, ipRouteDel, ipRouteReplace, ipRouteShow, ipRouteGet,
  type RouteSpec, type RouteGetResult, type RouteRow, type InetAddrRow,
} from '@knet/ipv4';
import { neighShow, neighAdd, neighDel, neighFlush, type NeighRow } from '@knet/neighbour';

export interface LinkRow {
  ifindex: number;
  name: string;
  mtu: number;
  up: boolean;
  carrier: boolean;
  address: string;
  qlen: number;
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
}

/** `ip link/addr/route/neigh`, by device name. Calls return 0 or -errno as iproute2 would fail. */
export class IpApi {
  constructor(private readonly net: Net) {}

  dev(name: string): NetDevice | null {
    return devGetByName(this.net, name);
  }

  readonly link = {
    show: (): LinkRow[] =>
      this.net.devices.map((d) => {
        const s = devGetStats(d);
        return {
          ifindex: d.ifindex, name: d.name, mtu: d.mtu, up: (d.flags & IFF_UP) !== 0,
          carrier: netifCarrierOk(d), address: ethAddrToString(d.devAddr), qlen: d.txQueueLen,
          rxPackets: s.rxPackets, txPackets: s.txPackets, rxBytes: s.rxBytes, txBytes: s.txBytes,
          rxDropped: s.rxDropped, txDropped: s.txDropped,
        };
      }),
    set: (name: string, o: { up?: boolean; mtu?: number }): number => {
      const d = this.dev(name);
      if (d === null) return -ENODEV;
      if (o.mtu !== undefined) {
        const rc = devSetMtu(d, o.mtu);
        if (rc < 0) return rc;
      }
      if (o.up === true) {
        const rc = devOpen(d);
        // There is no netdev notifier chain: tell IPv4 the device is up (NETDEV_UP).
        if (rc === 0) inetDevUp(this.net, d);
        return rc;
      }
      if (o.up === false) return devClose(d);
      return 0;
    },
  };

  readonly addr = {
    add: (name: string, cidr: string): number => {
      const d = this.dev(name);
      return d === null ? -ENODEV : inetAddrAdd(this.net, d, cidr);
    },
    del: (name: string, cidr: string): number => {
      const d = this.dev(name);
      return d === null ? -ENODEV : inetAddrDel(this.net, d, cidr);
    },
    show: (): InetAddrRow[] => inetAddrList(this.net),
  };

  readonly route = {
    add: (spec: RouteSpec): number => ipRouteAdd(this.net, spec),
    change: (spec: RouteSpec): number => ipRouteChange(this.net, spec),
    replace: (spec: RouteSpec): number => ipRouteReplace(this.net, spec),
    del: (spec: Partial<RouteSpec> & { dst: string }): number => ipRouteDel(this.net, spec),
    show: (table?: RouteSpec['table'] | 'all'): RouteRow[] => ipRouteShow(this.net, table),
    get: (daddr: string, o: { saddr?: string; oif?: string } = {}): RouteGetResult | number => {
      const oif = o.oif === undefined ? undefined : this.dev(o.oif);
      if (oif === null) return -ENODEV;
      return ipRouteGet(this.net, daddr, { saddr: o.saddr, oif });
    },
  };

  readonly neigh = {
    show: (): NeighRow[] => neighShow(this.net),
    add: (dst: string, lladdr: string, name: string, permanent = true): number => {
      const d = this.dev(name);
      return d === null ? -ENODEV : neighAdd(this.net, dst, lladdr, d, { permanent });
    },
    del: (dst: string, name: string): number => {
      const d = this.dev(name);
      return d === null ? -ENODEV : neighDel(this.net, dst, d);
    },
    flush: (name?: string): number => {
      const d = name === undefined ? undefined : this.dev(name);
      if (d === null) return -ENODEV;
      return neighFlush(this.net, d);
    },
  };
}

export { inetNtoa };
