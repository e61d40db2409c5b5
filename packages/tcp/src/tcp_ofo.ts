// The out-of-order queue (tp->out_of_order_queue). Linux keeps an rb-tree; here a sorted array
// of disjoint skbs with binary search gives the same O(log n) lookup, and insertion is one
// memmove. Size is bounded by sk_rcvbuf (tcp_prune_ofo_queue), so the array stays small.
import type { SkBuff } from '@knet/include';

export class OfoQueue {
  readonly skbs: SkBuff[] = [];
  /** Sum of truesize, for pressure checks. */
  truesize = 0;

  get length(): number {
    return this.skbs.length;
  }
  first(): SkBuff | null {
    return this.skbs.length > 0 ? this.skbs[0] : null;
  }
  last(): SkBuff | null {
    const n = this.skbs.length;
    return n > 0 ? this.skbs[n - 1] : null;
  }
  /** Index of the first skb whose seq is not before `seq` (mod 2^32 relative to `base`). */
  lowerBound(seq: number, base: number): number {
    const a = this.skbs;
    let lo = 0, hi = a.length;
    const key = (seq - base) >>> 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (((a[mid].cb.seq - base) >>> 0) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insertAt(i: number, skb: SkBuff): void {
    this.skbs.splice(i, 0, skb);
    this.truesize += skb.truesize;
  }
  removeAt(i: number): SkBuff {
    const skb = this.skbs[i];
    this.skbs.splice(i, 1);
    this.truesize -= skb.truesize;
    return skb;
  }
  shift(): SkBuff | null {
    const skb = this.skbs.shift() ?? null;
    if (skb !== null) this.truesize -= skb.truesize;
    return skb;
  }
  pop(): SkBuff | null {
    const skb = this.skbs.pop() ?? null;
    if (skb !== null) this.truesize -= skb.truesize;
    return skb;
  }
}
