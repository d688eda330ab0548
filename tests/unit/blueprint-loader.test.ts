import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BlueprintError, formatIssue } from '../../main/blueprints/blueprint-errors.js';
import { loadBlueprint, loadBlueprintDir } from '../../main/blueprints/blueprint-loader.js';
import { parseDuration } from '../../shared/blueprint/duration.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const defaultsDir = path.join(root, 'resources', 'blueprints');
const baselines = [path.join(defaultsDir, 'baselines')];
const fixtures = path.join(root, 'tests', 'fixtures', 'blueprints');

function refusal(file: string): BlueprintError {
  try {
    loadBlueprint(file, baselines);
  } catch (err) {
    if (err instanceof BlueprintError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('default blueprints', () => {
  it('load together, one per platform name the station looks for', () => {
    const all = loadBlueprintDir(defaultsDir);
    expect(all.map((b) => b.id).sort()).toEqual(['android-tablet', 'notebook-checklist', 'school-ipad', 'serial-device']);
    for (const bp of all) {
      expect(bp.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(bp.steps.map((s) => s.id)).size).toBe(bp.steps.length);
    }
  });

  it('school-ipad gets the iOS policy steps before its first app, marked mandatory, durations in ms', () => {
    const bp = loadBlueprint(path.join(defaultsDir, 'school-ipad.yaml'), baselines);
    const ids = bp.steps.map((s) => s.id);
    expect(ids).toEqual([
      'identify',
      'trust',
      'battery',
      'erase',
      'activate',
      'supervise',
      'enroll-mdm',
      'profile-youth-protection',
      'profile-data-protection',
      'app-pages',
      'app-keynote',
      'app-schoolwork',
      'wifi-network',
      'rename',
      'verify',
      'label',
    ]);
    expect(bp.steps.filter((s) => s.mandatory).map((s) => s.id)).toEqual(['profile-youth-protection', 'profile-data-protection']);
    const erase = bp.steps.find((s) => s.id === 'erase')!;
    expect(erase.timeout).toBe(20 * 60_000);
    expect(erase.backoff).toBe(30_000);
    expect(bp.steps[0]!.retries).toBe(2);
  });

  it('the same file gives the same hash; a changed step gives another', () => {
    const a = loadBlueprint(path.join(defaultsDir, 'school-ipad.yaml'), baselines);
    const b = loadBlueprint(path.join(defaultsDir, 'school-ipad.yaml'), baselines);
    expect(a.hash).toBe(b.hash);
    const tmp = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'bp-'));
    const changed = fs.readFileSync(path.join(defaultsDir, 'school-ipad.yaml'), 'utf8').replace('timeout: 20m', 'timeout: 25m');
    fs.writeFileSync(path.join(tmp, 'school-ipad.yaml'), changed);
    expect(loadBlueprint(path.join(tmp, 'school-ipad.yaml'), baselines).hash).not.toBe(a.hash);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('baseline policy', () => {
  it('a step listed exactly as the baseline has it is kept in place (not duplicated); a missing one is inserted', () => {
    const bp = loadBlueprint(path.join(fixtures, 'valid', 'baseline-listed-identically.yaml'), baselines);
    expect(bp.steps.map((s) => s.id)).toEqual(['identify', 'profile-youth-protection', 'wifi', 'profile-data-protection', 'pages']);
    expect(bp.steps.filter((s) => s.mandatory).map((s) => s.id)).toEqual(['profile-youth-protection', 'profile-data-protection']);
    const pages = bp.steps.find((s) => s.id === 'pages')!;
    expect(pages.timeout).toBe(90_000);
    expect(pages.backoff).toBe(90 * 60_000);
  });

  it('required steps go to the end when the blueprint has no step of their anchor type', () => {
    const bp = loadBlueprint(path.join(fixtures, 'valid', 'no-baseline-at-end.yaml'), baselines);
    expect(bp.steps.map((s) => s.id)).toEqual(['identify', 'label', 'profile-youth-protection', 'profile-data-protection']);
  });
});

describe('serial error answers', () => {
  it('the blueprint-wide error pattern goes to serial steps without their own; a step can name another or none', () => {
    const bp = loadBlueprint(path.join(fixtures, 'valid', 'serial-error-pattern.yaml'), baselines);
    const patterns = Object.fromEntries(bp.steps.map((s) => [s.id, 'errorPattern' in s.params ? s.params.errorPattern : 'absent']));
    expect(patterns).toEqual({ identify: '^ERR ', configure: '^FAIL', verify: false, label: 'absent' });
  });

  it('a blueprint without one parses as before (its hash does not change)', () => {
    const bp = loadBlueprint(path.join(defaultsDir, 'serial-device.yaml'), baselines);
    expect(bp.steps.some((s) => 'errorPattern' in s.params)).toBe(false);
  });
});

describe('malformed blueprints are refused with file, line and field path', () => {
  const dir = path.join(fixtures, 'invalid');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('the corpus is there', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const name of files) {
    it(name, () => {
      const file = path.join(dir, name);
      const header = /^# expect: (\d+) (\S+) ~ ?(.*)$/m.exec(fs.readFileSync(file, 'utf8'));
      if (!header) throw new Error(`${name} has no "# expect: LINE PATH ~ MESSAGE" header`);
      const [, line, field, message] = header as unknown as [string, string, string, string];
      const err = refusal(file);
      // Every issue is located; none is anonymous.
      for (const issue of err.issues) {
        expect(issue.file).toBe(file);
        expect(issue.line).not.toBeNull();
      }
      const match = err.issues.find((i) => i.line === Number(line) && (i.path || '(file)') === field && i.message.includes(message));
      expect(match, `expected ${line} ${field} "${message}" among:\n${err.message}`).toBeDefined();
      expect(formatIssue(match!)).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: ${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
      );
    });
  }

  it('a missing file is refused with its name', () => {
    const err = refusal(path.join(dir, 'does-not-exist.yaml'));
    expect(err.message).toContain('does-not-exist.yaml');
    expect(err.message).toContain('file not found');
  });

  it('several problems in one file are all reported', () => {
    const tmp = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'bp-'));
    const file = path.join(tmp, 'many.yaml');
    fs.writeFileSync(
      file,
      'id: many\nname: Many\nversion: 1\nplatform: ios\nsteps:\n  - { id: a, type: identify, retires: 1 }\n  - { id: b, type: erase, timeout: soon }\n',
    );
    const err = refusal(file);
    expect(err.issues.map((i) => `${i.line} ${i.path}`).sort()).toEqual(['6 steps[0].retires', '7 steps[1].timeout']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('one bad file in a folder refuses the whole folder', () => {
    const tmp = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'bp-'));
    fs.cpSync(defaultsDir, tmp, { recursive: true });
    fs.copyFileSync(path.join(dir, 'unknown-step-type.yaml'), path.join(tmp, 'zz-bad.yaml'));
    expect(() => loadBlueprintDir(tmp)).toThrow(BlueprintError);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['90', 90_000],
    [45, 45_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['10 minutes', '1h 30m', 'soon', '-5s', '5x', '', 's'])('"%s" is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
