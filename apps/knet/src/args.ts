// A small argument parser: --flag value, --flag=value, boolean flags, -- and positionals.

export interface ArgSpec {
  /** Flags that take no value. */
  boolean?: readonly string[];
  /** Flags that take a value. */
  string?: readonly string[];
}

export interface ParsedArgs {
  flags: Record<string, string | boolean>;
  positional: string[];
}

export class ArgError extends Error {
  override name = 'ArgError';
}

export function parseArgs(argv: readonly string[], spec: ArgSpec = {}): ParsedArgs {
  const bools = new Set(spec.boolean ?? []);
  const strings = new Set(spec.string ?? []);
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (bools.has(name)) {
      if (eq >= 0) {
        const v = a.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new ArgError(`--${name} takes no value (or =true/=false)`);
        flags[name] = v === 'true';
      } else flags[name] = true;
    } else if (strings.has(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new ArgError(`--${name} needs a value`);
      flags[name] = v;
    } else throw new ArgError(`unknown option --${name}`);
  }
  return { flags, positional };
}

/** A --flag that must be a positive integer, or the default. */
export function intFlag(args: ParsedArgs, name: string, dflt: number): number {
  const v = args.flags[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n <= 0) throw new ArgError(`--${name} must be a positive integer`);
  return n;
}
