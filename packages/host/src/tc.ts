import type { Net } from '@knet/include';
import { ENODEV } from '@knet/include';
import { devGetByName } from '@knet/netdevice';
import { tcQdiscReplace, tcQdiscShow, type TcQdiscRow } from '@knet/qdisc';

/** `tc qdisc replace/show`. */
export class TcApi {
  constructor(private readonly net: Net) {}
  readonly qdisc = {
    replace: (dev: string, kind: string, opts?: Record<string, unknown>): number => {
      const d = devGetByName(this.net, dev);
      return d === null ? -ENODEV : tcQdiscReplace(d, kind, opts);
    },
    show: (dev?: string): TcQdiscRow[] => {
      const devs = dev === undefined ? this.net.devices : [devGetByName(this.net, dev)].filter((d) => d !== null);
      return devs.flatMap((d) => tcQdiscShow(d));
    },
  };
}
