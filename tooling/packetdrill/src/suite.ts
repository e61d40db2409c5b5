// Running one script file end to end: read, parse, run. Shared by the CLI's workers and tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScript } from './parser.js';
import { runScript, type RunResult } from './runner.js';
import { parseSysctlFile } from './shell.js';
import type { TargetFactory } from './target.js';

export interface ScriptResult extends RunResult {
  /** Relative to google/tcp. */
  path: string;
}

export function loadDefaults(suiteDir: string): Map<string, string> {
  return parseSysctlFile(readFileSync(join(suiteDir, 'common', 'defaults.sysctl'), 'utf8'));
}

export async function runFile(absPath: string, relPath: string, factory: TargetFactory | null, defaults: ReadonlyMap<string, string>, wallLimitMs: number): Promise<ScriptResult> {
  let script;
  try {
    script = parseScript(readFileSync(absPath, 'utf8'), relPath);
  } catch (e) {
    const line = (e as { line?: number }).line;
    return { path: relPath, status: 'failed', reason: `parse error: ${(e as Error).message}`, ...(line === undefined ? {} : { line }) };
  }
  return { path: relPath, ...(await runScript(script, factory, { defaults, wallLimitMs })) };
}
