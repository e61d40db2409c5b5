#!/usr/bin/env node
// Builds the TAP addon at install time with node-gyp, offline (headers from the running Node).
// It never fails the install: without a compiler or node-gyp it records why in
// build/status.json, and tapAvailable() reports that reason at run time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const statusFile = join(pkg, 'build', 'status.json');
const addon = join(pkg, 'build', 'Release', 'knet_tap.node');

function record(ok, reason) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, `${JSON.stringify({ ok, reason, node: process.version, at: new Date().toISOString() })}\n`);
  process.stdout.write(ok ? '@knet/tap: addon built\n' : `@knet/tap: addon not built (${reason}); the TAP driver is unavailable\n`);
}

function findNodeGyp() {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // Not a dependency: use the copy that ships inside npm.
  }
  const candidates = [resolve(process.execPath, '../../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  const root = spawnSync('npm', ['root', '-g'], { encoding: 'utf8', timeout: 20_000 });
  if (root.status === 0) candidates.push(join(root.stdout.trim(), 'npm/node_modules/node-gyp/bin/node-gyp.js'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

function main() {
  if (process.platform !== 'linux') return record(false, `TAP devices need Linux, this is ${process.platform}`);
  if (process.argv.includes('--if-missing') && existsSync(addon)) return;
  const gyp = findNodeGyp();
  if (gyp === null) return record(false, 'node-gyp not found (neither a dependency nor inside npm)');
  const nodedir = resolve(process.execPath, '../..');
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h')))
    return record(false, `no Node headers under ${nodedir}/include/node`);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--release', '--loglevel=warn'], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (r.error) return record(false, `node-gyp could not run: ${r.error.message}`);
  if (r.status !== 0 || !existsSync(addon)) {
    const log = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n');
    const hint = log.find((l) => /not found|No such file|error:/i.test(l)) ?? log.at(-1) ?? '';
    return record(false, `node-gyp exited ${r.status}: ${hint.trim().slice(0, 300)}`);
  }
  record(true, undefined);
}

try {
  main();
} catch (e) {
  try {
    record(false, `build script failed: ${e?.message ?? e}`);
  } catch {
    // Even the status file could not be written; the loader will say the addon is missing.
  }
}
process.exitCode = 0;
