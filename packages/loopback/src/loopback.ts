// drivers/net/loopback.c: `lo`. Whatever is sent comes straight back in through netif_rx.
import type { Net, NetDevice, NetDeviceOps, RtnlLinkStats64, SkBuff } from '@knet/include';
import {
  ARPHRD_LOOPBACK, ETH_ALEN, ETH_HLEN, IFF_LIVE_ADDR_CHANGE, IFF_LOOPBACK, IFF_NO_QUEUE,
  NET_RX_SUCCESS, NETDEV_TX_OK, NETIF_F_HW_CSUM, NETIF_F_LLTX, NETIF_F_LOOPBACK, NETIF_F_RXCSUM,
  NETIF_F_SG, NETIF_F_TSO, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import {
  allocNetdev, ethHeaderOps, ethTypeTrans, netifRx, registerNetdev, skbEthHdrChecked,
} from '@knet/netdevice';

/** Linux's LOOPBACK_MTU: 64 KiB, so TSO-sized packets loop without segmentation. */
export const LOOPBACK_MTU = 1 << 16;

/** Per-device counters: what went out came in, so rx equals tx (as lb stats). */
export interface LoopbackPriv {
  packets: number;
  bytes: number;
}

function loopbackXmit(skb: SkBuff, dev: NetDevice): number {
  // skb_orphan: the sending socket's charge ends here, the receiver is charged anew.
  if (skb.destructor !== null) {
    skb.destructor(skb);
    skb.destructor = null;
  }
  skb.sk = null;
  if (!skbEthHdrChecked(skb)) {
    kfreeSkbReason(skb, SKB_DROP_REASON.PKT_TOO_SMALL);
    return NETDEV_TX_OK;
  }
  // The route stays attached: ip_rcv then skips the input lookup, as for Linux loopback.
  ethTypeTrans(skb, dev);
  const len = skb.len;
  if (netifRx(skb) === NET_RX_SUCCESS) {
    const p = dev.priv as LoopbackPriv;
    p.packets++;
    p.bytes += len;
  }
  return NETDEV_TX_OK;
}

function loopbackGetStats64(dev: NetDevice, s: RtnlLinkStats64): void {
  const p = dev.priv as LoopbackPriv;
  s.rxPackets = s.txPackets = p.packets;
  s.rxBytes = s.txBytes = p.bytes;
}

export const loopbackNetdevOps: NetDeviceOps = Object.freeze({
  name: 'loopback',
  ndoStartXmit: loopbackXmit,
  ndoGetStats64: loopbackGetStats64,
});

/** loopback_setup */
export function loopbackSetup(dev: NetDevice): void {
  dev.mtu = LOOPBACK_MTU;
  dev.minMtu = 0;
  dev.maxMtu = LOOPBACK_MTU;
  dev.hardHeaderLen = ETH_HLEN;
  dev.addrLen = ETH_ALEN;
  dev.type = ARPHRD_LOOPBACK;
  dev.flags = IFF_LOOPBACK;
  dev.privFlags = (dev.privFlags ?? 0) | IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE;
  dev.txQueueLen = 0;
  dev.features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM | NETIF_F_LLTX | NETIF_F_LOOPBACK;
  dev.hwFeatures = dev.features;
  dev.headerOps = ethHeaderOps;
  dev.netdevOps = loopbackNetdevOps;
  dev.priv = { packets: 0, bytes: 0 } satisfies LoopbackPriv;
}

/**
 * loopback_net_init: register `lo` in `net`. Like Linux it is registered down; bring it up
 * with devOpen (what `ip link set lo up` does).
 */
export function loopbackInit(net: Net): NetDevice {
  const dev = allocNetdev(net, 'lo', loopbackSetup);
  const err = registerNetdev(dev);
  if (err < 0) throw new Error(`loopbackInit: registerNetdev failed (${err})`);
  return dev;
}
