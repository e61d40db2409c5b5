// include/uapi/linux/if_arp.h: struct arphdr followed by the Ethernet/IPv4 body (RFC 826).
// Offsets are from the start of the ARP header; addresses inside are host-order numbers.
// `arpHdrChecked` validates bytes from the wire once; the accessors then trust them.
import { getUint16, getUint32, putUint16, putUint32 } from '@knet/skbuff';

const HRD = 0, PRO = 2, HLN = 4, PLN = 5, OP = 6, SHA = 8;
export const ARPOP_REQUEST = 1, ARPOP_REPLY = 2, ARPOP_RREQUEST = 3, ARPOP_RREPLY = 4;
export const ARPHRD_IEEE802 = 6;
/** The fixed part: hrd, pro, hln, pln, op. */
export const ARP_HDR_FIXED = 8;

/** arp_hdr_len: fixed part plus two (hardware, IPv4) address pairs. */
export function arpHdrLen(addrLen: number): number {
  return ARP_HDR_FIXED + 2 * (addrLen + 4);
}

/** True when `avail` bytes at `off` hold a whole header whose hln/pln match (addrLen, 4). */
export function arpHdrChecked(b: Uint8Array, off: number, avail: number, addrLen: number): boolean {
  if (avail < ARP_HDR_FIXED || off + avail > b.length) return false;
  return b[off + HLN] === addrLen && b[off + PLN] === 4 && avail >= arpHdrLen(addrLen);
}

export const arpHrd = (b: Uint8Array, o: number) => getUint16(b, o + HRD);
export const arpPro = (b: Uint8Array, o: number) => getUint16(b, o + PRO);
export const arpHln = (b: Uint8Array, o: number) => b[o + HLN];
export const arpPln = (b: Uint8Array, o: number) => b[o + PLN];
export const arpOp = (b: Uint8Array, o: number) => getUint16(b, o + OP);
/** Offset of the sender hardware address. */
export const arpShaOff = (o: number) => o + SHA;
export const arpSip = (b: Uint8Array, o: number, hln: number) => getUint32(b, o + SHA + hln);
export const arpThaOff = (o: number, hln: number) => o + SHA + hln + 4;
export const arpTip = (b: Uint8Array, o: number, hln: number) => getUint32(b, o + SHA + 2 * hln + 4);

/** Write a whole header in place. `tha` null writes zeros (who-has). */
export function arpHdrWrite(
  b: Uint8Array, o: number, hrd: number, op: number, sha: Uint8Array, sip: number, tha: Uint8Array | null, tip: number,
): void {
  const hln = sha.length;
  putUint16(b, o + HRD, hrd);
  putUint16(b, o + PRO, 0x0800);
  b[o + HLN] = hln;
  b[o + PLN] = 4;
  putUint16(b, o + OP, op);
  b.set(sha, o + SHA);
  putUint32(b, o + SHA + hln, sip);
  if (tha !== null) b.set(tha.subarray(0, hln), o + SHA + hln + 4);
  else b.fill(0, o + SHA + hln + 4, o + SHA + 2 * hln + 4);
  putUint32(b, o + SHA + 2 * hln + 4, tip);
}
