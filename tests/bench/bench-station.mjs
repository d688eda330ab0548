// A headless station of the built CLI for the benchmarks: started on a free port in a fresh data
// dir with simulated devices at `simSpeed`, running them unattended (no sign-in); answers where it listens and its token.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function startBenchStation({ name, simSpeed }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `benchline-${name}-`));
  const args = [
    'station',
    '--headless',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--simulate',
    '0',
    '--sim-speed',
    String(simSpeed),
    '--sim-seed',
    '1',
    '--sign-in-policy',
    'run',
  ];
  const child = spawn(process.execPath, [path.join(ROOT, 'main/bin/benchline.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (c) => (out += c));
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /UI:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(new URL(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`station exited (${code}):\n${out}`)));
  });
  const token = new URLSearchParams(url.hash.slice(1)).get('token');
  return { child, dataDir, url, port: Number(url.port), origin: url.origin, token, log: () => out };
}
