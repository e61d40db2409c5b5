// The igb driver and 82576 model on top of the core, loaded dynamically as core_api.ts does so
// a missing or broken layer is a reported skip, not a crashed run.
import type * as Igb from '@knet/igb';
import type * as NetDevice from '@knet/netdevice';
import type * as NicSim from '@knet/nic-sim';
import type * as Qdisc from '@knet/qdisc';
import type * as Skbuff from '@knet/skbuff';
import type * as Softirq from '@knet/softirq';

export type IgbApi = Pick<typeof Softirq, 'createVirtualClock'> &
  Pick<typeof NetDevice, 'allocNet' | 'devOpen' | 'devAddPack' | 'devQueueXmit'> &
  Pick<typeof Skbuff, 'allocSkb' | 'skbReserve' | 'skbPut' | 'skbAddRxFrag' | 'consumeSkb' | 'csumPartial' | 'csumFold' | 'csumTcpudpMagic'> &
  Pick<typeof Qdisc, 'qdiscRegisterAll'> &
  Pick<typeof Igb, 'igbProbe'> &
  Pick<typeof NicSim, 'createIgbNic' | 'Cable'>;

const NEEDED: (keyof IgbApi)[] = [
  'createVirtualClock', 'allocNet', 'devOpen', 'devAddPack', 'devQueueXmit', 'allocSkb', 'skbReserve', 'skbPut', 'skbAddRxFrag',
  'consumeSkb', 'csumPartial', 'csumFold', 'csumTcpudpMagic', 'qdiscRegisterAll', 'igbProbe', 'createIgbNic', 'Cable',
];

/** The API, or the reason it is not usable yet. */
export async function loadIgbApi(): Promise<IgbApi | { missing: string }> {
  let merged: Record<string, unknown>;
  try {
    const mods = await Promise.all([
      import('@knet/softirq'), import('@knet/netdevice'), import('@knet/skbuff'), import('@knet/qdisc'), import('@knet/igb'),
      import('@knet/nic-sim'),
    ]);
    merged = Object.assign({}, ...mods) as Record<string, unknown>;
  } catch (e) {
    return { missing: `cannot load igb and the 82576 model: ${(e as Error).message}` };
  }
  const absent = NEEDED.filter((k) => typeof merged[k] !== 'function');
  if (absent.length > 0) return { missing: `not exported yet: ${absent.join(', ')}` };
  return merged as unknown as IgbApi;
}
