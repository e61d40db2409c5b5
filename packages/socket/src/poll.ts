// fs/select.c: poll(2)'s per-entry check. The sleeping half is Task.pollAsync.
import { POLLERR, POLLHUP, POLLNVAL } from '@knet/include';
import type { PollFile } from './eventpoll.js';

/** struct pollfd */
export interface PollFd {
  fd: number;
  events: number;
  revents: number;
}

/** do_pollfd: a closed fd is POLLNVAL; errors and hangups are reported even if not asked for. */
export function doPollfd(file: PollFile | null, p: PollFd): number {
  p.revents = file === null ? POLLNVAL : file.poll() & (p.events | POLLERR | POLLHUP);
  return p.revents;
}
