import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One root config; every workspace package with a src/ folder is a project of its own.
const roots = ['packages', 'apps', 'tooling'];
const projects = roots.flatMap((root) =>
  existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'src')))
        .map((name) => ({
          extends: true as const,
          test: { name: `${root}/${name}`, root: join(root, name), include: ['src/**/*.test.ts'] },
        }))
    : [],
);

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    projects,
    pool: 'threads',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
  },
});
