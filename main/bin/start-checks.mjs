// What `npm start` checks before it starts anything (issue 13): the Node version first (seconds,
// not after a 20 s build), then whether the install is current, then which builds are older
// than their sources (after a `git pull`). Plain JavaScript: it runs before anything is built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The one Node major Benchline runs on: package.json's engines and .nvmrc say the same (a test checks). */
export const REQUIRED_NODE_MAJOR = 22;

/** Why this Node cannot run Benchline, in words a newcomer can act on; null when it can. */
export function nodeVersionProblem(version = process.versions.node) {
  const bare = String(version).replace(/^v/, '');
  if (Number(bare.split('.')[0]) === REQUIRED_NODE_MAJOR) return null;
  return [
    `Benchline needs Node ${REQUIRED_NODE_MAJOR}, but this is Node v${bare}.`,
    `Install Node ${REQUIRED_NODE_MAJOR} (README, "What you need"), put it first on PATH, then run "npm ci" again`,
    '(its native modules are built for the Node that installs them) and "npm start".',
  ].join('\n');
}

/**
 * Whether the installed node_modules match package-lock.json: npm ci writes
 * node_modules/.package-lock.json, so a lock file changed since (a pull that changed
 * dependencies) is newer. Null when they match.
 */
export function installProblem(root) {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return 'Nothing is installed yet: run "npm ci" first.';
  if (statSync(path.join(root, 'package-lock.json')).mtimeMs > statSync(installed).mtimeMs) {
    return 'The dependencies changed since the last install (package-lock.json is newer): run "npm ci", then "npm start" again.';
  }
  return null;
}

/**
 * Each build step, the file it writes last and what it is built from. A step runs again when its
 * output is missing or older than anything it is built from (a changed, added or removed file:
 * removing one changes its folder's time).
 */
export const BUILD_STEPS = [
  {
    script: 'build:main',
    output: 'dist/main/cli/index.js',
    sources: ['main', 'shared', 'tsconfig.json', 'package.json', 'package-lock.json'],
    skip: ['main/bin'],
  },
  {
    script: 'build:preload',
    output: 'dist/main/electron/preload.cjs',
    sources: ['main/electron', 'shared', 'package-lock.json'],
    skip: [],
  },
  {
    script: 'build:renderer',
    output: 'dist/renderer/index.html',
    sources: ['renderer', 'shared', 'tsconfig.json', 'package.json', 'package-lock.json'],
    skip: [],
  },
];

/** The newest modification time under `entry` (a file or a folder, walked), skipping `skip` (relative to root). */
function newestMtime(root, entry, skip) {
  const full = path.join(root, entry);
  if (skip.some((s) => path.join(...s.split('/')) === entry) || !existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(full)) {
    if (child === 'node_modules' || child.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(root, path.join(entry, child), skip));
  }
  return newest;
}

/**
 * The build scripts to run before starting, each with why: its output is missing, or a source
 * is newer than it. Comparing modification times is cheap (a few hundred stats); a pull or a
 * checkout touches exactly the files it changes.
 */
export function buildPlan(root, steps = BUILD_STEPS) {
  const plan = [];
  for (const step of steps) {
    const output = path.join(root, step.output);
    if (!existsSync(output)) {
      plan.push({ script: step.script, reason: `${step.output} is missing` });
      continue;
    }
    const built = statSync(output).mtimeMs;
    const changed = step.sources.find((s) => newestMtime(root, s, step.skip) > built);
    if (changed) plan.push({ script: step.script, reason: `${changed} changed since the last build` });
  }
  return plan;
}

/** package.json's engines.node and .nvmrc, for the test that keeps them in step with REQUIRED_NODE_MAJOR. */
export function declaredNodeVersions(root) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return { engines: pkg.engines?.node ?? null, nvmrc: readFileSync(path.join(root, '.nvmrc'), 'utf8').trim() };
}
