// Finding the scripts of the suite, and which of them are out of scope for knet.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Directories of google/tcp that test features knet does not implement. */
export const OUT_OF_SCOPE_DIRS: Readonly<Record<string, string>> = {
  fastopen: 'TCP Fast Open',
  zerocopy: 'MSG_ZEROCOPY',
  timestamping: 'SO_TIMESTAMPING',
  md5: 'TCP MD5 signatures',
  splice: 'splice()',
  sendfile: 'sendfile()',
};

export interface ScriptFile {
  /** Path relative to google/tcp, with '/' separators. */
  relPath: string;
  absPath: string;
  /** Set when the script is out of scope: the feature it needs. */
  outOfScope: string | null;
}

export interface ListOptions {
  includeOutOfScope?: boolean;
  /** Substring or glob-ish ('*') filter on relPath. */
  pattern?: string;
}

export function listScripts(root: string, opts: ListOptions = {}): ScriptFile[] {
  const out: ScriptFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else if (name.endsWith('.pkt')) {
        const relPath = relative(root, abs).split(sep).join('/');
        const top = relPath.split('/')[0]!;
        out.push({ relPath, absPath: abs, outOfScope: OUT_OF_SCOPE_DIRS[top] ?? null });
      }
    }
  };
  walk(root);
  return out.filter((s) => (opts.includeOutOfScope || s.outOfScope === null) && matches(s.relPath, opts.pattern));
}

export function matches(relPath: string, pattern: string | undefined): boolean {
  if (!pattern) return true;
  if (!pattern.includes('*')) return relPath.includes(pattern);
  const re = new RegExp(pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  return re.test(relPath);
}
