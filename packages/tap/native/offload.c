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

#define TCP_ACK 0x10

/** A frame GRO could merge: IPv4 without options or fragmentation, DF, TCP with payload. */
static int lro_candidate(const uint8_t* f, size_t n, size_t* hl) {
  if (n < ETH_HLEN + 40 || f[12] != 0x08 || f[13] != 0x00 || f[14] != 0x45 || f[23] != 6) return 0;
  const uint8_t* ip = f + ETH_HLEN;
  if (ip[6] != 0x40 || ip[7] != 0 || (((size_t)ip[2] << 8) | ip[3]) != n - ETH_HLEN) return 0;
  size_t doff = (size_t)(ip[20 + 12] >> 4) * 4;
  if (doff < 20 || ETH_HLEN + 20 + doff >= n) return 0;
  uint8_t fl = ip[20 + 13];
  if (fl != TCP_ACK && fl != (TCP_ACK | TCP_PSH)) return 0;
  *hl = ETH_HLEN + 20 + doff;
  return 1;
}

static uint32_t be32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void lro_open(rx_lro* s, uint8_t* f, size_t n, int idx) {
  size_t hl;
  s->h = NULL;
  // A PSH segment is delivered at once, as tcp_gro_receive flushes on it.
  if (!lro_candidate(f, n, &hl) || (f[ETH_HLEN + 20 + 13] & TCP_PSH) != 0) return;
  s->h = f;
  s->hn = n;
  s->hl = hl;
  s->mss = n - hl;
  s->segs = 1;
  s->idx = idx;
  s->done = 0;
}

size_t lro_merge(rx_lro* s, uint8_t* g, size_t n) {
  size_t hl;
  if (s->h == NULL || s->done || g != s->h + s->hn || !lro_candidate(g, n, &hl) || hl != s->hl) return 0;
  uint8_t* h = s->h;
  const uint8_t* hip = h + ETH_HLEN;
  const uint8_t* gip = g + ETH_HLEN;
  size_t len = n - hl;
  // Same link header, TOS, TTL, addresses and ports; the next sequence number, the same ACK,
  // window and options (timestamps included, as Linux compares them whole).
  if (len > s->mss || s->hn + len > ETH_HLEN + 65535 || memcmp(h, g, ETH_HLEN) != 0 || hip[1] != gip[1] ||
      hip[8] != gip[8] || memcmp(hip + 12, gip + 12, 8 + 4) != 0 ||
      be32(gip + 20 + 4) != be32(hip + 20 + 4) + (uint32_t)(s->hn - s->hl) || memcmp(hip + 28, gip + 28, 4) != 0 ||
      memcmp(hip + 34, gip + 34, 2) != 0 || memcmp(hip + 40, gip + 40, hl - ETH_HLEN - 40) != 0)
    return 0;
  int psh = (gip[20 + 13] & TCP_PSH) != 0;
  memmove(g, g + hl, len);
  s->hn += len;
  s->segs++;
  uint8_t* ip = h + ETH_HLEN;
  size_t tot = s->hn - ETH_HLEN;
  ip[2] = (uint8_t)(tot >> 8);
  ip[3] = (uint8_t)tot;
  if (psh) ip[20 + 13] |= TCP_PSH;
  // A short or PSH segment ends the train (tcp_gro_receive: flush when len < mss, or on PSH).
  if (psh || len < s->mss) s->done = 1;
  return len;
}

int32_t lro_close(rx_lro* s) {
  if (s->h == NULL || s->segs < 2) {
    s->h = NULL;
    return 0;
  }
  uint8_t* ip = s->h + ETH_HLEN;
  ip[10] = ip[11] = 0;
  put_sum(ip + 10, (uint16_t)~csum_fold(csum_acc(ip, 20, 0)));
  put_sum(ip + 20 + 16, csum_fold(pseudo_sum(ip, 6, s->hn - ETH_HLEN - 20)));
  int32_t r = (int32_t)((uint32_t)s->segs << 16 | (uint32_t)s->mss);
  s->h = NULL;
  return r;
}
