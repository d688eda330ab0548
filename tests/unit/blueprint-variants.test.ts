import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../main/blueprints/blueprint-errors.js';
import { loadBlueprint, loadBlueprintSources, loadDefinition } from '../../main/blueprints/blueprint-loader.js';
import { describeOrigin } from '../../main/blueprints/blueprint-variants.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const defaultsDir = path.join(root, 'resources', 'blueprints');
const baselines = [path.join(defaultsDir, 'baselines')];
const townVariant = path.join(defaultsDir, 'variants', 'school-ipad-musterstadt.yaml');

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'variant-'));
  temps.push(dir);
  return dir;
}

function resolved(file: string) {
  const loaded = loadDefinition(file, baselines);
  if (loaded.kind === 'baseline') throw new Error(`${file} is a baseline`);
  return loaded.resolved;
}

describe('a customer variant', () => {
  it('resolves: one step removed, one added after its anchor, two overridden, the baseline kept, with each origin', () => {
    const { blueprint, origins } = resolved(townVariant);
    expect(blueprint.id).toBe('school-ipad-musterstadt');
    expect(blueprint.extends).toBe('school-ipad');
    expect(blueprint.platform).toBe('ios');
    expect(blueprint.baseline).toBe('school-policy-ios');
    expect(blueprint.naming).toBe('MS-{school}-{seq:000}');
    expect(blueprint.library).toEqual([{ id: 'de.musterstadt.schulportal', version: '2.4.1' }]);
    expect(blueprint.steps.map((s) => s.id)).toEqual([
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
      'app-schoolwork',
      'app-schulportal',
      'wifi-network',
      'rename',
      'verify',
      'label',
    ]);
    const originOf = (id: string) => describeOrigin(origins[blueprint.steps.findIndex((s) => s.id === id)]!);
    expect(originOf('identify')).toBe('blueprint school-ipad');
    expect(originOf('profile-youth-protection')).toBe('baseline school-policy-ios');
    expect(originOf('supervise')).toBe('variant school-ipad-musterstadt: overridden');
    expect(originOf('app-schulportal')).toBe('variant school-ipad-musterstadt: added');
    // Overrides merge into the parent's step key by key: the organization replaced, the parent's other params, timeout, retries, label kept.
    const supervise = blueprint.steps.find((s) => s.id === 'supervise')!;
    expect(supervise.params).toEqual({ organization: 'Schulverwaltung Musterstadt', skipSetup: 'all', allowPairing: true, finishSetup: true });
    expect(supervise.timeout).toBe(10 * 60_000);
    expect(supervise.retries).toBe(1);
    expect(blueprint.steps.filter((s) => s.mandatory).map((s) => s.id)).toEqual(['profile-youth-protection', 'profile-data-protection']);
  });

  it('has its own content hash; the parent keeps its own, and the same files give the same hash', () => {
    const variant = loadBlueprint(townVariant, baselines);
    const parent = loadBlueprint(path.join(defaultsDir, 'school-ipad.yaml'), baselines);
    expect(variant.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(variant.hash).not.toBe(parent.hash);
    expect(loadBlueprint(townVariant, baselines).hash).toBe(variant.hash);
  });

  it('changes its hash when its parent changes (the hash covers the resolved steps)', () => {
    const dir = tempDir();
    fs.cpSync(defaultsDir, dir, { recursive: true });
    const before = loadBlueprint(path.join(dir, 'variants', 'school-ipad-musterstadt.yaml'), []).hash;
    const parentFile = path.join(dir, 'school-ipad.yaml');
    fs.writeFileSync(parentFile, fs.readFileSync(parentFile, 'utf8').replace('timeout: 20m', 'timeout: 25m'));
    expect(loadBlueprint(path.join(dir, 'variants', 'school-ipad-musterstadt.yaml'), []).hash).not.toBe(before);
  });

  it('the station loads the defaults and their variants together', () => {
    const sources = loadBlueprintSources(defaultsDir);
    const variant = sources.find((s) => s.blueprint.id === 'school-ipad-musterstadt');
    expect(variant?.file).toBe(townVariant);
    expect(sources.map((s) => s.blueprint.id)).toContain('school-ipad');
  });

  it('may extend another variant; a cycle is refused, naming the chain', () => {
    const dir = tempDir();
    fs.cpSync(defaultsDir, dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'variants', 'school-ipad-musterstadt-gs.yaml'),
      'kind: variant\nid: school-ipad-musterstadt-gs\nname: Grundschule\nversion: 1\nextends: school-ipad-musterstadt\nremove: [app-pages]\n',
    );
    const gs = loadBlueprint(path.join(dir, 'variants', 'school-ipad-musterstadt-gs.yaml'), []);
    expect(gs.steps.map((s) => s.id)).not.toContain('app-pages');
    expect(gs.steps.map((s) => s.id)).toContain('app-schulportal');
    fs.writeFileSync(path.join(dir, 'variants', 'loop-a.yaml'), 'kind: variant\nid: loop-a\nname: A\nversion: 1\nextends: loop-b\n');
    fs.writeFileSync(path.join(dir, 'variants', 'loop-b.yaml'), 'kind: variant\nid: loop-b\nname: B\nversion: 1\nextends: loop-a\n');
    expect(() => loadBlueprint(path.join(dir, 'variants', 'loop-a.yaml'), [])).toThrow(/extends itself through loop-a -> loop-b/);
  });

  it('refuses several problems at once, each located', () => {
    const dir = tempDir();
    const file = path.join(dir, 'v.yaml');
    fs.writeFileSync(
      file,
      'kind: variant\nid: v\nname: V\nversion: 1\nextends: school-ipad\nremove: [nope, profile-data-protection]\nadd:\n  - { before: verify, step: { id: rename, type: pack } }\n',
    );
    try {
      loadBlueprint(file, baselines);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(BlueprintError);
      const issues = (err as BlueprintError).issues.map((i) => `${i.line} ${i.path}`);
      expect(issues).toEqual(['6 remove[0]', '6 remove[1]', '8 add[0].step.id']);
    }
  });
});

describe('a baseline file', () => {
  it('validates as a baseline; the station refuses to run it as a blueprint', () => {
    const file = path.join(baselines[0]!, 'school-policy-ios.yaml');
    const loaded = loadDefinition(file, baselines);
    expect(loaded.kind).toBe('baseline');
    expect(() => loadBlueprint(file, baselines)).toThrow(/a baseline is not run on its own/);
  });
});
