// A toy TCP endpoint implementing the Target interface, for testing the runner without a
// stack: handshakes both ways, MSS-sized segments sent as one burst, a 40 ms delayed ACK,
// blocking accept/read/connect, FIN on close, TCP timestamps in milliseconds.
import type { SysValue, SyscallOutcome, SyscallStart, Target, TargetConfig } from '../target.js';
import { ACK, decodeTcp, decodeTcpOptions, encodeTcp, encodeTcpOptions, FIN, PSH, SYN, type DecodedTcp } from '../wire.js';
import type { TcpOption } from '../ast.js';

const EAGAIN = 11, EINPROGRESS = 115, EBADF = 9;
const ISN = 0xfffffff0;
const KNOWN = new Set(['socket', 'setsockopt', 'getsockopt', 'fcntl', 'bind', 'listen', 'accept', 'connect', 'write', 'read', 'close']); // near the wrap, to exercise mod-2^32 arithmetic

interface Sock {
  fd: number;
  state: 'new' | 'listen' | 'synsent' | 'synrcvd' | 'established' | 'closed';
  nonblock: boolean;
  sndbuf: number;
  localPort: number;
  remotePort: number;
  sndNxt: number;
  rcvNxt: number;
  mss: number;
  ts: boolean;
  tsRecent: number;
  rcvQueue: number;
  accepted: Sock[];
  delack: boolean;
}

export function createFakeTarget(cfg: TargetConfig): Target {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void }> = [];
  let out: (p: Uint8Array, at: number) => void = () => {};
  let sent = false;
  let nextFd = 3;
  const socks = new Map<number, Sock>();
  const sysctls = new Map(cfg.sysctls);
  const tsOn = (): boolean => (sysctls.get('net.ipv4.tcp_timestamps') ?? '1') !== '0';

  const newSock = (): Sock => ({ fd: nextFd++, state: 'new', nonblock: false, sndbuf: 16384, localPort: 0, remotePort: 0,
    sndNxt: ISN, rcvNxt: 0, mss: 536, ts: false, tsRecent: 0, rcvQueue: 0, accepted: [], delack: false });

  const send = (s: Sock, flags: number, len: number, opts: TcpOption[] = []): void => {
    const all = s.ts && !(flags & SYN) ? [{ kind: 'nop' } as const, { kind: 'nop' } as const, tsOpt(s), ...opts] : opts;
    out(encodeTcp({ src: cfg.localIp, dst: cfg.remoteIp, sport: s.localPort, dport: s.remotePort, seq: s.sndNxt, ack: flags & ACK ? s.rcvNxt : 0,
      flags, win: 502, urg: 0, options: encodeTcpOptions(all), payload: new Uint8Array(len), tos: 0, ttl: 64, id: 0 }), now);
    s.sndNxt = (s.sndNxt + len + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    sent = true;
  };
  const tsOpt = (s: Sock): TcpOption => ({ kind: 'ts', val: 5000 + Math.floor(now / 1000), ecr: s.tsRecent });

  const find = (p: DecodedTcp): Sock | undefined => {
    for (const s of all()) if (s.state !== 'listen' && s.localPort === p.dport && s.remotePort === p.sport) return s;
    for (const s of socks.values()) if (s.state === 'listen' && s.localPort === p.dport) return s;
    return undefined;
  };

  const rcv = (p: DecodedTcp): void => {
    const s = find(p);
    if (!s) return;
    const opts = decodeTcpOptions(p.options);
    const ts = opts.find((o) => o.kind === 'ts');
    if (s.state === 'listen' && p.flags === SYN) {
      const c: Sock = { ...newSock(), fd: -1, state: 'synrcvd', localPort: s.localPort, remotePort: p.sport, rcvNxt: (p.seq + 1) >>> 0 };
      nextFd--;
      const mss = opts.find((o) => o.kind === 'mss');
      c.mss = Math.min(1460, mss?.kind === 'mss' ? mss.value : 536);
      c.ts = tsOn() && ts !== undefined;
      if (ts?.kind === 'ts') c.tsRecent = ts.val;
      const synOpts: TcpOption[] = [{ kind: 'mss', value: 1460 }];
      if (c.ts) synOpts.push({ kind: 'nop' }, { kind: 'nop' }, tsOpt(c));
      synOpts.push({ kind: 'nop' }, { kind: 'wscale', value: 8 });
      send(c, SYN | ACK, 0, synOpts);
      s.accepted.push(c);
      return;
    }
    if (ts?.kind === 'ts') s.tsRecent = ts.val;
    if (s.state === 'synsent' && p.flags & SYN && p.flags & ACK) {
      const mss = opts.find((o) => o.kind === 'mss');
      s.mss = Math.min(1460, mss?.kind === 'mss' ? mss.value : 536);
      s.ts = s.ts && ts !== undefined;
      s.rcvNxt = (p.seq + 1) >>> 0;
      s.state = 'established';
      send(s, ACK, 0);
      return;
    }
    if (s.state === 'synrcvd' && p.flags & ACK) s.state = 'established';
    if (p.payload.length > 0 || p.flags & FIN) {
      s.rcvQueue += p.payload.length;
      s.rcvNxt = (s.rcvNxt + p.payload.length + (p.flags & FIN ? 1 : 0)) >>> 0;
      if (p.flags & FIN) send(s, ACK, 0);
      else if (!s.delack) {
        s.delack = true;
        timers.push({ at: now + 40_000, fn: () => { s.delack = false; send(s, ACK, 0); } });
      }
    }
  };

  const all = (): Sock[] => [...socks.values()].flatMap((s) => [s, ...s.accepted]);
  const done = (ret: number, errno = 0, outArgs?: Array<SysValue | undefined>): SyscallStart => ({ done: outArgs ? { ret, errno, out: outArgs } : { ret, errno } });
  const int = (v: SysValue | undefined): number => (v?.kind === 'int' ? v.value : v?.kind === 'list' ? int(v.items[0]) : 0);
  const block = (s: Sock, attempt: () => SyscallOutcome | null): SyscallStart => {
    const r = attempt();
    if (r) return { done: r };
    if (s.nonblock) return done(-1, EAGAIN);
    return { pending: { poll: attempt } };
  };

  return {
    now: () => now,
    advance(until) {
      sent = false;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > until) break;
        timers = timers.slice(1);
        now = Math.max(now, t.at);
        t.fn();
        if (sent) return;
      }
      now = Math.max(now, until);
    },
    sysctl(name, value) {
      if (!name.startsWith('net.ipv4.')) return false;
      sysctls.set(name, value);
      return true;
    },
    syscall(name, args) {
      const fd = int(args[0]);
      const s = name === 'socket' ? undefined : all().find((x) => x.fd === fd);
      if (!KNOWN.has(name)) return { unsupported: `syscall ${name}` };
      if (name === 'socket') {
        const n = newSock();
        socks.set(n.fd, n);
        return done(n.fd);
      }
      if (!s) return done(-1, EBADF);
      switch (name) {
        case 'setsockopt':
          if (int(args[2]) === 7) s.sndbuf = int(args[3]) * 2; // SO_SNDBUF
          return done(0);
        case 'getsockopt':
          return done(0, 0, [undefined, undefined, undefined, { kind: 'list', items: [{ kind: 'int', value: int(args[2]) === 7 ? s.sndbuf : s.mss }] }, { kind: 'list', items: [{ kind: 'int', value: 4 }] }]);
        case 'fcntl':
          if (int(args[1]) === 4) s.nonblock = (int(args[2]) & 0o4000) !== 0; // F_SETFL
          return done(int(args[1]) === 3 ? 2 | (s.nonblock ? 0o4000 : 0) : 0);
        case 'bind': {
          const a = args[1];
          s.localPort = a?.kind === 'sockaddr' ? a.port : 0;
          return done(0);
        }
        case 'listen':
          s.state = 'listen';
          return done(0);
        case 'accept':
          return block(s, () => {
            const i = s.accepted.findIndex((c) => c.state === 'established' && c.fd < 0);
            if (i < 0) return null;
            const c = s.accepted[i]!;
            c.fd = nextFd++;
            return { ret: c.fd, errno: 0 };
          });
        case 'connect': {
          const a = args[1];
          s.remotePort = a?.kind === 'sockaddr' ? a.port : 0;
          s.localPort = 33333;
          s.ts = tsOn();
          s.state = 'synsent';
          const o: TcpOption[] = [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }];
          if (s.ts) o.push(tsOpt(s));
          else o.push({ kind: 'nop' }, { kind: 'nop' });
          o.push({ kind: 'nop' }, { kind: 'wscale', value: 8 });
          send(s, SYN, 0, o);
          if (s.nonblock) return done(-1, EINPROGRESS);
          return { pending: { poll: () => (s.state === 'established' ? { ret: 0, errno: 0 } : null) } };
        }
        case 'write': {
          const n = int(args[2]);
          for (let off = 0; off < n; off += s.mss) {
            const len = Math.min(s.mss, n - off);
            send(s, ACK | (off + len === n ? PSH : 0), len);
          }
          return done(n);
        }
        case 'read':
          return block(s, () => {
            if (s.rcvQueue === 0) return null;
            const n = Math.min(s.rcvQueue, int(args[2]));
            s.rcvQueue -= n;
            return { ret: n, errno: 0 };
          });
        case 'close':
          if (s.state === 'established') send(s, FIN | ACK, 0);
          s.state = 'closed';
          return done(0);
        default:
          return { unsupported: `syscall ${name}` };
      }
    },
    inject(packet) {
      rcv(decodeTcp(packet));
    },
    onOutbound(cb) {
      out = cb;
    },
    tcpInfo(fd) {
      const s = all().find((x) => x.fd === fd);
      if (!s) return null;
      return { tcpi_state: s.state === 'established' ? 1 : 7, tcpi_ca_state: 0, tcpi_snd_cwnd: 10, tcpi_snd_mss: s.mss };
    },
    destroy() {
      timers = [];
    },
  };
}

/** Under the name the CLI looks for, so `KNET_PACKETDRILL_TARGET` can point here. */
export const createPacketdrillTarget = createFakeTarget;
