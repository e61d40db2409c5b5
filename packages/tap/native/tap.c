// The syscalls behind drivers/net/tun.c's user side: open /dev/net/tun (TUNSETIFF, optionally
// inside a named network namespace), non-blocking read/readv/write/writev, TUNSETOFFLOAD,
// TUNSETVNETHDRSZ, and uv_poll readiness delivered to a JS callback. Every call returns a
// count or -errno; nothing here throws for a failed syscall.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#include "offload.h"

#define MAX_IOV 24

static napi_value make_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  return argc < want ? -1 : 0;
}

static int get_i32(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

// A Uint8Array (or Buffer) window [off, off+len); -1 when it is not one or out of range.
static int get_window(napi_env env, napi_value arr, napi_value voff, napi_value vlen, uint8_t** p, size_t* n) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  int32_t off, len;
  if (napi_get_typedarray_info(env, arr, &type, &length, &data, NULL, NULL) != napi_ok) return -1;
  if (type != napi_uint8_array && type != napi_uint8_clamped_array) return -1;
  if (get_i32(env, voff, &off) || get_i32(env, vlen, &len)) return -1;
  if (off < 0 || len < 0 || (size_t)off + (size_t)len > length) return -1;
  *p = (uint8_t*)data + off;
  *n = (size_t)len;
  return 0;
}

// Enter the namespace at `path` on this thread; returns the fd of the one we left, or -errno.
static int netns_enter(const char* path) {
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return -errno;
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(self);
    return -e;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int e = errno;
    close(target);
    close(self);
    return -e;
  }
  close(target);
  return self;
}

static void netns_leave(int self) {
  if (self < 0) return;
  // Going back to where we were cannot fail unless the namespace vanished under us.
  if (setns(self, CLONE_NEWNET) < 0) perror("knet tap: setns back");
  close(self);
}

// open(name, vnetHdr, multiQueue, netnsPath|null) → [fd, ifname] or -errno
static napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv)) return make_int(env, -EINVAL);
  char name[IFNAMSIZ + 1];
  size_t nlen = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok || nlen >= IFNAMSIZ)
    return make_int(env, -EINVAL);
  bool vnet = false, mq = false;
  napi_get_value_bool(env, argv[1], &vnet);
  napi_get_value_bool(env, argv[2], &mq);
  char nspath[512];
  size_t plen = 0;
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  int saved = -1;
  if (t == napi_string) {
    if (napi_get_value_string_utf8(env, argv[3], nspath, sizeof nspath, &plen) != napi_ok || plen == 0 ||
        plen >= sizeof nspath - 1)
      return make_int(env, -EINVAL);
    saved = netns_enter(nspath);
    if (saved < 0) return make_int(env, saved);
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  int err = fd < 0 ? -errno : 0;
  struct ifreq ifr;
  if (fd >= 0) {
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (vnet) ifr.ifr_flags |= IFF_VNET_HDR;
    if (mq) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    memcpy(ifr.ifr_name, name, nlen);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
      err = -errno;
      close(fd);
      fd = -1;
    }
  }
  netns_leave(saved);
  if (fd < 0) return make_int(env, err);
  napi_value out, vfd, vname;
  if (napi_create_array_with_length(env, 2, &out) != napi_ok || napi_create_int32(env, fd, &vfd) != napi_ok ||
      napi_create_string_utf8(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ), &vname) != napi_ok ||
      napi_set_element(env, out, 0, vfd) != napi_ok || napi_set_element(env, out, 1, vname) != napi_ok) {
    close(fd);
    return NULL;
  }
  return out;
}

static napi_value IoctlInt(napi_env env, napi_callback_info info, unsigned long req, int by_value) {
  napi_value argv[2];
  int32_t fd, v;
  if (get_args(env, info, 2, argv) || get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &v))
    return make_int(env, -EINVAL);
  int r = by_value ? ioctl(fd, req, (unsigned long)(uint32_t)v) : ioctl(fd, req, &v);
  return make_int(env, r < 0 ? -errno : 0);
}

// setOffload(fd, TUN_F_*) → 0 | -errno
static napi_value SetOffload(napi_env env, napi_callback_info info) {
  return IoctlInt(env, info, TUNSETOFFLOAD, 1);
}

// setVnetHdrSz(fd, bytes) → 0 | -errno
static napi_value SetVnetHdrSz(napi_env env, napi_callback_info info) {
  return IoctlInt(env, info, TUNSETVNETHDRSZ, 0);
}

// read(fd, buf, off, len) → bytes | -errno (-EAGAIN when empty)
static napi_value Read(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd;
  uint8_t* p;
  size_t n;
  if (get_args(env, info, 4, argv) || get_i32(env, argv[0], &fd) || get_window(env, argv[1], argv[2], argv[3], &p, &n))
    return make_int(env, -EINVAL);
  ssize_t r = read(fd, p, n);
  return make_int(env, r < 0 ? -errno : r);
}

// read2(fd, a, aOff, aLen, b, bOff, bLen) → bytes | -errno: one frame, spilling from a into b.
static napi_value Read2(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t fd;
  struct iovec iov[2];
  if (get_args(env, info, 7, argv) || get_i32(env, argv[0], &fd) ||
      get_window(env, argv[1], argv[2], argv[3], (uint8_t**)&iov[0].iov_base, &iov[0].iov_len) ||
      get_window(env, argv[4], argv[5], argv[6], (uint8_t**)&iov[1].iov_base, &iov[1].iov_len))
    return make_int(env, -EINVAL);
  ssize_t r = readv(fd, iov, 2);
  return make_int(env, r < 0 ? -errno : r);
}

// readBatch(fd, buf, off, len, slot, lens, max, csum) → frames | -errno: up to `max` frames, one
// read each, packed back to back into the window while at least `slot` bytes (the largest
// frame) are left. lens (an Int32Array of max + 1) gets each frame's length, then at
// lens[count] why the batch ended: -EAGAIN when the queue is empty, another -errno on a read
// error, 0 when `max` or the window was reached (more frames may be queued). A batch that ends
// on an error before its first frame returns that error instead. One call per NAPI round
// instead of a crossing per frame plus one for the final EAGAIN. With `csum` (a Uint8Array of
// `max`, or null) each frame's TCP/UDP checksum is verified as RXCSUM hardware would:
// csum[i] is RXCSUM_NONE, _OK or _BAD. With `gso` as well (an Int32Array of `max`, or null),
// verified TCP segments of one flow are coalesced under GRO's rules (offload.h): gso[i] is
// (segments << 16 | gso size) for a frame made of several, else 0.
static napi_value ReadBatch(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int32_t fd, slot, max;
  uint8_t* p;
  size_t n;
  if (get_args(env, info, 9, argv) || get_i32(env, argv[0], &fd) || get_window(env, argv[1], argv[2], argv[3], &p, &n) ||
      get_i32(env, argv[4], &slot) || get_i32(env, argv[6], &max) || slot <= 0 || max < 0)
    return make_int(env, -EINVAL);
  napi_typedarray_type type;
  size_t count;
  void* data;
  if (napi_get_typedarray_info(env, argv[5], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_int32_array ||
      count < (size_t)max + 1)
    return make_int(env, -EINVAL);
  int32_t* lens = data;
  uint8_t* csum = NULL;
  napi_valuetype ct;
  if (napi_typeof(env, argv[7], &ct) != napi_ok) return make_int(env, -EINVAL);
  if (ct != napi_null && ct != napi_undefined) {
    if (napi_get_typedarray_info(env, argv[7], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_uint8_array ||
        count < (size_t)max)
      return make_int(env, -EINVAL);
    csum = data;
  }
  int32_t* gso = NULL;
  if (napi_typeof(env, argv[8], &ct) != napi_ok) return make_int(env, -EINVAL);
  if (csum != NULL && ct != napi_null && ct != napi_undefined) {
    if (napi_get_typedarray_info(env, argv[8], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_int32_array ||
        count < (size_t)max)
      return make_int(env, -EINVAL);
    gso = data;
  }
  rx_lro lro = {0};
  int32_t got = 0;
  size_t used = 0;
  int32_t why = 0;
  while (got < max && n - used >= (size_t)slot) {
    ssize_t r = read(fd, p + used, n - used);
    if (r < 0) {
      if (errno == EINTR) continue;
      why = -errno;
      break;
    }
    int cs = csum != NULL ? rx_csum_check(p + used, (size_t)r) : RXCSUM_NONE;
    if (gso != NULL) {
      size_t add = cs == RXCSUM_OK ? lro_merge(&lro, p + used, (size_t)r) : 0;
      if (add > 0) {
        lens[lro.idx] += (int32_t)add;
        used += add;
        if (lro.done) gso[lro.idx] = lro_close(&lro);
        continue;
      }
      if (lro.h != NULL) gso[lro.idx] = lro_close(&lro);
      gso[got] = 0;
      if (cs == RXCSUM_OK) lro_open(&lro, p + used, (size_t)r, got);
    }
    if (csum != NULL) csum[got] = (uint8_t)cs;
    lens[got++] = (int32_t)r;
    used += (size_t)r;
  }
  if (gso != NULL && lro.h != NULL) gso[lro.idx] = lro_close(&lro);
  lens[got] = why;
  return make_int(env, got == 0 && why != 0 ? why : got);
}

// write(fd, buf, off, len) → bytes | -errno
static napi_value Write(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd;
  uint8_t* p;
  size_t n;
  if (get_args(env, info, 4, argv) || get_i32(env, argv[0], &fd) || get_window(env, argv[1], argv[2], argv[3], &p, &n))
    return make_int(env, -EINVAL);
  ssize_t r = write(fd, p, n);
  return make_int(env, r < 0 ? -errno : r);
}

// writev(fd, parts, count): parts holds `count` triplets [u8, off, len, u8, off, len, ...].
static napi_value Writev(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, count;
  if (get_args(env, info, 3, argv) || get_i32(env, argv[0], &fd) || get_i32(env, argv[2], &count) || count < 0 ||
      count > MAX_IOV)
    return make_int(env, -EINVAL);
  struct iovec iov[MAX_IOV];
  for (int i = 0; i < count; i++) {
    napi_value a, o, l;
    if (napi_get_element(env, argv[1], 3 * i, &a) != napi_ok || napi_get_element(env, argv[1], 3 * i + 1, &o) != napi_ok ||
        napi_get_element(env, argv[1], 3 * i + 2, &l) != napi_ok ||
        get_window(env, a, o, l, (uint8_t**)&iov[i].iov_base, &iov[i].iov_len))
      return make_int(env, -EINVAL);
  }
  ssize_t r = writev(fd, iov, count);
  return make_int(env, r < 0 ? -errno : r);
}

// close(fd) → 0 | -errno. Stop any poll on it first.
static napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (get_args(env, info, 1, argv) || get_i32(env, argv[0], &fd)) return make_int(env, -EINVAL);
  return make_int(env, close(fd) < 0 ? -errno : 0);
}

// ---- readiness: uv_poll on the fd, level-triggered, as an interrupt line ----

typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  int stopped;
  // Held by libuv until its close callback, and by the JS external until it is collected.
  int refs;
} tap_poll;

static void poll_unref(tap_poll* p) {
  if (--p->refs == 0) free(p);
}

static void poll_free(uv_handle_t* h) {
  poll_unref(h->data);
}

static void poll_cleanup_hook(void* arg);

static void poll_release(tap_poll* p, int from_hook) {
  if (p->stopped) return;
  p->stopped = 1;
  if (!from_hook) {
    napi_remove_env_cleanup_hook(p->env, poll_cleanup_hook, p);
    napi_delete_reference(p->env, p->cb);
    napi_async_destroy(p->env, p->actx);
  }
  uv_poll_stop(&p->handle);
  // uv_close takes the fd out of epoll now; the memory goes once libuv is done with it.
  uv_close((uv_handle_t*)&p->handle, poll_free);
}

// The env is going away (worker exit) with the poll still running.
static void poll_cleanup_hook(void* arg) {
  poll_release((tap_poll*)arg, 1);
}

static void on_poll(uv_poll_t* h, int status, int events) {
  tap_poll* p = h->data;
  if (p->stopped) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  if (napi_get_reference_value(env, p->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);
    napi_create_int32(env, status, &argv[0]);
    napi_create_int32(env, events, &argv[1]);
    if (napi_make_callback(env, p->actx, recv, cb, 2, argv, &result) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void poll_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  poll_unref(data);
}

// pollStart(fd, events, cb(status, events)) → handle | -errno. events: 1 readable, 2 writable.
static napi_value PollStart(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, events;
  if (get_args(env, info, 3, argv) || get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &events))
    return make_int(env, -EINVAL);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return make_int(env, -EINVAL);
  tap_poll* p = calloc(1, sizeof *p);
  if (p == NULL) return make_int(env, -ENOMEM);
  int r = uv_poll_init(loop, &p->handle, fd);
  if (r < 0) {
    free(p);
    return make_int(env, r);
  }
  p->handle.data = p;
  p->env = env;
  p->refs = 1;
  napi_value name;
  napi_create_string_utf8(env, "knet:tap", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[2], 1, &p->cb) != napi_ok || napi_async_init(env, NULL, name, &p->actx) != napi_ok) {
    uv_close((uv_handle_t*)&p->handle, poll_free);
    return make_int(env, -EINVAL);
  }
  napi_add_env_cleanup_hook(env, poll_cleanup_hook, p);
  r = uv_poll_start(&p->handle, events & (UV_READABLE | UV_WRITABLE), on_poll);
  if (r < 0) {
    poll_release(p, 0);
    return make_int(env, r);
  }
  napi_value ext;
  p->refs++;
  if (napi_create_external(env, p, poll_finalize, NULL, &ext) != napi_ok) {
    p->refs--;
    poll_release(p, 0);
    return make_int(env, -ENOMEM);
  }
  return ext;
}

static tap_poll* get_poll(napi_env env, napi_value v) {
  void* data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return data;
}

// pollUpdate(handle, events) → 0 | -errno: change the interest set (mask/unmask the "IRQ").
static napi_value PollUpdate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t events;
  if (get_args(env, info, 2, argv) || get_i32(env, argv[1], &events)) return make_int(env, -EINVAL);
  tap_poll* p = get_poll(env, argv[0]);
  if (p == NULL || p->stopped) return make_int(env, -EBADF);
  events &= UV_READABLE | UV_WRITABLE;
  int r = events == 0 ? uv_poll_stop(&p->handle) : uv_poll_start(&p->handle, events, on_poll);
  return make_int(env, r < 0 ? r : 0);
}

// pollStop(handle): idempotent; the memory lives on until the external is collected.
static napi_value PollStop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv)) return make_int(env, -EINVAL);
  tap_poll* p = get_poll(env, argv[0]);
  if (p == NULL) return make_int(env, -EBADF);
  poll_release(p, 0);
  return make_int(env, 0);
}

// ---- transmit ring: frames copied out of JS, written to the fd by a thread of their own ----
//
// Writing a frame to a TAP runs the kernel's whole receive path for it inside write(), so a
// burst of frames keeps the JS thread in the kernel. txSend copies each frame into a byte ring
// (its skb is freed at once) and a writer thread issues the writes, one per frame, in order.
// The first frame of a burst may be written inline when nothing is queued, so a lone frame
// (a reply, an ACK) goes out with no thread hand-off. When the ring is full txSend says
// -ENOBUFS, and the JS callback runs once half of it is free again.

typedef struct {
  int fd;
  uint8_t* buf;
  size_t cap;
  // Free-running byte offsets: [tail, head) holds records of [u32 len][frame], 8-aligned.
  size_t head, tail;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  int started, stop, idle, full, closed;
  // Records carry a virtio_net_hdr the fd does not take: finish each frame (offload.c).
  int soft;
  // The JS thread's gather buffer for a frame finished inline (soft mode).
  uint8_t* scratch;
  // Counted by the writer: frames and bytes written, failed writes and the last errno.
  double frames, bytes, errors;
  int last_err;
  uv_async_t async;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  int refs;
} tx_ring;

#define TX_WRAP 0xffffffffu
#define TX_ALIGN(n) (((n) + 7) & ~(size_t)7)

static void tx_unref(tx_ring* r) {
  if (--r->refs > 0) return;
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
  free(r->scratch);
  free(r->buf);
  free(r);
}

static void tx_async_closed(uv_handle_t* h) {
  tx_unref(h->data);
}

// One frame, whole: a TAP takes a frame per write or fails it; EAGAIN waits for room.
static int tx_writev(tx_ring* r, const struct iovec* iov, int cnt) {
  for (int tries = 0; tries < 100; tries++) {
    ssize_t w = writev(r->fd, iov, cnt);
    if (w >= 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) return -EAGAIN;
    struct pollfd pfd = {r->fd, POLLOUT, 0};
    poll(&pfd, 1, 10);
  }
  return -EAGAIN;
}

static int tx_emit(void* ctx, const struct iovec* iov, int cnt) {
  return tx_writev(ctx, iov, cnt);
}

static void* tx_main(void* arg) {
  tx_ring* r = arg;
  pthread_mutex_lock(&r->mu);
  for (;;) {
    while (!r->stop && r->head == r->tail) {
      r->idle = 1;
      pthread_cond_wait(&r->cv, &r->mu);
    }
    r->idle = 0;
    if (r->stop) break;
    size_t head = r->head, tail = r->tail;
    pthread_mutex_unlock(&r->mu);
    double frames = 0, bytes = 0, errors = 0;
    int last = 0;
    while (tail != head) {
      size_t at = tail % r->cap;
      uint32_t len;
      memcpy(&len, r->buf + at, 4);
      if (len == TX_WRAP) {
        tail += r->cap - at;
        continue;
      }
      uint8_t* rec = r->buf + at + 4;
      if (r->soft) {
        size_t nb = 0;
        int e = len >= VNET_HDR_LEN ? vnet_finish(rec, rec + VNET_HDR_LEN, len - VNET_HDR_LEN, tx_emit, r, &nb) : -EINVAL;
        if (e < 0) {
          errors++;
          last = -e;
        } else {
          frames += e;
          bytes += (double)nb;
        }
      } else {
        struct iovec iov = {rec, len};
        int e = tx_writev(r, &iov, 1);
        if (e < 0) {
          errors++;
          last = -e;
        } else {
          frames++;
          bytes += len;
        }
      }
      tail += TX_ALIGN(4 + (size_t)len);
    }
    pthread_mutex_lock(&r->mu);
    r->tail = tail;
    r->frames += frames;
    r->bytes += bytes;
    r->errors += errors;
    if (last != 0) r->last_err = last;
    if (r->full && r->cap - (r->head - r->tail) >= r->cap / 2) {
      r->full = 0;
      uv_async_send(&r->async);
    }
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static void tx_on_async(uv_async_t* h) {
  tx_ring* r = h->data;
  if (r->closed) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, r->cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);
    if (napi_make_callback(env, r->actx, recv, cb, 0, NULL, &result) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void tx_cleanup_hook(void* arg);

// Stop the writer (frames still queued are written first unless the fd fails), then let go.
static void tx_release(tx_ring* r, int from_hook) {
  if (r->closed) return;
  r->closed = 1;
  if (r->started) {
    pthread_mutex_lock(&r->mu);
    // Let the writer finish what is queued (for at most about 200 ms), then stop it.
    for (int i = 0; i < 1000 && r->head != r->tail; i++) {
      pthread_mutex_unlock(&r->mu);
      struct timespec ts = {0, 200000};
      nanosleep(&ts, NULL);
      pthread_mutex_lock(&r->mu);
    }
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    r->started = 0;
  }
  if (!from_hook) {
    napi_remove_env_cleanup_hook(r->env, tx_cleanup_hook, r);
    napi_delete_reference(r->env, r->cb);
    napi_async_destroy(r->env, r->actx);
  }
  uv_close((uv_handle_t*)&r->async, tx_async_closed);
}

static void tx_cleanup_hook(void* arg) {
  tx_release((tx_ring*)arg, 1);
}

static void tx_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  tx_unref(data);
}

static tx_ring* get_tx(napi_env env, napi_value v) {
  void* data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return data;
}

// txStart(fd, bytes, cb(), soft) → ring | -errno: a ring of `bytes` and its writer thread; cb
// runs when a full ring has half its room back. With `soft`, every frame comes behind a
// virtio_net_hdr that the ring finishes itself (checksum, TSO) because the fd takes none.
static napi_value TxStart(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, bytes;
  bool soft = false;
  if (get_args(env, info, 4, argv) || get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &bytes) || bytes < 65536)
    return make_int(env, -EINVAL);
  napi_get_value_bool(env, argv[3], &soft);
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return make_int(env, -EINVAL);
  tx_ring* r = calloc(1, sizeof *r);
  if (r == NULL) return make_int(env, -ENOMEM);
  r->buf = malloc((size_t)bytes);
  if (r->buf == NULL) {
    free(r);
    return make_int(env, -ENOMEM);
  }
  r->fd = fd;
  r->cap = (size_t)bytes & ~(size_t)7;
  r->soft = soft;
  if (soft && (r->scratch = malloc(VNET_HDR_LEN + 65536 + 64)) == NULL) {
    free(r->buf);
    free(r);
    return make_int(env, -ENOMEM);
  }
  r->env = env;
  r->refs = 1;
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  if (uv_async_init(loop, &r->async, tx_on_async) < 0) {
    tx_unref(r);
    return make_int(env, -ENOMEM);
  }
  r->async.data = r;
  // The async handle must not keep the loop alive.
  uv_unref((uv_handle_t*)&r->async);
  napi_value name;
  napi_create_string_utf8(env, "knet:tap-tx", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[2], 1, &r->cb) != napi_ok || napi_async_init(env, NULL, name, &r->actx) != napi_ok) {
    r->closed = 1;
    uv_close((uv_handle_t*)&r->async, tx_async_closed);
    return make_int(env, -EINVAL);
  }
  napi_add_env_cleanup_hook(env, tx_cleanup_hook, r);
  int e = pthread_create(&r->thread, NULL, tx_main, r);
  if (e != 0) {
    tx_release(r, 0);
    return make_int(env, -e);
  }
  r->started = 1;
  napi_value ext;
  r->refs++;
  if (napi_create_external(env, r, tx_finalize, NULL, &ext) != napi_ok) {
    r->refs--;
    tx_release(r, 0);
    return make_int(env, -ENOMEM);
  }
  return ext;
}

// txSend(ring, parts, count, inline) → bytes written inline | 0 queued | -ENOBUFS full | -errno.
// parts holds `count` triplets as for writev. With `inline` and nothing queued or being
// written, the frame is written now (one writev) and its length returned; a soft ring does
// that only for a frame that is not a super-frame (segmenting one is the writer's work).
static int inline_emit(void* ctx, const struct iovec* iov, int cnt) {
  ssize_t w = writev(*(int*)ctx, iov, cnt);
  return w < 0 ? -errno : 0;
}

static napi_value TxSend(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t count;
  bool inl = false;
  if (get_args(env, info, 4, argv) || get_i32(env, argv[2], &count) || count < 1 || count > MAX_IOV)
    return make_int(env, -EINVAL);
  tx_ring* r = get_tx(env, argv[0]);
  if (r == NULL || r->closed) return make_int(env, -EBADF);
  napi_get_value_bool(env, argv[3], &inl);
  struct iovec iov[MAX_IOV];
  size_t len = 0;
  for (int i = 0; i < count; i++) {
    napi_value a, o, l;
    if (napi_get_element(env, argv[1], 3 * i, &a) != napi_ok || napi_get_element(env, argv[1], 3 * i + 1, &o) != napi_ok ||
        napi_get_element(env, argv[1], 3 * i + 2, &l) != napi_ok ||
        get_window(env, a, o, l, (uint8_t**)&iov[i].iov_base, &iov[i].iov_len))
      return make_int(env, -EINVAL);
    len += iov[i].iov_len;
  }
  size_t rec = TX_ALIGN(4 + len);
  pthread_mutex_lock(&r->mu);
  size_t head = r->head, used = head - r->tail;
  int empty = used == 0 && r->idle;
  pthread_mutex_unlock(&r->mu);
  if (inl && empty && !r->soft) {
    ssize_t w = writev(r->fd, iov, count);
    return make_int(env, w < 0 ? -errno : w);
  }
  if (inl && empty && iov[0].iov_len == VNET_HDR_LEN && ((uint8_t*)iov[0].iov_base)[1] == 0 &&
      len <= VNET_HDR_LEN + 65536) {
    uint8_t* f = r->scratch;
    size_t o = 0;
    for (int i = 1; i < count; i++) {
      memcpy(f + o, iov[i].iov_base, iov[i].iov_len);
      o += iov[i].iov_len;
    }
    size_t nb = 0;
    int e = vnet_finish(iov[0].iov_base, f, o, inline_emit, &r->fd, &nb);
    return make_int(env, e < 0 ? e : (int64_t)nb);
  }
  size_t at = head % r->cap;
  size_t waste = r->cap - at < rec ? r->cap - at : 0;
  if (rec + waste > r->cap - used || rec > r->cap / 2) {
    if (rec > r->cap / 2) return make_int(env, -EMSGSIZE);
    pthread_mutex_lock(&r->mu);
    r->full = 1;
    // The writer may have made room meanwhile; then nobody would call back.
    int room = rec + waste <= r->cap - (r->head - r->tail);
    if (room) r->full = 0;
    pthread_mutex_unlock(&r->mu);
    if (!room) return make_int(env, -ENOBUFS);
  }
  if (waste > 0) {
    uint32_t m = TX_WRAP;
    memcpy(r->buf + at, &m, 4);
    head += waste;
    at = 0;
  }
  uint32_t l32 = (uint32_t)len;
  memcpy(r->buf + at, &l32, 4);
  size_t o = at + 4;
  for (int i = 0; i < count; i++) {
    memcpy(r->buf + o, iov[i].iov_base, iov[i].iov_len);
    o += iov[i].iov_len;
  }
  pthread_mutex_lock(&r->mu);
  r->head = head + rec;
  if (r->idle) pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
  return make_int(env, 0);
}

// txStats(ring, out Float64Array(5)): frames, bytes and errors the writer counted, the last
// errno it saw, and the bytes queued now.
static napi_value TxStats(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv)) return make_int(env, -EINVAL);
  tx_ring* r = get_tx(env, argv[0]);
  napi_typedarray_type type;
  size_t n;
  void* data;
  if (r == NULL || napi_get_typedarray_info(env, argv[1], &type, &n, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || n < 5)
    return make_int(env, -EINVAL);
  double* out = data;
  pthread_mutex_lock(&r->mu);
  out[0] = r->frames;
  out[1] = r->bytes;
  out[2] = r->errors;
  out[3] = r->last_err;
  out[4] = (double)(r->head - r->tail);
  pthread_mutex_unlock(&r->mu);
  return make_int(env, 0);
}

// txStop(ring): write what is queued, stop the thread; idempotent. Call before close(fd).
static napi_value TxStop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv)) return make_int(env, -EINVAL);
  tx_ring* r = get_tx(env, argv[0]);
  if (r == NULL) return make_int(env, -EBADF);
  tx_release(r, 0);
  return make_int(env, 0);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
    {"setOffload", NULL, SetOffload, NULL, NULL, NULL, napi_default, NULL},
    {"setVnetHdrSz", NULL, SetVnetHdrSz, NULL, NULL, NULL, napi_default, NULL},
    {"read", NULL, Read, NULL, NULL, NULL, napi_default, NULL},
    {"read2", NULL, Read2, NULL, NULL, NULL, napi_default, NULL},
    {"readBatch", NULL, ReadBatch, NULL, NULL, NULL, napi_default, NULL},
    {"write", NULL, Write, NULL, NULL, NULL, napi_default, NULL},
    {"writev", NULL, Writev, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
    {"txStart", NULL, TxStart, NULL, NULL, NULL, napi_default, NULL},
    {"txSend", NULL, TxSend, NULL, NULL, NULL, napi_default, NULL},
    {"txStats", NULL, TxStats, NULL, NULL, NULL, napi_default, NULL},
    {"txStop", NULL, TxStop, NULL, NULL, NULL, napi_default, NULL},
    {"pollStart", NULL, PollStart, NULL, NULL, NULL, napi_default, NULL},
    {"pollUpdate", NULL, PollUpdate, NULL, NULL, NULL, napi_default, NULL},
    {"pollStop", NULL, PollStop, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
