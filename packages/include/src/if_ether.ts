// uapi/linux/if_ether.h
export const ETH_ALEN = 6, ETH_HLEN = 14, ETH_ZLEN = 60, ETH_DATA_LEN = 1500, ETH_FRAME_LEN = 1514,
  ETH_FCS_LEN = 4, ETH_MIN_MTU = 68, ETH_MAX_MTU = 0xffff;
export const ETH_P_LOOP = 0x0060, ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_8021Q = 0x8100,
  ETH_P_IPV6 = 0x86dd, ETH_P_802_3_MIN = 0x0600, ETH_P_ALL = 0x0003;
// uapi/linux/if_packet.h: skb->pkt_type
export const PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3,
  PACKET_OUTGOING = 4, PACKET_LOOPBACK = 5;
// uapi/linux/if_arp.h: dev->type
export const ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772, ARPHRD_NONE = 0xfffe;
