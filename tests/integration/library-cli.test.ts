import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { profilePlist, writeIpa } from '../fixtures/library-files.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { REPO, requireBuild } from './station-process.js';

beforeAll(() => requireBuild());
let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir('benchline-libcli-')));
afterEach(() => t.cleanup());

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO, 'main', 'bin', 'benchline.mjs'), 'library', ...args, '--data-dir', path.join(t.dir, 'station')], {
    cwd: REPO,
    encoding: 'utf8',
  });
}

it('imports, lists (text and JSON) and removes; a file that is not what its name says stores nothing and exits 1', async () => {
  const ipa = await writeIpa(path.join(t.dir, 'Pages.ipa'), { CFBundleIdentifier: 'com.apple.Pages', CFBundleShortVersionString: '14.1' });
  const profile = path.join(t.dir, 'wifi.mobileconfig');
  fs.writeFileSync(profile, profilePlist('de.schule.wifi', 'WLAN'));
  const fake = path.join(t.dir, 'Keynote.ipa');
  fs.writeFileSync(fake, 'not a zip');

  const bad = cli('import', ipa, fake);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain('Keynote.ipa was not imported: not a ZIP archive');
  expect(cli('list', '--json').stdout.trim()).toBe('[]');

  const ok = cli('import', ipa, profile);
  expect(ok.status).toBe(0);
  const lines = ok.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  expect(lines.map((l) => l.slice(0, 3))).toEqual([
    ['ipa', 'com.apple.Pages', '14.1'],
    ['profile', 'de.schule.wifi', '1'],
  ]);
  const listed = JSON.parse(cli('list', '--json').stdout) as { sha256: string; identifier: string }[];
  expect(listed.map((i) => i.identifier).sort()).toEqual(['com.apple.Pages', 'de.schule.wifi']);

  const removed = cli('remove', lines[0]![3]!.slice(0, 12));
  expect(removed.status).toBe(0);
  expect(cli('list').stdout.trim().split('\n')).toHaveLength(1);
  expect(cli('remove', 'ffffffffffff').stderr).toContain('No library item ffffffffffff.');
});
