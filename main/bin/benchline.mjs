#!/usr/bin/env node
// The `benchline` command: checks the Node version and the build, then runs the compiled CLI.
import { existsSync } from 'node:fs';
import { nodeVersionProblem } from './start-checks.mjs';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`benchline: ${problem}\n`);
  process.exit(1);
}
const entry = new URL('../../dist/main/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('benchline: not built yet; run "npm run build" in the repository first.\n');
  process.exit(1);
}
await import(entry.href);
