import type { Net } from '@knet/include';
import { sysctlGet, sysctlSet } from '@knet/netdevice';

/** `sysctl` with Linux's names (`net.ipv4.ip_forward`). Values as numbers, strings or vectors. */
export class SysctlApi {
  constructor(private readonly net: Net) {}
  get(name: string): number | string | number[] | undefined {
    return sysctlGet(this.net, name);
  }
  /** 0, -ENOENT for an unknown name, -EINVAL for a bad value. */
  set(name: string, v: number | string | number[]): number {
    return sysctlSet(this.net, name, v);
  }
  /** `sysctl -a` for names under `prefix`. */
  list(prefix = ''): Record<string, number | string | number[]> {
    const out: Record<string, number | string | number[]> = {};
    for (const [k, e] of [...this.net.sysctls].sort(([a], [b]) => a.localeCompare(b))) {
      if (k.startsWith(prefix)) out[k] = e.get();
    }
    return out;
  }
}
