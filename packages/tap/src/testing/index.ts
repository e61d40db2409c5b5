// @knet/tap/testing: namespace fixtures for tests and benchmarks that drive a real TAP device.
export {
  createNetns, kernelTap, type Netns, netnsSkipReason, runIn, type ToolCheck, vethPair,
} from './netns.js';
export { addNetem, type Netem, type NetemOpts, type NetemStats } from './netem.js';
export { collect, type Daemon, type DaemonOpts, startDaemon, waitExit, waitFor } from './procs.js';
