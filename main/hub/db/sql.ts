import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** A value a query parameter or a result column can hold in both databases. */
export type SqlValue = string | number | null;
export type SqlRow = Record<string, SqlValue>;
/** A query parameter: a value, or (PostgreSQL only, e.g. `= ANY($1::text[])`) a list of strings. */
export type SqlParam = SqlValue | readonly string[];

export type Dialect = 'sqlite' | 'postgres';

/**
 * What the hub's store needs from a database: queries written once, with PostgreSQL's `$1`
 * placeholders, run against SQLite or PostgreSQL. Integers that may exceed 2^31 (times, sequences)
 * come back as JS numbers from both.
 */
export interface SqlClient {
  all<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  get<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** Runs a statement; answers the number of rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

export interface SqlDatabase extends SqlClient {
  readonly dialect: Dialect;
  /** A short description for logs, without credentials. */
  readonly description: string;
  /** Runs fn in one transaction; it commits when fn resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Runs several reads on one consistent state of the database (never half of a transaction). */
  read<T>(fn: (q: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class DatabaseConfigError extends Error {
  override name = 'DatabaseConfigError';
}

// ---- SQLite --------------------------------------------------------------------------------------

/** `$1` -> `@p1`: better-sqlite3 binds named parameters from an object. */
function toSqliteSql(sql: string): string {
  return sql.replace(/\$(\d+)/g, '@p$1');
}

function toSqliteParams(params: readonly SqlParam[]): Record<string, SqlValue> {
  const named: Record<string, SqlValue> = {};
  if (params.some((v) => Array.isArray(v))) throw new TypeError('SQLite takes no list parameters');
  params.forEach((v, i) => {
    named[`p${i + 1}`] = v as SqlValue;
  });
  return named;
}

class SqliteClient implements SqlClient {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(protected readonly db: Database.Database) {}

  private prepare(sql: string): Database.Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(toSqliteSql(sql));
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, stmt);
    }
    return stmt;
  }

  async all<T extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    const stmt = this.prepare(sql);
    // A statement without RETURNING gives no rows (as on PostgreSQL) rather than an error.
    if (!stmt.reader) {
      stmt.run(toSqliteParams(params));
      return [];
    }
    return stmt.all(toSqliteParams(params)) as T[];
  }

  async get<T extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.prepare(sql).get(toSqliteParams(params)) as T | undefined;
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const stmt = this.prepare(sql);
    if (!stmt.reader) return stmt.run(toSqliteParams(params)).changes;
    stmt.all(toSqliteParams(params));
    return 0;
  }

  /** For migrations: several statements at once. */
  exec(sql: string): void {
    this.db.exec(sql);
  }
}

interface PendingTransaction {
  fn: (tx: SqlClient) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * SQLite through better-sqlite3, which is synchronous. Transactions are queued and committed in
 * groups: every transaction requested in the same turn of the event loop runs in one SQLite
 * transaction, each inside its own savepoint (so one that throws is rolled back alone), and the
 * group pays for one fsync. A second request's statements never land inside another's savepoint,
 * because the group runs its members one after another.
 */
class SqliteDatabase extends SqliteClient implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private queue: PendingTransaction[] = [];
  private scheduled = false;
  private tail: Promise<void> = Promise.resolve();
  /** What a transaction's function gets: the same connection, outside the queue. */
  private readonly inner: SqliteClient;

  constructor(
    db: Database.Database,
    readonly description: string,
  ) {
    super(db);
    this.inner = new SqliteClient(db);
  }

  /** Reads queue like transactions: on one connection that is the only way to never see half of one. */
  read<T>(fn: (q: SqlClient) => Promise<T>): Promise<T> {
    return this.transaction(fn);
  }

  /** A write outside a transaction is its own transaction, so it never lands inside a group. */
  override run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.tail = this.tail.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const item of group) {
        this.db.exec('SAVEPOINT tx');
        try {
          const value = await item.fn(this.inner);
          this.db.exec('RELEASE tx');
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.db.exec('ROLLBACK TO tx');
          this.db.exec('RELEASE tx');
          outcomes.push({ ok: false, error });
        }
      }
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const item of group) item.reject(err);
      return;
    }
    group.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
  }

  async close(): Promise<void> {
    while (this.scheduled || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.tail;
    this.db.close();
  }
}

/**
 * synchronous=FULL: the hub acknowledges a batch only after it is on disk, and the station then
 * deletes it; an acknowledged event lost in a power cut would be lost for good.
 */
export function openSqlite(file: string): SqlDatabase & { exec(sql: string): void } {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return new SqliteDatabase(db, `sqlite ${file}`);
}

// ---- PostgreSQL ----------------------------------------------------------------------------------

// int8 and numeric columns arrive as strings by default; every such value the hub stores (epoch ms,
// sequences, counts) fits in a double exactly.
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    // pg-types declares its parsers as returning any.
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

class PgClient implements SqlClient {
  constructor(protected readonly q: pg.Pool | pg.PoolClient) {}

  async all<T extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    const res = await this.q.query({ text: sql, values: params as SqlParam[], types: pgTypes });
    return res.rows as T[];
  }

  async get<T extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const res = await this.q.query({ text: sql, values: params as SqlParam[], types: pgTypes });
    return res.rowCount ?? 0;
  }
}

class PgDatabase extends PgClient implements SqlDatabase {
  readonly dialect = 'postgres' as const;

  constructor(
    readonly pool: pg.Pool,
    readonly description: string,
    readonly connectionString: string,
  ) {
    super(pool);
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.within('BEGIN', fn);
  }

  /** A consistent snapshot for reads that span several queries. */
  read<T>(fn: (q: SqlClient) => Promise<T>): Promise<T> {
    return this.within('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  /** Runs fn on one pooled connection inside a transaction opened by `begin`; rolls back on error. */
  private async within<T>(begin: string, fn: (q: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      const value = await fn(new PgClient(client));
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export type PgDatabaseHandle = SqlDatabase & { readonly pool: pg.Pool; readonly connectionString: string };

/** A pool on a postgres:// URL; `options=-c search_path=...` in the URL selects a schema. */
export function openPostgres(url: string, poolSize = 10): PgDatabaseHandle {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError(`--db must be a postgres://user:password@host:port/database URL; got "${url}".`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseConfigError(`--db must start with postgres:// (or be left out for SQLite); got "${parsed.protocol}".`);
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its connection (database restart) must not crash the hub.
  pool.on('error', () => undefined);
  const where = `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  return new PgDatabase(pool, `postgres ${where}`, url);
}

export function isPostgresUrl(value: string | undefined): boolean {
  return !!value && /^postgres(ql)?:\/\//.test(value);
}
