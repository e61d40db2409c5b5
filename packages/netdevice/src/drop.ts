// The dropwatch view of kfree_skb_reason's counters.
import type { Net } from '@knet/include';
import { SKB_DROP_REASON_NAMES } from '@knet/include';

/** Non-zero drop counters by reason name ('CPU_BACKLOG': 3, ...). */
export function dropCountsByName(net: Net): Record<string, number> {
  const out: Record<string, number> = {};
  const c = net.dropCounts;
  for (let i = 0; i < c.length; i++) {
    const n = c[i];
    if (n !== undefined && n !== 0) out[SKB_DROP_REASON_NAMES[i] ?? `REASON_${i}`] = n;
  }
  return out;
}

/** The count for one reason. */
export function dropCount(net: Net, reason: number): number {
  return net.dropCounts[reason] ?? 0;
}
