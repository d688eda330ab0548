import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMessage } from '../../shared/messages/format.js';
import type { WireMessage } from '../../shared/messages/schema.js';
import { contractColumnsOfExcelDe } from '../fixtures/excel-de.js';
import { startFakeZplPrinter } from '../fixtures/fake-zpl-printer.js';
import { tempDir } from '../fixtures/shift-seed.js';
import { REPO, requireBuild, startStation, stopStation, type StationProcess } from './station-process.js';

const BIN = path.join(REPO, 'main', 'bin', 'benchline.mjs');
const SERIALS = ['DMPXA0000001', 'DMPXA0000002', 'DMPXA0000003'];
const ORDER = [
  'customer,school,order_id,blueprint,deadline,serial,quantity,asset_tag',
  ...SERIALS.map((s, i) => `Stadt Musterstadt,GS Nord,MS-2026-001,school-ipad,2026-08-31,${s},,INV-000${i + 1}`),
  'Stadt Musterstadt,Gymnasium Süd,MS-2026-002,school-ipad,2026-08-31,DMPXB0000001,,',
].join('\n');

interface Device {
  serial: string;
  state: string | null;
  name: string | null;
  blueprint: string | null;
  error: { code: string; message: string } | null;
}

let tmp: ReturnType<typeof tempDir>;
let station: StationProcess;
let printer: Awaited<ReturnType<typeof startFakeZplPrinter>>;

beforeAll(async () => {
  requireBuild();
  tmp = tempDir();
  printer = await startFakeZplPrinter();
  station = await startStation(path.join(tmp.dir, 'data'), ['--sim-speed', '5000']);
});
afterAll(async () => {
  if (station) await stopStation(station);
  await printer?.close();
  tmp?.cleanup();
});

async function devices(): Promise<Device[]> {
  return (await station.api<Device[]>('GET', '/api/v1/devices')).body;
}

describe('a station with orders, labels and units', () => {
  it('refuses a bad order file whole, then imports a good one', async () => {
    const bad = await station.api<{ error: { code: string }; report: { issues: { line: number; column: string }[] } }>(
      'POST',
      '/api/v1/orders/import',
      `${ORDER}\nStadt,GS Nord,MS-9,school-ipad,31.08.2026,DMPXC0000001,,`,
      { 'content-type': 'text/csv' },
    );
    expect(bad.status).toBe(422);
    expect(bad.body.report.issues).toEqual([{ line: 6, column: 'deadline', message: '"31.08.2026" is not an ISO date such as 2026-08-31.' }]);
    expect((await station.api<unknown[]>('GET', '/api/v1/orders')).body).toEqual([]);
    const good = await station.api<{ ok: boolean; orders: number; serials: number }>('POST', '/api/v1/orders/import', ORDER, { 'content-type': 'text/csv' });
    expect(good.body).toMatchObject({ ok: true, orders: 2, serials: 4 });
  });

  it('gives plugged devices their order blueprint and school unasked, and prints each label as ZPL over TCP 9100', async () => {
    const set = await station.api('PUT', '/api/v1/settings/label-printer', { printer: { kind: 'zpl-tcp', host: '127.0.0.1', port: printer.port } });
    expect(set.status).toBe(200);
    const plugged = await station.api<{ serials: string[] }>('POST', '/api/v1/simulator/devices', {
      count: 3,
      serials: SERIALS,
      model: 'iPad (10th generation)',
    });
    expect(plugged.body.serials).toEqual(SERIALS);
    await expect.poll(async () => (await devices()).filter((d) => d.state === 'done').length, { timeout: 30_000, interval: 200 }).toBe(3);
    for (const d of await devices()) {
      expect(d.blueprint).toBe('school-ipad');
      expect(d.name).toMatch(/^GS Nord-\d{3}$/);
    }
    await expect.poll(() => printer.jobs.length, { timeout: 10_000 }).toBe(3);
    for (const s of SERIALS) {
      const job = printer.jobs.find((j) => j.includes(`^FD${s}^FS`));
      expect(job, `ZPL for ${s}`).toBeDefined();
      expect(job).toMatch(/^\^XA\n\^CI28\n/);
      expect(job).toContain('GS Nord');
      expect(job).toContain(`INV-000${SERIALS.indexOf(s) + 1}`);
    }
  });

  it('a device in no order waits for the technician to choose one', async () => {
    const { body } = await station.api<{ serials: string[] }>('POST', '/api/v1/simulator/devices', { count: 1 });
    const serial = body.serials[0]!;
    await expect.poll(async () => (await devices()).find((d) => d.serial === serial)?.error?.code, { timeout: 10_000 }).toBe('needs_assignment');
    expect((await devices()).find((d) => d.serial === serial)!.state).toBeNull();
  });

  it('packs finished devices of one school and refuses another school with a clear message', async () => {
    const unit = await station.api<{ id: string; school: string }>('POST', '/api/v1/units', { kind: 'box', fromSerial: SERIALS[0] });
    expect(unit.body.school).toBe('GS Nord');
    expect((await station.api('POST', `/api/v1/units/${unit.body.id}/devices`, { serial: SERIALS[1] })).status).toBe(201);
    expect((await station.api('POST', `/api/v1/units/${unit.body.id}/devices`, { serial: SERIALS[1] })).status).toBe(200);
    await station.api('POST', '/api/v1/simulator/devices', { count: 1, serials: ['DMPXB0000001'] });
    await expect.poll(async () => (await devices()).find((d) => d.serial === 'DMPXB0000001')?.state, { timeout: 30_000 }).toBe('done');
    const refused = await station.api<{ error: { code: string; message: string; text: WireMessage } }>('POST', `/api/v1/units/${unit.body.id}/devices`, {
      serial: 'DMPXB0000001',
    });
    expect(refused.status).toBe(409);
    // The wire code as before; the words are the catalogue's, in German for the floor and English in `message`.
    expect(refused.body.error.code).toBe('other_school');
    expect(formatMessage(refused.body.error.text, 'de')).toBe('Gerät DMPXB0000001 gehört zu Schule Gymnasium Süd, nicht zu GS Nord.');
    expect(refused.body.error.message).toBe('Device DMPXB0000001 belongs to school Gymnasium Süd, not to GS Nord.');
    const manifest = await fetch(`${station.baseUrl}/api/v1/units/${unit.body.id}/manifest?format=csv`, {
      headers: { authorization: `Bearer ${station.token}` },
    });
    const rows = parse<{ serial: string }>(await manifest.text(), { columns: true });
    expect(rows.map((r) => r.serial)).toEqual([SERIALS[0], SERIALS[1]]);
    expect((await station.api('POST', `/api/v1/units/${unit.body.id}/close`)).status).toBe(200);
    expect((await station.api('POST', `/api/v1/units/${unit.body.id}/reopen`, { reason: 'x' })).status).toBe(400);
    expect((await station.api<{ state: string }>('POST', `/api/v1/units/${unit.body.id}/reopen`, { reason: 'Gerät fehlte' })).body.state).toBe('open');
  });

  it('exports the shift over HTTP and with `benchline export`, with the contract header and one row per run', async () => {
    const res = await fetch(`${station.baseUrl}/api/v1/shifts/current/export?format=csv&dialect=excel-de`, {
      headers: { authorization: `Bearer ${station.token}` },
    });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const text = (await res.text()).replace(/^\uFEFF/, '');
    // excel-de titles its columns in German (issue 13); the values are the contract's.
    const rows = parse<Record<string, string>>(text, { delimiter: ';', columns: contractColumnsOfExcelDe });
    expect(text.split('\r\n')[0]!.split(';')[0]).toBe('Lauf-ID');
    expect(
      rows
        .filter((r) => r.result === 'done')
        .map((r) => r.serial)
        .sort(),
    ).toEqual([...SERIALS, 'DMPXB0000001'].sort());
    expect(rows.find((r) => r.serial === SERIALS[0])).toMatchObject({
      customer: 'Stadt Musterstadt',
      school: 'GS Nord',
      order_id: 'MS-2026-001',
      asset_tag: 'INV-0001',
    });
    expect(rows.find((r) => r.serial === SERIALS[0])!.unit_id).toMatch(/^U-/);

    const out = path.join(tmp.dir, 'shift.csv');
    execFileSync(process.execPath, [BIN, 'export', '--data-dir', path.join(tmp.dir, 'data'), '--shift', 'current', '--format', 'csv', '--out', out], {
      cwd: REPO,
    });
    expect(fs.readFileSync(out, 'utf8').split('\r\n')[0]).toMatch(/^run_id,station,shift_id,slot,serial,/);
    const bad = (() => {
      try {
        execFileSync(
          process.execPath,
          [BIN, 'export', '--data-dir', path.join(tmp.dir, 'data'), '--shift', 'nope', '--format', 'csv', '--out', path.join(tmp.dir, 'x.csv')],
          { cwd: REPO, stdio: 'pipe' },
        );
        return null;
      } catch (err) {
        return err as { status: number; stderr: Buffer };
      }
    })();
    expect(bad?.status).toBe(1);
    expect(bad?.stderr.toString()).toMatch(/^benchline: No shift nope\./);
    expect(fs.existsSync(path.join(tmp.dir, 'x.csv'))).toBe(false);
  });

  it('`benchline orders import` refuses a bad file without importing anything', () => {
    const file = path.join(REPO, 'tests', 'fixtures', 'orders', 'bad', 'one-bad-among-many.csv');
    let err: { status: number; stderr: Buffer } | null = null;
    try {
      execFileSync(process.execPath, [BIN, 'orders', 'import', file, '--data-dir', path.join(tmp.dir, 'data')], { cwd: REPO, stdio: 'pipe' });
    } catch (e) {
      err = e as { status: number; stderr: Buffer };
    }
    expect(err?.status).toBe(1);
    expect(err?.stderr.toString()).toContain('line 6, deadline: "2026-8-31" is not an ISO date');
    expect(err?.stderr.toString()).toContain('1 problem; nothing was imported.');
  });
});
