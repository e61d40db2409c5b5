// Where a command writes: the process streams in the CLI, string buffers in tests.

export interface OutStream {
  write(s: string): unknown;
  /** True only for a terminal; progress bars draw only then. */
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** An Io that collects what is written, for tests. */
export function bufferIo(opts: { tty?: boolean } = {}): Io & { out(): string; err(): string } {
  const o: string[] = [];
  const e: string[] = [];
  return {
    stdout: { write: (s: string) => o.push(s), isTTY: opts.tty ?? false, columns: 80 },
    stderr: { write: (s: string) => e.push(s), isTTY: opts.tty ?? false, columns: 80 },
    out: () => o.join(''),
    err: () => e.join(''),
  };
}
