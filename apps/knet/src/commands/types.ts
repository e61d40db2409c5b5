import type { Io } from '../io.js';

export interface Command {
  name: string;
  /** One line for `knet help`. */
  summary: string;
  /** Full usage text for `knet help <command>` and `knet <command> --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: readonly string[], io: Io): Promise<number>;
}
