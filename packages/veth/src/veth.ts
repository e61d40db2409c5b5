// drivers/net/veth.c: a pair of Ethernet devices, possibly in two Nets; what one sends the
// other receives through netif_rx in its own namespace.
import type { Net, NetDevice, NetDeviceOps, SkBuff } from '@knet/include';
import {
  ErrnoError, ETH_HLEN, ETH_MAX_MTU, IFF_NO_QUEUE, IFF_UP, NETDEV_TX_OK, NETIF_F_HW_CSUM,
  NETIF_F_LLTX, NETIF_F_RXCSUM, NETIF_F_SG, NETIF_F_TSO, SKB_DROP_REASON,
} from '@knet/include';
import { kfreeSkbReason } from '@knet/skbuff';
import {
  allocEtherdev, ethHwAddrRandom, ethTypeTrans, netifCarrierOff, netifCarrierOn, netifRx,
  registerNetdev, skbEthHdrChecked, unregisterNetdev,
} from '@knet/netdevice';

const VLAN_HLEN = 4;

export interface VethPriv {
  peer: NetDevice | null;
}

export function vethPeer(dev: NetDevice): NetDevice | null {
  return (dev.priv as VethPriv).peer;
}

/** is_skb_forwardable: the peer is up and the frame fits its MTU (GSO packets always do). */
function isSkbForwardable(peer: NetDevice, skb: SkBuff): boolean {
  if ((peer.flags & IFF_UP) === 0) return false;
  return skb.shinfo.gsoSize !== 0 || skb.len <= peer.mtu + peer.hardHeaderLen + VLAN_HLEN;
}

function vethXmit(skb: SkBuff, dev: NetDevice): number {
  const rcv = (dev.priv as VethPriv).peer;
  if (rcv === null || !isSkbForwardable(rcv, skb) || !skbEthHdrChecked(skb)) {
    dev.stats.txDropped++;
    kfreeSkbReason(skb, rcv === null || (rcv.flags & IFF_UP) === 0 ? SKB_DROP_REASON.DEV_READY : SKB_DROP_REASON.PKT_TOO_BIG);
    return NETDEV_TX_OK;
  }
  // skb_scrub_packet: nothing of the sender's namespace may travel with the packet.
  if (skb.destructor !== null) {
    skb.destructor(skb);
    skb.destructor = null;
  }
  skb.sk = null;
  skb.dst = null;
  if (rcv.ndNet !== dev.ndNet) skb.mark = 0;
  ethTypeTrans(skb, rcv);
  netifRx(skb);
  return NETDEV_TX_OK;
}

/** veth_open: the carrier comes up once both ends are up. */
function vethOpen(dev: NetDevice): number {
  const peer = vethPeer(dev);
  if (peer === null) return 0;
  if ((peer.flags & IFF_UP) !== 0) {
    netifCarrierOn(dev);
    netifCarrierOn(peer);
  }
  return 0;
}

/** veth_close: either end going down takes both carriers with it. */
function vethClose(dev: NetDevice): number {
  netifCarrierOff(dev);
  const peer = vethPeer(dev);
  if (peer !== null) netifCarrierOff(peer);
  return 0;
}

function vethUninit(dev: NetDevice): void {
  const priv = dev.priv as VethPriv;
  const peer = priv.peer;
  priv.peer = null;
  if (peer !== null) {
    (peer.priv as VethPriv).peer = null;
    netifCarrierOff(peer);
  }
}

export const vethNetdevOps: NetDeviceOps = Object.freeze({
  name: 'veth',
  ndoOpen: vethOpen,
  ndoStop: vethClose,
  ndoStartXmit: vethXmit,
  ndoUninit: vethUninit,
});

/** veth_setup, on top of ether_setup. */
export function vethSetup(dev: NetDevice): void {
  dev.privFlags = (dev.privFlags ?? 0) | IFF_NO_QUEUE;
  dev.netdevOps = vethNetdevOps;
  dev.features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM | NETIF_F_LLTX;
  dev.hwFeatures = dev.features;
  dev.maxMtu = ETH_MAX_MTU - ETH_HLEN;
  dev.priv = { peer: null } satisfies VethPriv;
  dev.carrier = false;
}

/**
 * `ip link add A type veth peer name B [netns netB]`: both ends registered with random
 * addresses, carrier off until both are up. Throws ErrnoError when a name is taken.
 */
export function vethNewLink(net: Net, nameA: string, nameB: string, netB: Net = net): [NetDevice, NetDevice] {
  const a = allocEtherdev(net, nameA);
  const b = allocEtherdev(netB, nameB);
  vethSetup(a);
  vethSetup(b);
  ethHwAddrRandom(a);
  ethHwAddrRandom(b);
  (a.priv as VethPriv).peer = b;
  (b.priv as VethPriv).peer = a;
  const ea = registerNetdev(a);
  if (ea < 0) throw new ErrnoError(ea, 'vethNewLink', nameA);
  const eb = registerNetdev(b);
  if (eb < 0) {
    unregisterNetdev(a);
    throw new ErrnoError(eb, 'vethNewLink', nameB);
  }
  return [a, b];
}

/** veth_dellink: deleting one end deletes the pair. */
export function vethDelLink(dev: NetDevice): void {
  const peer = vethPeer(dev);
  unregisterNetdev(dev);
  if (peer !== null) unregisterNetdev(peer);
}
