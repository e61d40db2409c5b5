export * from './loopback.js';
