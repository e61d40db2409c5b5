// Classic libpcap files, fed by a ptype_all tap as tcpdump's AF_PACKET socket is.
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import { ETH_P_ALL, NET_RX_SUCCESS } from '@knet/include';
import { consumeSkb, skbCopyBits } from '@knet/skbuff';
import { devAddPack, devRemovePack } from './dev_rx.js';

export interface ByteSink {
  write(bytes: Uint8Array): void;
}

export const PCAP_MAGIC = 0xa1b2c3d4, LINKTYPE_ETHERNET = 1, PCAP_SNAPLEN = 65535;

/**
 * Writes the 24-byte global header at construction, then one record per packet. Fields are
 * little-endian, as tcpdump writes them on x86; readers detect the order from the magic.
 */
export class PcapWriter {
  readonly snaplen: number;
  packets = 0;
  private readonly hdr = new Uint8Array(16);
  private readonly hv = new DataView(this.hdr.buffer);

  constructor(private readonly sink: ByteSink, snaplen = PCAP_SNAPLEN, linktype = LINKTYPE_ETHERNET) {
    this.snaplen = snaplen;
    const g = new Uint8Array(24);
    const v = new DataView(g.buffer);
    v.setUint32(0, PCAP_MAGIC, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, snaplen, true);
    v.setUint32(20, linktype, true);
    sink.write(g);
  }

  /** One record: `bytes[0, len)` of a frame whose wire length is `origLen`, at `tMs` ms. */
  writeRecord(tMs: number, bytes: Uint8Array, origLen: number): void {
    const us = Math.max(0, Math.floor(tMs * 1000));
    const incl = Math.min(bytes.length, this.snaplen);
    this.hv.setUint32(0, Math.floor(us / 1e6), true);
    this.hv.setUint32(4, us % 1e6, true);
    this.hv.setUint32(8, incl, true);
    this.hv.setUint32(12, origLen, true);
    this.sink.write(this.hdr.slice());
    this.sink.write(incl === bytes.length ? bytes : bytes.subarray(0, incl));
    this.packets++;
  }

  /** The frame from its mac header (or data) through the paged part. */
  writeSkb(skb: SkBuff, tMs: number): void {
    const start = skb.macHeader >= 0 && skb.macHeader <= skb.data ? skb.macHeader : skb.data;
    const pre = skb.data - start;
    const orig = pre + skb.len;
    const n = Math.min(orig, this.snaplen);
    const out = new Uint8Array(n);
    const fromPre = Math.min(pre, n);
    out.set(skb.head.subarray(start, start + fromPre), 0);
    if (n > fromPre) skbCopyBits(skb, 0, out, fromPre, n - fromPre);
    this.writeRecord(tMs, out, orig);
  }
}

/** An in-memory sink: all bytes written so far, concatenated on demand. */
export class PcapBuffer implements ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Capture RX and TX on `dev` (or every device when null) into `writer`. */
export function pcapTapAdd(net: Net, dev: NetDevice | null, writer: PcapWriter): PacketType {
  const pt: PacketType = {
    name: 'pcap',
    type: ETH_P_ALL,
    dev,
    func(skb: SkBuff): number {
      writer.writeSkb(skb, net.clock.now());
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(net, pt);
  return pt;
}

export function pcapTapRemove(net: Net, pt: PacketType): void {
  devRemovePack(net, pt);
}
