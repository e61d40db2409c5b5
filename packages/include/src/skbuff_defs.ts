// include/linux/skbuff.h
/** skb->ip_summed */
export const CHECKSUM_NONE = 0, CHECKSUM_UNNECESSARY = 1, CHECKSUM_COMPLETE = 2, CHECKSUM_PARTIAL = 3;
/** skb_shinfo(skb)->gso_type */
export const SKB_GSO_TCPV4 = 1 << 0, SKB_GSO_DODGY = 1 << 1, SKB_GSO_TCP_ECN = 1 << 2,
  SKB_GSO_UDP_L4 = 1 << 17;
/** NET_SKB_PAD: headroom drivers reserve; NET_IP_ALIGN keeps the IP header 4-byte aligned. */
export const NET_SKB_PAD = 64, NET_IP_ALIGN = 2;
/** Room for every header below TCP: Ethernet + IPv4 with options + TCP with options. */
export const MAX_TCP_HEADER = 128 + 32;
export const MAX_SKB_FRAGS = 17;
/** Linux's SKB_TRUESIZE overhead that each skb costs beyond its data. */
export const SKB_TRUESIZE_OVERHEAD = 576;
