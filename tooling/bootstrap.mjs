#!/usr/bin/env node
// Set-up for a fresh clone on a machine with only Node 20 and npm: pnpm (pinned in
// package.json), dependencies and a build, then the requested job. No other command needed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pm = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
const pnpmVersion = pm.split('@')[1].split('+')[0];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', COREPACK_ENABLE_DOWNLOAD_PROMPT: '0' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
function must(cmd, args, what) {
  const code = run(cmd, args);
  if (code !== 0) {
    console.error(`knet set-up: ${what} failed (exit ${code})`);
    process.exit(code);
  }
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { env, encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === pnpmVersion) return ['pnpm', []];
  return ['npx', ['-y', `pnpm@${pnpmVersion}`]];
}

const [job, ...rest] = process.argv.slice(2);
const [pnpm, pre] = pnpmCommand();
const p = (...a) => [pnpm, [...pre, ...a]];
const quiet = job === 'demo' && rest.includes('--json');
if (quiet) env.npm_config_reporter = 'silent';
const stdio = quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit';
function step(args, what) {
  const [c, a] = p(...args);
  const r = spawnSync(c, a, { cwd: root, stdio, env });
  if (r.status !== 0) {
    console.error(`knet set-up: ${what} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

step(['install', '--frozen-lockfile', '--prefer-offline', `--reporter=${quiet ? 'silent' : 'default'}`], 'pnpm install');
step(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], 'build');

if (job === 'test') {
  must(...p('exec', 'vitest', 'run', ...rest), 'tests');
} else if (job === 'demo') {
  must(process.execPath, [join(root, 'apps/knet/dist/cli.js'), 'demo', ...rest], 'demo');
} else {
  console.error('usage: node tooling/bootstrap.mjs test|demo [args]');
  process.exit(2);
}
