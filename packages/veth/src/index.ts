export * from './veth.js';
