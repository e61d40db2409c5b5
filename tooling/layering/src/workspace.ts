// Finds the workspace packages and their source files.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkspacePackage {
  name: string;
  /** Absolute directory. */
  dir: string;
  /** Top-level folder: 'packages', 'apps' or 'tooling'. */
  root: string;
  manifest: Record<string, unknown>;
  manifestText: string;
}

const WORKSPACE_ROOTS = ['packages', 'apps', 'tooling'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage', '.turbo']);
const SOURCE_RE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;

export function findPackages(rootDir: string): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const root of WORKSPACE_ROOTS) {
    const base = join(rootDir, root);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      const dir = join(base, entry);
      const pj = join(dir, 'package.json');
      if (!existsSync(pj)) continue;
      const manifestText = readFileSync(pj, 'utf8');
      const manifest = JSON.parse(manifestText) as Record<string, unknown>;
      out.push({ name: String(manifest.name ?? entry), dir, root, manifest, manifestText });
    }
  }
  return out;
}

/** Source files under `dir`, skipping build output and dependencies; .d.ts files carry no code. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      if (SKIP_DIRS.has(entry) || entry.startsWith('.')) continue;
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE_RE.test(entry) && !/\.d\.[cm]?ts$/.test(entry)) out.push(p);
    }
  };
  walk(dir);
  return out;
}
