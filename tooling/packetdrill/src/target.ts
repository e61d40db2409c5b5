// What the runner drives: one fresh network stack per script, on a virtual clock. The
// runner plays the remote peer (198.18.0.2) and the local application; the target is the
// local host (198.18.0.1) whose kernel is under test.

export interface TargetConfig {
  /** Host-order address of the stack under test: 198.18.0.1. */
  localIp: number;
  /** Host-order address of the scripted peer: 198.18.0.2 (reached directly, one hop). */
  remoteIp: number;
  /**
   * Host-order address of packetdrill's gateway (198.18.0.3), on the link: the target routes
   * the peer through it, as packetdrill's tun0 set-up does, so scripts can change that route.
   */
  gatewayIp: number;
  /** Link MTU, 1500 unless the script says otherwise. */
  mtu: number;
  /**
   * packetdrill's --mss: an injected TCP packet with more payload than this reaches the stack
   * as one GSO packet with gso_size = mss, as a tun device with a virtio_net_hdr hands it over.
   * 0 (the default): every packet arrives as it is.
   */
  mss?: number;
  /** Sysctls to apply before the first event, by dotted name ("net.ipv4.tcp_sack" → "1"). */
  sysctls: ReadonlyMap<string, string>;
}

/** A system call argument, with the script's symbols and `...` placeholders already resolved. */
export type SysValue =
  | { kind: 'int'; value: number }
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'sockaddr'; family: number; addr: number; port: number }
  | { kind: 'list'; items: SysValue[] }
  | { kind: 'struct'; fields: Record<string, SysValue> }
  | { kind: 'null' };

export interface SyscallOutcome {
  /** The return value; -1 on error, as user space sees it. */
  ret: number;
  /** Positive errno when ret is -1, else 0. */
  errno: number;
  /**
   * What the call wrote through pointer arguments, by argument index: getsockopt's value and
   * length ([42000], [4]), poll's revents, epoll_wait's events, ioctl results ...
   * Missing entries are not checked.
   */
  out?: ReadonlyArray<SysValue | undefined>;
}

export type SyscallStart =
  | { done: SyscallOutcome }
  /**
   * The call blocks; `poll` returns the outcome once it has completed, else null. The runner
   * lets queued Promise callbacks run before each poll, so a target may complete calls through
   * Promises that settle on its clock.
   */
  | { pending: { poll(): SyscallOutcome | null } }
  /** The target cannot run this call at all (an unimplemented syscall or option). */
  | { unsupported: string };

export interface Target {
  /** Virtual time in microseconds since the target was created. */
  now(): number;
  /**
   * Run the stack (timers, softirqs) until `untilUsecs`, or return early just after a packet
   * has gone out, whichever comes first. Never moves backwards. A target whose blocking calls
   * complete through Promises also returns after each event while one is outstanding, so the
   * runner sees the call return at the instant it did.
   */
  advance(untilUsecs: number): void;
  /** Set a sysctl mid-script; false if the target does not know it. */
  sysctl(name: string, value: string): boolean;
  /**
   * Replace the root qdisc of `dev` (`tc qdisc replace dev tun0 root pfifo limit 0`); kind
   * null restores the default. False if the target has no such device or qdisc.
   */
  qdisc?(dev: string, kind: string | null, params: Readonly<Record<string, number>>): boolean;
  /**
   * `ethtool -K dev tso off gso off`: turn device features on or off by ethtool's names; false
   * if the device or a feature is unknown.
   */
  ethtool?(dev: string, features: Readonly<Record<string, boolean>>): boolean;
  /**
   * `ip route add|change|replace`: addresses already mapped to the target's (host order);
   * false if the route cannot be installed (no such route to change, bad gateway ...).
   */
  route?(op: 'add' | 'change' | 'replace', route: TargetRoute): boolean;
  syscall(name: string, args: readonly SysValue[]): SyscallStart;
  /** Deliver an IPv4 packet from the peer to the stack, as if it arrived on the wire now. */
  inject(packet: Uint8Array): void;
  /** Every IPv4 packet the stack sends, with the virtual time it left. */
  onOutbound(cb: (packet: Uint8Array, usecs: number) => void): void;
  /** struct tcp_info of a socket as `tcpi_*` fields, or null for a bad fd. */
  tcpInfo(fd: number): Readonly<Record<string, number>> | null;
  destroy(): void;
}

export interface TargetRoute {
  /** Destination host (a /32 route), host order. */
  dst: number;
  gateway?: number;
  dev?: string;
  mtu?: number;
  /** `mtu lock`: PMTU discovery leaves this MTU alone. */
  mtuLock?: boolean;
  advmss?: number;
  initcwnd?: number;
}

export type TargetFactory = (config: TargetConfig) => Target;

/** The name under which a stack package exports its factory, e.g. `@knet/host`. */
export const TARGET_FACTORY_EXPORT = 'createPacketdrillTarget';

/** Addresses used in place of packetdrill's 192.168.0.1 / 192.0.2.1 defaults. */
export const LOCAL_IP = 0xc6120001; // 198.18.0.1
export const REMOTE_IP = 0xc6120002; // 198.18.0.2
/** In place of packetdrill's gateway, 192.168.0.2. */
export const GATEWAY_IP = 0xc6120003; // 198.18.0.3
