// Command line of `pnpm bench`: --json, --only a,b, --tap, --list.

export interface BenchArgs {
  json: boolean;
  only: string[] | null;
  tap: boolean;
  list: boolean;
  help: boolean;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs | { error: string } {
  const out: BenchArgs = { json: false, only: null, tap: false, list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') out.json = true;
    else if (a === '--tap') out.tap = true;
    else if (a === '--list') out.list = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) return { error: '--only needs a comma-separated list of scenario names' };
      out.only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '--') continue;
    else return { error: `unknown argument: ${a}` };
  }
  return out;
}

export const BENCH_USAGE = `usage: pnpm bench [--json] [--only name,name] [--tap] [--list]
  --json   print one JSON object on stdout: { name: { value, unit, reference, ratio } }
  --only   run only these scenarios (and the references they need)
  --tap    allow scenarios that need a TAP device
  --list   list the scenarios and exit`;
