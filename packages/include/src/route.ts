// uapi/linux/rtnetlink.h: route types, and the RTCF_* flags on a cached route.
export const RTN_UNSPEC = 0, RTN_UNICAST = 1, RTN_LOCAL = 2, RTN_BROADCAST = 3, RTN_ANYCAST = 4,
  RTN_MULTICAST = 5, RTN_BLACKHOLE = 6, RTN_UNREACHABLE = 7, RTN_PROHIBIT = 8, RTN_THROW = 9;
export const RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;
export const RTCF_LOCAL = 0x80000000, RTCF_BROADCAST = 0x10000000, RTCF_MULTICAST = 0x20000000;
// include/net/netfilter: hooks and verdicts
export const NF_INET_PRE_ROUTING = 0, NF_INET_LOCAL_IN = 1, NF_INET_FORWARD = 2,
  NF_INET_LOCAL_OUT = 3, NF_INET_POST_ROUTING = 4, NF_INET_NUMHOOKS = 5;
export const NF_DROP = 0, NF_ACCEPT = 1, NF_STOLEN = 2, NF_QUEUE = 3, NF_REPEAT = 4;
