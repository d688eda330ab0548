import type { Writable } from 'node:stream';
import { writeFileAtomically } from './atomic-file.js';
import { writeShiftCsv } from './shift-log-csv.js';
import { writeShiftJson } from './shift-log-json.js';
import { writeShiftPdf, type PdfLocale } from './shift-log-pdf.js';
import type { CsvDialect, ShiftLogFormat, ShiftLogSource } from './shift-log.js';

export interface ShiftExportOptions {
  format: ShiftLogFormat;
  dialect?: CsvDialect;
  locale?: PdfLocale;
  timeZone?: string;
}

export const EXPORT_FORMATS: readonly ShiftLogFormat[] = ['csv', 'json', 'pdf'];

export function contentTypeOf(opts: ShiftExportOptions): string {
  if (opts.format === 'csv') return 'text/csv; charset=utf-8';
  if (opts.format === 'json') return 'application/json; charset=utf-8';
  return 'application/pdf';
}

/** A download name such as "schicht-20260302-0600-ab12.csv". */
export function exportFileName(shiftId: string, opts: ShiftExportOptions): string {
  const safe = shiftId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `schicht-${safe}${opts.dialect === 'excel-de' ? '-excel' : ''}.${opts.format}`;
}

/** Writes a shift's log to a stream in the chosen format, and ends the stream. */
export async function writeShiftLog(source: ShiftLogSource, out: Writable, opts: ShiftExportOptions): Promise<void> {
  if (opts.format === 'csv') return writeShiftCsv(source.runs(), out, opts.dialect ?? 'rfc4180');
  if (opts.format === 'json') return writeShiftJson(source, out);
  return writeShiftPdf(source, out, { locale: opts.locale ?? 'de', timeZone: opts.timeZone });
}

/** Writes a shift's log to a file, complete or not at all. */
export async function exportShiftToFile(source: ShiftLogSource, file: string, opts: ShiftExportOptions): Promise<void> {
  await writeFileAtomically(file, (out) => writeShiftLog(source, out, opts));
}
