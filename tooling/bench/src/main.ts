// pnpm bench: runs the references and scenarios, prints a table (or one JSON object).
import { BENCH_USAGE, parseBenchArgs } from './args.js';
import { REFERENCES } from './references/index.js';
import { formatTable, toJson } from './report.js';
import { runBench } from './run.js';
import { SCENARIOS } from './scenarios/index.js';

async function main(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  if ('error' in args) {
    process.stderr.write(`${args.error}\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  if (args.list) {
    for (const r of REFERENCES) process.stdout.write(`${r.name.padEnd(18)} reference  ${r.summary}\n`);
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(18)} scenario   ${s.summary}\n`);
    return 0;
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const res = await runBench(SCENARIOS, REFERENCES, { tap: args.tap, only: args.only, log });
  for (const f of res.failed) log(`bench: FAILED ${f.name}: ${f.error}`);
  process.stdout.write(args.json ? `${JSON.stringify(toJson(res.rows))}\n` : formatTable(res.rows));
  return res.failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
