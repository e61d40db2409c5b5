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

/**
 * Receive coalescing under GRO's rules (tcp_gro_receive): a TCP/IPv4 frame that continues the
 * frame right before it in memory (same flow and headers, next sequence number, ACK with at
 * most PSH, no longer than the first segment) has its payload moved onto that frame's end.
 */
typedef struct {
  uint8_t* h;    // the frame being grown, or NULL
  size_t hn;     // its length
  size_t hl;     // its header length (Ethernet + IP + TCP)
  size_t mss;    // its first segment's payload length
  int segs;      // segments in it
  int idx;       // its index in the batch
  int done;      // a short or PSH segment joined: nothing more may
} rx_lro;

/** Start a frame that later ones may join (it must have passed rx_csum_check). */
void lro_open(rx_lro* s, uint8_t* f, size_t n, int idx);
/**
 * Payload bytes of `g` (just after the open frame, checksum verified) appended to it, or 0:
 * `g` stands alone. With `done` set the open frame takes no more and is to be closed.
 */
size_t lro_merge(rx_lro* s, uint8_t* g, size_t n);
/**
 * Finish the open frame. Returns its (segments << 16 | gso size) when segments were merged,
 * its IP checksum redone and its TCP checksum left as the pseudo-header sum (CHECKSUM_PARTIAL,
 * as virtio's NEEDS_CSUM), or 0 when it is a plain frame.
 */
int32_t lro_close(rx_lro* s);

#endif
