// fs/eventpoll.c: an epoll instance. Each watched file gets an epitem whose callback sits on the
// file's wait queue (ep_poll_callback) and puts it on the ready list; epoll_wait re-polls the
// ready items (ep_send_events), keeps level-triggered ones on the list, drops edge-triggered
// ones until the next wakeup, and disarms EPOLLONESHOT ones until EPOLL_CTL_MOD.
import type { WaitQueueHead } from '@knet/include';
import {
  EEXIST, EINVAL, ENOENT, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLL_CTL_ADD, EPOLL_CTL_DEL,
  EPOLL_CTL_MOD, POLLRDNORM,
} from '@knet/include';

/** EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and ignored (one waiter per file here). */
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29;
/** EP_PRIVATE_BITS: control bits, not events. */
const EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;

/** What epoll and poll need of an open file: its wait queue and its readiness (f_op->poll). */
export interface PollFile {
  readonly wq: WaitQueueHead;
  poll(): number;
}

/** struct epoll_event */
export interface EpollEvent {
  events: number;
  data: unknown;
}

class Epitem {
  ready = false;
  readonly cb: (mask: number) => void;
  constructor(readonly ep: EventPoll, readonly file: PollFile, readonly fd: number, public events: number, public data: unknown) {
    this.cb = (mask) => ep.pollCallback(this, mask);
  }
}

/** struct eventpoll */
export class EventPoll implements PollFile {
  readonly wq: WaitQueueHead = { waiters: new Set() };
  private readonly items = new Map<PollFile, Epitem>();
  private rdllist: Epitem[] = [];
  private spare: Epitem[] = [];

  /** ep_poll_callback: a watched file woke its queue. */
  pollCallback(epi: Epitem, mask: number): void {
    if ((epi.events & ~EP_PRIVATE_BITS) === 0) return;
    if (mask !== 0 && (mask & epi.events) === 0) return;
    this.addReady(epi);
  }

  private addReady(epi: Epitem): void {
    if (epi.ready) return;
    epi.ready = true;
    this.rdllist.push(epi);
    if (this.wq.waiters.size > 0) for (const w of [...this.wq.waiters]) w(EPOLLIN | POLLRDNORM);
  }

  private removeReady(epi: Epitem): void {
    if (!epi.ready) return;
    epi.ready = false;
    const i = this.rdllist.indexOf(epi);
    if (i >= 0) this.rdllist.splice(i, 1);
  }

  /** epoll_ctl. EPOLLERR and EPOLLHUP are always reported, as Linux adds them. */
  ctl(op: number, file: PollFile, fd: number, ev: EpollEvent | null): number {
    if (file === this) return -EINVAL;
    const epi = this.items.get(file);
    switch (op) {
      case EPOLL_CTL_ADD: {
        if (ev === null) return -EINVAL;
        if (epi !== undefined) return -EEXIST;
        const n = new Epitem(this, file, fd, ev.events | EPOLLERR | EPOLLHUP, ev.data);
        this.items.set(file, n);
        file.wq.waiters.add(n.cb);
        if ((file.poll() & n.events) !== 0) this.addReady(n);
        return 0;
      }
      case EPOLL_CTL_MOD: {
        if (ev === null) return -EINVAL;
        if (epi === undefined) return -ENOENT;
        epi.events = ev.events | EPOLLERR | EPOLLHUP;
        epi.data = ev.data;
        if ((file.poll() & epi.events) !== 0) this.addReady(epi);
        return 0;
      }
      case EPOLL_CTL_DEL:
        if (epi === undefined) return -ENOENT;
        this.detach(epi);
        return 0;
      default:
        return -EINVAL;
    }
  }

  private detach(epi: Epitem): void {
    epi.file.wq.waiters.delete(epi.cb);
    this.removeReady(epi);
    this.items.delete(epi.file);
  }

  /** eventpoll_release: the file was closed. */
  release(file: PollFile): void {
    const epi = this.items.get(file);
    if (epi !== undefined) this.detach(epi);
  }

  /** Tear down every watch (the epoll fd itself was closed). */
  clear(): void {
    for (const epi of [...this.items.values()]) this.detach(epi);
  }

  /** ep_send_events: up to `maxevents` ready events, never waiting. */
  sendEvents(maxevents: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    const list = this.rdllist;
    this.rdllist = this.spare;
    this.spare = list;
    const requeue: Epitem[] = [];
    let i = 0;
    for (; i < list.length && out.length < maxevents; i++) {
      const epi = list[i]!;
      epi.ready = false;
      const revents = epi.file.poll() & epi.events;
      if (revents === 0) continue;
      out.push({ events: revents, data: epi.data });
      if ((epi.events & EPOLLONESHOT) !== 0) epi.events &= EP_PRIVATE_BITS;
      else if ((epi.events & EPOLLET) === 0) requeue.push(epi);
    }
    // Unprocessed items stay in front; level-triggered ones go back behind them.
    const rest = this.rdllist;
    for (; i < list.length; i++) rest.push(list[i]!);
    for (const epi of requeue) {
      if (!epi.ready) {
        epi.ready = true;
        rest.push(epi);
      }
    }
    list.length = 0;
    return out;
  }

  /** ep_eventpoll_poll: readable when some ready item really is ready. */
  poll(): number {
    for (const epi of this.rdllist) if ((epi.file.poll() & epi.events) !== 0) return EPOLLIN | POLLRDNORM;
    return 0;
  }

  get size(): number {
    return this.items.size;
  }
}
