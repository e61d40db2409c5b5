import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScript } from './parser.js';
import { listScripts } from './discover.js';
import { tcpSuiteDir } from './paths.js';

// Constructs this parser cannot read, by script path relative to google/tcp: none today.
const EXPECTED_PARSE_FAILURES: Record<string, string> = {};

describe('the packetdrill TCP suite', () => {
  it('parses every script', () => {
    const scripts = listScripts(tcpSuiteDir(), { includeOutOfScope: true });
    expect(scripts.length).toBeGreaterThan(100);
    const failures: Record<string, string> = {};
    for (const s of scripts) {
      try {
        parseScript(readFileSync(s.absPath, 'utf8'), s.relPath);
      } catch (err) {
        failures[s.relPath] = (err as Error).message;
      }
    }
    expect(failures).toEqual(EXPECTED_PARSE_FAILURES);
  });
});
