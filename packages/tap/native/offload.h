// The offload engines of knet's TAP "NIC" when the fd has no IFF_VNET_HDR: the stack hands the
// driver frames described by a virtio_net_hdr (checksum left to the device, TCPv4 super-frames),
// and these finish them into the plain, checksummed Ethernet frames the kernel expects, as a
// NIC's checksum and TSO engines do in hardware. On receive they verify TCP/UDP checksums, as
// NETIF_F_RXCSUM hardware does, so the stack can skip its software check.
#ifndef KNET_TAP_OFFLOAD_H
#define KNET_TAP_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VNET_HDR_LEN 10

/** Sends one finished frame (as iovecs); 0 or -errno. */
typedef int (*frame_emit)(void* ctx, const struct iovec* iov, int cnt);

/**
 * Finish the frame `f` (`n` bytes from its Ethernet header) as the virtio_net_hdr `vh` asks:
 * the checksum at csum_start/csum_offset, or a TCPv4 super-frame cut into gso_size segments,
 * each sent through `emit`. Returns the frames sent (>= 1), or -EINVAL for a header or frame
 * that makes no sense (nothing is sent), or the first -errno of `emit`. `f` may be modified.
 */
int vnet_finish(const uint8_t* vh, uint8_t* f, size_t n, frame_emit emit, void* ctx, size_t* bytes);

/** Receive checksum of an Ethernet frame: RXCSUM_NONE (not TCP/UDP over IPv4), _OK or _BAD. */
enum { RXCSUM_NONE = 0, RXCSUM_OK = 1, RXCSUM_BAD = 2 };
int rx_csum_check(const uint8_t* f, size_t n);

#endif
