// packetdrill's system calls on a knet Task. A call that would sleep runs in its Promise form
// (acceptAsync, connectAsync, recvmsgAsync, ...) on the host's virtual clock and is reported
// pending; it completes when that Promise resolves, as the blocked thread of a packetdrill run
// returns when the kernel wakes it.
import type { Cmsghdr, IpRecverrCmsg, Msghdr, SockoptVal } from '@knet/include';
import { EFAULT, EINVAL, ENOPROTOOPT, FIONBIO } from '@knet/include';
import type { EpollEvent, PollFd, Task } from '@knet/socket';

import {
  argBuffer, argInt, argIovec, argSockaddr, argSockopt, pdInt, sockoptLenOut, sockoptOut, type PdSysValue,
} from './packetdrill_args.js';

export type { PdSysValue } from './packetdrill_args.js';

export interface PdSyscallOutcome {
  ret: number;
  errno: number;
  out?: ReadonlyArray<PdSysValue | undefined>;
}

export type PdSyscallStart =
  | { done: PdSyscallOutcome }
  | { pending: { poll(): PdSyscallOutcome | null } }
  | { unsupported: string };

type Args = readonly PdSysValue[];

/** A kernel return value as user space sees it: -1 and errno for -errno. */
function outcome(r: number, out?: ReadonlyArray<PdSysValue | undefined>): PdSyscallOutcome {
  if (r < 0) return { ret: -1, errno: -r };
  return out === undefined ? { ret: r, errno: 0 } : { ret: r, errno: 0, out };
}
const done = (r: number, out?: ReadonlyArray<PdSysValue | undefined>): PdSyscallStart => ({ done: outcome(r, out) });

/** A received control message as the script writes it ({cmsg_level=..., cmsg_type=..., cmsg_data=...}). */
function cmsgValue(c: Cmsghdr): PdSysValue {
  const d = c.data;
  const data: PdSysValue = typeof d === 'number' ? pdInt(d) : d instanceof Uint8Array ? { kind: 'bytes', data: d } : recverrValue(d);
  return { kind: 'struct', fields: { cmsg_level: pdInt(c.level), cmsg_type: pdInt(c.type), cmsg_data: data } };
}

/** IP_RECVERR's struct sock_extended_err under its uapi field names, as scripts spell them. */
function recverrValue(r: IpRecverrCmsg): PdSysValue {
  const ee = r.ee;
  return {
    kind: 'struct',
    fields: {
      ee_errno: pdInt(ee.eeErrno), ee_origin: pdInt(ee.eeOrigin), ee_type: pdInt(ee.eeType), ee_code: pdInt(ee.eeCode),
      ee_pad: pdInt(ee.eePad), ee_info: pdInt(ee.eeInfo), ee_data: pdInt(ee.eeData),
    },
  };
}

export class PacketdrillSyscalls {
  /** Promise-form calls whose Promise has not settled yet. */
  outstanding = 0;
  private readonly abort = new AbortController();

  constructor(private readonly task: Task) {}

  call(name: string, a: Args): PdSyscallStart {
    const t = this.task;
    const fd = argInt(a[0]);
    switch (name) {
      case 'socket': return done(t.socket(fd, argInt(a[1]), argInt(a[2])));
      case 'bind': return this.withAddr(a[1], (addr) => t.bind(fd, addr));
      case 'listen': return done(t.listen(fd, argInt(a[1])));
      case 'accept': return this.accept(fd, 0);
      case 'accept4': return this.accept(fd, argInt(a[3]));
      case 'connect': {
        const addr = argSockaddr(a[1]);
        if (addr === null) return done(-EFAULT);
        return this.sleep(t.connectAsync(fd, addr, this.opts()), (r) => outcome(r));
      }
      case 'write': return this.withBuf(a, () => this.send(fd, [argBuffer(a[1], argInt(a[2]))], 0, null));
      case 'send': return this.withBuf(a, () => this.send(fd, [argBuffer(a[1], argInt(a[2]))], argInt(a[3]), null));
      case 'sendto': return this.withBuf(a, () => this.send(fd, [argBuffer(a[1], argInt(a[2]))], argInt(a[3]), argSockaddr(a[4])));
      case 'writev': return this.withIov(a[1], (iov) => this.send(fd, iov, 0, null));
      case 'sendmsg': return this.sendmsg(fd, a[1], argInt(a[2]));
      case 'read': return this.withBuf(a, () => this.recv(fd, [argBuffer(undefined, argInt(a[2]))], 0));
      case 'recv':
      case 'recvfrom': return this.withBuf(a, () => this.recv(fd, [argBuffer(undefined, argInt(a[2]))], argInt(a[3])));
      case 'readv': return this.withIov(a[1], (iov) => this.recv(fd, iov, 0));
      case 'recvmsg': return this.recvmsg(fd, a[1], argInt(a[2]));
      case 'close': return done(t.close(fd));
      case 'shutdown': return done(t.shutdown(fd, argInt(a[1])));
      case 'setsockopt': return this.setsockopt(fd, a);
      case 'getsockopt': return this.getsockopt(fd, a);
      case 'fcntl': return done(t.fcntl(fd, argInt(a[1]), argInt(a[2])));
      case 'ioctl': return this.ioctl(fd, a);
      case 'poll': return this.poll(a);
      case 'epoll_create': return done(fd <= 0 ? -EINVAL : t.epollCreate1(0));
      case 'epoll_create1': return done(t.epollCreate1(fd));
      case 'epoll_ctl': return this.epollCtl(fd, a);
      case 'epoll_wait': return this.epollWait(fd, a);
      default: return { unsupported: `syscall ${name}` };
    }
  }

  /** Let every sleeping call return (-EINTR), so nothing waits on a discarded host. */
  abandon(): void {
    this.abort.abort();
  }

  private opts(): { signal: AbortSignal } {
    return { signal: this.abort.signal };
  }

  /** Run `p` on the clock; `finish` turns its value into the outcome once it settles. */
  private sleep<T>(p: Promise<T>, finish: (v: T) => PdSyscallOutcome): PdSyscallStart {
    let result: PdSyscallOutcome | null = null;
    this.outstanding++;
    void p.then((v) => {
      this.outstanding--;
      result = finish(v);
    });
    return { pending: { poll: () => result } };
  }

  private withAddr(v: PdSysValue | undefined, f: (addr: NonNullable<ReturnType<typeof argSockaddr>>) => number): PdSyscallStart {
    const addr = argSockaddr(v);
    return done(addr === null ? -EFAULT : f(addr));
  }

  /** A NULL data pointer with a length faults, as copying from or to it would. */
  private withBuf(a: Args, f: () => PdSyscallStart): PdSyscallStart {
    return a[1]?.kind === 'null' && argInt(a[2]) > 0 ? done(-EFAULT) : f();
  }

  private withIov(v: PdSysValue | undefined, f: (iov: Uint8Array[]) => PdSyscallStart): PdSyscallStart {
    const iov = argIovec(v);
    return iov === null ? done(-EFAULT) : f(iov);
  }

  private accept(fd: number, flags: number): PdSyscallStart {
    return this.sleep(this.task.acceptAsync(fd, flags, this.opts()), (r) => {
      const peer = r >= 0 ? this.task.getpeername(r) : null;
      const addr: PdSysValue | undefined = peer !== null && typeof peer !== 'number'
        ? { kind: 'sockaddr', family: peer.family, addr: peer.addr, port: peer.port } : undefined;
      return outcome(r, [undefined, addr]);
    });
  }

  private send(fd: number, iov: Uint8Array[], flags: number, name: Msghdr['name']): PdSyscallStart {
    return this.sleep(this.task.sendmsgAsync(fd, { name, iov, flags: 0 }, flags, this.opts()), (r) => outcome(r));
  }

  private recv(fd: number, iov: Uint8Array[], flags: number): PdSyscallStart {
    return this.sleep(this.task.recvmsgAsync(fd, { name: null, iov, flags: 0 }, flags, this.opts()), (r) => outcome(r));
  }

  private sendmsg(fd: number, m: PdSysValue | undefined, flags: number): PdSyscallStart {
    if (m?.kind !== 'struct') return done(-EFAULT);
    const ctl = m.fields['msg_control'];
    if (ctl?.kind === 'list' && ctl.items.length > 0) return { unsupported: 'sendmsg with control messages' };
    return this.withIov(m.fields['msg_iov'], (iov) => this.send(fd, iov, flags, argSockaddr(m.fields['msg_name'])));
  }

  private recvmsg(fd: number, m: PdSysValue | undefined, flags: number): PdSyscallStart {
    if (m?.kind !== 'struct') return done(-EFAULT);
    const iov = argIovec(m.fields['msg_iov']);
    if (iov === null) return done(-EFAULT);
    const msg: Msghdr = { name: null, iov, flags: 0 };
    // A script that names msg_control gives a control buffer; the stack fills it.
    const wantCtl = m.fields['msg_control']?.kind === 'list';
    if (wantCtl) msg.control = [];
    return this.sleep(this.task.recvmsgAsync(fd, msg, flags, this.opts()), (r) => {
      const fields: Record<string, PdSysValue> = { msg_flags: pdInt(msg.flags) };
      if (msg.control !== undefined) fields['msg_control'] = { kind: 'list', items: msg.control.map(cmsgValue) };
      return outcome(r, [undefined, { kind: 'struct', fields }]);
    });
  }

  private setsockopt(fd: number, a: Args): PdSyscallStart {
    const level = argInt(a[1]);
    const name = argInt(a[2]);
    const val: SockoptVal | null = argSockopt(a[3]);
    if (val === null) return done(-EFAULT);
    const r = this.task.setsockopt(fd, level, name, val);
    // knet not knowing an option is a missing feature, not the errno Linux would give.
    if (r === -ENOPROTOOPT) return { unsupported: `setsockopt level ${level} option ${name}` };
    return done(r);
  }

  private getsockopt(fd: number, a: Args): PdSyscallStart {
    const level = argInt(a[1]);
    const name = argInt(a[2]);
    const v = this.task.getsockopt(fd, level, name);
    if (v === -ENOPROTOOPT) return { unsupported: `getsockopt level ${level} option ${name}` };
    if (typeof v === 'number' && v < 0) return done(v);
    return done(0, [undefined, undefined, undefined, sockoptOut(a[3], v), sockoptLenOut(a[4], v)]);
  }

  private ioctl(fd: number, a: Args): PdSyscallStart {
    const cmd = argInt(a[1]);
    const r = this.task.ioctl(fd, cmd, argInt(a[2]));
    if (cmd === FIONBIO || r < 0) return done(r);
    const v = pdInt(r);
    return done(0, [undefined, undefined, a[2]?.kind === 'list' ? { kind: 'list', items: [v] } : v]);
  }

  private poll(a: Args): PdSyscallStart {
    const list = a[0];
    if (list?.kind !== 'list') return done(-EFAULT);
    const fds: PollFd[] = list.items.map((it) => ({
      fd: it.kind === 'struct' ? argInt(it.fields['fd']) : -1,
      events: it.kind === 'struct' ? argInt(it.fields['events']) : 0,
      revents: 0,
    }));
    const timeout = argInt(a[2]);
    const out = (): PdSysValue[] => [{
      kind: 'list',
      items: fds.map((p) => ({ kind: 'struct', fields: { fd: pdInt(p.fd), events: pdInt(p.events), revents: pdInt(p.revents) } })),
    }];
    if (timeout === 0) return done(this.task.poll(fds), out());
    return this.sleep(this.task.pollAsync(fds, timeout, this.opts()), (r) => outcome(r, out()));
  }

  private epollCtl(epfd: number, a: Args): PdSyscallStart {
    const e = a[3];
    const ev: EpollEvent | null = e?.kind === 'struct' ? { events: argInt(e.fields['events']) | 0, data: epollData(e.fields) } : null;
    return done(this.task.epollCtl(epfd, argInt(a[1]), argInt(a[2]), ev));
  }

  private epollWait(epfd: number, a: Args): PdSyscallStart {
    const want = a[1];
    const max = argInt(a[2]);
    const timeout = argInt(a[3]);
    const finish = (r: EpollEvent[] | number): PdSyscallOutcome => {
      if (typeof r === 'number') return outcome(r);
      const evs = r.map((ev) => epollOut(want?.kind === 'list' ? want.items[0] : want, ev));
      const shaped: PdSysValue | undefined = want?.kind === 'list' ? { kind: 'list', items: evs } : evs[0];
      return outcome(r.length, [undefined, shaped]);
    };
    if (timeout === 0) return { done: finish(this.task.epollWait(epfd, max)) };
    return this.sleep(this.task.epollWaitAsync(epfd, max, timeout, this.opts()), finish);
  }
}

/** epoll_data as the script names it: fd=, u32=, u64= or ptr=. */
function epollData(f: Record<string, PdSysValue>): number {
  return argInt(f['fd'] ?? f['u32'] ?? f['u64'] ?? f['ptr']);
}

function epollOut(want: PdSysValue | undefined, ev: EpollEvent): PdSysValue {
  const fields: Record<string, PdSysValue> = { events: pdInt(ev.events >>> 0) };
  const key = want?.kind === 'struct' ? Object.keys(want.fields).find((k) => k !== 'events') ?? 'fd' : 'fd';
  fields[key] = pdInt(typeof ev.data === 'number' ? ev.data : 0);
  return { kind: 'struct', fields };
}
