// net/core/stream.c: send-buffer space for stream sockets. Nothing blocks here: writers
// get -EAGAIN and wait on the socket's wait queue, woken by skStreamWriteSpace.
import type { Sock } from '@knet/include';
import { EPOLLOUT, POLLWRBAND, POLLWRNORM, SEND_SHUTDOWN, SOCK_NOSPACE, SOCK_QUEUE_SHRUNK } from '@knet/include';
import { skbQueuePurge } from '@knet/skbuff';
import { skMemReclaim, skWakeWaiters } from './sock.js';

/** sk_stream_wspace: free room in the send buffer. */
export function skStreamWspace(sk: Sock): number {
  return sk.skSndbuf - sk.skWmemQueued;
}

/** sk_stream_min_wspace: writers are woken once this much is free. */
export function skStreamMinWspace(sk: Sock): number {
  return sk.skWmemQueued >> 1;
}

/** A protocol can add its own limit (TCP: notsent_lowat) through this optional member. */
interface StreamMemoryHook {
  streamMemoryFree?: (sk: Sock, wake: boolean) => boolean;
}

/** sk_stream_memory_free: may the writer queue more? */
export function skStreamMemoryFree(sk: Sock): boolean {
  if (sk.skWmemQueued >= sk.skSndbuf) return false;
  const hook = (sk.skProt as StreamMemoryHook).streamMemoryFree;
  return hook === undefined ? true : hook(sk, false);
}

/** sk_stream_is_writeable */
export function skStreamIsWriteable(sk: Sock): boolean {
  return skStreamWspace(sk) >= skStreamMinWspace(sk) && skStreamMemoryFree(sk);
}

/** sk_stream_write_space: wake writers once the queue has drained enough. */
export function skStreamWriteSpace(sk: Sock): void {
  if (skStreamIsWriteable(sk) && sk.skSocket !== null) {
    sk.skFlags &= ~SOCK_NOSPACE;
    skWakeWaiters(sk, EPOLLOUT | POLLWRNORM | POLLWRBAND);
  }
}

/** sk_stream_kill_queues: drop what is left queued on a closed stream socket. */
export function skStreamKillQueues(sk: Sock): void {
  skbQueuePurge(sk.skReceiveQueue);
  skbQueuePurge(sk.skErrorQueue);
  skMemReclaim(sk);
}

/** sk_stream_error: EPIPE on a shut-down writer (no signals here; the caller returns it). */
export function skStreamError(sk: Sock, err: number): number {
  if (err === -32 && (sk.skShutdown & SEND_SHUTDOWN) !== 0) return -32;
  return err;
}

/** SOCK_QUEUE_SHRUNK: set when freed write memory should wake writers (tcp_check_space). */
export function skStreamQueueShrunk(sk: Sock): boolean {
  return (sk.skFlags & SOCK_QUEUE_SHRUNK) !== 0;
}
