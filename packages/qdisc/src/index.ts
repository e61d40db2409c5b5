export * from './sch_pfifo_fast.js';
export * from './sch_fifo.js';
export * from './sch_fq.js';
export * from './tc.js';
