// /sys/module/<module>/parameters/<name> for the packetdrill target, under the dotted names
// the runner gives them ("module.tcp_cubic.parameters.hystart_detect"). Module parameters are
// global, as in Linux; the target puts back what it changed when it is destroyed.
import { cubicParams, cubicRecalcParams } from '@knet/tcp-cubic';

type Params = Record<string, number>;
const MODULES: Readonly<Record<string, { params: Params; changed: () => void }>> = {
  tcp_cubic: { params: cubicParams as unknown as Params, changed: cubicRecalcParams },
};

export class ModuleParams {
  private readonly saved: Array<{ module: string; key: string; value: number }> = [];

  /** false when the name is not a known module parameter or the value not an integer. */
  set(name: string, text: string): boolean {
    const m = /^module\.(\w+)\.parameters\.(\w+)$/.exec(name);
    const mod = m ? MODULES[m[1]!] : undefined;
    if (!m || !mod) return false;
    const key = m[2]!.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = Number(text.trim());
    if (!(key in mod.params) || !Number.isInteger(value)) return false;
    this.saved.push({ module: m[1]!, key, value: mod.params[key]! });
    mod.params[key] = value;
    mod.changed();
    return true;
  }

  restore(): void {
    for (const s of this.saved.reverse()) {
      const mod = MODULES[s.module]!;
      mod.params[s.key] = s.value;
      mod.changed();
    }
    this.saved.length = 0;
  }
}
