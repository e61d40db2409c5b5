import type { SkBuff } from '@knet/include';
import { traceEvent } from '@knet/netdevice';

/** dst_input: hand a received packet to its route's input (local delivery, forward, error). */
export function dstInput(skb: SkBuff): number {
  const net = skb.dev!.ndNet;
  if (net.trace !== null) traceEvent(net, 'dstInput');
  return skb.dst!.input(skb);
}

/** dst_output: hand an outgoing packet to its route's output (ipOutput for unicast). */
export function dstOutput(skb: SkBuff): number {
  const dst = skb.dst!;
  const net = dst.dev.ndNet;
  if (net.trace !== null) traceEvent(net, 'dstOutput');
  return dst.output(skb);
}
