/**
 * The station's first schema. Times are ISO 8601 strings in UTC; deadlines are epoch
 * milliseconds because the pipeline compares them with the clock.
 */
export const migration001 = `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE blueprints (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  hash        TEXT NOT NULL,
  definition  TEXT NOT NULL,
  source_path TEXT,
  loaded_at   TEXT NOT NULL,
  UNIQUE (name, version)
) STRICT;

CREATE TABLE slots (
  label     TEXT PRIMARY KEY,
  port_path TEXT NOT NULL UNIQUE,
  position  INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  serial     TEXT PRIMARY KEY,
  family     TEXT NOT NULL,
  platform   TEXT NOT NULL,
  model      TEXT NOT NULL,
  os_version TEXT,
  port_path  TEXT,
  present    INTEGER NOT NULL DEFAULT 0,
  first_seen TEXT NOT NULL,
  last_seen  TEXT NOT NULL
) STRICT;

CREATE TABLE operators (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  badge      TEXT UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE shifts (
  id        TEXT PRIMARY KEY,
  opened_at TEXT NOT NULL,
  closed_at TEXT
) STRICT;
CREATE UNIQUE INDEX one_open_shift ON shifts ((closed_at IS NULL)) WHERE closed_at IS NULL;

CREATE TABLE shift_operators (
  shift_id    TEXT NOT NULL REFERENCES shifts (id),
  operator_id INTEGER NOT NULL REFERENCES operators (id),
  joined_at   TEXT NOT NULL,
  left_at     TEXT,
  PRIMARY KEY (shift_id, operator_id, joined_at)
) STRICT;

CREATE TABLE runs (
  id             TEXT PRIMARY KEY,
  serial         TEXT NOT NULL REFERENCES devices (serial),
  blueprint_id   INTEGER NOT NULL REFERENCES blueprints (id),
  shift_id       TEXT NOT NULL REFERENCES shifts (id),
  slot           TEXT,
  operator       TEXT,
  state          TEXT NOT NULL,
  phase          TEXT NOT NULL,
  step_index     INTEGER NOT NULL,
  attempt        INTEGER NOT NULL,
  attempts_total INTEGER NOT NULL,
  deadline_at    INTEGER,
  waiting_reason TEXT,
  waiting_message TEXT,
  error_code     TEXT,
  error_message  TEXT,
  failed_step    TEXT,
  captured       TEXT NOT NULL DEFAULT '{}',
  started_at     TEXT NOT NULL,
  finished_at    TEXT,
  updated_at     TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_shift ON runs (shift_id);
CREATE INDEX runs_by_serial ON runs (serial, started_at);
-- A device has at most one run that is not finished: a restart can never start it twice.
CREATE UNIQUE INDEX one_open_run_per_device ON runs (serial) WHERE state NOT IN ('done', 'cancelled');

CREATE TABLE step_events (
  id         INTEGER PRIMARY KEY,
  run_id     TEXT NOT NULL REFERENCES runs (id),
  shift_id   TEXT NOT NULL REFERENCES shifts (id),
  step_index INTEGER,
  step       TEXT,
  kind       TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  at         TEXT NOT NULL,
  message    TEXT
) STRICT;
CREATE INDEX step_events_by_run ON step_events (run_id, id);
CREATE INDEX step_events_by_shift ON step_events (shift_id, id);

-- Transactional outbox: seq is the per-station sequence the hub acknowledges (AUTOINCREMENT so a
-- deleted, acknowledged seq is never handed out again).
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

-- The simulated hub's devices survive a crash the way real plugged-in devices would.
CREATE TABLE sim_devices (
  serial     TEXT PRIMARY KEY,
  platform   TEXT NOT NULL,
  model      TEXT NOT NULL,
  os_version TEXT NOT NULL,
  port_path  TEXT NOT NULL,
  plugged    INTEGER NOT NULL,
  fail_at    TEXT,
  state      TEXT NOT NULL DEFAULT '{}'
) STRICT;
`;
