export { runBench, type RunOptions, type RunResult } from './run.js';
export { ratio } from './ratio.js';
export { formatNumber, formatRatio, formatTable, toJson } from './report.js';
export { parseBenchArgs, type BenchArgs } from './args.js';
export { REFERENCES } from './references/index.js';
export { SCENARIOS } from './scenarios/index.js';
export type * from './types.js';
export { ScenarioUnavailable } from './unavailable.js';
