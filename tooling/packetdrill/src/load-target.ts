// Finding the stack to test: @knet/host exports a TargetFactory under TARGET_FACTORY_EXPORT
// once it can run scripts. Until then there is no target and nothing can pass.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TARGET_FACTORY_EXPORT, type TargetFactory } from './target.js';

export interface LoadedTarget {
  factory: TargetFactory | null;
  /** Why there is no factory, for the report. */
  note: string | null;
}

/** $KNET_PACKETDRILL_TARGET may name another module (a file path) exporting the factory. */
export async function loadTarget(): Promise<LoadedTarget> {
  const override = process.env['KNET_PACKETDRILL_TARGET'];
  const spec = override ? pathToFileURL(resolve(override)).href : '@knet/host';
  const name = override ?? '@knet/host';
  try {
    const mod = (await import(spec)) as Record<string, unknown>;
    const f = mod[TARGET_FACTORY_EXPORT];
    if (typeof f === 'function') return { factory: f as TargetFactory, note: null };
    return { factory: null, note: `${name} does not export ${TARGET_FACTORY_EXPORT}` };
  } catch (e) {
    return { factory: null, note: `${name} failed to load: ${(e as Error).message}` };
  }
}
