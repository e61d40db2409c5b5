import type { Cpu, Net } from '@knet/include';
import {
  CTX_HARDIRQ, CTX_PROCESS, CTX_SOFTIRQ, MAX_SOFTIRQ_RESTART, MAX_SOFTIRQ_TIME_MS, NR_SOFTIRQS, SOFTIRQ_NAMES,
} from '@knet/include';
import { type SoftirqAction, SoftirqCpu, softirqNet } from './softirq_net.js';

/** open_softirq: one action per vector for the whole net, as softirq_vec is global. */
export function openSoftirq(net: Net, nr: number, action: SoftirqAction): void {
  if (!(nr >= 0 && nr < NR_SOFTIRQS)) throw new RangeError(`openSoftirq: bad vector ${nr}`);
  softirqNet(net).vec[nr] = action;
}

/** __raise_softirq_irqoff: only marks the vector pending. */
export function __raiseSoftirqIrqoff(cpu: Cpu, nr: number): void {
  cpu.softirqPending |= 1 << nr;
}

/**
 * raise_softirq_irqoff: inside an interrupt or a bh-disabled section the pending bit is
 * enough, since irq_exit or local_bh_enable will run it; from plain process context nobody
 * would, so ksoftirqd is woken.
 */
export function raiseSoftirqIrqoff(cpu: Cpu, nr: number): void {
  const t = cpu.net.trace;
  if (t) t.event('__raiseSoftirqIrqoff', cpu.id, cpu.ctx, SOFTIRQ_NAMES[nr]);
  cpu.softirqPending |= 1 << nr;
  if (cpu.ctx === CTX_PROCESS && cpu.bhDisabled === 0) wakeupSoftirqd(cpu);
}

/** raise_softirq: interrupts are never really off here, so the same as raiseSoftirqIrqoff. */
export function raiseSoftirq(cpu: Cpu, nr: number): void {
  raiseSoftirqIrqoff(cpu, nr);
}

/** wakeup_softirqd: ksoftirqd is a deferred clock task, queued at most once at a time. */
export function wakeupSoftirqd(cpu: Cpu): void {
  if (cpu.ksoftirqdScheduled) return;
  cpu.ksoftirqdScheduled = true;
  cpu.net.clock.defer((cpu as SoftirqCpu).ksoftirqd);
}

/** run_ksoftirqd. If bh got disabled meanwhile, local_bh_enable picks the work up. */
export function runKsoftirqd(cpu: Cpu): void {
  cpu.ksoftirqdScheduled = false;
  if (cpu.softirqPending !== 0 && cpu.ctx === CTX_PROCESS && cpu.bhDisabled === 0) __doSoftirq(cpu);
}

/**
 * __do_softirq: runs pending vectors lowest number first. Vectors raised meanwhile get
 * another round, up to MAX_SOFTIRQ_RESTART rounds and MAX_SOFTIRQ_TIME_MS; what is left
 * then goes to ksoftirqd so the code that was interrupted makes progress.
 */
export function __doSoftirq(cpu: Cpu): void {
  const net = cpu.net;
  const t = net.trace;
  if (t) t.event('__doSoftirq', cpu.id, cpu.ctx);
  const vec = softirqNet(net).vec;
  const clock = net.clock;
  const end = clock.now() + MAX_SOFTIRQ_TIME_MS;
  const prevCtx = cpu.ctx;
  const prevCur = net.curCpu;
  let restart = MAX_SOFTIRQ_RESTART;
  let left = 0;
  let done = false;
  cpu.ctx = CTX_SOFTIRQ;
  net.curCpu = cpu.id;
  try {
    for (;;) {
      left = cpu.softirqPending;
      cpu.softirqPending = 0;
      while (left !== 0) {
        const nr = 31 - Math.clz32(left & -left);
        left &= left - 1;
        cpu.softirqCount[nr]!++;
        vec[nr]!(cpu);
      }
      if (cpu.softirqPending === 0) break;
      if (clock.now() < end && --restart > 0) continue;
      wakeupSoftirqd(cpu);
      break;
    }
    done = true;
  } finally {
    cpu.ctx = prevCtx;
    net.curCpu = prevCur;
    // A throwing action must not lose the vectors queued behind it.
    if (!done) {
      cpu.softirqPending |= left;
      if (cpu.softirqPending !== 0) wakeupSoftirqd(cpu);
    }
  }
}

/** do_softirq: a no-op inside an interrupt or with bh disabled, so softirqs never nest. */
export function doSoftirq(cpu: Cpu): void {
  if (cpu.ctx !== CTX_PROCESS || cpu.bhDisabled !== 0 || cpu.softirqPending === 0) return;
  __doSoftirq(cpu);
}

/** irq_enter: hard IRQ context on `cpu`; nests, and may interrupt a softirq. */
export function irqEnter(cpu: Cpu): void {
  const c = cpu as SoftirqCpu;
  if (c.hardirqDepth++ === 0) {
    c.irqSavedCtx = c.ctx;
    c.irqSavedCurCpu = c.net.curCpu;
    c.ctx = CTX_HARDIRQ;
  }
  c.net.curCpu = c.id;
}

/**
 * irq_exit: leaving the outermost hard IRQ runs pending softirqs (invoke_softirq) unless the
 * IRQ interrupted a softirq or a bh-disabled section, which will run them itself.
 */
export function irqExit(cpu: Cpu): void {
  const c = cpu as SoftirqCpu;
  if (c.hardirqDepth === 0) throw new Error(`irqExit on cpu ${c.id} without irqEnter`);
  if (--c.hardirqDepth !== 0) return;
  c.ctx = c.irqSavedCtx;
  if (c.ctx === CTX_PROCESS && c.bhDisabled === 0 && c.softirqPending !== 0) __doSoftirq(c);
  c.net.curCpu = c.irqSavedCurCpu;
}

/** local_bh_disable: nests. */
export function localBhDisable(cpu: Cpu): void {
  cpu.bhDisabled++;
}

/** local_bh_enable: the outermost enable in process context runs what was raised meanwhile. */
export function localBhEnable(cpu: Cpu): void {
  if (cpu.bhDisabled === 0) throw new Error(`localBhEnable on cpu ${cpu.id} without localBhDisable`);
  if (--cpu.bhDisabled === 0 && cpu.ctx === CTX_PROCESS && cpu.softirqPending !== 0) __doSoftirq(cpu);
}

/** in_softirq: serving a softirq or inside a bh-disabled section, as in Linux. */
export function inSoftirq(cpu: Cpu): boolean {
  return cpu.ctx === CTX_SOFTIRQ || cpu.bhDisabled !== 0;
}

/** in_serving_softirq: running a softirq action. */
export function inServingSoftirq(cpu: Cpu): boolean {
  return cpu.ctx === CTX_SOFTIRQ;
}

export function inHardirq(cpu: Cpu): boolean {
  return cpu.ctx === CTX_HARDIRQ;
}

/** in_interrupt: anything but plain process context with bh enabled. */
export function inInterrupt(cpu: Cpu): boolean {
  return cpu.ctx !== CTX_PROCESS || cpu.bhDisabled !== 0;
}

/** in_task: process context, bh-disabled sections included, as in Linux. */
export function inTask(cpu: Cpu): boolean {
  return cpu.ctx === CTX_PROCESS;
}

/** smp_processor_id */
export function smpProcessorId(net: Net): number {
  return net.curCpu;
}

/** this_cpu_ptr for the Cpu itself. */
export function thisCpu(net: Net): Cpu {
  return net.cpus[net.curCpu]!;
}

/** Runs process-context work as if scheduled on `cpuId` (a task pinned to that CPU). */
export function runOnCpu<T>(net: Net, cpuId: number, fn: () => T): T {
  if (!(cpuId >= 0 && cpuId < net.cpus.length)) throw new RangeError(`runOnCpu: no cpu ${cpuId}`);
  const prev = net.curCpu;
  net.curCpu = cpuId;
  try {
    return fn();
  } finally {
    net.curCpu = prev;
  }
}
