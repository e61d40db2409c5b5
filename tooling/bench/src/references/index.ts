import { KERNEL_REFERENCES } from '../tap/kernel_ref.js';
import type { Reference } from '../types.js';
import { memcpyFrames } from './memcpy.js';
import { nodeTcpCrr, nodeTcpRr, nodeTcpStream } from './node_tcp.js';

/** Every reference, in the order they are measured. */
export const REFERENCES: readonly Reference[] = [
  memcpyFrames, nodeTcpStream, nodeTcpRr, nodeTcpCrr, ...KERNEL_REFERENCES,
];
