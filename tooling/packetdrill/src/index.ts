// The packetdrill conformance runner as a library: parse scripts, run them against a Target.
export type * from './ast.js';
export { tokenize, ScriptSyntaxError, secondsToUsecs, type Token, type TokenType } from './lexer.js';
export { parseScript } from './parser.js';
export { runPython, parsePython, PyError, type PyEnv, type PyValue } from './python.js';
export { checkTime, toleranceFor, DEFAULT_TOLERANCE, type Tolerance, type TimeCheck } from './timing.js';
export * from './match.js';
export * from './wire.js';
export * from './target.js';
export { interpretShell, parseSysctlFile, type ShellStep } from './shell.js';
export { runScript, type RunResult, type RunStatus, type RunOptions } from './runner.js';
export { listScripts, OUT_OF_SCOPE_DIRS, type ScriptFile } from './discover.js';
export { runFile, loadDefaults, type ScriptResult } from './suite.js';
export { toJson, toTable, type JsonReport } from './report.js';
export { loadTarget, type LoadedTarget } from './load-target.js';
