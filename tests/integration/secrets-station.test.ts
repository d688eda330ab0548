import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/store-helpers.js';
import { REPO, requireBuild, startStation, stopStation, waitFor, type StationProcess } from './station-process.js';

/**
 * A secret set on the command line, used by a simulated iPad's Wi-Fi step through a customer
 * variant, and then looked for everywhere it must never be: the database, the logs, the exports.
 */
const PASSWORD = 'Geheim-WLAN-8d41e7b2';
let tmp: ReturnType<typeof tempDir>;
let station: StationProcess | null = null;

function cli(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [path.join(REPO, 'main', 'bin', 'benchline.mjs'), ...args], { cwd: REPO, encoding: 'utf8', input });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

beforeAll(() => {
  requireBuild();
  tmp = tempDir('benchline-secrets-');
});
afterAll(async () => {
  if (station) await stopStation(station, 'SIGKILL');
  tmp.cleanup();
});

describe('a secret used by a run', () => {
  it('reaches the step, and is in no database file, log or export', async () => {
    const dataDir = path.join(tmp.dir, 'data');
    const set = cli(['secrets', 'set', 'wifi-school', '--stdin', '--kind', 'wifi', '--ssid', 'Schule', '--data-dir', dataDir], `${PASSWORD}\n`);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(fs.statSync(path.join(dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);
    const list = cli(['secrets', 'list', '--data-dir', dataDir], '');
    expect(list.stdout).toMatch(/^wifi-school\twifi\t/m);
    expect(list.stdout).not.toContain(PASSWORD);

    const variant = path.join(tmp.dir, 'school-ipad-wlan.yaml');
    fs.writeFileSync(
      variant,
      [
        'kind: variant',
        'id: school-ipad-wlan',
        'name: Schul-iPad mit WLAN',
        'version: 1',
        'extends: school-ipad',
        'add:',
        '  - after: erase',
        '    step: { id: wifi, type: wifi, timeout: 1m, params: { ssid: Schule, secret: wifi-school } }',
        '',
      ].join('\n'),
    );
    station = await startStation(dataDir, ['--simulate', '1', '--sim-speed', '100', '--sim-fail-rate', '0', '--sim-seed', '5', '--blueprint', variant]);
    const s = station;
    const device = await waitFor(
      'the simulated iPad done',
      async () => {
        const res = await s.api<{ serial: string; state: string | null; runId: string | null }[]>('GET', '/api/v1/devices');
        const d = res.body[0];
        return d?.state === 'done' || d?.state === 'failed' ? d : undefined;
      },
      60_000,
      200,
    );
    expect(device.state).toBe('done');
    const detail = await s.api<{ steps: { id: string }[] }>('GET', `/api/v1/runs/${device.runId}`);
    expect(detail.body.steps.map((st) => st.id)).toContain('wifi');

    const shifts = await s.api<{ id: string }[]>('GET', '/api/v1/shifts');
    const shiftId = shifts.body[0]!.id;
    const json = await fetch(`${s.baseUrl}/api/v1/shifts/${shiftId}/export?format=json`, { headers: { authorization: `Bearer ${s.token}` } });
    const csv = await fetch(`${s.baseUrl}/api/v1/shifts/${shiftId}/export?format=csv`, { headers: { authorization: `Bearer ${s.token}` } });
    const jsonText = await json.text();
    const csvText = await csv.text();
    expect(json.status).toBe(200);
    expect(csv.status).toBe(200);
    expect(jsonText).toContain('school-ipad-wlan');
    expect(csvText).toContain('school-ipad-wlan');
    await stopStation(s);
    station = null;

    const files = filesUnder(dataDir);
    expect(files.some((f) => f.endsWith('.log'))).toBe(true);
    expect(files.some((f) => path.basename(f) === 'station.db')).toBe(true);
    for (const file of files.filter((f) => path.basename(f) !== 'secrets.key')) {
      expect(fs.readFileSync(file).includes(PASSWORD), file).toBe(false);
    }
    expect(jsonText).not.toContain(PASSWORD);
    expect(csvText).not.toContain(PASSWORD);
  }, 120_000);

  it('a step naming a secret the station lacks fails, naming the secret', async () => {
    const dataDir = path.join(tmp.dir, 'data-missing');
    const variant = path.join(tmp.dir, 'school-ipad-gym.yaml');
    fs.writeFileSync(
      variant,
      'kind: variant\nid: school-ipad-gym\nname: Turnhalle\nversion: 1\nextends: school-ipad\nadd:\n  - { after: erase, step: { id: wifi, type: wifi, params: { ssid: Halle, secret: wifi-gym } } }\n',
    );
    station = await startStation(dataDir, ['--simulate', '1', '--sim-speed', '100', '--sim-fail-rate', '0', '--sim-seed', '5', '--blueprint', variant]);
    const s = station;
    const device = await waitFor(
      'the run failed',
      async () => {
        const res = await s.api<{ state: string | null; runId: string | null }[]>('GET', '/api/v1/devices');
        return res.body[0]?.state === 'failed' ? res.body[0] : undefined;
      },
      60_000,
      200,
    );
    const run = await s.api<Record<string, unknown>>('GET', `/api/v1/runs/${device.runId}`);
    expect(JSON.stringify(run.body)).toContain('wifi-gym');
    expect(JSON.stringify(run.body)).toContain('secret.missing');
    await stopStation(s);
    station = null;
  }, 120_000);
});
