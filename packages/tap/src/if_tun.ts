// uapi/linux/if_tun.h and uapi/linux/virtio_net.h: the constants the TAP fd speaks.

/** TUNSETOFFLOAD flags: what the kernel may hand us unfinished. */
export const TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04, TUN_F_TSO_ECN = 0x08,
  TUN_F_UFO = 0x10;

/** struct virtio_net_hdr (10 bytes, little-endian on every host Linux runs TAP offloads on). */
export const VIRTIO_NET_HDR_LEN = 10;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1, VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_GSO_NONE = 0, VIRTIO_NET_HDR_GSO_TCPV4 = 1, VIRTIO_NET_HDR_GSO_UDP = 3,
  VIRTIO_NET_HDR_GSO_TCPV6 = 4, VIRTIO_NET_HDR_GSO_UDP_L4 = 5, VIRTIO_NET_HDR_GSO_ECN = 0x80;

// Field offsets inside struct virtio_net_hdr.
export const VNET_FLAGS = 0, VNET_GSO_TYPE = 1, VNET_HDR_LEN = 2, VNET_GSO_SIZE = 4,
  VNET_CSUM_START = 6, VNET_CSUM_OFFSET = 8;

/** uv_poll event bits, as the addon reports them. */
export const POLL_READABLE = 1, POLL_WRITABLE = 2;

/** The addon's receive checksum verdicts (native/offload.h). */
export const RXCSUM_NONE = 0, RXCSUM_OK = 1, RXCSUM_BAD = 2;
