import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, requireBuild } from './station-process.js';

function validate(file: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [path.join(REPO, 'main', 'bin', 'benchline.mjs'), 'blueprint', 'validate', file, ...flags], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

beforeAll(() => requireBuild());

describe('benchline blueprint validate', () => {
  it.each(['school-ipad', 'android-tablet', 'notebook-checklist'])('%s: exit 0', (name) => {
    const res = validate(path.join('resources', 'blueprints', `${name}.yaml`));
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`valid: ${name} v1`);
  });

  it('a malformed file: exit 1, every problem as FILE:LINE:COL: PATH: message', () => {
    const file = path.join('tests', 'fixtures', 'blueprints', 'invalid', 'unknown-step-field.yaml');
    const res = validate(file);
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/unknown-step-field\.yaml:10:\d+: steps\[1\]\.retires: unknown field "retires"/);
    expect(res.stderr).toMatch(/1 problem; the blueprint was not accepted/);
  });

  it('a file that weakens the policy baseline: exit 1', () => {
    const res = validate(path.join('tests', 'fixtures', 'blueprints', 'invalid', 'baseline-step-changed.yaml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/baseline-step-changed\.yaml:13:\d+: steps\[1\]\.timeout: .*must not be changed/);
  });

  it('a missing file: exit 1 with one line', () => {
    const res = validate('no-such-file.yaml');
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/no-such-file\.yaml.*file not found/);
    expect(fs.existsSync(path.join(REPO, 'no-such-file.yaml'))).toBe(false);
  });

  it('a shipped baseline: exit 0 (it used to be refused with kind: expected "blueprint")', () => {
    const res = validate(path.join('resources', 'blueprints', 'baselines', 'school-policy-ios.yaml'));
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('valid: baseline school-policy-ios (ios), 2 required steps');
  });

  it('a variant --resolved: the effective steps, each with where it comes from', () => {
    const res = validate(path.join('resources', 'blueprints', 'variants', 'school-ipad-musterstadt.yaml'), '--resolved');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('valid: school-ipad-musterstadt v1 (ios), variant of school-ipad, 16 steps, 2 from baseline school-policy-ios');
    expect(res.stdout).toMatch(/^hash: sha256:[0-9a-f]{64}$/m);
    expect(res.stdout).toMatch(/^ +8\. profile-youth-protection \(install-profile\) .*<- baseline school-policy-ios$/m);
    expect(res.stdout).toMatch(/^ +6\. supervise \(supervise\) .*<- variant school-ipad-musterstadt: overridden$/m);
    expect(res.stdout).toMatch(/^ +12\. app-schulportal \(install-app\) .*<- variant school-ipad-musterstadt: added$/m);
    expect(res.stdout).toMatch(/^ +1\. identify \(identify\) .*<- blueprint school-ipad$/m);
    expect(res.stdout).not.toContain('app-keynote');
  });

  it('a variant that removes a baseline step: exit 1, the step named at its line', () => {
    const res = validate(path.join('tests', 'fixtures', 'blueprints', 'invalid', 'variant-removes-baseline-step.yaml'));
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(
      /variant-removes-baseline-step\.yaml:9:\d+: remove\[1\]: step "profile-youth-protection" is required by baseline "school-policy-ios" and cannot be removed/,
    );
  });
});
