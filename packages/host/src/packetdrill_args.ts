// System call arguments as tooling/packetdrill resolves them from a script, and the shapes a
// call writes back through its pointer arguments.
import type { SockaddrIn, SockoptVal } from '@knet/include';

/** tooling/packetdrill's SysValue, structurally. */
export type PdSysValue =
  | { kind: 'int'; value: number }
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'sockaddr'; family: number; addr: number; port: number }
  | { kind: 'list'; items: PdSysValue[] }
  | { kind: 'struct'; fields: Record<string, PdSysValue> }
  | { kind: 'null' };

/** An integer argument; `[n]` (an int behind a pointer) counts as n, NULL as 0. */
export function argInt(v: PdSysValue | undefined): number {
  if (v === undefined) return 0;
  if (v.kind === 'int') return v.value;
  if (v.kind === 'list' && v.items.length === 1) return argInt(v.items[0]);
  return 0;
}

export function argSockaddr(v: PdSysValue | undefined): SockaddrIn | null {
  return v?.kind === 'sockaddr' ? { family: v.family, port: v.port, addr: v.addr } : null;
}

export const pdInt = (value: number): PdSysValue => ({ kind: 'int', value });

/** A data buffer argument: the script's bytes, or `len` zero bytes for `...`. */
export function argBuffer(v: PdSysValue | undefined, len: number): Uint8Array {
  const n = Math.max(0, len);
  if (v?.kind === 'bytes') return v.data.length >= n ? v.data.subarray(0, n) : padded(v.data, n);
  return new Uint8Array(n);
}

function padded(d: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(d);
  return b;
}

/** struct iovec[] as `[{..., 1000}, {iov_base=..., iov_len=500}]`. */
export function argIovec(v: PdSysValue | undefined): Uint8Array[] | null {
  if (v?.kind !== 'list') return null;
  const out: Uint8Array[] = [];
  for (const it of v.items) {
    if (it.kind !== 'struct') return null;
    const base = it.fields['iov_base'] ?? it.fields['_0'];
    const len = it.fields['iov_len'] ?? it.fields['_1'];
    out.push(argBuffer(base, argInt(len)));
  }
  return out;
}

/** A setsockopt value: `[n]` → n, a struct → its fields, a string → text (TCP_CONGESTION). */
export function argSockopt(v: PdSysValue | undefined): SockoptVal | null {
  if (v === undefined || v.kind === 'null' || v.kind === 'sockaddr') return null;
  if (v.kind === 'int') return v.value;
  if (v.kind === 'list') return v.items.length === 1 && v.items[0]!.kind === 'int' ? v.items[0]!.value : null;
  if (v.kind === 'bytes') return new TextDecoder().decode(v.data).replace(/\0+$/, '');
  const o: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(v.fields)) o[k] = argInt(f);
  return o;
}

/** What getsockopt wrote, in the shape the script gave: `[n]`, n, a struct, or text. */
export function sockoptOut(want: PdSysValue | undefined, got: SockoptVal): PdSysValue {
  if (typeof got === 'number') {
    // The script reads the int as unsigned when it writes 0xffffffff-style values.
    const n = wantsUnsigned(want) ? got >>> 0 : got;
    return want?.kind === 'list' ? { kind: 'list', items: [pdInt(n)] } : pdInt(n);
  }
  if (typeof got === 'string') return { kind: 'bytes', data: new TextEncoder().encode(got) };
  if (got instanceof Uint8Array) return { kind: 'bytes', data: got };
  const fields: Record<string, PdSysValue> = {};
  for (const [k, x] of Object.entries(got)) if (typeof x === 'number') fields[k] = pdInt(x);
  return { kind: 'struct', fields };
}

function wantsUnsigned(want: PdSysValue | undefined): boolean {
  const v = want?.kind === 'list' ? want.items[0] : want;
  return v?.kind === 'int' && v.value > 0x7fffffff;
}

/** What getsockopt wrote to its length argument, when the script checks it: 4 for an int. */
export function sockoptLenOut(want: PdSysValue | undefined, got: SockoptVal): PdSysValue | undefined {
  if (typeof got !== 'number') return undefined;
  return want?.kind === 'list' ? { kind: 'list', items: [pdInt(4)] } : pdInt(4);
}
