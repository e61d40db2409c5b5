// The command registry: one file per command, listed here in help order.
import { connect } from './connect.js';
import { demo } from './demo.js';
import { fetch } from './fetch.js';
import { makeHelp } from './help.js';
import { ping } from './ping.js';
import { serve } from './serve.js';
import { trace } from './trace.js';
import type { Command } from './types.js';

export const COMMANDS: readonly Command[] = [makeHelp(() => COMMANDS), demo, trace, serve, fetch, ping, connect];

export function findCommand(name: string, list: readonly Command[] = COMMANDS): Command | undefined {
  return list.find((c) => c.name === name);
}
