// @knet/tap/testing: namespace fixtures for tests and benchmarks that drive a real TAP device.
export {
  addNetem, createNetns, kernelTap, type Netns, netnsSkipReason, runIn, type ToolCheck, vethPair,
} from './netns.js';
export { collect, type Daemon, type DaemonOpts, startDaemon, waitExit, waitFor } from './procs.js';
