export * from './host.js';
export * from './ip.js';
export * from './tc.js';
export * from './sysctl.js';
export * from './counters.js';
export * from './ss.js';
export * from './network.js';
export * from './ping.js';
