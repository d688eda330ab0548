import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { SHIFT_LOG_COLUMNS, type CsvDialect, type ShiftLogColumn, type ShiftLogRun } from './shift-log.js';

export interface CsvDialectSpec {
  delimiter: string;
  bom: boolean;
  decimal: '.' | ',';
}

/**
 * rfc4180: comma, UTF-8 without BOM, CRLF, quotes only where needed: what scripts parse.
 * excel-de: what a German Excel opens as columns on double-click: semicolon, UTF-8 BOM (or Excel
 * reads ANSI and breaks umlauts), decimal comma.
 * In both, no text cell is one that a spreadsheet would run as a formula (formatCell).
 */
export const CSV_DIALECTS: Record<CsvDialect, CsvDialectSpec> = {
  rfc4180: { delimiter: ',', bom: false, decimal: '.' },
  'excel-de': { delimiter: ';', bom: true, decimal: ',' },
};

/** What a spreadsheet reads as the start of a formula: = + - @, or a tab or CR before one. */
export const FORMULA_START = /^[=+\-@\t\r]/;

export function parseCsvDialect(value: string | undefined): CsvDialect {
  if (value === undefined || value === '' || value === 'rfc4180' || value === 'csv') return 'rfc4180';
  if (value === 'excel-de') return 'excel-de';
  throw new RangeError(`Unknown CSV dialect "${value}": use excel-de, or leave it out for RFC 4180.`);
}

/**
 * The one way every CSV the product writes (shift log, quarantine list, unit manifests, dead
 * letters) turns a value into a cell. A text cell that a spreadsheet would run as a formula
 * (`=HYPERLINK(...)` in a device name, a serial, an operator) gets a leading apostrophe, in every
 * dialect: a file written for scripts is opened in Excel just as often. Numbers stay numbers.
 */
export function formatCell(value: string | number | null, spec: CsvDialectSpec): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    const s = String(value);
    return spec.decimal === ',' ? s.replace('.', ',') : s;
  }
  if (FORMULA_START.test(value)) return `'${value}`;
  return value;
}

export type CsvValue = string | number | null;

function* formatted(rows: Iterable<readonly CsvValue[]>, spec: CsvDialectSpec): Generator<string[]> {
  for (const row of rows) yield row.map((v) => formatCell(v, spec));
}

/**
 * Every CSV the product writes goes through here: the header row, the dialect, CRLF, and each
 * cell through formatCell. Streams into `out` (and ends it), honouring backpressure.
 */
export async function writeCsv(columns: readonly string[], rows: Iterable<readonly CsvValue[]>, out: Writable, dialect: CsvDialect): Promise<void> {
  const spec = CSV_DIALECTS[dialect];
  const stringifier = stringify({ header: true, columns: [...columns], delimiter: spec.delimiter, bom: spec.bom, record_delimiter: '\r\n' });
  await pipeline(Readable.from(formatted(rows, spec), { objectMode: true }), stringifier, out);
}

function* runRows(runs: Iterable<ShiftLogRun>): Generator<CsvValue[]> {
  for (const run of runs) yield SHIFT_LOG_COLUMNS.map((c) => run[c]);
}

/**
 * The shift log's column titles in the excel-de dialect: a person opens that file in German Excel
 * and reads the titles. Same columns in the same order; scripts read the plain CSV, whose titles
 * are the contract's (CONTRACT.md).
 */
export const EXCEL_DE_TITLES: Readonly<Record<ShiftLogColumn, string>> = {
  run_id: 'Lauf-ID',
  station: 'Station',
  shift_id: 'Schicht',
  slot: 'Steckplatz',
  serial: 'Seriennummer',
  family: 'Gerätefamilie',
  model: 'Modell',
  os_version: 'Betriebssystem',
  customer: 'Kunde',
  school: 'Schule',
  order_id: 'Auftrag',
  blueprint: 'Vorlage',
  blueprint_version: 'Vorlagenversion',
  operator: 'Techniker:in',
  started_at: 'Beginn',
  finished_at: 'Ende',
  duration_s: 'Dauer (s)',
  result: 'Ergebnis',
  failed_step: 'Fehlgeschlagener Schritt',
  error: 'Fehler',
  attempts: 'Versuche',
  device_name: 'Gerätename',
  asset_tag: 'Inventarnummer',
  unit_id: 'Einheit',
};

/** Streams the runs as CSV into `out` (and ends it), in the contract's column order; excel-de titles them in German. */
export async function writeShiftCsv(runs: Iterable<ShiftLogRun>, out: Writable, dialect: CsvDialect): Promise<void> {
  const titles = dialect === 'excel-de' ? SHIFT_LOG_COLUMNS.map((c) => EXCEL_DE_TITLES[c]) : SHIFT_LOG_COLUMNS;
  await writeCsv(titles, runRows(runs), out, dialect);
}
