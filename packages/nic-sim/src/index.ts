export { DmaMemory, COHERENT_BASE, MAP_BASE } from './dma.js';
export { Igb82576, IGB_MAX_QUEUES, type Igb82576Opts } from './igb82576.js';
export { IntrController, MSIX_VECTORS } from './intr.js';
export { createIgbNic } from './nic.js';
export { toeplitzHash, RSS_VERIFY_KEY } from './toeplitz.js';
export { onesSum, csumFinish, pseudoSum } from './csum.js';
export {
  Cable, LearningSwitch, LinkDir, Port, macAt, WIRE_OVERHEAD,
  type FrameSink, type Impairment, type LinkOpts, type PortStats, type SwitchStats,
} from './wire.js';
export * as regs from './regs.js';
