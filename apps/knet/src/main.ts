// Dispatch: `knet <command> [args]`. Exit codes: 0 ok, 1 the command failed, 2 bad usage.
import { ArgError } from './args.js';
import { COMMANDS } from './commands/index.js';
import { helpText } from './commands/help.js';
import type { Command } from './commands/types.js';
import type { Io } from './io.js';

export async function runCli(argv: readonly string[], io: Io, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(helpText(commands));
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`knet: unknown command '${name}'\n\n${helpText(commands)}`);
    return 2;
  }
  if (cmd.name !== 'help' && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof ArgError) {
      io.stderr.write(`knet ${cmd.name}: ${e.message}\n${cmd.usage}\n`);
      return 2;
    }
    io.stderr.write(`knet ${cmd.name}: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
