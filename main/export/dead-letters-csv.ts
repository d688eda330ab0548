import type { Writable } from 'node:stream';
import type { CsvDialect, ShiftLogDeadLetter } from './shift-log.js';
import { writeCsv, type CsvValue } from './shift-log-csv.js';

export const DEAD_LETTER_COLUMNS = ['seq', 'kind', 'created_at', 'rejected_at', 'code', 'message', 'source', 'payload'] as const;

function* rows(letters: Iterable<ShiftLogDeadLetter>): Generator<CsvValue[]> {
  for (const l of letters) yield [l.seq, l.kind, l.createdAt, l.rejectedAt, l.code, l.message, l.source, JSON.stringify(l.payload)];
}

/** The events the hub refused, one row each, with the event itself as JSON in `payload` (same dialects as the shift log). */
export async function writeDeadLettersCsv(letters: Iterable<ShiftLogDeadLetter>, out: Writable, dialect: CsvDialect): Promise<void> {
  await writeCsv(DEAD_LETTER_COLUMNS, rows(letters), out, dialect);
}
