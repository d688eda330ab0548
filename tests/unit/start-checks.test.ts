import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STEPS, REQUIRED_NODE_MAJOR, buildPlan, declaredNodeVersions, installProblem, nodeVersionProblem } from '../../main/bin/start-checks.mjs';

/** `npm start` for a newcomer (issue 13, item 13): the Node version first, then rebuild what a pull changed. */
const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('the Node version check', () => {
  it('accepts Node 22 and refuses any other with what to do', () => {
    expect(nodeVersionProblem('22.23.3')).toBeNull();
    expect(nodeVersionProblem('v22.0.0')).toBeNull();
    for (const other of ['v20.20.2', '18.19.0', '24.1.0']) {
      const problem = nodeVersionProblem(other);
      expect(problem, other).toContain('needs Node 22');
      expect(problem, other).toContain(`v${other.replace(/^v/, '')}`);
      expect(problem, other).toContain('npm ci');
    }
  });

  it('asks for the Node that package.json, .nvmrc and npm (engine-strict) ask for', () => {
    const declared = declaredNodeVersions(REPO);
    expect(declared.nvmrc).toBe(String(REQUIRED_NODE_MAJOR));
    expect(declared.engines).toBe(`>=${REQUIRED_NODE_MAJOR} <${REQUIRED_NODE_MAJOR + 1}`);
    expect(fs.readFileSync(path.join(REPO, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });
});

describe('what npm start builds', () => {
  let root = '';
  const T = Date.parse('2026-03-02T08:00:00Z') / 1000;
  const write = (rel: string, atSeconds: number) => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, rel);
    fs.utimesSync(file, atSeconds, atSeconds);
  };
  const age = (rel: string, atSeconds: number) => fs.utimesSync(path.join(root, rel), atSeconds, atSeconds);
  const scripts = () => buildPlan(root).map((p) => p.script);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-start-'));
    for (const f of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'main/cli/index.ts',
      'main/electron/preload.ts',
      'main/bin/start.mjs',
      'shared/metrics.ts',
      'renderer/src/main.tsx',
    ])
      write(f, T);
    // Folders carry the time of their last added or removed file.
    for (const d of ['main/cli', 'main/electron', 'main/bin', 'main', 'shared', 'renderer/src', 'renderer']) age(d, T);
    for (const step of BUILD_STEPS) write(step.output, T + 60);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds nothing when every output is newer than its sources', () => {
    expect(buildPlan(root)).toEqual([]);
  });

  it('builds what is missing, and what a pull changed: only the parts built from it', () => {
    fs.rmSync(path.join(root, 'dist/renderer/index.html'));
    expect(buildPlan(root)).toEqual([{ script: 'build:renderer', reason: 'dist/renderer/index.html is missing' }]);
    write('dist/renderer/index.html', T + 60);

    age('renderer/src/main.tsx', T + 120);
    expect(scripts()).toEqual(['build:renderer']);
    age('renderer/src/main.tsx', T);

    age('main/cli/index.ts', T + 120);
    expect(scripts()).toEqual(['build:main']);
    age('main/cli/index.ts', T);

    // The contract is in every part.
    age('shared/metrics.ts', T + 120);
    expect(scripts()).toEqual(['build:main', 'build:preload', 'build:renderer']);
    age('shared/metrics.ts', T);

    // New dependencies are bundled into every part.
    age('package-lock.json', T + 120);
    expect(scripts()).toEqual(['build:main', 'build:preload', 'build:renderer']);
    age('package-lock.json', T);
  });

  it('notices a removed source file by its folder, and ignores the start scripts themselves', () => {
    fs.rmSync(path.join(root, 'main/electron/preload.ts'));
    age('main/electron', T + 120);
    expect(buildPlan(root)).toEqual([
      { script: 'build:main', reason: 'main changed since the last build' },
      { script: 'build:preload', reason: 'main/electron changed since the last build' },
    ]);
    age('main/electron', T);
    age('main', T);
    age('main/bin/start.mjs', T + 120);
    age('main/bin', T + 120);
    expect(buildPlan(root)).toEqual([]);
  });

  it('tells to run npm ci when nothing is installed or the lock file changed since', () => {
    expect(installProblem(root)).toMatch(/npm ci/);
    write('node_modules/.package-lock.json', T + 30);
    expect(installProblem(root)).toBeNull();
    age('package-lock.json', T + 90);
    expect(installProblem(root)).toMatch(/dependencies changed.*npm ci/);
  });
});
