import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayering, type Violation } from './check.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the real repository', () => {
  it('has no layering violations', () => {
    const v = checkLayering(repoRoot);
    expect(v.map((x) => `${x.file}:${x.line} ${x.specifier} ${x.reason}`)).toEqual([]);
  });
});

// A fixture workspace: files maps relative path → contents; package.json files are objects.
let tmp: string | null = null;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = null;
});

function pkg(name: string, deps: Record<string, string> = {}, devDeps: Record<string, string> = {}) {
  return JSON.stringify({ name, dependencies: deps, devDependencies: devDeps }, null, 2);
}

function fixture(files: Record<string, string>): Violation[] {
  tmp = mkdtempSync(join(tmpdir(), 'layering-'));
  const base: Record<string, string> = {
    'packages/include/package.json': pkg('@knet/include'),
    'packages/include/src/index.ts': 'export const ETH_P_IP = 0x0800;\n',
    'packages/netdevice/package.json': pkg('@knet/netdevice', { '@knet/include': 'workspace:*' }),
    'packages/netdevice/src/index.ts': "import { ETH_P_IP } from '@knet/include';\nexport const x = ETH_P_IP;\n",
    'packages/tcp/package.json': pkg('@knet/tcp', { '@knet/netdevice': 'workspace:*' }),
    'packages/tcp/src/index.ts': 'export const tcp = 1;\n',
    'packages/nic-sim/package.json': pkg('@knet/nic-sim'),
    'packages/nic-sim/src/regs.ts': 'export const RDT = 0x2818;\n',
    'packages/igb/package.json': pkg('@knet/igb'),
    'packages/udp/package.json': pkg('@knet/udp'),
    'packages/host/package.json': pkg('@knet/host', { '@knet/tcp': 'workspace:*', '@knet/nic-sim': 'workspace:*' }),
    ...files,
  };
  for (const [rel, text] of Object.entries(base)) {
    const p = join(tmp, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return checkLayering(tmp);
}

describe('violations it catches', () => {
  it('a forbidden runtime import, with file and line', () => {
    const v = fixture({ 'packages/udp/src/index.ts': "// header\nimport { tcp } from '@knet/tcp';\nexport const u = tcp;\n" });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ file: 'packages/udp/src/index.ts', line: 2, specifier: '@knet/tcp' });
    expect(v[0]!.reason).toMatch(/non-core @knet\/tcp/);
  });

  it('a subpath of a forbidden package', () => {
    const v = fixture({ 'packages/udp/src/index.ts': "import { tcp } from '@knet/tcp/internal';\nexport const u = tcp;\n" });
    expect(v.map((x) => x.specifier)).toEqual(['@knet/tcp/internal']);
  });

  it('a mixed import { type A, b } (it loads the module)', () => {
    const v = fixture({ 'packages/udp/src/index.ts': "import { type Foo, tcp } from '@knet/tcp';\nexport const u: Foo = tcp;\n" });
    expect(v.map((x) => x.specifier)).toEqual(['@knet/tcp']);
  });

  it('import { type A } with only type specifiers, which verbatimModuleSyntax keeps as import {}', () => {
    const v = fixture({ 'packages/udp/src/index.ts': "import { type Foo } from '@knet/tcp';\nexport let u: Foo;\n" });
    expect(v.map((x) => x.specifier)).toEqual(['@knet/tcp']);
  });

  it('a side-effect import and a re-export', () => {
    const v = fixture({ 'packages/udp/src/index.ts': "import '@knet/tcp';\nexport { tcp } from '@knet/tcp';\nexport * from '@knet/tcp';\n" });
    expect(v.map((x) => x.line)).toEqual([1, 2, 3]);
  });

  it('a dynamic import() and require()', () => {
    const v = fixture({
      'packages/udp/src/index.ts':
        "export async function f() { return import('@knet/tcp'); }\nexport const g = () => require('@knet/nic-sim');\n",
    });
    expect(v.map((x) => [x.specifier, x.line])).toEqual([['@knet/tcp', 1], ['@knet/nic-sim', 2]]);
  });

  it('a dynamic import with a computed specifier', () => {
    const v = fixture({ 'packages/udp/src/index.ts': "const n = '@knet/tcp';\nexport const f = () => import(n);\n" });
    expect(v).toHaveLength(1);
    expect(v[0]!.reason).toMatch(/computed specifier/);
  });

  it('a relative import into another package (nic-sim from igb)', () => {
    const v = fixture({ 'packages/igb/src/igb_main.ts': "import { RDT } from '../../nic-sim/src/regs.js';\nexport const r = RDT;\n" });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ file: 'packages/igb/src/igb_main.ts', specifier: '../../nic-sim/src/regs.js' });
    expect(v[0]!.reason).toMatch(/@knet\/nic-sim/);
  });

  it('a relative import into a sibling whose name shares a prefix', () => {
    const v = fixture({
      'packages/tcp-cubic/package.json': pkg('@knet/tcp-cubic'),
      'packages/tcp-cubic/src/index.ts': "import { tcp } from '../../tcp/src/index.js';\nexport const c = tcp;\n",
    });
    expect(v.map((x) => x.file)).toEqual(['packages/tcp-cubic/src/index.ts']);
  });

  it('a forbidden runtime dependency in package.json, with its line', () => {
    const v = fixture({ 'packages/udp/package.json': pkg('@knet/udp', { '@knet/include': 'workspace:*', '@knet/tcp': 'workspace:*' }) });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ file: 'packages/udp/package.json', specifier: '@knet/tcp', line: 5 });
  });

  it('a forbidden peerDependency', () => {
    const v = fixture({ 'packages/udp/package.json': JSON.stringify({ name: '@knet/udp', peerDependencies: { '@knet/ipv4': '*' } }) });
    expect(v.map((x) => x.specifier)).toEqual(['@knet/ipv4']);
  });
});

describe('what it allows', () => {
  it('import type, export type, typeof import() and module augmentation', () => {
    const v = fixture({
      'packages/udp/src/index.ts': [
        "import type { Tcp } from '@knet/tcp';",
        "export type { Tcp as T } from '@knet/tcp';",
        "export type * from '@knet/tcp';",
        "export type Mod = typeof import('@knet/tcp');",
        "declare module '@knet/include' { interface NetGeneric { udp?: Tcp } }",
        'export {};',
      ].join('\n'),
    });
    expect(v).toEqual([]);
  });

  it('imports named only in comments and strings', () => {
    const v = fixture({
      'packages/udp/src/index.ts': "// import { tcp } from '@knet/tcp';\n/* import('@knet/tcp') */\nexport const s = \"import x from '@knet/tcp'\";\n",
    });
    expect(v).toEqual([]);
  });

  it('core imports, its own package, relative files inside itself, node: and external modules', () => {
    const v = fixture({
      'packages/udp/src/index.ts': [
        "import { ETH_P_IP } from '@knet/include';",
        "import { x } from '@knet/netdevice';",
        "import { y } from '@knet/udp/internal';",
        "import { z } from './z.js';",
        "import { readFileSync } from 'node:fs';",
        'export const all = [ETH_P_IP, x, y, z, readFileSync];',
      ].join('\n'),
      'packages/udp/src/z.ts': 'export const z = 1;\n',
    });
    expect(v).toEqual([]);
  });

  it('non-core packages in devDependencies, and test files importing them', () => {
    const v = fixture({
      'packages/udp/package.json': pkg('@knet/udp', { '@knet/netdevice': 'workspace:*' }, { '@knet/host': 'workspace:*' }),
      'packages/udp/src/udp.test.ts': "import { createHost } from '@knet/host';\nexport const h = createHost;\n",
    });
    expect(v).toEqual([]);
  });

  it('host, apps and tooling importing everything', () => {
    const everything = "import '@knet/tcp';\nimport '@knet/nic-sim';\nimport '../../packages/nic-sim/src/regs.js';\n";
    const v = fixture({
      'packages/host/src/index.ts': "import { tcp } from '@knet/tcp';\nimport { RDT } from '@knet/nic-sim';\nexport const h = [tcp, RDT];\n",
      'apps/knet/package.json': pkg('@knet/cli', { '@knet/tcp': 'workspace:*' }),
      'apps/knet/src/cli.ts': everything,
      'tooling/bench/package.json': pkg('@knet/bench', { '@knet/nic-sim': 'workspace:*' }),
      'tooling/bench/src/main.ts': everything,
    });
    expect(v).toEqual([]);
  });
});
