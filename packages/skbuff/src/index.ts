export * from './bytes.js';
export * from './checksum.js';
export { SkbFrag, SkbSharedInfo, SKB_SIZE_CLASSES, type SkbDataClassStats } from './pool.js';
export * from './skbuff.js';
export * from './skbuff_clone.js';
export * from './skbuff_frag.js';
export * from './skb_checksum.js';
export * from './skb_queue.js';
