import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { SHIFT_LOG_COLUMNS, type CsvDialect, type ShiftLogRun } from './shift-log.js';

export interface CsvDialectSpec {
  delimiter: string;
  bom: boolean;
  decimal: '.' | ',';
  /** Cells that a spreadsheet would run as a formula get a leading apostrophe. */
  guardFormulas: boolean;
}

/**
 * rfc4180: comma, UTF-8 without BOM, CRLF, quotes only where needed: what scripts parse.
 * excel-de: what a German Excel opens as columns on double-click: semicolon, UTF-8 BOM (or Excel
 * reads ANSI and breaks umlauts), decimal comma, and no cell that Excel would run as a formula.
 */
export const CSV_DIALECTS: Record<CsvDialect, CsvDialectSpec> = {
  rfc4180: { delimiter: ',', bom: false, decimal: '.', guardFormulas: false },
  'excel-de': { delimiter: ';', bom: true, decimal: ',', guardFormulas: true },
};

export function parseCsvDialect(value: string | undefined): CsvDialect {
  if (value === undefined || value === '' || value === 'rfc4180' || value === 'csv') return 'rfc4180';
  if (value === 'excel-de') return 'excel-de';
  throw new RangeError(`Unknown CSV dialect "${value}": use excel-de, or leave it out for RFC 4180.`);
}

export function formatCell(value: string | number | null, spec: CsvDialectSpec): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    const s = String(value);
    return spec.decimal === ',' ? s.replace('.', ',') : s;
  }
  if (spec.guardFormulas && /^[=+\-@\t\r]/.test(value)) return `'${value}`;
  return value;
}

/** The CSV cells of one run, in the contract's column order. */
export function csvCells(run: ShiftLogRun, spec: CsvDialectSpec): string[] {
  return SHIFT_LOG_COLUMNS.map((c) => formatCell(run[c], spec));
}

function* records(runs: Iterable<ShiftLogRun>, spec: CsvDialectSpec): Generator<string[]> {
  for (const run of runs) yield csvCells(run, spec);
}

/** Streams the runs as CSV into `out` (and ends it), honouring backpressure. */
export async function writeShiftCsv(runs: Iterable<ShiftLogRun>, out: Writable, dialect: CsvDialect): Promise<void> {
  const spec = CSV_DIALECTS[dialect];
  const stringifier = stringify({
    header: true,
    columns: [...SHIFT_LOG_COLUMNS],
    delimiter: spec.delimiter,
    bom: spec.bom,
    record_delimiter: '\r\n',
  });
  await pipeline(Readable.from(records(runs, spec), { objectMode: true }), stringifier, out);
}
