// Script file descriptors vs the target's, as packetdrill keeps them: a script may expect
// socket() to return 4 where the stack hands out 3. Calls that create a descriptor map the
// script's number onto the live one; later arguments are translated, results and poll's
// output translated back. Numbers the script never got from a call pass through unchanged.
import type { SysValue, SyscallOutcome } from './target.js';

const CREATES_FD = new Set(['socket', 'accept', 'accept4', 'epoll_create', 'epoll_create1']);
/** Which arguments are descriptors; everything else that takes one has it first. */
const FD_ARGS: Readonly<Record<string, readonly number[]>> = {
  socket: [], epoll_create: [], epoll_create1: [], poll: [], epoll_ctl: [0, 2],
};

export class FdMap {
  private readonly live = new Map<number, number>();
  private readonly script = new Map<number, number>();

  toLive(fd: number): number {
    return this.live.get(fd) ?? fd;
  }

  /** The call's arguments with script descriptors replaced by live ones. */
  args(name: string, args: readonly SysValue[]): SysValue[] {
    const idx = FD_ARGS[name] ?? [0];
    const out = args.map((a, i) => (idx.includes(i) && a.kind === 'int' ? { kind: 'int' as const, value: this.toLive(a.value) } : a));
    if (name === 'poll' && out[0]?.kind === 'list') out[0] = { kind: 'list', items: out[0].items.map((p) => this.pollfd(p, (fd) => this.toLive(fd))) };
    return out;
  }

  /**
   * The outcome as the script sees it. `expected` is the script's result when it is a number:
   * a new descriptor is then known by that number.
   */
  outcome(name: string, args: readonly SysValue[], out: SyscallOutcome, expected: number | null): SyscallOutcome {
    if (CREATES_FD.has(name) && out.ret >= 0) {
      const scriptFd = expected ?? out.ret;
      this.live.set(scriptFd, out.ret);
      this.script.set(out.ret, scriptFd);
      return { ...out, ret: scriptFd };
    }
    if (name === 'close' && out.ret === 0 && args[0]?.kind === 'int') {
      const fd = args[0].value;
      this.script.delete(this.toLive(fd));
      this.live.delete(fd);
    }
    if (name === 'poll' && out.out?.[0]?.kind === 'list') {
      const list = out.out[0];
      return { ...out, out: [{ kind: 'list', items: list.items.map((p) => this.pollfd(p, (fd) => this.script.get(fd) ?? fd)) }, ...out.out.slice(1)] };
    }
    return out;
  }

  private pollfd(p: SysValue, map: (fd: number) => number): SysValue {
    const fd = p.kind === 'struct' ? p.fields['fd'] : undefined;
    if (p.kind !== 'struct' || fd?.kind !== 'int') return p;
    return { kind: 'struct', fields: { ...p.fields, fd: { kind: 'int', value: map(fd.value) } } };
  }
}
