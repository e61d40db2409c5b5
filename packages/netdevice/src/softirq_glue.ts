// The one place net/core raises softirqs, so every caller names a CPU by index.
import type { Net } from '@knet/include';
import { raiseSoftirq } from '@knet/softirq';

export function raiseNetSoftirq(net: Net, cpu: number, nr: number): void {
  raiseSoftirq(net.cpus[cpu]!, nr);
}
