import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { escapeControl, stripControl } from '../../shared/contract/text.js';
import { floorMethods } from '../../shared/contract/floor-api.js';
import { stationMethods } from '../../shared/contract/station-api.js';
import { createStationServer } from '../../main/api/station-http-server.js';
import { reportCliError } from '../../main/cli/cli-error.js';
import { exportCommand } from '../../main/cli/floor-commands.js';
import { printErr } from '../../main/cli/terminal-output.js';
import { ExportTargetError, removeStaleTempFiles, writeFileAtomically } from '../../main/export/atomic-file.js';
import { writeDeadLettersCsv } from '../../main/export/dead-letters-csv.js';
import { writeQuarantineCsv } from '../../main/export/quarantine-csv.js';
import { writeShiftCsv } from '../../main/export/shift-log-csv.js';
import { writeShiftLog } from '../../main/export/export-shift.js';
import type { ShiftLogRun } from '../../main/export/shift-log.js';
import { StationShiftLogSource } from '../../main/export/station-shift-source.js';
import { silentLogger } from '../../main/logging/logger.js';
import { openStationCore } from '../../main/station/start-station.js';
import { DeadLetterStore } from '../../main/store/dead-letter-store.js';
import type { QuarantineRecord } from '../../main/store/floor-store.js';
import { writeManifestCsv } from '../../main/units/unit-manifest.js';
import { contractColumnsOfExcelDe } from '../fixtures/excel-de.js';
import { seedShift, tempDir, type SeededShift } from '../fixtures/shift-seed.js';

async function collect(write: (out: Writable) => Promise<void>): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  await write(out);
  return Buffer.concat(chunks).toString('utf8');
}

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('benchline-safety-');
});
afterAll(() => tmp.cleanup());

describe('export target (benchline export --out)', () => {
  const write = (file: string) => writeFileAtomically(file, async (out) => void out.end('data\n'));

  it('refuses a symlink and leaves it and what it points to alone', async () => {
    const real = path.join(tmp.dir, 'real.txt');
    fs.writeFileSync(real, 'keep');
    const link = path.join(tmp.dir, 'link.csv');
    fs.symlinkSync(real, link);
    await expect(write(link)).rejects.toThrow(/is a symbolic link/);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toBe('keep');
  });

  it('refuses a fifo, a folder and a device', async () => {
    const fifo = path.join(tmp.dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    await expect(write(fifo)).rejects.toThrow(/named pipe/);
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    await expect(write(tmp.dir)).rejects.toThrow(/is a folder/);
    // As root a device node of our own (like /dev/null); otherwise /dev/null itself, which a non-root process could not replace anyway.
    let device = '/dev/null';
    if (process.getuid?.() === 0) {
      device = path.join(tmp.dir, 'null-like');
      execFileSync('mknod', [device, 'c', '1', '3']);
    } else console.log('not root: checking /dev/null instead of a device node of our own');
    await expect(write(device)).rejects.toBeInstanceOf(ExportTargetError);
    expect(fs.lstatSync(device).isCharacterDevice()).toBe(true);
    expect(fs.readdirSync(tmp.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a regular file, and clears temp files a crashed export left', async () => {
    const file = path.join(tmp.dir, 'shift.csv');
    fs.writeFileSync(file, 'old');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = path.join(tmp.dir, `.shift.csv.${dead}.0badc0de.tmp`);
    const running = path.join(tmp.dir, `.shift.csv.${process.pid}.0000beef.tmp`);
    const other = path.join(tmp.dir, `.other.csv.${dead}.0badc0de.tmp`);
    for (const f of [stale, running, other]) fs.writeFileSync(f, 'half');
    await write(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('data\n');
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(running)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    expect(removeStaleTempFiles(path.join(tmp.dir, 'other.csv'))).toEqual([path.basename(other)]);
    fs.rmSync(running);
  });

  it('the CLI says so and exits 1', async () => {
    const seeded = seedShift(path.join(tmp.dir, 'cli', 'station.db'), 3);
    seeded.store.close();
    const link = path.join(tmp.dir, 'cli', 'out.csv');
    fs.symlinkSync('/etc/hostname', link);
    await expect(exportCommand({ dataDir: path.join(tmp.dir, 'cli'), shift: 'last', format: 'csv', out: link })).rejects.toThrow(
      /Could not write .*symbolic link/,
    );
  });
});

describe('formula cells in every CSV', () => {
  const nasty = ['=HYPERLINK("http://evil","x")', '+SUM(1,2)', '-1+1', '@cmd', '\t=1', '\r=1'];

  it('shift log, in both dialects', async () => {
    const run = Object.fromEntries(['run_id', 'station', 'shift_id', 'serial', 'result'].map((c) => [c, 'x'])) as unknown as ShiftLogRun;
    const runs = nasty.map((v, i) => ({ ...run, run_id: `r${i}`, device_name: v, operator: v, duration_s: -1.5 }));
    for (const [dialect, delimiter] of [
      ['rfc4180', ','],
      ['excel-de', ';'],
    ] as const) {
      const columns = dialect === 'excel-de' ? contractColumnsOfExcelDe : true;
      const rows = parse<Record<string, string>>(await collect((out) => writeShiftCsv(runs, out, dialect)), { columns, delimiter, bom: true });
      expect(rows.map((r) => r.device_name)).toEqual(nasty.map((v) => `'${v}`));
      expect(rows.map((r) => r.operator)).toEqual(nasty.map((v) => `'${v}`));
      // Numbers are numbers, not text to guard.
      expect(rows[0]!.duration_s).toBe(dialect === 'rfc4180' ? '-1.5' : '-1,5');
    }
  });

  it('quarantine list, unit manifest and dead letters', async () => {
    const q = {
      id: 1,
      serial: 'S1',
      runId: null,
      kind: 'technician',
      step: null,
      reason: nasty[0],
      at: '2026-03-02T06:00:00.000Z',
      shiftId: null,
      operator: nasty[1],
      releasedAt: null,
      releaseNote: null,
      model: null,
      customer: nasty[3],
      school: 'GS',
      orderId: null,
    } as QuarantineRecord;
    const quarantine = parse<Record<string, string>>(await collect((out) => writeQuarantineCsv([q], out)), { columns: true });
    expect(quarantine[0]).toMatchObject({ reason: `'${nasty[0]}`, operator: `'${nasty[1]}`, customer: `'${nasty[3]}` });

    const unit = {
      id: 'U1',
      kind: 'box',
      school: '=school',
      customer: null,
      orderId: null,
      capacity: null,
      state: 'open',
      createdAt: '2026-03-02T06:00:00.000Z',
      closedAt: null,
      count: 1,
    } as const;
    const item = {
      unitId: 'U1',
      serial: 'S1',
      runId: 'r1',
      packedAt: '2026-03-02T06:00:00.000Z',
      operator: null,
      deviceName: '@name',
      assetTag: '-7',
      model: null,
      orderId: null,
    };
    const manifest = parse<Record<string, string>>(await collect((out) => writeManifestCsv(unit, [item], out)), { columns: true });
    expect(manifest[0]).toMatchObject({ school: "'=school", device_name: "'@name", asset_tag: "'-7" });

    const letter = {
      seq: 4,
      kind: 'shift.operators',
      createdAt: 'a',
      rejectedAt: 'b',
      code: 'invalid_text',
      message: '=1+1',
      source: 'hub' as const,
      payload: { operators: ['x'] },
    };
    const dead = parse<Record<string, string>>(await collect((out) => writeDeadLettersCsv([letter], out, 'rfc4180')), { columns: true });
    expect(dead[0]).toMatchObject({ seq: '4', message: "'=1+1", payload: '{"operators":["x"]}' });
  });
});

describe('dead letters in the shift JSON export and the CLI', () => {
  let seeded: SeededShift;
  beforeAll(() => {
    seeded = seedShift(path.join(tmp.dir, 'dl', 'station.db'), 5);
    const shift = seeded.store.getShift(seeded.shiftId)!;
    const inShift = new Date(Date.parse(shift.openedAt) + 60_000).toISOString();
    new DeadLetterStore(seeded.store.db).record(
      [
        {
          seq: 2,
          kind: 'run.transition',
          payload: '{"run":{"serial":"A\\u0000"}}',
          createdAt: inShift,
          code: 'invalid_text',
          message: 'NUL in serial',
          rejectedAt: inShift,
          source: 'hub',
        },
        {
          seq: 9,
          kind: 'shift.operators',
          payload: '{}',
          createdAt: '2020-01-01T00:00:00.000Z',
          code: 'bad_request',
          message: 'old',
          rejectedAt: '2020-01-01T00:00:00.000Z',
          source: 'station',
        },
      ],
      0,
    );
  });
  afterAll(() => seeded.store.close());

  it('the shift JSON stays the hub’s twin (no dead letters in it); the dead-letter JSON of the shift window keeps the payload', async () => {
    const source = new StationShiftLogSource(
      { log: seeded.log, floor: seeded.floor, stationId: 'st-1', stationName: 'Bank' },
      seeded.store.getShift(seeded.shiftId)!,
      { timeZone: 'UTC' },
    );
    const json = JSON.parse(await collect((out) => writeShiftLog(source, out, { format: 'json' }))) as Record<string, unknown> & { runs: unknown[] };
    expect(json.runs).toHaveLength(5);
    expect(Object.keys(json)).toEqual(['shift', 'runs', 'steps']);
    const dataDir = path.join(tmp.dir, 'dl');
    const out = path.join(dataDir, 'shift-dead.json');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await exportCommand({ dataDir, deadLetters: true, shift: 'last', format: 'json', out });
    } finally {
      stderr.mockRestore();
    }
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual([
      expect.objectContaining({ seq: 2, code: 'invalid_text', source: 'hub', payload: { run: { serial: 'A\u0000' } } }),
    ]);
  });

  it('benchline export --dead-letters writes them all as CSV, or a shift window', async () => {
    const out = path.join(tmp.dir, 'dl', 'dead.csv');
    const dataDir = path.join(tmp.dir, 'dl');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await exportCommand({ dataDir, deadLetters: true, out });
      expect(parse<{ seq: string }>(fs.readFileSync(out), { columns: true }).map((r) => r.seq)).toEqual(['2', '9']);
      await exportCommand({ dataDir, deadLetters: true, shift: 'last', format: 'json', out: `${out}.json` });
      expect((JSON.parse(fs.readFileSync(`${out}.json`, 'utf8')) as { seq: number }[]).map((l) => l.seq)).toEqual([2]);
    } finally {
      stderr.mockRestore();
    }
    await expect(exportCommand({ dataDir, format: 'csv', out })).rejects.toThrow(/--shift is required/);
  });
});

describe('the CLI prints control characters escaped', () => {
  afterEach(() => vi.restoreAllMocks());

  it('escapes ESC, bidi and C1 controls but keeps line feeds and tabs', () => {
    expect(escapeControl('a\u001b[31mred\u009b\u202etxt\tx\ny\u0000')).toBe('a\\x1b[31mred\\x9b\\u202etxt\tx\ny\\x00');
    expect(stripControl('iPad\u0000 Pro\r\n18.1\u001b')).toBe('iPad Pro 18.1');
  });

  it('a shift id with escape sequences comes back in the error message escaped, on one line', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const seeded = seedShift(path.join(tmp.dir, 'esc', 'station.db'), 1);
    seeded.store.close();
    const err = await exportCommand({ dataDir: path.join(tmp.dir, 'esc'), shift: 'x\u001b[2J\u001b]0;owned\u0007', format: 'csv', out: '-' }).catch(
      (e: unknown) => e,
    );
    expect(reportCliError(err)).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^benchline: No shift x\\x1b\[2J\\x1b\]0;owned\\x07\./);
    // eslint-disable-next-line no-control-regex -- the message must carry no raw control character
    expect(lines[0]).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    printErr('blueprint \u001b[31mx');
    expect(lines.at(-1)).toBe('blueprint \\x1b[31mx\n');
  });
});

describe('person-entered text at the API', () => {
  it('the contract refuses a NUL operator name, badge or serial, naming the field', () => {
    const r = stationMethods.openShift.params.safeParse({ operators: ['Ana\u0000'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/^operator name contains an invisible control character \(U\+0000 at position 4\)/);
    expect(floorMethods.signIn.params.safeParse({ badge: 'B\u001b1' }).error?.issues[0]?.message).toMatch(/^badge contains/);
    expect(floorMethods.packDevice.params.safeParse({ unitId: 'U1', serial: 'S\u202e1' }).error?.issues[0]?.message).toMatch(/^serial contains .*U\+202E/);
    expect(floorMethods.quarantineDevice.params.safeParse({ serial: 'S1', reason: 'screen\ncracked\tbadly' }).success).toBe(true);
  });

  it('POST /api/v1/operators/sign-in with a NUL in the name answers 400 naming the field, and signs nobody in', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-api-'));
    const core = await openStationCore({
      dataDir,
      resourcesDir: path.join(fileURLToPath(new URL('../..', import.meta.url)), 'resources'),
      drivers: ['sim'],
      simulate: 0,
      simSpeed: Number.POSITIVE_INFINITY,
      simFailRate: 0,
      simSeed: 1,
      blueprintFiles: [],
      version: 'test',
      logger: silentLogger,
    });
    const server = await createStationServer({ core, token: 't'.repeat(32), rendererDir: null, logger: silentLogger, version: 'test' });
    try {
      const res = await server.inject({
        method: 'POST',
        url: '/api/v1/operators/sign-in',
        headers: { authorization: `Bearer ${'t'.repeat(32)}` },
        payload: { name: 'Ana\u0000Bauer' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'bad_request' } });
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/operator name contains an invisible control character \(U\+0000/);
      expect(core.snapshot().shift).toBeNull();
    } finally {
      await server.close();
      await core.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
