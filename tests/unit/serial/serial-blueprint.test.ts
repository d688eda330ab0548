import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../../main/blueprints/blueprint-errors.js';
import { loadBlueprint, loadBlueprintDir } from '../../../main/blueprints/blueprint-loader.js';

const resources = path.resolve(import.meta.dirname, '../../../resources/blueprints');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-bp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function issuesOf(name: string, yaml: string): string[] {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  try {
    loadBlueprint(file, []);
  } catch (err) {
    if (err instanceof BlueprintError) return err.issues.map((i) => `${i.line}:${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('serial blueprints', () => {
  it('ships a default serial-device blueprint whose identify script captures the serial number', () => {
    const bp = loadBlueprintDir(resources).find((b) => b.id === 'serial-device');
    expect(bp?.platform).toBe('serial');
    const identify = bp?.steps[0];
    expect(identify?.type === 'identify' && identify.params.script?.[0]?.expect).toContain('(?<serialNumber>');
    const verify = bp?.steps.find((s) => s.type === 'serial-verify');
    expect(verify?.type === 'serial-verify' && verify.params.expectCaptured).toMatchObject({ name: '{deviceName}' });
    // Durations are parsed: 3s per line.
    expect(identify?.type === 'identify' && identify.params.script?.[0]?.timeout).toBe(3000);
  });

  it('names file line and field when a serial step is in a tablet blueprint or a tablet step in a serial one', () => {
    expect(
      issuesOf(
        'ipad.yaml',
        [
          'id: x',
          'name: X',
          'version: 1',
          'platform: ios',
          'steps:',
          '  - id: s',
          '    type: serial-script',
          '    params: { script: [{ send: "a" }] }',
          '',
        ].join('\n'),
      ),
    ).toEqual(['7:steps[0].type: "serial-script" runs on serial devices only; this blueprint is for platform ios']);
    expect(issuesOf('sensor.yaml', ['id: x', 'name: X', 'version: 1', 'platform: serial', 'steps:', '  - { id: e, type: erase }', ''].join('\n'))).toEqual([
      '6:steps[0].type: "erase" cannot run on a serial device; use serial-script steps',
    ]);
  });

  it('refuses an identify script that does not capture serialNumber, and a bad expect regex', () => {
    const head = ['id: x', 'name: X', 'version: 1', 'platform: serial', 'steps:'];
    const noSerial = issuesOf(
      'noserial.yaml',
      [
        ...head,
        '  - id: identify',
        '    type: identify',
        '    params:',
        '      script:',
        '        - { send: identify, expect: "^ID (?<model>\\\\S+)" }',
        '',
      ].join('\n'),
    );
    expect(noSerial).toHaveLength(1);
    expect(noSerial[0]).toMatch(/^9:steps\[0\]\.params\.script: the identify script must capture the serial number/);
    const badRegex = issuesOf(
      'badregex.yaml',
      [...head, '  - id: conf', '    type: serial-script', '    params:', '      script:', '        - { send: x, expect: "([unclosed" }', ''].join('\n'),
    );
    expect(badRegex).toEqual(['10:steps[0].params.script[0].expect: not a valid regular expression']);
  });
});
