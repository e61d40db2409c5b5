#!/usr/bin/env node
// Usage: layering [rootDir]. Prints each violation; exit 1 when there is any.
import { resolve } from 'node:path';
import { checkLayering, formatViolation } from './check.js';

const root = resolve(process.argv[2] ?? process.cwd());
const violations = checkLayering(root);
for (const v of violations) console.log(formatViolation(v));
if (violations.length > 0) {
  console.error(`layering: ${violations.length} violation(s)`);
  process.exit(1);
}
console.error('layering: ok');
