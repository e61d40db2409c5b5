// pnpm conformance [PATTERN] [--json] [--timeout-ms N] [--jobs N]: run the packetdrill TCP suite against
// knet and report passed / failed / unsupported / timed out per script.
import { Worker } from 'node:worker_threads';
import { listScripts } from './discover.js';
import { loadTarget } from './load-target.js';
import { tcpSuiteDir } from './paths.js';
import { toJson, toTable } from './report.js';
import { loadDefaults, runFile, type ScriptResult } from './suite.js';

interface Args {
  pattern: string | undefined;
  json: boolean;
  timeoutMs: number;
  /** Scripts run at once, each in its own worker. */
  jobs: number;
}

/** Two workers: the machines this runs on have two cores to share. */
const DEFAULT_JOBS = 2;

function parseArgs(argv: string[]): Args {
  const a: Args = { pattern: undefined, json: false, timeoutMs: 10_000, jobs: DEFAULT_JOBS };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === '--json') a.json = true;
    else if (s === '--timeout-ms') a.timeoutMs = Number(argv[++i]);
    else if (s === '--jobs') a.jobs = Number(argv[++i]);
    else if (s === '--help' || s === '-h') {
      process.stdout.write('usage: pnpm conformance [PATTERN] [--json] [--timeout-ms N] [--jobs N]\n');
      process.exit(0);
    } else if (s.startsWith('-')) throw new Error(`unknown option ${s}`);
    else a.pattern = s;
  }
  if (!Number.isFinite(a.timeoutMs) || a.timeoutMs <= 0) throw new Error('--timeout-ms needs a positive number');
  if (!Number.isInteger(a.jobs) || a.jobs < 1) throw new Error('--jobs needs a positive integer');
  return a;
}

/** From sources (tsx), a worker must register tsx itself: loader hooks do not reach workers. */
function spawnWorker(workerData: unknown): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** Run in a worker; the soft limit is checked by the runner, the hard one here (+50%). */
function runInWorker(absPath: string, relPath: string, defaults: Map<string, string>, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const w = spawnWorker({ absPath, relPath, defaults: [...defaults], wallLimitMs: timeoutMs });
    const timer = setTimeout(() => {
      void w.terminate();
      resolve({ path: relPath, status: 'timedOut', reason: `wall-time limit of ${timeoutMs} ms` });
    }, Math.ceil(timeoutMs * 1.5));
    w.once('message', (r: ScriptResult) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(r);
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      resolve({ path: relPath, status: 'failed', reason: `runner crashed: ${e.stack ?? e.message}` });
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = tcpSuiteDir();
  const scripts = listScripts(dir, { includeOutOfScope: true, pattern: args.pattern });
  const defaults = loadDefaults(dir);
  const { factory, note } = await loadTarget();
  const results: ScriptResult[] = new Array<ScriptResult>(scripts.length);
  let next = 0;
  // Each lane takes the next script until none is left; results keep the script order.
  const lane = async (): Promise<void> => {
    for (let i = next++; i < scripts.length; i = next++) {
      const s = scripts[i]!;
      if (s.outOfScope) results[i] = { path: s.relPath, status: 'unsupported', reason: `out of scope: ${s.outOfScope}` };
      else if (!factory) results[i] = await runFile(s.absPath, s.relPath, null, defaults, args.timeoutMs);
      else results[i] = await runInWorker(s.absPath, s.relPath, defaults, args.timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, scripts.length) }, lane));
  if (args.json) process.stdout.write(`${JSON.stringify(toJson(results))}\n`);
  else process.stdout.write(`${toTable(results, note ? [`note: ${note}`] : [])}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
});
