export * from './neighbour.js';
export * from './arp_hdr.js';
export * from './arp.js';
