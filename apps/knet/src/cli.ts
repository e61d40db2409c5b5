#!/usr/bin/env node
import { processIo } from './io.js';
import { runCli } from './main.js';

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`knet: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
