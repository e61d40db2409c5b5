export { tapAvailable, loadTapAddon, type TapAddon, type TapAvailability, type PollHandle } from './addon.js';
export * from './if_tun.js';
export { virtioNetHdrFromSkb, virtioNetHdrToSkb } from './virtio_net.js';
export {
  tapOpen, tapClose, tapPriv, tapNetdevOps, type TapOpenOpts, type TapPriv, type TapStats,
} from './tun.js';
