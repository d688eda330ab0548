import type { Dialect, SqlClient, SqlValue } from './sql.js';
import { localDateOf, localTimeZone } from '../../shifts/zoned-time.js';

/** Reading result columns and writing rows the same way on SQLite and PostgreSQL. */

export function num(v: SqlValue | undefined): number {
  return v === null || v === undefined ? 0 : Number(v);
}

export function str(v: SqlValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function parseMs(isoTime: string): number {
  return Date.parse(isoTime);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** YYYY-MM-DD in the hub's time zone. */
export function localDate(ms: number): string {
  return localDateOf(ms, localTimeZone());
}

/**
 * Runs `head`, one ($n, ...) per row, then `tail`: on PostgreSQL one multi-row statement (one round
 * trip); on SQLite, which has no round trips, one cached single-row statement per row (a statement
 * text that changes with the row count would be compiled again every time).
 */
export async function multiRow(
  tx: SqlClient,
  dialect: Dialect,
  head: string,
  rows: readonly (readonly SqlValue[])[],
  tail: string,
): Promise<Record<string, SqlValue>[]> {
  if (rows.length === 0) return [];
  if (dialect === 'sqlite') {
    const first = rows[0]!;
    const sql = `${head} (${first.map((_, j) => `$${j + 1}`).join(', ')}) ${tail}`;
    const out: Record<string, SqlValue>[] = [];
    for (const row of rows) out.push(...(await tx.all(sql, row)));
    return out;
  }
  const params: SqlValue[] = [];
  const values = rows.map((row) => {
    const b = params.length;
    params.push(...row);
    return `(${row.map((_, j) => `$${b + j + 1}`).join(', ')})`;
  });
  return tx.all(`${head} ${values.join(', ')} ${tail}`, params);
}

/**
 * A database error caused by the values of a statement rather than by the database's state:
 * PostgreSQL's data exceptions (class 22: e.g. a NUL byte, a number out of range), integrity
 * violations (23) and program limits (54); SQLite's constraint, type and size errors. Retrying such
 * a write can never succeed, so the hub sets the event aside instead of answering 500 forever.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (/^(22|23|54)[0-9A-Z]{3}$/.test(code)) return true;
  return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code);
}
