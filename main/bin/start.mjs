#!/usr/bin/env node
// `npm start`: checks the Node version and the install, builds what is missing or older than its
// sources (after a `git pull`), then starts a station with simulated devices, in an Electron
// window where Electron is installed, otherwise headless (printing the UI's URL).
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildPlan, installProblem, nodeVersionProblem } from './start-checks.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
// First, before anything slow: a wrong Node is said in a second, not after a build.
const problem = nodeVersionProblem() ?? installProblem(root);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
for (const { script, reason } of buildPlan(root)) {
  process.stdout.write(`Building (${reason}): npm run ${script}\n`);
  const build = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = ['station', '--simulate', '16', '--sim-speed', '10', ...process.argv.slice(2)];
const child = spawn(process.execPath, [root + 'main/bin/benchline.mjs', ...args], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
