import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportShiftToFile, writeShiftLog } from '../../main/export/export-shift.js';
import { CSV_DIALECTS, formatCell, parseCsvDialect } from '../../main/export/shift-log-csv.js';
import { SHIFT_LOG_COLUMNS, isoWithOffset } from '../../main/export/shift-log.js';
import { StationShiftLogSource, stepsOfRun } from '../../main/export/station-shift-source.js';
import { message } from '../../shared/messages/catalogue.js';
import { storedEventMessage } from '../../main/pipeline/step-event-text.js';
import { stationLanguage } from '../../main/store/station-language.js';
import { contractColumnsOfExcelDe } from '../fixtures/excel-de.js';
import { seedShift, tempDir, type SeededShift } from '../fixtures/shift-seed.js';

const CONTRACT_HEADER =
  'run_id,station,shift_id,slot,serial,family,model,os_version,customer,school,order_id,blueprint,blueprint_version,operator,started_at,finished_at,duration_s,result,failed_step,error,attempts,device_name,asset_tag,unit_id';

let tmp: { dir: string; cleanup: () => void };
let seeded: SeededShift;
let source: StationShiftLogSource;

beforeAll(() => {
  tmp = tempDir();
  seeded = seedShift(path.join(tmp.dir, 'station.db'), 1000);
  const shift = seeded.store.getShift(seeded.shiftId)!;
  // Small pages, so the paging itself is exercised across many page boundaries.
  source = new StationShiftLogSource({ log: seeded.log, floor: seeded.floor, stationId: 'st-1', stationName: 'Bank 3' }, shift, {
    timeZone: 'Europe/Berlin',
    pageSize: 37,
  });
});
afterAll(() => {
  seeded.store.close();
  tmp.cleanup();
});

async function collect(write: (out: Writable) => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  await write(out);
  return Buffer.concat(chunks);
}

describe('shift log CSV (RFC 4180)', () => {
  it('exports a 1,000-run shift with exactly the contract header and one row per run', async () => {
    const file = path.join(tmp.dir, 'shift.csv');
    await exportShiftToFile(source, file, { format: 'csv' });
    const text = fs.readFileSync(file, 'utf8');
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(text.split('\r\n')[0]).toBe(CONTRACT_HEADER);
    expect(SHIFT_LOG_COLUMNS.join(',')).toBe(CONTRACT_HEADER);
    const rows = parse<Record<string, string>>(text, { columns: true });
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(1000);
    const counts = { done: 0, failed: 0, unfinished: 0 };
    for (const r of rows) counts[r.result as keyof typeof counts]++;
    // every 10th fails, every 25th still runs (runs 49, 99, ... are both: they failed)
    expect(counts).toEqual({ done: 880, failed: 100, unfinished: 20 });
  });

  it('fills every column from the run, its blueprint, device and assignment', async () => {
    const rows = parse<Record<string, string>>(await collect((out) => writeShiftLog(source, out, { format: 'csv' })), { columns: true });
    const done = rows.find((r) => r.run_id === 'run-000000')!;
    expect(done).toMatchObject({
      station: 'st-1',
      shift_id: seeded.shiftId,
      slot: 'A1',
      serial: 'DMPX00000000',
      family: 'simulated',
      model: 'iPad (10th generation)',
      os_version: '18.1',
      customer: 'Stadt Musterstadt',
      school: 'GS Nord',
      order_id: 'ORD-0',
      blueprint: 'school-ipad',
      blueprint_version: '1',
      operator: 'Anna Müller',
      started_at: '2026-03-02T06:00:00+01:00',
      finished_at: '2026-03-02T06:12:34+01:00',
      duration_s: '754.3',
      result: 'done',
      failed_step: '',
      error: '',
      attempts: '1',
      device_name: 'GSN-000',
      asset_tag: 'INV-0',
      unit_id: '',
    });
    const failed = rows.find((r) => r.run_id === 'run-000009')!;
    expect(failed).toMatchObject({ result: 'failed', failed_step: 'erase', error: 'Erase failed: device busy', device_name: '' });
    const running = rows.find((r) => r.run_id === 'run-000024')!;
    expect(running).toMatchObject({ result: 'unfinished', finished_at: '', duration_s: '' });
    // Quotes and the separator inside a value survive a round trip.
    expect(rows.find((r) => r.run_id === 'run-000003')!.school).toBe('IGS "Mitte"');
    expect(rows.find((r) => r.run_id === 'run-000002')!.school).toBe('Realschule am Wehr; Außenstelle');
  });
});

const EXCEL_DE_HEADER =
  'Lauf-ID;Station;Schicht;Steckplatz;Seriennummer;Gerätefamilie;Modell;Betriebssystem;Kunde;Schule;Auftrag;Vorlage;Vorlagenversion;Techniker:in;Beginn;Ende;Dauer (s);Ergebnis;Fehlgeschlagener Schritt;Fehler;Versuche;Gerätename;Inventarnummer;Einheit';

describe('shift log CSV, excel-de dialect', () => {
  it('has a BOM, semicolons, CRLF and decimal commas, German column titles, and keeps the column order', async () => {
    const buf = await collect((out) => writeShiftLog(source, out, { format: 'csv', dialect: 'excel-de' }));
    expect([...buf.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = buf.toString('utf8').slice(1);
    const lines = text.split('\r\n');
    // Issue 13: a person reads these titles in Excel; the plain CSV keeps the contract's (above).
    expect(lines[0]).toBe(EXCEL_DE_HEADER);
    expect(contractColumnsOfExcelDe(lines[0]!.split(';'))).toEqual([...SHIFT_LOG_COLUMNS]);
    const rows = parse<Record<string, string>>(text, { delimiter: ';', columns: contractColumnsOfExcelDe });
    expect(rows).toHaveLength(1000);
    const done = rows.find((r) => r.run_id === 'run-000000')!;
    expect(done.duration_s).toBe('754,3');
    // Times carry the local offset in this dialect too (issue 13).
    expect(done.started_at).toBe('2026-03-02T06:00:00+01:00');
    expect(done.finished_at).toBe('2026-03-02T06:12:34+01:00');
    expect(done.school).toBe('GS Nord');
    // A value with the separator is quoted, so Excel keeps it in one cell.
    expect(text).toContain('"Realschule am Wehr; Außenstelle"');
    // Umlauts are UTF-8 (with the BOM Excel reads them as such).
    expect(buf.includes(Buffer.from('Müller', 'utf8'))).toBe(true);
  });

  it('guards cells a spreadsheet would run as formulas, in every dialect (issue 8: plain CSV is opened in Excel too)', () => {
    expect(formatCell('=HYPERLINK("x")', CSV_DIALECTS['excel-de'])).toBe(`'=HYPERLINK("x")`);
    expect(formatCell('=HYPERLINK("x")', CSV_DIALECTS.rfc4180)).toBe(`'=HYPERLINK("x")`);
    expect(formatCell(12.5, CSV_DIALECTS['excel-de'])).toBe('12,5');
    expect(formatCell(12.5, CSV_DIALECTS.rfc4180)).toBe('12.5');
    expect(formatCell(null, CSV_DIALECTS.rfc4180)).toBe('');
  });

  it('knows its dialects and refuses others by name', () => {
    expect(parseCsvDialect(undefined)).toBe('rfc4180');
    expect(parseCsvDialect('excel-de')).toBe('excel-de');
    expect(() => parseCsvDialect('excel-fr')).toThrow(/excel-de/);
  });
});

describe('shift log JSON', () => {
  it('has shift, runs with the CSV fields, and the step log', async () => {
    const doc = JSON.parse((await collect((out) => writeShiftLog(source, out, { format: 'json' }))).toString('utf8')) as {
      shift: { id: string; operators: string[]; totals: { total: number; done: number; failed: number; firstPassYield: number | null } };
      runs: Record<string, unknown>[];
      steps: { runId: string; step: string; status: string; attempt: number; startedAt: string; finishedAt: string | null; message: string | null }[];
    };
    expect(doc.shift.id).toBe(seeded.shiftId);
    expect(doc.shift.operators).toEqual(['Anna Müller']);
    expect(doc.shift.totals).toMatchObject({ total: 1000, done: 880, failed: 100, unfinished: 20 });
    // First-pass yield as shared/metrics.ts defines it (issue 13): done in one attempt without a
    // failure, retry or skip (every 7th done run took two attempts), over finished devices (done + failed).
    expect(doc.shift.totals.firstPassYield).toBe(0.769);
    expect(doc.runs).toHaveLength(1000);
    // The CSV's fields in its order, then the blueprint's content hash (JSON only, issue 10).
    expect(Object.keys(doc.runs[0]!)).toEqual([...SHIFT_LOG_COLUMNS, 'blueprint_hash']);
    expect(doc.runs[0]!.blueprint_hash).toMatch(/^[0-9a-f]{64}$/);
    const stepsOf9 = doc.steps.filter((s) => s.runId === 'run-000009');
    // school-ipad checks the battery before erase since the iOS driver's steps (the seed fails at erase by id).
    expect(stepsOf9.map((s) => `${s.step}:${s.status}`)).toEqual(['identify:done', 'trust:done', 'battery:done', 'erase:failed']);
    expect(stepsOf9[3]!.message).toBe('Erase failed: device busy');
    expect(Object.keys(doc.steps[0]!)).toEqual(['runId', 'step', 'status', 'attempt', 'startedAt', 'finishedAt', 'message']);
    expect(doc.steps.filter((s) => s.runId === 'run-000024').at(-1)!.status).toBe('running');
  });
});

describe('step log folding', () => {
  it('pairs starts with their outcome, keeps retries apart, and records a skip without a start', () => {
    const ev = (id: number, step: string | null, kind: string, attempt = 1, message: string | null = null) => ({
      id,
      run_id: 'r',
      step,
      kind,
      attempt,
      at: `2026-03-02T05:00:0${id}.000Z`,
      message,
    });
    const steps = stepsOfRun(
      [
        ev(1, null, 'created'),
        ev(2, 'erase', 'start'),
        ev(3, 'erase', 'fail', 1, 'busy'),
        ev(4, 'erase', 'start', 2),
        ev(5, 'erase', 'timeout', 2, 'took too long'),
        ev(6, 'erase', 'skip', 2),
      ],
      'UTC',
    );
    expect(steps.map((s) => [s.step, s.status, s.attempt, s.message])).toEqual([
      ['erase', 'failed', 1, 'busy'],
      ['erase', 'timeout', 2, 'took too long'],
      ['erase', 'skipped', 2, null],
    ]);
    expect(steps[0]!.startedAt).toBe('2026-03-02T05:00:02+00:00');
  });
});

describe('times', () => {
  it('are ISO 8601 with the offset of the zone at that instant (summer and winter)', () => {
    expect(isoWithOffset('2026-01-15T05:00:00.000Z', 'Europe/Berlin')).toBe('2026-01-15T06:00:00+01:00');
    expect(isoWithOffset('2026-07-15T05:00:00.000Z', 'Europe/Berlin')).toBe('2026-07-15T07:00:00+02:00');
    expect(isoWithOffset('2026-07-15T05:00:00.000Z', 'America/New_York')).toBe('2026-07-15T01:00:00-04:00');
    expect(isoWithOffset('2026-07-15T05:00:00.000Z', 'UTC')).toBe('2026-07-15T05:00:00+00:00');
  });
});

describe('shift log PDF', () => {
  it('renders with pdftoppm to pages that are not blank', async () => {
    const file = path.join(tmp.dir, 'shift.pdf');
    await exportShiftToFile(source, file, { format: 'pdf', locale: 'de', timeZone: 'Europe/Berlin' });
    const pdf = fs.readFileSync(file);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
    expect(pages).toBeGreaterThan(20); // summary page + a run table of 1,000 rows
    const prefix = path.join(tmp.dir, 'page');
    execFileSync('pdftoppm', ['-f', '1', '-l', '2', '-r', '40', '-gray', file, prefix]);
    for (const n of ['01', '02']) {
      const pgm = fs.readFileSync(`${prefix}-${n}.pgm`);
      const pixels = pgmPixels(pgm);
      const inked = pixels.filter((v) => v < 160).length;
      expect(inked / pixels.length).toBeGreaterThan(0.01);
    }
    const text = execFileSync('pdftotext', ['-f', '1', '-l', '2', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Schichtprotokoll');
    expect(text).toContain('Geräte pro Stunde');
    expect(text).toContain('Fehlerursachen nach Schritt');
    expect(text).toContain('Erase failed: device busy');
    expect(text).toContain('DMPX00000000');
    // Issue 13: the header names the station as people call it, not by its id.
    const head = execFileSync('pdftotext', ['-layout', '-f', '1', '-l', '1', file, '-'], { encoding: 'utf8' });
    expect(head).toMatch(/Station\s+Bank 3\s/);
    expect(head).not.toContain('st-1');
    // No cell is cut: the long school name wraps inside its column, and each run names its technician.
    const table = execFileSync('pdftotext', ['-f', '2', '-l', '3', file, '-'], { encoding: 'utf8' });
    expect(table).not.toContain('…');
    expect(table).toContain('Techniker:in');
    expect(table).toMatch(/Realschule am\s+Wehr;\s+Außenstelle/);
    expect(table).toMatch(/Anna\s+Müller/);
  });
});

describe('shift log PDF in the station language', () => {
  /** A small shift whose failed runs stored their cause as a catalogue message, as stations since issue 9 do. */
  async function pdfText(locale: 'de' | 'en'): Promise<string> {
    const own = tempDir();
    const shiftSeed = seedShift(path.join(own.dir, 'station.db'), 20);
    try {
      shiftSeed.store.db.prepare(`UPDATE step_events SET message = ? WHERE kind = 'fail'`).run(storedEventMessage(message('sim.erase')));
      const shift = shiftSeed.store.getShift(shiftSeed.shiftId)!;
      const small = new StationShiftLogSource({ log: shiftSeed.log, floor: shiftSeed.floor, stationId: 'st-1', stationName: 'Bank 3' }, shift, {
        timeZone: 'Europe/Berlin',
      });
      const file = path.join(own.dir, `shift-${locale}.pdf`);
      await exportShiftToFile(small, file, { format: 'pdf', locale, timeZone: 'Europe/Berlin' });
      return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    } finally {
      shiftSeed.store.close();
      own.cleanup();
    }
  }

  it('names the failed step by its German label and its cause in German words', async () => {
    const text = await pdfText('de');
    expect(text).toMatch(/Löschen\s+Löschen startet nicht/); // failures by step: label, then cause
    expect(text).toMatch(/Löschen: Löschen startet nicht/); // the failed run's row
    expect(text).not.toMatch(/\berase\b/i); // neither the step id nor the English label
    expect(text).not.toContain('did not start');
  });

  it('names them in English when printed in English', async () => {
    const text = await pdfText('en');
    expect(text).toMatch(/Erase: Erase did not start/);
    expect(text).not.toContain('Löschen');
    expect(text).not.toMatch(/\berase\b/); // the step id (the label is capitalised)
  });

  it('prints in the station setting language unless the reader asks for one', () => {
    const own = tempDir();
    const shiftSeed = seedShift(path.join(own.dir, 'station.db'), 1);
    try {
      expect(stationLanguage(shiftSeed.store)).toBe('de');
      shiftSeed.store.setSetting('language', 'en');
      expect(stationLanguage(shiftSeed.store)).toBe('en');
    } finally {
      shiftSeed.store.close();
      own.cleanup();
    }
  });
});

describe('atomic export file', () => {
  it('leaves no file, not even a partial one, when the export fails', async () => {
    const file = path.join(tmp.dir, 'broken.csv');
    const failing = {
      ...source,
      header: () => source.header(),
      summary: () => source.summary(),
      steps: () => source.steps(),
      words: source.words.bind(source),
      *runs() {
        let n = 0;
        for (const r of source.runs()) {
          if (++n === 500) throw new Error('disk gone');
          yield r;
        }
      },
    };
    await expect(exportShiftToFile(failing, file, { format: 'csv' })).rejects.toThrow('disk gone');
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.includes('broken'))).toEqual([]);
  });
});

/** Pixel values of a binary PGM (P5) as pdftoppm -gray writes it. */
function pgmPixels(buf: Buffer): Uint8Array {
  let pos = 0;
  const fields: string[] = [];
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    let tok = '';
    while (!/\s/.test(String.fromCharCode(buf[pos]!))) tok += String.fromCharCode(buf[pos++]!);
    fields.push(tok);
  }
  return buf.subarray(pos + 1);
}
