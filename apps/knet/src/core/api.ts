// The core and veth entry points the commands drive. They are looked up at run time so the CLI
// can say which layer is missing instead of failing to start.
import type { Clock, Net, NetDevice, PacketType, SkBuff, TraceSink } from '@knet/include';

export interface VirtualClockLike extends Clock {
  runUntilIdle(maxEvents?: number): number;
}

export interface CoreApi {
  createVirtualClock(opts?: { seed?: number }): VirtualClockLike;
  allocNet(opts: { name: string; clock: Clock; cpus: number }): Net;
  vethNewLink(net: Net, name: string, peerName: string, peerNet?: Net): unknown;
  devOpen(dev: NetDevice): number;
  devAddPack(net: Net, pt: PacketType): void;
  devQueueXmit(skb: SkBuff): number;
  allocSkb(size: number): SkBuff;
  skbReserve(skb: SkBuff, len: number): void;
  skbPut(skb: SkBuff, len: number): number;
  consumeSkb(skb: SkBuff): void;
  dropCountsByName(net: Net): Record<string, number>;
  traceOn(net: Net, sink: TraceSink): void;
  traceOff(net: Net): void;
}

const NEEDED: (keyof CoreApi)[] = [
  'createVirtualClock', 'allocNet', 'vethNewLink', 'devOpen', 'devAddPack', 'devQueueXmit', 'allocSkb',
  'skbReserve', 'skbPut', 'consumeSkb', 'dropCountsByName', 'traceOn', 'traceOff',
];

export class CoreUnavailable extends Error {
  override name = 'CoreUnavailable';
}

export async function loadCoreApi(): Promise<CoreApi> {
  let merged: Record<string, unknown>;
  try {
    const mods = await Promise.all([
      import('@knet/softirq'),
      import('@knet/netdevice'),
      import('@knet/skbuff'),
      import('@knet/veth'),
    ]);
    merged = Object.assign({}, ...mods) as Record<string, unknown>;
  } catch (e) {
    throw new CoreUnavailable(`cannot load the core: ${(e as Error).message}`);
  }
  const absent = NEEDED.filter((k) => typeof merged[k] !== 'function');
  if (absent.length > 0) throw new CoreUnavailable(`the core does not export ${absent.join(', ')} yet`);
  return merged as unknown as CoreApi;
}
