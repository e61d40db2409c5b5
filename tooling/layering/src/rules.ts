// The boundary rule of docs/architecture.md: layer packages reach only the core at run time.

/** Packages every layer may import at run time. */
export const CORE_PACKAGES: ReadonlySet<string> = new Set([
  '@knet/include',
  '@knet/skbuff',
  '@knet/softirq',
  '@knet/netdevice',
]);

/** The assembly: it wires every layer together, so it may import them all. */
export const EXEMPT_PACKAGES: ReadonlySet<string> = new Set(['@knet/host']);

/** Top-level folders whose packages are layers (apps/ and tooling/ are exempt). */
export const LAYER_ROOTS = ['packages'] as const;

/** Runtime dependency fields of package.json (devDependencies are for tests and builds). */
export const RUNTIME_DEP_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** Test files may use devDependencies, so they are not held to the runtime rule. */
export function isTestFile(relPath: string): boolean {
  return /\.test\.[cm]?[jt]sx?$/.test(relPath) || /(^|\/)(test|__tests__)\//.test(relPath);
}

/** `@knet/x/sub/path` → `@knet/x`; null for anything that is not a @knet package. */
export function knetPackageOf(specifier: string): string | null {
  const m = /^(@knet\/[^/]+)/.exec(specifier);
  return m ? m[1]! : null;
}

/** May a layer package `from` depend on `to` at run time? */
export function allowedRuntime(from: string, to: string): boolean {
  return to === from || CORE_PACKAGES.has(to);
}
