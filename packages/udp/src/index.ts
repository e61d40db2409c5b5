export * from './udp_hdr.js';
export * from './udp_sock.js';
export * from './udp_hash.js';
export * from './udp.js';
