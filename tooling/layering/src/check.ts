// checkLayering: every runtime import and runtime dependency of a layer package, checked
// against the rule in rules.ts.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { runtimeImports } from './imports.js';
import { allowedRuntime, EXEMPT_PACKAGES, isTestFile, knetPackageOf, LAYER_ROOTS, RUNTIME_DEP_FIELDS } from './rules.js';
import { findPackages, sourceFiles, type WorkspacePackage } from './workspace.js';

export interface Violation {
  /** Path relative to the repository root, with forward slashes. */
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

function isLayer(p: WorkspacePackage): boolean {
  return (LAYER_ROOTS as readonly string[]).includes(p.root) && !EXEMPT_PACKAGES.has(p.name);
}

function inside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel);
}

function lineOfKey(text: string, key: string): number {
  const idx = text.indexOf(JSON.stringify(key));
  return idx < 0 ? 1 : text.slice(0, idx).split('\n').length;
}

function checkManifest(rootDir: string, pkg: WorkspacePackage): Violation[] {
  const out: Violation[] = [];
  const file = relative(rootDir, resolve(pkg.dir, 'package.json')).split(sep).join('/');
  for (const field of RUNTIME_DEP_FIELDS) {
    const deps = pkg.manifest[field];
    if (!deps || typeof deps !== 'object') continue;
    for (const dep of Object.keys(deps)) {
      const target = knetPackageOf(dep);
      if (target && !allowedRuntime(pkg.name, target)) {
        out.push({
          file,
          line: lineOfKey(pkg.manifestText, dep),
          specifier: dep,
          reason: `${pkg.name} lists non-core ${dep} in ${field}; only the core may be a runtime dependency (use devDependencies for tests)`,
        });
      }
    }
  }
  return out;
}

function checkSource(rootDir: string, pkg: WorkspacePackage, all: WorkspacePackage[], abs: string): Violation[] {
  const out: Violation[] = [];
  const file = relative(rootDir, abs).split(sep).join('/');
  for (const imp of runtimeImports(abs, readFileSync(abs, 'utf8'))) {
    const at = { file, line: imp.line, specifier: imp.specifier };
    if (imp.computed) {
      out.push({ ...at, reason: `${imp.kind} with a computed specifier cannot be checked; use a string literal` });
      continue;
    }
    if (imp.specifier.startsWith('.') || imp.specifier.startsWith('/')) {
      const target = resolve(dirname(abs), imp.specifier);
      if (inside(pkg.dir, target)) continue;
      const owner = all.find((p) => inside(p.dir, target));
      out.push({
        ...at,
        reason: owner
          ? `relative path reaches into ${owner.name}; import it by package name, and only if it is core`
          : `relative path leaves ${pkg.name}`,
      });
      continue;
    }
    const target = knetPackageOf(imp.specifier);
    if (target && !allowedRuntime(pkg.name, target)) {
      out.push({
        ...at,
        reason: `${pkg.name} imports non-core ${target} at run time (${imp.kind}); meet it through an ops struct, or use import type`,
      });
    }
  }
  return out;
}

/** All boundary violations in the workspace at `rootDir`; empty when the layering holds. */
export function checkLayering(rootDir: string): Violation[] {
  const root = resolve(rootDir);
  const all = findPackages(root);
  const out: Violation[] = [];
  for (const pkg of all.filter(isLayer)) {
    out.push(...checkManifest(root, pkg));
    for (const abs of sourceFiles(pkg.dir)) {
      if (isTestFile(relative(pkg.dir, abs).split(sep).join('/'))) continue;
      out.push(...checkSource(root, pkg, all, abs));
    }
  }
  return out;
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: '${v.specifier}': ${v.reason}`;
}
