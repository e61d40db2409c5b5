// Checksums over an skb: skb_checksum, skb_checksum_help (net/core/dev.c), inet_proto_csum_replace*
// (net/core/utils.c), pskb_trim_rcsum.
import type { SkBuff as ISkBuff } from '@knet/include';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL, EINVAL, ENOMEM } from '@knet/include';
import { getUint16, putUint16 } from './bytes.js';
import { csumAdd, csumBlockAdd, csumBlockSub, csumFold, csumOf32, csumPartial, csumSub, csumUnfold } from './checksum.js';
import { pskbExpandHead, pskbTrim, skbCloned } from './skbuff.js';

/** skb_checksum: unfolded sum of `len` bytes from packet offset `offset`, linear and paged. */
export function skbChecksum(skb: ISkBuff, offset: number, len: number, sum: number): number {
  if (offset < 0 || len <= 0) return sum;
  const headlen = skb.len - skb.dataLen;
  let pos = 0;
  let copy = headlen - offset;
  if (copy > 0) {
    if (copy > len) copy = len;
    sum = csumPartial(skb.head, skb.data + offset, copy, sum);
    len -= copy;
    if (len === 0) return sum;
    offset += copy;
    pos = copy;
  }
  const frags = skb.shinfo.frags;
  let start = headlen;
  for (let i = 0; i < frags.length && len > 0; i++) {
    const f = frags[i];
    const end = start + f.len;
    copy = end - offset;
    if (copy > 0) {
      if (copy > len) copy = len;
      // A frag that begins at an odd position of the block contributes byte-swapped words.
      sum = csumBlockAdd(sum, csumPartial(f.page, f.off + offset - start, copy, 0), pos);
      len -= copy;
      offset += copy;
      pos += copy;
    }
    start = end;
  }
  return sum;
}

// CSUM_MANGLED_0: a computed 0 goes on the wire as 0xffff, since 0 means "no checksum" to UDP.
const CSUM_MANGLED_0 = 0xffff;

/**
 * skb_checksum_help: finish a CHECKSUM_PARTIAL packet in software. The field at
 * csumStart + csumOffset already holds the pseudo-header sum, so it is summed with the rest.
 */
export function skbChecksumHelp(skb: ISkBuff): number {
  if (skb.ipSummed !== CHECKSUM_PARTIAL) return 0;
  const offset = skb.csumStart - skb.data;
  const headlen = skb.len - skb.dataLen;
  if (offset < 0 || offset >= headlen || offset + skb.csumOffset + 2 > headlen) return -EINVAL;
  if (skbCloned(skb) && pskbExpandHead(skb, 0, 0) !== 0) return -ENOMEM;
  const csum = skbChecksum(skb, offset, skb.len - offset, 0);
  const at = skb.csumStart + skb.csumOffset;
  const folded = csumFold(csum);
  putUint16(skb.head, at, folded === 0 ? CSUM_MANGLED_0 : folded);
  skb.ipSummed = CHECKSUM_NONE;
  return 0;
}

/**
 * inet_proto_csum_replace4: a 32-bit field covered by the checksum at head[csumOff] changed.
 * With CHECKSUM_PARTIAL the field holds the uncomplemented pseudo-header sum, so only a
 * pseudo-header field (`pseudohdr`) touches it; with CHECKSUM_COMPLETE skb.csum follows too.
 */
export function inetProtoCsumReplace4(skb: ISkBuff, csumOff: number, from: number, to: number, pseudohdr: boolean): void {
  const b = skb.head;
  const f = csumOf32(from);
  const t = csumOf32(to);
  if (skb.ipSummed !== CHECKSUM_PARTIAL) {
    putUint16(b, csumOff, csumFold(csumAdd(csumSub(~csumUnfold(getUint16(b, csumOff)) & 0xffff, f), t)));
    if (skb.ipSummed === CHECKSUM_COMPLETE && pseudohdr) {
      skb.csum = ~csumAdd(csumSub(~skb.csum >>> 0, f), t) >>> 0;
    }
  } else if (pseudohdr) {
    putUint16(b, csumOff, ~csumFold(csumAdd(csumSub(csumUnfold(getUint16(b, csumOff)), f), t)) & 0xffff);
  }
}

/** inet_proto_csum_replace2: as inetProtoCsumReplace4 for a 16-bit field (a port). */
export function inetProtoCsumReplace2(skb: ISkBuff, csumOff: number, from: number, to: number, pseudohdr: boolean): void {
  inetProtoCsumReplace4(skb, csumOff, from & 0xffff, to & 0xffff, pseudohdr);
}

/**
 * pskb_trim_rcsum: trim, and take the cut bytes out of a CHECKSUM_COMPLETE sum
 * (pskb_trim_rcsum_slow), so receive offload stays usable after dropping link padding.
 */
export function pskbTrimRcsum(skb: ISkBuff, len: number): number {
  if (len >= skb.len) return 0;
  if (skb.ipSummed === CHECKSUM_COMPLETE) {
    const delta = skbChecksum(skb, len, skb.len - len, 0);
    skb.csum = csumBlockSub(skb.csum, delta, len);
  }
  return pskbTrim(skb, len);
}
