// `tcpdump -i <dev> -w FILE`: a ptype_all tap on one host writing classic pcap to a file.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import { CHECKSUM_PARTIAL, ETH_P_ALL, NET_RX_SUCCESS } from '@knet/include';
import { devAddPack, devRemovePack, PcapWriter } from '@knet/netdevice';
import { consumeSkb, skbChecksumHelp } from '@knet/skbuff';

export interface PcapCapture {
  readonly file: string;
  /** Frames written so far. */
  frames(): number;
  /** Remove the tap and close the file. */
  close(): void;
}

/**
 * Outgoing frames whose checksum the NIC will fill in (CHECKSUM_PARTIAL) have it filled in
 * here, on the tap's private copy, so the file holds what goes on the wire. tcpdump on Linux
 * would show them with bad checksums instead.
 */
export function capturePcap(net: Net, dev: NetDevice | null, file: string): PcapCapture {
  const fd = openSync(file, 'w');
  const writer = new PcapWriter({ write: (bytes) => void writeSync(fd, bytes) });
  const tap: PacketType = {
    name: 'pcap',
    type: ETH_P_ALL,
    dev,
    func(skb: SkBuff) {
      // The tap's skb is a clone; skbChecksumHelp gives it its own head before writing.
      if (skb.ipSummed === CHECKSUM_PARTIAL) skbChecksumHelp(skb);
      writer.writeSkb(skb, net.clock.now());
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(net, tap);
  let open = true;
  return {
    file,
    frames: () => writer.packets,
    close() {
      if (!open) return;
      open = false;
      devRemovePack(net, tap);
      closeSync(fd);
    },
  };
}
