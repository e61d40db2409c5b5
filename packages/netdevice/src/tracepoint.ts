// Tracepoints, as ftrace's function events: one `net.trace !== null` check when tracing is off.
import type { Net, TraceEvent, TraceSink } from '@knet/include';

/** Fire a tracepoint named after the Linux function (camelCase). */
export function traceEvent(net: Net, fn: string, info?: string): void {
  const t = net.trace;
  if (t !== null) t.event(fn, net.curCpu, net.cpus[net.curCpu]!.ctx, info);
}

export function traceOn(net: Net, sink: TraceSink): void {
  net.trace = sink;
}

export function traceOff(net: Net): void {
  net.trace = null;
}

/** A sink that keeps every event with the clock time it fired at. */
export class TraceRecorder implements TraceSink {
  readonly entries: TraceEvent[] = [];
  constructor(private readonly net: Net, readonly limit = 1 << 20) {}

  event(fn: string, cpu: number, ctx: number, info?: string): void {
    if (this.entries.length >= this.limit) return;
    const e: TraceEvent = { fn, cpu, ctx, t: this.net.clock.now() };
    if (info !== undefined) e.info = info;
    this.entries.push(e);
  }

  /** Function names in firing order. */
  fns(): string[] {
    return this.entries.map((e) => e.fn);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
