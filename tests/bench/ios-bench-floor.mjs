#!/usr/bin/env node
// The station's data dir for bench:ios, made in a process of its own so that the bench's process
// holds the station only (its RSS is the station's): the example library (tests/fixtures/ios-library.ts,
// apps of --app-bytes) imported, and the supervision identity among the secrets.
//   node tests/bench/ios-bench-floor.mjs --data-dir DIR --work DIR --app-bytes N
// Prints one JSON line: {"ipas": [paths of the IPA files]}.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values: args } = parseArgs({ options: { 'data-dir': { type: 'string' }, work: { type: 'string' }, 'app-bytes': { type: 'string' } } });
const dataDir = args['data-dir'];
const appBytes = Number(args['app-bytes']);
if (!dataDir || !args.work || !Number.isInteger(appBytes) || appBytes < 1) {
  process.stderr.write('usage: ios-bench-floor.mjs --data-dir DIR --work DIR --app-bytes N\n');
  process.exit(2);
}
await import('./fixture-hooks.mjs');
const { buildIosLibrary, importIosLibrary } = await import('../fixtures/ios-library.ts');
const library = await buildIosLibrary(args.work, { appBytes });
await importIosLibrary(dataDir, library.files);
execFileSync(
  process.execPath,
  [path.join(ROOT, 'main', 'bin', 'benchline.mjs'), 'secrets', 'create-identity', 'supervision-identity', '--org', 'Schulträger', '--data-dir', dataDir],
  {
    stdio: 'pipe',
  },
);
process.stdout.write(`${JSON.stringify({ ipas: library.files.filter((f) => f.path.endsWith('.ipa')).map((f) => f.path) })}\n`);
