// Receive path of the 82576 model (datasheet 7.1): L2 filtering, RSS queue selection, checksum
// validation, DMA into the buffers of advanced one-buffer descriptors, write-back, interrupt.
// A frame needing more descriptors than software has posted is dropped and counted (MPC, RNBC,
// RQDPC), never held: the ring keeps going once software refills it.
import { csumFinish, onesSum, onesSumBytes, onesSumEngine } from './csum.js';
import { rd32, wr32, type Igb82576 } from './igb82576.js';
import * as R from './regs.js';
import { toeplitzHashTable, toeplitzTable } from './toeplitz.js';

const L2_REJECT = 0, L2_UNICAST = 1, L2_MULTICAST = 2, L2_BROADCAST = 3;
const hashIn = new Uint8Array(12);

/** `addr` is the frame's checksum-engine address when the wire keeps it there, else -1. */
export function rxFrame(d: Igb82576, b: Uint8Array, len: number, addr: number): void {
  d.count(R.TPR, 1);
  d.count(R.TORL, len + 4);
  if (!(d.rctl & R.RCTL_EN)) return;
  if (len < 14) {
    d.count(R.RUC, 1);
    return;
  }
  // Without LPE the MAC takes 1518-byte frames plus a VLAN tag (FCS not counted here).
  if (len > (d.rctl & R.RCTL_LPE ? 9728 : 1518)) {
    d.count(R.ROC, 1);
    return;
  }
  const kind = l2Filter(d, b);
  if (kind === L2_REJECT) return;

  let pktType = 0, rssType = 0, hash = 0, status = 0, q = 0;
  if (b[12] === 0x08 && b[13] === 0x00 && len >= 34 && b[14] >> 4 === 4) {
    const ihl = (b[14] & 0xf) << 2;
    if (ihl >= 20 && 14 + ihl <= len) {
      pktType = R.RXD_PKTTYPE_IPV4;
      const tot = (b[16] << 8) | b[17];
      const frag = ((b[20] << 8) | b[21]) & 0x3fff;
      const proto = b[23];
      const l4 = 14 + ihl;
      const l4ok = frag === 0 && tot >= ihl && 14 + tot <= len;
      if (proto === 6 && l4ok && tot - ihl >= 20) pktType |= R.RXD_PKTTYPE_TCP;
      else if (proto === 17 && l4ok && tot - ihl >= 8) pktType |= R.RXD_PKTTYPE_UDP;
      if ((d.mrqc & R.MRQC_ENABLE_MASK) === R.MRQC_ENABLE_RSS_MQ) {
        if (!d.rssTableValid) {
          toeplitzTable(d.rssKey, d.rssTable, 12);
          d.rssTableValid = true;
        }
        // Hash input (7.1.2.8.1): source address, destination address, source port, dest port;
        // without IP options the four lie back to back in the frame.
        let hin = b, ho = 26;
        if (ihl !== 20) {
          for (let i = 0; i < 8; i++) hashIn[i] = b[26 + i];
          for (let i = 0; i < 4; i++) hashIn[8 + i] = b[l4 + i];
          hin = hashIn;
          ho = 0;
        }
        if (pktType & R.RXD_PKTTYPE_TCP && d.mrqc & R.MRQC_RSS_FIELD_IPV4_TCP) {
          rssType = R.RXD_RSSTYPE_IPV4_TCP;
          hash = toeplitzHashTable(d.rssTable, hin, ho, 12);
        } else if (pktType & R.RXD_PKTTYPE_UDP && d.mrqc & R.MRQC_RSS_FIELD_IPV4_UDP) {
          rssType = R.RXD_RSSTYPE_IPV4_UDP;
          hash = toeplitzHashTable(d.rssTable, hin, ho, 12);
        } else if (d.mrqc & R.MRQC_RSS_FIELD_IPV4) {
          rssType = R.RXD_RSSTYPE_IPV4;
          hash = toeplitzHashTable(d.rssTable, hin, ho, 8);
        }
        if (rssType !== 0) q = d.reta[hash & 0x7f] & 0xf;
      }
      if (d.rxcsum & R.RXCSUM_IPOFL) {
        status |= R.RXD_STAT_IPCS;
        if (csumFinish(onesSumBytes(b, 14, ihl, 0)) !== 0) status |= R.RXD_ERR_IPE;
      }
      if (d.rxcsum & R.RXCSUM_TUOFL && pktType & (R.RXD_PKTTYPE_TCP | R.RXD_PKTTYPE_UDP)) {
        const l4len = tot - ihl;
        const tcp = (pktType & R.RXD_PKTTYPE_TCP) !== 0;
        // A zero UDP checksum means "none" (RFC 768): nothing to validate.
        if (tcp || b[l4 + 6] !== 0 || b[l4 + 7] !== 0) {
          status |= tcp ? R.RXD_STAT_TCPCS : R.RXD_STAT_UDPCS;
          // The pseudo-header (RFC 793 §3.1): addresses, protocol, L4 length.
          const ps = onesSumBytes(b, 26, 8, proto + l4len);
          if (csumFinish(addr >= 0 ? onesSumEngine(addr + l4, l4len, ps) : onesSum(b, l4, l4len, ps)) !== 0) {
            status |= R.RXD_ERR_L4E;
          }
        }
      }
    }
  }
  if (!(d.rxcsum & (R.RXCSUM_IPOFL | R.RXCSUM_TUOFL))) status |= R.RXD_STAT_IXSM;

  const count = d.rxReg(q, R.Q_LEN) >>> 4;
  if (!(d.rxReg(q, R.Q_DCTL) & R.XDCTL_ENABLE) || count === 0) {
    dropNoDesc(d, q, false);
    return;
  }
  const bsz = (d.rxReg(q, R.Q_SRRCTL) & R.SRRCTL_BSIZEPKT_MASK) << 10 || 2048;
  const need = Math.ceil(len / bsz);
  let head = d.rxReg(q, R.Q_HEAD) % count;
  const tail = d.rxReg(q, R.Q_TAIL) % count;
  if ((tail - head + count) % count < need) {
    dropNoDesc(d, q, true);
    return;
  }
  const base = d.rxReg(q, R.Q_BAL) + d.rxReg(q, R.Q_BAH) * 0x100000000;
  const ring = d.dma.resolve(base, count << 4);
  if (ring === null) {
    dropNoDesc(d, q, false);
    return;
  }
  const ro = d.dma.resolvedOff;
  const hi = d.rxcsum & R.RXCSUM_PCSD ? hash : 0;
  for (let done = 0, i = 0; i < need; i++) {
    const o = ro + (head << 4);
    const n = len - done < bsz ? len - done : bsz;
    const buf = d.dma.resolve(rd32(ring, o) + rd32(ring, o + 4) * 0x100000000, n);
    // A view of the whole frame is used as it is: making a view costs more than the copy.
    if (buf !== null) buf.set(n === b.length ? b : new Uint8Array(b.buffer, b.byteOffset + done, n), d.dma.resolvedOff);
    wr32(ring, o, rssType | pktType);
    wr32(ring, o + 4, hi);
    wr32(ring, o + 8, i === need - 1 ? status | R.RXD_STAT_DD | R.RXD_STAT_EOP : R.RXD_STAT_DD);
    wr32(ring, o + 12, n);
    done += n;
    head = head + 1 === count ? 0 : head + 1;
  }
  d.setRxReg(q, R.Q_HEAD, head);
  d.count(R.GPRC, 1);
  d.count(R.GORCL, len + 4);
  if (kind === L2_BROADCAST) d.count(R.BPRC, 1);
  else if (kind === L2_MULTICAST) d.count(R.MPRC, 1);
  d.intr.queueCause(q, false);
}

function dropNoDesc(d: Igb82576, q: number, noBuf: boolean): void {
  d.count(R.MPC, 1);
  if (noBuf) d.count(R.RNBC, 1);
  d.rqdpc[q]++;
}

/** Destination address filters (7.1.1): exact RAR entries, the MTA hash, promiscuous bits. */
function l2Filter(d: Igb82576, b: Uint8Array): number {
  if (b[0] & 1) {
    if ((b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) === 0xff) {
      return d.rctl & (R.RCTL_BAM | R.RCTL_MPE) ? L2_BROADCAST : L2_REJECT;
    }
    if (d.rctl & R.RCTL_MPE) return L2_MULTICAST;
    // Multicast offset 00 (RCTL.MO): the hash is address bits 47:36.
    const h = ((b[4] >> 4) | (b[5] << 4)) & 0xfff;
    return d.mta[h >> 5] & (1 << (h & 31)) ? L2_MULTICAST : L2_REJECT;
  }
  if (d.rctl & R.RCTL_UPE) return L2_UNICAST;
  const lo = rd32(b, 0);
  const hi = b[4] | (b[5] << 8);
  for (let i = 0; i < R.RAR_ENTRIES; i++) {
    const rah = d.rah[i];
    if (rah & R.RAH_AV && d.ral[i] === lo && (rah & 0xffff) === hi) return L2_UNICAST;
  }
  return L2_REJECT;
}
