// Script expressions → system call arguments, and checking what a call returned against the
// script. `...` means "what packetdrill would pass": the test addresses for bind/connect, a
// zero-filled buffer for data, NULL elsewhere.
import type { Expr, SyscallAction } from './ast.js';
import { errnoValue, symbolValue } from './symbols.js';
import type { SysValue, SyscallOutcome } from './target.js';
import { ipv4 } from './wire.js';

export interface ArgContext {
  localIp: number;
  remoteIp: number;
  /** Script addresses (from --local_ip/--remote_ip and packetdrill's defaults) → test addresses. */
  addressMap: ReadonlyMap<string, number>;
  bindPort: number;
  connectPort: number;
}

export class Unsupported extends Error {
  constructor(readonly feature: string) {
    super(`unsupported: ${feature}`);
    this.name = 'Unsupported';
  }
}

const AF_INET = 2;
const SOCKADDR_IN_LEN = 16;

/** Per syscall: which argument is a data buffer (and which gives its length), which a sockaddr. */
const BUFFER_ARG: Record<string, [buf: number, len: number]> = {
  write: [1, 2], read: [1, 2], send: [1, 2], recv: [1, 2], sendto: [1, 2], recvfrom: [1, 2],
};
const ADDR_ARG: Record<string, { addr: number; len: number; peer: 'local' | 'remote' | 'out' }> = {
  bind: { addr: 1, len: 2, peer: 'local' },
  connect: { addr: 1, len: 2, peer: 'remote' },
  sendto: { addr: 4, len: 5, peer: 'remote' },
  accept: { addr: 1, len: 2, peer: 'out' },
  accept4: { addr: 1, len: 2, peer: 'out' },
  recvfrom: { addr: 4, len: 5, peer: 'out' },
  getsockname: { addr: 1, len: 2, peer: 'out' },
  getpeername: { addr: 1, len: 2, peer: 'out' },
};

export function syscallArgs(sc: SyscallAction, ctx: ArgContext): SysValue[] {
  const buf = BUFFER_ARG[sc.name];
  const addr = ADDR_ARG[sc.name];
  return sc.args.map((a, i) => {
    if (a.kind === 'ellipsis') {
      if (sc.name === 'socket' && i === 0) return { kind: 'int', value: AF_INET };
      if (buf && i === buf[0]) {
        const lenExpr = sc.args[buf[1]];
        const len = lenExpr ? toInt(lenExpr) : 0;
        return { kind: 'bytes', data: new Uint8Array(Math.max(0, len)) };
      }
      if (addr && i === addr.addr) {
        if (addr.peer === 'out') return { kind: 'null' };
        return addr.peer === 'local'
          ? { kind: 'sockaddr', family: AF_INET, addr: ctx.localIp, port: ctx.bindPort }
          : { kind: 'sockaddr', family: AF_INET, addr: ctx.remoteIp, port: ctx.connectPort };
      }
      if (addr && i === addr.len) return addr.peer === 'out' ? { kind: 'null' } : { kind: 'int', value: SOCKADDR_IN_LEN };
      return { kind: 'null' };
    }
    return value(a, ctx);
  });
}

function toInt(e: Expr): number {
  if (e.kind === 'int') return e.value;
  if (e.kind === 'word') {
    const v = symbolValue(e.name);
    if (v === undefined) throw new Unsupported(`symbol ${e.name}`);
    return v;
  }
  if (e.kind === 'or') return (toInt(e.lhs) | toInt(e.rhs)) >>> 0;
  throw new Unsupported(`${e.kind} where a number is expected`);
}

export function value(e: Expr, ctx: ArgContext): SysValue {
  switch (e.kind) {
    case 'ellipsis':
      return { kind: 'null' };
    case 'int':
      return { kind: 'int', value: e.value };
    case 'word':
      if (e.name === 'NULL') return { kind: 'null' };
      return { kind: 'int', value: toInt(e) };
    case 'or':
      return { kind: 'int', value: toInt(e) };
    case 'string':
      return { kind: 'bytes', data: Uint8Array.from(e.value, (c) => c.charCodeAt(0) & 0xff) };
    case 'list':
      return { kind: 'list', items: e.items.map((x) => value(x, ctx)) };
    case 'call':
      if (e.name === 'htons' && e.args.length === 1) return { kind: 'int', value: toInt(e.args[0]!) };
      if (e.name === 'inet_addr' && e.args.length === 1 && e.args[0]!.kind === 'string') {
        return { kind: 'int', value: mapAddress(e.args[0]!.value, ctx) };
      }
      throw new Unsupported(`${e.name}() in a system call argument`);
    case 'struct': {
      const fields: Record<string, SysValue> = {};
      e.fields.forEach((f, i) => {
        fields[f.name ?? `_${i}`] = value(f.value, ctx);
      });
      const fam = fields['sa_family'] ?? fields['sin_family'];
      if (fam && fields['sin_port'] && fields['sin_addr']) {
        const num = (v: SysValue): number => (v.kind === 'int' ? v.value : 0);
        return { kind: 'sockaddr', family: num(fam), addr: num(fields['sin_addr']) >>> 0, port: num(fields['sin_port']) };
      }
      return { kind: 'struct', fields };
    }
  }
}

/** A dotted quad from a script, moved onto the 198.18.0.0/15 test addresses. */
export function mapAddress(s: string, ctx: ArgContext): number {
  const mapped = ctx.addressMap.get(s);
  if (mapped !== undefined) return mapped;
  const a = ipv4(s);
  if (a >>> 17 === 0xc612 >>> 1) return a; // already in 198.18.0.0/15
  if (a === 0) return 0;
  throw new Unsupported(`address ${s} outside the test network`);
}

/** Throws Unsupported when the expected result names something unknown. */
export function precheckResult(sc: SyscallAction): void {
  if (sc.result.kind !== 'ellipsis') toInt(sc.result);
  if (sc.errno !== null && errnoValue(sc.errno) === undefined) throw new Unsupported(`errno ${sc.errno}`);
}

/** null when the outcome is what the script expects, else a packetdrill-style message. */
export function checkOutcome(sc: SyscallAction, args: readonly SysValue[], got: SyscallOutcome, ctx: ArgContext): string | null {
  const expected = sc.result.kind === 'ellipsis' ? null : toInt(sc.result);
  if (sc.errno !== null) {
    const want = errnoValue(sc.errno);
    if (want === undefined) throw new Unsupported(`errno ${sc.errno}`);
    if (got.ret !== -1 || got.errno !== want) {
      return `Expected result ${expected ?? '...'} but got ${got.ret} with errno ${got.errno} (${errnoName(got.errno)}); expected errno ${want} (${sc.errno})`;
    }
  } else if (expected !== null && got.ret !== expected) {
    const e = got.ret === -1 ? ` with errno ${got.errno} (${errnoName(got.errno)})` : '';
    return `Expected result ${expected} but got ${got.ret}${e}`;
  }
  if (got.out) {
    for (let i = 0; i < sc.args.length; i++) {
      const out = got.out[i];
      if (!out) continue;
      const diff = compareValue(args[i]!, out, `argument ${i + 1}`);
      if (diff) return `${sc.name}: ${diff}`;
    }
  }
  void ctx;
  return null;
}

function errnoName(n: number): string {
  for (const name of ['EAGAIN', 'EINPROGRESS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EINVAL', 'ENOTCONN', 'EALREADY', 'EISCONN', 'EFAULT', 'EOPNOTSUPP', 'EBADF', 'ENOPROTOOPT']) {
    if (errnoValue(name) === n) return name;
  }
  return n === 0 ? 'none' : `E${n}`;
}

/** Compare what the script wrote with what the call produced; `...`/NULL in the script match anything. */
export function compareValue(want: SysValue, got: SysValue, where: string): string | null {
  if (want.kind === 'null') return null;
  if (want.kind === 'int') {
    if (got.kind !== 'int') return `${where}: expected ${want.value} but got a ${got.kind}`;
    return got.value === want.value ? null : `${where}: expected ${want.value} but got ${got.value}`;
  }
  if (want.kind === 'list') {
    if (got.kind !== 'list') return `${where}: expected a list but got a ${got.kind}`;
    if (got.items.length !== want.items.length) return `${where}: expected ${want.items.length} items but got ${got.items.length}`;
    for (let i = 0; i < want.items.length; i++) {
      const d = compareValue(want.items[i]!, got.items[i]!, `${where}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (want.kind === 'struct') {
    if (got.kind !== 'struct') return `${where}: expected a struct but got a ${got.kind}`;
    for (const [k, v] of Object.entries(want.fields)) {
      const g = got.fields[k];
      if (!g) continue;
      const d = compareValue(v, g, `${where}.${k}`);
      if (d) return d;
    }
    return null;
  }
  if (want.kind === 'sockaddr') {
    if (got.kind !== 'sockaddr') return `${where}: expected a sockaddr but got a ${got.kind}`;
    return want.addr === got.addr && want.port === got.port ? null : `${where}: sockaddr differs`;
  }
  if (got.kind !== 'bytes' || got.data.length !== want.data.length || got.data.some((b, i) => b !== want.data[i])) {
    return `${where}: data differs`;
  }
  return null;
}

/** packetdrill's default addresses (and any --local_ip/--remote_ip/--gateway_ip) → the target's. */
export function defaultAddressMap(
  options: ReadonlyMap<string, string | null>, localIp: number, remoteIp: number, gatewayIp: number,
): Map<string, number> {
  const m = new Map<string, number>([['192.168.0.1', localIp], ['192.0.2.1', remoteIp], ['192.168.0.2', gatewayIp]]);
  for (const [opt, ip] of [['gateway_ip', gatewayIp], ['local_ip', localIp], ['remote_ip', remoteIp]] as const) {
    const v = options.get(opt);
    if (v) m.set(v.replace(/\/.*/, ''), ip);
  }
  return m;
}
