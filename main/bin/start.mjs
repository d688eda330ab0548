#!/usr/bin/env node
// `npm start`: builds what is missing, then starts a station with simulated devices, in an
// Electron window where Electron is installed, otherwise headless (printing the UI's URL).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = ['dist/main/cli/index.js', 'dist/main/electron/preload.cjs', 'dist/renderer/index.html'].every((f) => existsSync(root + f));
if (!built) {
  process.stdout.write('Building Benchline (first start)...\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const args = ['station', '--simulate', '16', '--sim-speed', '10', ...process.argv.slice(2)];
const child = spawn(process.execPath, [root + 'main/bin/benchline.mjs', ...args], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
