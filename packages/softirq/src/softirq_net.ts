import type { Cpu, Net, SoftnetData } from '@knet/include';
import { CTX_PROCESS, NR_SOFTIRQS } from '@knet/include';
import type { TimerBase } from './timer.js';

export type SoftirqAction = (cpu: Cpu) => void;

const noAction: SoftirqAction = () => {};

/** Per-net softirq state (softirq_vec and the timer base), kept in net.gen.softirq. */
export class SoftirqNet {
  /** softirq_vec: one action per vector, shared by every CPU of the net. */
  readonly vec: SoftirqAction[] = new Array<SoftirqAction>(NR_SOFTIRQS).fill(noAction);
  timers: TimerBase | null = null;
}

declare module '@knet/include' {
  interface NetGeneric {
    softirq?: SoftirqNet;
  }
}

export function softirqNet(net: Net): SoftirqNet {
  return (net.gen.softirq ??= new SoftirqNet());
}

/**
 * The Cpu that initCpus builds. The extra fields stand in for the hardirq part of
 * preempt_count and for the ksoftirqd thread.
 */
export class SoftirqCpu implements Cpu {
  softirqPending = 0;
  ctx = CTX_PROCESS;
  bhDisabled = 0;
  ksoftirqdScheduled = false;
  softnet: SoftnetData;
  readonly softirqCount: number[] = new Array<number>(NR_SOFTIRQS).fill(0);
  /** Hard IRQ nesting depth, and what the outermost one interrupted. */
  hardirqDepth = 0;
  irqSavedCtx = CTX_PROCESS;
  irqSavedCurCpu = 0;
  /** The ksoftirqd body, made once so waking it allocates nothing. */
  readonly ksoftirqd: () => void;

  constructor(
    readonly id: number,
    readonly net: Net,
    ksoftirqd: (cpu: SoftirqCpu) => void,
  ) {
    this.softnet = null as unknown as SoftnetData;
    this.ksoftirqd = () => ksoftirqd(this);
  }
}
