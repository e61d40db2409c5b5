import type { Clock, PciDev } from '@knet/include';
import { Igb82576, type Igb82576Opts } from './igb82576.js';
import type { Port } from './wire.js';

/** An 82576 for a host: the PCI function its driver probes and the port to cable up. */
export function createIgbNic(clock: Clock, opts: Igb82576Opts = {}): { pdev: PciDev; port: Port; nic: Igb82576 } {
  const nic = new Igb82576(clock, opts);
  return { pdev: nic, port: nic.port, nic };
}
