// `tcpdump -i <dev> -w FILE`: a ptype_all tap on one host writing classic pcap to a file.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Net, NetDevice, PacketType } from '@knet/include';
import { PcapWriter, pcapTapAdd, pcapTapRemove } from '@knet/netdevice';

export interface PcapCapture {
  readonly file: string;
  /** Frames written so far. */
  frames(): number;
  /** Remove the tap and close the file. */
  close(): void;
}

export function capturePcap(net: Net, dev: NetDevice | null, file: string): PcapCapture {
  const fd = openSync(file, 'w');
  const writer = new PcapWriter({ write: (bytes) => void writeSync(fd, bytes) });
  let tap: PacketType | null = pcapTapAdd(net, dev, writer);
  return {
    file,
    frames: () => writer.packets,
    close() {
      if (tap === null) return;
      pcapTapRemove(net, tap);
      tap = null;
      closeSync(fd);
    },
  };
}
