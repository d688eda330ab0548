import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { DeadLetter, DeadLetterCode, RejectedEvent } from '../../../shared/contract/hub-api.js';
import { CSV_DIALECTS, formatCell } from '../../export/shift-log-csv.js';
import type { CsvDialect } from '../../export/shift-log.js';
import { iso, multiRow, num, str } from '../db/rows.js';
import type { Dialect, SqlClient, SqlDatabase } from '../db/sql.js';
import type { DeadEvent } from './event-validation.js';

/** Stores dead letters once per (station, seq); answers the seqs that were new. */
export async function storeDeadLetters(tx: SqlClient, dialect: Dialect, stationKey: string, dead: readonly DeadEvent[], now: number): Promise<number[]> {
  const fresh: number[] = [];
  for (let i = 0; i < dead.length; i += 200) {
    const rows = await multiRow(
      tx,
      dialect,
      'INSERT INTO dead_letters (station_id, seq, code, message, payload, received_at) VALUES',
      dead.slice(i, i + 200).map((d) => [stationKey, d.seq, d.code, d.message, d.payload, now]),
      'ON CONFLICT (station_id, seq) DO NOTHING RETURNING seq',
    );
    fresh.push(...rows.map((r) => num(r.seq)));
  }
  return fresh;
}

/** The dead letters among a batch's seqs: a replayed batch is told about them again. */
export async function deadLettersAmong(tx: SqlClient, stationKey: string, seqs: readonly number[]): Promise<RejectedEvent[]> {
  if (seqs.length === 0) return [];
  const wanted = new Set(seqs);
  const rows = await tx.all('SELECT seq, code, message FROM dead_letters WHERE station_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq', [
    stationKey,
    Math.min(...seqs),
    Math.max(...seqs),
  ]);
  return rows.filter((r) => wanted.has(num(r.seq))).map((r) => ({ seq: num(r.seq), code: String(r.code) as DeadLetterCode, message: String(r.message) }));
}

/** Dead letters per station (hub id), for the tiles. */
export async function deadLetterCounts(q: SqlClient): Promise<Map<string, number>> {
  const rows = await q.all('SELECT station_id, count(*) AS n FROM dead_letters GROUP BY station_id');
  return new Map(rows.map((r) => [String(r.station_id), num(r.n)]));
}

/** Dead letters of one station (by the station's own id) or of all, oldest first. */
export async function listDeadLetters(db: SqlDatabase, stationUuid?: string): Promise<DeadLetter[]> {
  const rows = await db.read((q) =>
    q.all(
      `SELECT s.station_uuid, s.name, d.seq, d.code, d.message, d.received_at FROM dead_letters d JOIN stations s ON s.id = d.station_id
       ${stationUuid === undefined ? '' : 'WHERE s.station_uuid = $1'} ORDER BY d.received_at, s.name, d.seq`,
      stationUuid === undefined ? [] : [stationUuid],
    ),
  );
  return rows.map((r) => ({
    stationId: str(r.station_uuid),
    stationName: String(r.name),
    seq: num(r.seq),
    code: String(r.code) as DeadLetterCode,
    message: String(r.message),
    receivedAt: iso(num(r.received_at)),
  }));
}

export const DEAD_LETTER_COLUMNS = ['station_id', 'station_name', 'seq', 'code', 'message', 'received_at'] as const;

/**
 * Dead letters as CSV in the shift log's dialects. Formulas are always guarded: the messages quote
 * what a station sent, and a cell starting with "=" must not run in a spreadsheet.
 */
export async function writeDeadLettersCsv(list: readonly DeadLetter[], out: Writable, dialect: CsvDialect = 'rfc4180'): Promise<void> {
  const spec = { ...CSV_DIALECTS[dialect], guardFormulas: true };
  const rows = list.map((d) => [d.stationId, d.stationName, d.seq, d.code, d.message, d.receivedAt].map((v) => formatCell(v, spec)));
  const s = stringify({ header: true, columns: [...DEAD_LETTER_COLUMNS], delimiter: spec.delimiter, bom: spec.bom, record_delimiter: '\r\n' });
  await pipeline(Readable.from(rows, { objectMode: true }), s, out);
}
