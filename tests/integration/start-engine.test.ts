import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm ci && npm start` with a Node other than 22 (issue 13, item 13), with the machine's other
 * Node where it has one (Debian's /usr/bin/node here): both say so at once and do nothing else.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const OTHER_NODE = '/usr/bin/node';

function otherNodeVersion(): string | null {
  if (!fs.existsSync(OTHER_NODE)) return null;
  const r = spawnSync(OTHER_NODE, ['--version'], { encoding: 'utf8' });
  const version = r.stdout.trim();
  return r.status === 0 && !version.startsWith('v22.') ? version : null;
}

const other = otherNodeVersion();
if (!other) process.stdout.write(`skipping the wrong-Node checks: ${OTHER_NODE} is missing or is Node 22 itself, so no other Node to try them with.\n`);

describe.skipIf(!other)(`npm start and npm ci on Node ${other ?? '(none)'}`, () => {
  const env = { ...process.env, PATH: `${path.dirname(OTHER_NODE)}:/bin` };

  it('npm start says Node 22 is needed and builds nothing', () => {
    const r = spawnSync(OTHER_NODE, ['main/bin/start.mjs'], { cwd: REPO, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('needs Node 22');
    expect(r.stderr).toContain(other!);
    expect(r.stdout).not.toContain('Building');
  });

  it('npm ci refuses before installing anything (engine-strict in .npmrc)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-engine-'));
    try {
      for (const f of ['package.json', 'package-lock.json', '.npmrc']) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
      const npm = path.join(path.dirname(OTHER_NODE), 'npm');
      const r = spawnSync(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/EBADENGINE/);
      expect(r.stderr).toContain('"node":">=22 <23"');
      expect(fs.existsSync(path.join(dir, 'node_modules'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
