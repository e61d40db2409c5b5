// The --json convention: with --json, stdout carries exactly one JSON object and human text
// goes to stderr; without it, human text goes to stdout.
import type { Io, OutStream } from '../io.js';

export interface Output {
  json: boolean;
  /** Where human-readable text goes. */
  human: OutStream;
  /** Write human text (to stdout, or stderr under --json). */
  say(s: string): void;
  /** Write the one JSON result; only valid under --json, and only once. */
  result(obj: unknown): void;
}

export function createOutput(io: Io, json: boolean): Output {
  let written = false;
  const human = json ? io.stderr : io.stdout;
  return {
    json,
    human,
    say(s) {
      human.write(s.endsWith('\n') ? s : `${s}\n`);
    },
    result(obj) {
      if (!json) throw new Error('result() is for --json runs');
      if (written) throw new Error('a --json run writes exactly one object');
      written = true;
      io.stdout.write(`${JSON.stringify(obj)}\n`);
    },
  };
}
