export { createRealClock } from './clock.js';
export { createVirtualClock, virtualClockStats, type VirtualClock, type VirtualClockOptions } from './virtual_clock.js';
export { Xoshiro128 } from './prng.js';
export { SoftirqCpu, SoftirqNet, softirqNet, type SoftirqAction } from './softirq_net.js';
export { initCpus } from './cpu.js';
export {
  openSoftirq, raiseSoftirq, raiseSoftirqIrqoff, __raiseSoftirqIrqoff, wakeupSoftirqd, runKsoftirqd,
  doSoftirq, __doSoftirq, irqEnter, irqExit, localBhDisable, localBhEnable, inSoftirq,
  inServingSoftirq, inHardirq, inInterrupt, inTask, smpProcessorId, thisCpu, runOnCpu,
} from './softirq.js';
export {
  jiffies, msecsToJiffies, usecsToJiffies, jiffiesToMsecs, jiffiesToUsecs, usecsNow, timeAfter,
  timeBefore, timeAfterEq, timeBeforeEq,
} from './jiffies.js';
export {
  TimerList, TimerBase, type TimerFn, timerSetup, modTimer, addTimer, timerReduce, delTimer, delTimerSync,
  timerPending, nextTimerExpiry, initTimers, runTimers, runTimerSoftirq, timerLevel, LVL_CLK_SHIFT,
  LVL_CLK_DIV, LVL_BITS, LVL_SIZE, LVL_DEPTH, WHEEL_SIZE, LVL_GRAN, LVL_START, WHEEL_TIMEOUT_CUTOFF,
  WHEEL_TIMEOUT_MAX,
} from './timer.js';
