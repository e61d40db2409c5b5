// The command registry: one file per command, listed here in help order.
import { demo } from './demo.js';
import { makeHelp } from './help.js';
import { trace } from './trace.js';
import type { Command } from './types.js';

export const COMMANDS: readonly Command[] = [makeHelp(() => COMMANDS), demo, trace];

export function findCommand(name: string, list: readonly Command[] = COMMANDS): Command | undefined {
  return list.find((c) => c.name === name);
}
