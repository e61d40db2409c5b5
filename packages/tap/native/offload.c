// Checksum and TSO engines for a TAP without IFF_VNET_HDR (see offload.h). The ones'-complement
// sum is taken over native-order words and stored the same way, which RFC 1071 §2(B) shows
// gives the right bytes on either byte order.
#include "offload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define ETH_HLEN 14
#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_ECN 0x80
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t le16(const uint8_t* p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint64_t csum_acc(const uint8_t* p, size_t n, uint64_t s) {
  while (n >= 32) {
    uint64_t a, b, c, d;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, p + 16, 8);
    memcpy(&d, p + 24, 8);
    s += (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32) + (c & 0xffffffffu) + (c >> 32) +
         (d & 0xffffffffu) + (d >> 32);
    p += 32;
    n -= 32;
  }
  while (n >= 4) {
    uint32_t v;
    memcpy(&v, p, 4);
    s += v;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    s += v;
    p += 2;
    n -= 2;
  }
  // A trailing odd byte is the high half of a network-order word: its first byte in memory.
  if (n) {
    uint16_t v = 0;
    memcpy(&v, p, 1);
    s += v;
  }
  return s;
}

/** The 16-bit ones'-complement sum, in the same (native) order as the words summed. */
static uint16_t csum_fold(uint64_t s) {
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (uint16_t)s;
}

/** RFC 9293 §3.1 / RFC 768: the IPv4 pseudo-header's share of a TCP or UDP checksum. */
static uint64_t pseudo_sum(const uint8_t* ip, int proto, size_t l4len) {
  uint32_t sa, da;
  memcpy(&sa, ip + 12, 4);
  memcpy(&da, ip + 16, 4);
  return (uint64_t)sa + da + htons((uint16_t)proto) + htons((uint16_t)l4len);
}

static void put_sum(uint8_t* at, uint16_t v) {
  memcpy(at, &v, 2);
}

static int finish_csum(const uint8_t* vh, uint8_t* f, size_t n) {
  size_t start = le16(vh + 6), off = le16(vh + 8);
  if (start >= n || start + off + 2 > n) return -EINVAL;
  // As skb_checksum_help: the field holds the pseudo-header sum; a zero result is sent as
  // 0xffff, which no UDP receiver mistakes for "no checksum".
  uint16_t c = (uint16_t)~csum_fold(csum_acc(f + start, n - start, 0));
  put_sum(f + start + off, c == 0 ? 0xffff : c);
  return 0;
}

// tcp_gso_segment + inet_gso_segment: every segment gets the headers of the super-frame with
// its own IP id, total length and checksum, sequence number and TCP checksum; CWR stays on the
// first segment only, FIN and PSH on the last only.
static int tso_tcpv4(const uint8_t* vh, uint8_t* f, size_t n, frame_emit emit, void* ctx, size_t* bytes) {
  size_t mss = le16(vh + 4);
  if (mss == 0 || n < ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00) return -EINVAL;
  uint8_t* ip = f + ETH_HLEN;
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || le16(vh + 6) != ETH_HLEN + ihl) return -EINVAL;
  if (n < ETH_HLEN + ihl + 20) return -EINVAL;
  size_t doff = (size_t)(ip[ihl + 12] >> 4) * 4;
  size_t hl = ETH_HLEN + ihl + doff;
  if (doff < 20 || hl > n) return -EINVAL;
  size_t payload = n - hl;
  if (payload == 0) return -EINVAL;
  uint8_t hb[ETH_HLEN + 60 + 60];
  memcpy(hb, f, hl);
  uint8_t* hip = hb + ETH_HLEN;
  uint8_t* hth = hip + ihl;
  uint16_t id = (uint16_t)((ip[4] << 8) | ip[5]);
  uint32_t seq = ((uint32_t)hth[4] << 24) | ((uint32_t)hth[5] << 16) | ((uint32_t)hth[6] << 8) | hth[7];
  uint8_t flags = hth[13];
  int sent = 0;
  for (size_t at = 0; at < payload; at += mss, id++, seq += (uint32_t)mss) {
    size_t len = payload - at < mss ? payload - at : mss;
    int last = at + len == payload;
    uint16_t tot = (uint16_t)(ihl + doff + len);
    hip[2] = (uint8_t)(tot >> 8);
    hip[3] = (uint8_t)tot;
    hip[4] = (uint8_t)(id >> 8);
    hip[5] = (uint8_t)id;
    hip[10] = hip[11] = 0;
    put_sum(hip + 10, (uint16_t)~csum_fold(csum_acc(hip, ihl, 0)));
    hth[4] = (uint8_t)(seq >> 24);
    hth[5] = (uint8_t)(seq >> 16);
    hth[6] = (uint8_t)(seq >> 8);
    hth[7] = (uint8_t)seq;
    uint8_t fl = flags;
    if (at != 0) fl &= (uint8_t)~TCP_CWR;
    if (!last) fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
    hth[13] = fl;
    hth[16] = hth[17] = 0;
    const uint8_t* data = f + hl + at;
    uint64_t s = pseudo_sum(hip, 6, doff + len) + csum_acc(hth, doff, 0) + csum_acc(data, len, 0);
    put_sum(hth + 16, (uint16_t)~csum_fold(s));
    struct iovec iov[2] = {{hb, hl}, {(void*)data, len}};
    int e = emit(ctx, iov, 2);
    if (e < 0) return sent > 0 ? sent : e;
    sent++;
    *bytes += hl + len;
  }
  return sent;
}

int vnet_finish(const uint8_t* vh, uint8_t* f, size_t n, frame_emit emit, void* ctx, size_t* bytes) {
  uint8_t gso = vh[1] & (uint8_t)~VNET_GSO_ECN;
  if (gso != VNET_GSO_NONE) {
    if (gso != VNET_GSO_TCPV4 || (vh[0] & VNET_F_NEEDS_CSUM) == 0) return -EINVAL;
    return tso_tcpv4(vh, f, n, emit, ctx, bytes);
  }
  if ((vh[0] & VNET_F_NEEDS_CSUM) != 0 && finish_csum(vh, f, n) < 0) return -EINVAL;
  struct iovec iov = {f, n};
  int e = emit(ctx, &iov, 1);
  if (e < 0) return e;
  *bytes += n;
  return 1;
}

int rx_csum_check(const uint8_t* f, size_t n) {
  if (n < ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00) return RXCSUM_NONE;
  const uint8_t* ip = f + ETH_HLEN;
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20) return RXCSUM_NONE;
  size_t tot = ((size_t)ip[2] << 8) | ip[3];
  // Fragments (MF or an offset) are checked by the stack after reassembly.
  if (tot < ihl || ETH_HLEN + tot > n || ((ip[6] & 0x3f) | ip[7]) != 0) return RXCSUM_NONE;
  size_t l4 = tot - ihl;
  const uint8_t* th = ip + ihl;
  int proto = ip[9];
  if (proto == 6) {
    if (l4 < 20) return RXCSUM_NONE;
  } else if (proto == 17) {
    // A zero UDP checksum means none was sent; a length that disagrees is the stack's to judge.
    if (l4 < 8 || (th[6] | th[7]) == 0 || (((size_t)th[4] << 8) | th[5]) != l4) return RXCSUM_NONE;
  } else {
    return RXCSUM_NONE;
  }
  uint64_t s = pseudo_sum(ip, proto, l4) + csum_acc(th, l4, 0);
  return csum_fold(s) == 0xffff ? RXCSUM_OK : RXCSUM_BAD;
}
