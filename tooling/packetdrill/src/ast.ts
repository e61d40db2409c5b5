// The parsed form of a packetdrill script. Times are integer microseconds.

export type TimeSpec =
  | { kind: 'absolute'; usecs: number }
  | { kind: 'relative'; usecs: number }
  | { kind: 'any' }
  | { kind: 'absoluteRange'; usecs: number; endUsecs: number }
  | { kind: 'relativeRange'; usecs: number; endUsecs: number };

export interface ScriptOption {
  name: string;
  value: string | null;
  line: number;
}

export interface Script {
  path: string;
  options: ScriptOption[];
  /** Backtick command before the first event. */
  initCommand: ShellAction | null;
  events: ScriptEvent[];
  /** Backtick command after the last event. */
  cleanupCommand: ShellAction | null;
}

export interface ScriptEvent {
  line: number;
  time: TimeSpec;
  action: Action;
}

export type Action = PacketAction | SyscallAction | ShellAction | CodeAction;

export interface ShellAction {
  kind: 'shell';
  line: number;
  command: string;
}

export interface CodeAction {
  kind: 'code';
  line: number;
  code: string;
}

export type Ecn = 'noecn' | 'ect0' | 'ect1' | 'ce' | 'ect01';

export interface IpInfo {
  ecn?: Ecn;
  tos?: number;
  ttl?: number;
  flowLabel?: number;
}

interface PacketBase {
  kind: 'packet';
  direction: 'inbound' | 'outbound';
  ip: IpInfo;
  ports: { src: number; dst: number } | null;
}

export interface TcpPacket extends PacketBase {
  proto: 'tcp';
  /** Flag letters as written, e.g. "S", "P.", "SEW"; "." means ACK only, "" none. */
  flags: string;
  seq: number;
  len: number;
  ack: number | null;
  /** null when omitted: not checked on outbound packets. */
  win: number | null;
  urg: number | null;
  /** null when omitted (no options), 'any' for <...>. */
  options: TcpOption[] | 'any' | null;
}

export interface UdpPacket extends PacketBase {
  proto: 'udp';
  len: number;
}

export interface IcmpPacket extends PacketBase {
  proto: 'icmp';
  type: string;
  code: string | null;
  mtu: number | null;
  echoId: number | null;
  echoed: { proto: 'tcp'; seq: number; len: number } | { proto: 'udp' | 'raw'; len: number } | null;
}

export type PacketAction = TcpPacket | UdpPacket | IcmpPacket;

export type TcpOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'md5'; digest: string }
  | { kind: 'fastopen'; cookie: string; experimental: boolean };

export interface SyscallAction {
  kind: 'syscall';
  name: string;
  args: Expr[];
  /** End time of a blocking call (`+0...0.200 accept(...)`); relative to the same base as the
   *  event time when that is relative. */
  endUsecs: number | null;
  result: Expr;
  errno: string | null;
  note: string | null;
}

export type Expr =
  | { kind: 'ellipsis' }
  | { kind: 'int'; value: number; hex: boolean }
  | { kind: 'word'; name: string }
  | { kind: 'string'; value: string; ellipsis: boolean }
  | { kind: 'or'; lhs: Expr; rhs: Expr }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'struct'; fields: StructField[] }
  | { kind: 'call'; name: string; args: Expr[] };

/** `name=value`, `name(arg)=value` (msg_iov(1)=...), or a bare positional value. */
export interface StructField {
  name: string | null;
  arg: Expr | null;
  value: Expr;
}
