import type { SqlDatabase } from './sql.js';

/**
 * The hub's schema, one entry per version. The same SQL runs on SQLite and PostgreSQL (BIGINT has
 * integer affinity in SQLite); an entry may carry a dialect-specific variant where they differ.
 * Times the hub measures itself are epoch milliseconds; times reported by a station keep the
 * station's ISO text (for the export) next to its epoch value corrected for the station's clock.
 */
export interface HubMigration {
  version: number;
  sql: string;
  postgres?: string;
}

export const HUB_MIGRATIONS: readonly HubMigration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- A registered station. id is the hub's; station_uuid is the station's own id, bound on its first
-- report, so a token copied to a second station is refused instead of mixing two sequences.
CREATE TABLE stations (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  token_hash      TEXT NOT NULL UNIQUE,
  station_uuid    TEXT UNIQUE,
  created_at      BIGINT NOT NULL,
  last_seen       BIGINT,
  ack_seq         BIGINT NOT NULL DEFAULT 0,
  max_seq         BIGINT NOT NULL DEFAULT 0,
  clock_offset_ms BIGINT NOT NULL DEFAULT 0,
  backlog         BIGINT,
  version         TEXT
);

-- Every outbox record a station sent, once: the stream the counts and the export are made from.
CREATE TABLE events (
  station_id  TEXT NOT NULL REFERENCES stations (id),
  seq         BIGINT NOT NULL,
  kind        TEXT NOT NULL,
  at          TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  payload     TEXT NOT NULL,
  PRIMARY KEY (station_id, seq)
);

-- Projections of the stream, each row guarded by the seq that last wrote it, so events applied
-- out of order or twice leave the same result.
CREATE TABLE shifts (
  station_id TEXT NOT NULL REFERENCES stations (id),
  shift_id   TEXT NOT NULL,
  opened_at  TEXT NOT NULL,
  opened_ms  BIGINT NOT NULL,
  closed_at  TEXT,
  operators  TEXT NOT NULL DEFAULT '[]',
  last_seq   BIGINT NOT NULL,
  PRIMARY KEY (station_id, shift_id)
);

CREATE TABLE runs (
  station_id        TEXT NOT NULL REFERENCES stations (id),
  run_id            TEXT NOT NULL,
  shift_id          TEXT NOT NULL,
  serial            TEXT NOT NULL,
  slot              TEXT,
  operator          TEXT,
  blueprint         TEXT NOT NULL,
  blueprint_version BIGINT NOT NULL,
  state             TEXT NOT NULL,
  step              TEXT,
  step_index        BIGINT NOT NULL,
  attempts          BIGINT NOT NULL,
  error_code        TEXT,
  error_message     TEXT,
  failed_step       TEXT,
  captured          TEXT NOT NULL DEFAULT '{}',
  started_at        TEXT NOT NULL,
  started_ms        BIGINT NOT NULL,
  finished_at       TEXT,
  finished_ms       BIGINT,
  updated_at        TEXT NOT NULL,
  updated_ms        BIGINT NOT NULL,
  ever_failed       BIGINT NOT NULL DEFAULT 0,
  first_seq         BIGINT NOT NULL,
  last_seq          BIGINT NOT NULL,
  PRIMARY KEY (station_id, run_id)
);
CREATE INDEX runs_by_shift ON runs (station_id, shift_id, state);
CREATE INDEX runs_by_finish ON runs (finished_ms);
CREATE INDEX runs_by_start ON runs (started_ms);

CREATE TABLE step_events (
  station_id TEXT NOT NULL REFERENCES stations (id),
  seq        BIGINT NOT NULL,
  idx        BIGINT NOT NULL,
  run_id     TEXT NOT NULL,
  shift_id   TEXT NOT NULL,
  step_index BIGINT,
  step       TEXT,
  kind       TEXT NOT NULL,
  attempt    BIGINT NOT NULL,
  at         TEXT NOT NULL,
  at_ms      BIGINT NOT NULL,
  message    TEXT,
  reason     TEXT,
  PRIMARY KEY (station_id, seq, idx)
);
CREATE INDEX step_events_by_run ON step_events (station_id, run_id, seq, idx);
CREATE INDEX step_events_by_kind ON step_events (kind, at_ms);

CREATE TABLE users (
  username      TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);

-- Supervisor sessions live in the database, so every hub instance behind a load balancer knows them.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
`,
  },
  {
    version: 2,
    sql: `
-- What the station knows of each device (its export joins it): sent along with the batches that name it.
CREATE TABLE devices (
  station_id TEXT NOT NULL REFERENCES stations (id),
  serial     TEXT NOT NULL,
  family     TEXT,
  model      TEXT,
  os_version TEXT,
  PRIMARY KEY (station_id, serial)
);

-- The name the station calls itself (its export's header); the hub's own name for it stays in name.
ALTER TABLE stations ADD COLUMN reported_name TEXT;
`,
  },
  {
    version: 3,
    sql: `
-- Each station's latest view of its orders (expected / received / configured / packed), replaced
-- with every snapshot it sends; the dashboard adds the stations up per order.
CREATE TABLE order_progress (
  station_id TEXT NOT NULL REFERENCES stations (id),
  order_id   TEXT NOT NULL,
  customer   TEXT NOT NULL,
  school     TEXT NOT NULL,
  blueprint  TEXT NOT NULL,
  deadline   TEXT NOT NULL,
  expected   BIGINT NOT NULL,
  received   BIGINT NOT NULL,
  configured BIGINT NOT NULL,
  packed     BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (station_id, order_id)
);
`,
  },
  {
    version: 4,
    sql: `
-- Runs a station handed over from one shift to the next (its export's carried out / carried in).
CREATE TABLE carryovers (
  station_id TEXT NOT NULL REFERENCES stations (id),
  run_id     TEXT NOT NULL,
  from_shift TEXT NOT NULL,
  to_shift   TEXT NOT NULL,
  state      TEXT NOT NULL,
  at         TEXT NOT NULL,
  PRIMARY KEY (station_id, run_id, from_shift)
);
`,
  },
  {
    version: 5,
    sql: `
-- Devices packed into units (a serial taken out again keeps its row, marked removed).
CREATE TABLE unit_items (
  station_id TEXT NOT NULL REFERENCES stations (id),
  unit_id    TEXT NOT NULL,
  serial     TEXT NOT NULL,
  run_id     TEXT,
  removed    BIGINT NOT NULL DEFAULT 0,
  last_seq   BIGINT NOT NULL,
  PRIMARY KEY (station_id, unit_id, serial)
);
CREATE INDEX unit_items_by_run ON unit_items (station_id, run_id);
`,
  },
  {
    version: 6,
    sql: `
-- Events a station sent that the hub could not store (invalid, or refused by the database): kept
-- here instead, counted as received so the station's later events are not blocked behind them.
-- payload is the event as JSON text with control characters escaped.
CREATE TABLE dead_letters (
  station_id  TEXT NOT NULL REFERENCES stations (id),
  seq         BIGINT NOT NULL,
  code        TEXT NOT NULL,
  message     TEXT NOT NULL,
  payload     TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (station_id, seq)
);
`,
  },
  {
    version: 7,
    sql: `
-- The content hash of the resolved blueprint a run executed (issue 10): the same id and version
-- must never have meant two things. NULL for runs of older stations.
ALTER TABLE runs ADD COLUMN blueprint_hash TEXT;
`,
  },
  {
    version: 8,
    sql: `
-- Issue 13 (FLOOR-HUB). A failure event the pipeline retried on its own (1) or one that left the
-- run failed, waiting for a person (0); NULL for other kinds. The Pareto counts failed runs and
-- shows automatic retries apart. Rows stored before: a retry scheduled later in the same
-- transition is what an automatic retry looks like.
ALTER TABLE step_events ADD COLUMN auto_retry BIGINT;
UPDATE step_events SET auto_retry = CASE WHEN EXISTS (
    SELECT 1 FROM step_events r WHERE r.station_id = step_events.station_id AND r.seq = step_events.seq
      AND r.idx > step_events.idx AND r.kind = 'retry-scheduled') THEN 1 ELSE 0 END
  WHERE kind IN ('fail', 'timeout');
-- "Hängen fest": runs waiting for a person, by how long they have not moved.
CREATE INDEX runs_by_state ON runs (state, updated_ms);
`,
  },
];

export class HubSchemaError extends Error {
  override name = 'HubSchemaError';
}

/**
 * Brings the database to the newest schema. On PostgreSQL an advisory lock makes hub instances
 * that start together migrate one after another; SQLite's BEGIN IMMEDIATE does the same.
 */
export async function migrateHub(db: SqlDatabase, migrations: readonly HubMigration[] = HUB_MIGRATIONS): Promise<number> {
  await db.run('CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)');
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(4790)');
    const row = await tx.get<{ v: number | null }>('SELECT max(version) AS v FROM hub_schema');
    const current = Number(row?.v ?? 0);
    const newest = migrations.length === 0 ? 0 : Math.max(...migrations.map((m) => m.version));
    if (current > newest) {
      throw new HubSchemaError(
        `The hub database is at schema ${current}, newer than this version of Benchline knows (${newest}). Update Benchline on this hub.`,
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      const sql = db.dialect === 'postgres' && m.postgres ? m.postgres : m.sql;
      for (const statement of splitStatements(sql)) await tx.run(statement);
      await tx.run('INSERT INTO hub_schema (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
    }
    return newest;
  });
}

/** Statements of a migration, split at semicolons that end a line; comments dropped. */
function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*\n/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter((s) => s.length > 0);
}
