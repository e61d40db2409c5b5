// include/linux/netdevice.h, uapi/linux/if.h, include/linux/netdev_features.h
export const NETDEV_TX_OK = 0x00, NETDEV_TX_BUSY = 0x10;
export const NET_RX_SUCCESS = 0, NET_RX_DROP = 1;
export const NET_XMIT_SUCCESS = 0x00, NET_XMIT_DROP = 0x01, NET_XMIT_CN = 0x02, NET_XMIT_MASK = 0x0f;
export const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_DEBUG = 0x4, IFF_LOOPBACK = 0x8,
  IFF_POINTOPOINT = 0x10, IFF_RUNNING = 0x40, IFF_NOARP = 0x80, IFF_PROMISC = 0x100,
  IFF_ALLMULTI = 0x200, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;
/** dev->priv_flags (enum netdev_priv_flags) */
export const IFF_LIVE_ADDR_CHANGE = 1 << 15, IFF_NO_QUEUE = 1 << 21;
/** enum gro_result */
export const GRO_MERGED = 0, GRO_MERGED_FREE = 1, GRO_HELD = 2, GRO_NORMAL = 3, GRO_CONSUMED = 4;
/** MAX_GRO_SKBS: held flows per NAPI. */
export const MAX_GRO_SKBS = 8;
// Features are bits in a plain number (fits 31 bits without sign trouble).
export const NETIF_F_SG = 1 << 0, NETIF_F_IP_CSUM = 1 << 1, NETIF_F_HW_CSUM = 1 << 3,
  NETIF_F_RXCSUM = 1 << 4, NETIF_F_TSO = 1 << 5, NETIF_F_GSO = 1 << 6, NETIF_F_GRO = 1 << 7,
  NETIF_F_LRO = 1 << 8, NETIF_F_RXHASH = 1 << 9, NETIF_F_LOOPBACK = 1 << 10,
  NETIF_F_HIGHDMA = 1 << 11, NETIF_F_LLTX = 1 << 12, NETIF_F_NETNS_LOCAL = 1 << 13,
  NETIF_F_GSO_SOFTWARE = NETIF_F_TSO, NETIF_F_CSUM_MASK = NETIF_F_IP_CSUM | NETIF_F_HW_CSUM;
/** __LINK_STATE_* / __QUEUE_STATE_* bits */
export const __QUEUE_STATE_DRV_XOFF = 1 << 0, __QUEUE_STATE_STACK_XOFF = 1 << 1,
  __QUEUE_STATE_FROZEN = 1 << 2;
export const NAPI_STATE_SCHED = 1 << 0, NAPI_STATE_MISSED = 1 << 1, NAPI_STATE_DISABLE = 1 << 2;
/** net/core/dev.c defaults */
export const NAPI_POLL_WEIGHT = 64, NETDEV_BUDGET = 300, NETDEV_BUDGET_USECS = 2000,
  NETDEV_MAX_BACKLOG = 1000, GRO_MAX_SIZE = 65536, GSO_MAX_SIZE = 65536, GSO_MAX_SEGS = 65535;
export const DEFAULT_TX_QUEUE_LEN = 1000;
export const IF_OPER_UNKNOWN = 0, IF_OPER_DOWN = 2, IF_OPER_UP = 6;
