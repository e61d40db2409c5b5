import type { Cpu, Net, SoftnetData } from '@knet/include';
import { runKsoftirqd } from './softirq.js';
import { SoftirqCpu, softirqNet } from './softirq_net.js';
import { initTimers } from './timer.js';

/**
 * Boots `n` CPUs into net.cpus (each with its pending bits, context and ksoftirqd) and the
 * net's timer wheel. `makeSoftnet` builds each CPU's softnet_data; @knet/netdevice owns it.
 */
export function initCpus(net: Net, n: number, makeSoftnet: (cpu: Cpu) => SoftnetData): Cpu[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`initCpus: bad cpu count ${n}`);
  if (net.cpus.length !== 0) throw new Error(`initCpus: net ${net.name} already has cpus`);
  softirqNet(net);
  for (let i = 0; i < n; i++) {
    const cpu = new SoftirqCpu(i, net, runKsoftirqd);
    net.cpus.push(cpu);
    cpu.softnet = makeSoftnet(cpu);
  }
  net.curCpu = 0;
  initTimers(net);
  return net.cpus;
}
