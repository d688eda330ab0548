import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeShiftLog } from '../../main/export/export-shift.js';
import type { StationCore } from '../../main/station/station-core.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { openTestCore } from '../fixtures/test-core.js';
import { until } from '../fixtures/until.js';

/**
 * Issue 13, item 12: each run names the technician signed in at the station when it ran, or the one
 * who acted on it, never the whole shift's crew; the station's export and the hub's copy say so.
 */
let tmp: ReturnType<typeof tempDir>;
let core: StationCore | null = null;

beforeEach(() => {
  tmp = tempDir('benchline-operator-');
});
afterEach(async () => {
  await core?.close().catch(() => {});
  core = null;
  tmp.cleanup();
});

it('a run names the technician signed in when it started, and the one who retried it after; the export and the outbox say so', async () => {
  const station = await openTestCore(tmp.dir);
  core = station;
  // Three sign in; the last one leaves again: Anna and Ben are on the shift, Ben signed in last.
  for (const name of ['Anna Müller', 'Ben Kurz', 'Cem Aydın']) station.operators.signIn({ name });
  station.operators.signOut('Cem Aydın');
  const shift = station.currentShift()!;
  expect(shift.present).toEqual(expect.arrayContaining(['Anna Müller', 'Ben Kurz']));

  const [clean] = station.plugSimulated({ count: 1, model: 'iPad (10th generation)' });
  const [failing] = station.plugSimulated({ count: 1, model: 'iPad (10th generation)', failAt: 'supervise' });
  const byDevice = (serial: string) => station.listDevices().find((d) => d.serial === serial);
  await until(() => byDevice(clean!)?.state === 'done', 'the clean device done', 15_000, 5);
  const failed = await until(() => (byDevice(failing!)?.state === 'failed' ? byDevice(failing!) : undefined), 'the failing device failed', 15_000, 5);
  const runOperator = (runId: string) => station.store.getRun(runId)!.operator;
  expect(runOperator(byDevice(clean!)!.runId!)).toBe('Ben Kurz');
  expect(runOperator(failed.runId!)).toBe('Ben Kurz');

  // Anna comes back to the bench (signs in again: she is the one at the station now) and retries it.
  station.operators.signIn({ name: 'Anna Müller' });
  station.retryRun(failed.runId!);
  expect(runOperator(failed.runId!)).toBe('Anna Müller');
  await until(() => byDevice(failing!)?.state === 'done', 'the retried device done', 15_000, 5);

  // A refused action leaves the run's technician as it was.
  station.operators.signIn({ name: 'Ben Kurz' });
  expect(() => station.retryRun(failed.runId!)).toThrow();
  expect(runOperator(failed.runId!)).toBe('Anna Müller');

  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeShiftLog(station.shifts.shiftLogSource(station.currentShift()!), out, { format: 'csv' });
  const rows = parse<Record<string, string>>(Buffer.concat(chunks).toString('utf8'), { columns: true });
  expect(Object.fromEntries(rows.map((r) => [r.serial, r.operator]))).toEqual({ [clean!]: 'Ben Kurz', [failing!]: 'Anna Müller' });

  // The hub learns it from the run's transitions: the last one of the retried run names Anna.
  const payloads = (station.store.db.prepare("SELECT payload FROM outbox WHERE kind = 'run.transition' ORDER BY seq").all() as { payload: string }[]).map(
    (r) => JSON.parse(r.payload) as { run: { id: string; operator: string | null } },
  );
  expect(payloads.filter((p) => p.run.id === failed.runId).at(-1)!.run.operator).toBe('Anna Müller');
}, 60_000);
