// knet help [command]: the command list, or one command's usage.
import type { Io } from '../io.js';
import { formatTable } from '../ui/table.js';
import type { Command } from './types.js';

export function helpText(commands: readonly Command[]): string {
  const table = formatTable(
    [{ header: 'command' }, { header: 'what it does' }],
    commands.map((c) => [c.name, c.summary]),
  );
  return `usage: knet <command> [options]\n\n${table}\nRun \`knet help <command>\` for a command's options.\n`;
}

export function makeHelp(list: () => readonly Command[]): Command {
  return {
    name: 'help',
    summary: 'list the commands, or show one command\'s options',
    usage: 'usage: knet help [command]',
    async run(argv: readonly string[], io: Io) {
      const name = argv.find((a) => !a.startsWith('-'));
      if (name === undefined) {
        io.stdout.write(helpText(list()));
        return 0;
      }
      const c = list().find((x) => x.name === name);
      if (!c) {
        io.stderr.write(`knet: no command '${name}'\n${helpText(list())}`);
        return 2;
      }
      io.stdout.write(`${c.usage}\n`);
      return 0;
    },
  };
}
