import type { Clock, Cpu, Net, SoftnetData } from '@knet/include';
import { initCpus } from '../cpu.js';

/** A Net with only what softirq reads; the rest belongs to @knet/netdevice. */
export function testNet(clock: Clock, ncpus = 1): Net {
  const net = {
    name: 'test',
    clock,
    cpus: [] as Cpu[],
    curCpu: 0,
    gen: {},
  } as unknown as Net;
  initCpus(net, ncpus, () => ({ pollList: [], processed: 0 }) as unknown as SoftnetData);
  return net;
}
