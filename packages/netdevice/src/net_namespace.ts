// net/core/net_namespace.c + net_dev_init: one host is one Net, with its CPUs and sysctls.
import type { Clock, Cpu, Net, NetDevice, SoftnetData, SysctlEntry } from '@knet/include';
import {
  EINVAL, ENOENT, NAPI_POLL_WEIGHT, NET_RX_SOFTIRQ, NET_TX_SOFTIRQ, NETDEV_BUDGET,
  NETDEV_BUDGET_USECS, NETDEV_MAX_BACKLOG, SKB_DROP_REASON,
} from '@knet/include';
import { SkBuffHead } from '@knet/skbuff';
import { initCpus, openSoftirq } from '@knet/softirq';
import type { CoreNet } from './core.js';
import { allocNetdev } from './dev.js';
import { processBacklog } from './dev_rx.js';
import { napiAlloc, netRxAction } from './napi.js';
import { qdiscLookupOps } from './sch_api.js';
import { netTxAction } from './sch_generic.js';

export interface AllocNetOpts {
  name: string;
  clock: Clock;
  cpus?: number;
}

/** register_net_sysctl for one entry; -EEXIST semantics are left to the caller (last wins). */
export function registerSysctl(net: Net, name: string, entry: SysctlEntry): void {
  net.sysctls.set(name, entry);
}

/** `sysctl name`: the value, or undefined when there is no such entry. */
export function sysctlGet(net: Net, name: string): number | string | number[] | undefined {
  return net.sysctls.get(name)?.get();
}

/** `sysctl -w name=v`: 0, -ENOENT, or the entry's -EINVAL. */
export function sysctlSet(net: Net, name: string, v: number | string | number[]): number {
  const e = net.sysctls.get(name);
  return e === undefined ? -ENOENT : e.set(v);
}

/** An integer sysctl in [min, max] backed by a field of `obj` (proc_dointvec_minmax). */
export function sysctlIntField<T extends object, K extends keyof T & string>(obj: T, key: K, min: number, max: number): SysctlEntry {
  return {
    get: () => obj[key] as unknown as number,
    set: (v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return -EINVAL;
      (obj as Record<string, unknown>)[key] = v;
      return 0;
    },
  };
}

function makeSoftnet(cpu: Cpu, backlogDev: NetDevice): SoftnetData {
  const backlog = napiAlloc(backlogDev, processBacklog, NAPI_POLL_WEIGHT);
  backlog.state = 0;
  backlog.cpu = cpu.id;
  return {
    pollList: [],
    inputPktQueue: new SkBuffHead(),
    processQueue: new SkBuffHead(),
    backlog,
    outputQueue: [],
    completionQueue: new SkBuffHead(),
    processed: 0,
    timeSqueeze: 0,
    dropped: 0,
    receivedRps: 0,
  };
}

/** net_dev_init: per-CPU softnet_data with its backlog NAPI, and the two NET softirqs. */
export function netDevInit(net: Net, ncpus: number): void {
  const core: CoreNet = {
    netdevMaxBacklog: NETDEV_MAX_BACKLOG,
    netdevBudget: NETDEV_BUDGET,
    netdevBudgetUsecs: NETDEV_BUDGET_USECS,
    devWeight: NAPI_POLL_WEIGHT,
    devTxWeight: NAPI_POLL_WEIGHT,
    rpsSockFlowEntries: 0,
    defaultQdisc: 'pfifo_fast',
    offloads: [],
    repoll: [],
    xmitRecursion: 0,
    xmitRc: 0,
    backlogDev: null,
    rpsNeeded: 0,
  };
  net.gen.core = core;
  // The backlog NAPIs belong to no device in Linux; this unregistered one stands in.
  const backlogDev = allocNetdev(net, 'backlog', () => {});
  core.backlogDev = backlogDev;
  initCpus(net, ncpus, (cpu) => makeSoftnet(cpu, backlogDev));
  for (let i = 0; i < ncpus; i++) core.repoll.push([]);
  openSoftirq(net, NET_TX_SOFTIRQ, netTxAction);
  openSoftirq(net, NET_RX_SOFTIRQ, netRxAction);

  registerSysctl(net, 'net.core.netdev_max_backlog', sysctlIntField(core, 'netdevMaxBacklog', 0, 0x7fffffff));
  registerSysctl(net, 'net.core.netdev_budget', sysctlIntField(core, 'netdevBudget', 1, 0x7fffffff));
  registerSysctl(net, 'net.core.netdev_budget_usecs', sysctlIntField(core, 'netdevBudgetUsecs', 1, 0x7fffffff));
  registerSysctl(net, 'net.core.rps_sock_flow_entries', sysctlIntField(core, 'rpsSockFlowEntries', 0, 1 << 29));
  registerSysctl(net, 'net.core.dev_weight', {
    get: () => core.devWeight,
    set: (v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return -EINVAL;
      core.devWeight = v;
      core.devTxWeight = v;
      for (const cpu of net.cpus) cpu.softnet.backlog.weight = v;
      return 0;
    },
  });
  registerSysctl(net, 'net.core.default_qdisc', {
    get: () => core.defaultQdisc,
    set: (v) => {
      if (typeof v !== 'string' || qdiscLookupOps(v) === null) return -ENOENT;
      core.defaultQdisc = v;
      return 0;
    },
  });
}

/** A new host: the Net, its CPUs (default 1), softirqs and core sysctls. */
export function allocNet(opts: AllocNetOpts): Net {
  const ncpus = opts.cpus ?? 1;
  const net: Net = {
    name: opts.name,
    clock: opts.clock,
    cpus: [],
    curCpu: 0,
    devices: [],
    devByIndex: [],
    devByName: new Map(),
    ifindexNext: 1,
    ptypeAll: [],
    ptypeBase: new Map(),
    sysctls: new Map(),
    mibs: new Map(),
    dropCounts: new Array<number>(SKB_DROP_REASON.MAX).fill(0),
    trace: null,
    gen: {},
  };
  netDevInit(net, ncpus);
  return net;
}
