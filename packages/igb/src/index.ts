export {
  igbProbe, igbRemove, igbOpen, igbClose, igbPoll, igbMsixRing, igbMsixOther, igbRingIrqEnable,
  igbWatchdog, igbTxTimeout, igbSetRxMode, igbUpdateStats, igbNetdevOps, type IgbProbeOpts,
} from './igb_main.js';
export { igbEthtoolOps } from './igb_ethtool.js';
export { igbCleanRxIrq, igbAllocRxBuffers, igbFetchRxBuffer } from './igb_rx.js';
export { igbXmitFrame, igbXmitFrameRing, igbTso, igbTxCsum, igbTxMap, igbCleanTxIrq } from './igb_tx.js';
export {
  IgbAdapter, IgbQVector, IgbRing, IgbTxBuffer, IgbRxBuffer, IgbRingStats, IgbHwStats, netdevPriv,
  igbDescUnused, IGB_DEFAULT_TXD, IGB_DEFAULT_RXD, IGB_RX_BUFFER_WRITE, DESC_NEEDED, TX_WAKE_THRESHOLD,
  type IgbNapi,
} from './igb.js';
