// Interrupt moderation, as igb_update_itr/igb_set_itr: in the dynamic modes (rx-usecs 1-3) the
// driver classifies the traffic of each interval as lowest-latency, low-latency or bulk from
// packets and bytes per interrupt, and picks an EITR of roughly 70K, 20K or 4K interrupts/s.
import {
  BULK_LATENCY, IGB_20K_ITR, IGB_4K_ITR, IGB_70K_ITR, LOW_LATENCY, LOWEST_LATENCY,
  type IgbQVector, type IgbRingContainer,
} from './igb.js';

/** igb_update_itr: the latency class for the traffic one direction saw since last time. */
function igbUpdateItr(rc: IgbRingContainer): void {
  const packets = rc.totalPackets, bytes = rc.totalBytes;
  if (packets === 0) return;
  let itr = rc.itr;
  const perPkt = bytes / packets;
  switch (itr) {
    case LOWEST_LATENCY:
      // Jumbo frames get bulk straight away.
      if (perPkt > 8000) itr = BULK_LATENCY;
      else if (packets < 5 && bytes > 512) itr = LOW_LATENCY;
      break;
    case LOW_LATENCY:
      if (bytes > 10000) {
        if (perPkt > 8000 || packets < 10 || perPkt > 1200) itr = BULK_LATENCY;
        else if (packets > 35) itr = LOWEST_LATENCY;
      } else if (perPkt > 2000) itr = BULK_LATENCY;
      else if (packets <= 2 && bytes < 512) itr = LOWEST_LATENCY;
      break;
    case BULK_LATENCY:
      if (bytes > 25000) {
        if (packets > 35) itr = LOW_LATENCY;
      } else if (bytes < 1500) itr = LOW_LATENCY;
      break;
  }
  rc.itr = itr;
  rc.totalPackets = 0;
  rc.totalBytes = 0;
}

/** igb_set_itr: the new EITR value, written at the next interrupt (igb_write_itr). */
export function igbSetItr(qv: IgbQVector): void {
  igbUpdateItr(qv.rxc);
  igbUpdateItr(qv.txc);
  let cur = qv.rxc.itr > qv.txc.itr ? qv.rxc.itr : qv.txc.itr;
  // rx-usecs 3 (conservative) never goes to the lowest-latency rate.
  if (qv.adapter.rxItrSetting === 3 && cur === LOWEST_LATENCY) cur = LOW_LATENCY;
  const newItr = cur === LOWEST_LATENCY ? IGB_70K_ITR : cur === LOW_LATENCY ? IGB_20K_ITR : IGB_4K_ITR;
  if (newItr !== qv.itrVal) {
    qv.itrVal = newItr;
    qv.setItr = true;
  }
}
