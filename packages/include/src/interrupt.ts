// include/linux/interrupt.h: softirq vectors, in priority order.
export const HI_SOFTIRQ = 0, TIMER_SOFTIRQ = 1, NET_TX_SOFTIRQ = 2, NET_RX_SOFTIRQ = 3,
  BLOCK_SOFTIRQ = 4, IRQ_POLL_SOFTIRQ = 5, TASKLET_SOFTIRQ = 6, SCHED_SOFTIRQ = 7,
  HRTIMER_SOFTIRQ = 8, RCU_SOFTIRQ = 9, NR_SOFTIRQS = 10;
export const SOFTIRQ_NAMES = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET',
  'SCHED', 'HRTIMER', 'RCU'] as const;
/** kernel/softirq.c: rounds of __do_softirq before the rest is left to ksoftirqd. */
export const MAX_SOFTIRQ_RESTART = 10;
/** kernel/softirq.c: MAX_SOFTIRQ_TIME, 2 ms. */
export const MAX_SOFTIRQ_TIME_MS = 2;
export const HZ = 1000;
/** Execution context of the code that is running, as in_hardirq()/in_softirq()/in_task(). */
export const CTX_PROCESS = 0, CTX_SOFTIRQ = 1, CTX_HARDIRQ = 2;
export const CTX_NAMES = ['process', 'softirq', 'hardirq'] as const;
