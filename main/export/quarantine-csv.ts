import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { QuarantineRecord } from '../store/floor-store.js';
import { CSV_DIALECTS, formatCell } from './shift-log-csv.js';
import { isoWithOffset, localTimeZone, type CsvDialect } from './shift-log.js';

export const QUARANTINE_COLUMNS = [
  'serial', 'model', 'customer', 'school', 'order_id', 'kind', 'step', 'reason', 'quarantined_at', 'operator', 'shift_id', 'run_id', 'released_at', 'release_note',
] as const;

/** The quarantine / return list as CSV (same dialects as the shift log). */
export async function writeQuarantineCsv(list: readonly QuarantineRecord[], out: Writable, dialect: CsvDialect = 'rfc4180', tz = localTimeZone()): Promise<void> {
  const spec = CSV_DIALECTS[dialect];
  const rows = list.map((q) =>
    [q.serial, q.model, q.customer, q.school, q.orderId, q.kind, q.step, q.reason, isoWithOffset(q.at, tz), q.operator, q.shiftId, q.runId, q.releasedAt ? isoWithOffset(q.releasedAt, tz) : null, q.releaseNote].map((v) =>
      formatCell(v ?? null, spec),
    ),
  );
  const s = stringify({ header: true, columns: [...QUARANTINE_COLUMNS], delimiter: spec.delimiter, bom: spec.bom, record_delimiter: '\r\n' });
  await pipeline(Readable.from(rows, { objectMode: true }), s, out);
}
