import type { Writable } from 'node:stream';
import type { QuarantineRecord } from '../store/floor-store.js';
import { writeCsv } from './shift-log-csv.js';
import { isoWithOffset, localTimeZone, type CsvDialect } from './shift-log.js';

export const QUARANTINE_COLUMNS = [
  'serial',
  'model',
  'customer',
  'school',
  'order_id',
  'kind',
  'step',
  'reason',
  'quarantined_at',
  'operator',
  'shift_id',
  'run_id',
  'released_at',
  'release_note',
] as const;

/** The quarantine / return list as CSV (same dialects as the shift log). */
export async function writeQuarantineCsv(
  list: readonly QuarantineRecord[],
  out: Writable,
  dialect: CsvDialect = 'rfc4180',
  tz = localTimeZone(),
): Promise<void> {
  const rows = list.map((q) => [
    q.serial,
    q.model,
    q.customer,
    q.school,
    q.orderId,
    q.kind,
    q.step,
    q.reason,
    isoWithOffset(q.at, tz),
    q.operator,
    q.shiftId,
    q.runId,
    q.releasedAt ? isoWithOffset(q.releasedAt, tz) : null,
    q.releaseNote,
  ]);
  await writeCsv(QUARANTINE_COLUMNS, rows, out, dialect);
}
