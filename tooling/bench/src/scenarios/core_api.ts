// The core and veth entry points the knet scenarios drive, loaded dynamically so the harness
// still runs (and reports the reason) while a layer is missing or broken.
import type { Clock, Net, NetDevice, PacketType, SkBuff } from '@knet/include';

export interface VirtualClockLike extends Clock {
  runUntilIdle(): unknown;
}

export interface CoreApi {
  createVirtualClock(opts?: { seed?: number }): VirtualClockLike;
  allocNet(opts: { name: string; clock: Clock; cpus: number }): Net;
  vethNewLink(net: Net, name: string, peerName: string, peerNet?: Net): [NetDevice, NetDevice];
  qdiscRegisterAll(): number;
  tcQdiscReplace(dev: NetDevice, id: string): number;
  devOpen(dev: NetDevice): number;
  devAddPack(net: Net, pt: PacketType): void;
  devQueueXmit(skb: SkBuff): number;
  allocSkb(size: number): SkBuff;
  skbReserve(skb: SkBuff, len: number): void;
  skbPut(skb: SkBuff, len: number): number;
  consumeSkb(skb: SkBuff): void;
}

const NEEDED: (keyof CoreApi)[] = [
  'createVirtualClock', 'allocNet', 'vethNewLink', 'qdiscRegisterAll', 'tcQdiscReplace', 'devOpen', 'devAddPack', 'devQueueXmit',
  'allocSkb', 'skbReserve', 'skbPut', 'consumeSkb',
];

/** The API, or the reason it is not usable yet. */
export async function loadCoreApi(): Promise<CoreApi | { missing: string }> {
  let merged: Record<string, unknown>;
  try {
    const [softirq, netdevice, skbuff, veth, qdisc] = await Promise.all([
      import('@knet/softirq'),
      import('@knet/netdevice'),
      import('@knet/skbuff'),
      import('@knet/veth'),
      import('@knet/qdisc'),
    ]);
    merged = { ...softirq, ...netdevice, ...skbuff, ...veth, ...qdisc };
  } catch (e) {
    return { missing: `cannot load the core: ${(e as Error).message}` };
  }
  const absent = NEEDED.filter((k) => typeof merged[k] !== 'function');
  if (absent.length > 0) return { missing: `not exported yet: ${absent.join(', ')}` };
  return merged as unknown as CoreApi;
}
