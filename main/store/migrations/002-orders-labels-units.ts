/**
 * Issue 5: orders and goods receipt, packing units, quarantine, label jobs, shift hand-over and
 * the operator on every step event and technician action. Times are ISO 8601 strings in UTC.
 */
export const migration002 = `
-- Each accepted order file, whole: an import with any bad row writes nothing at all.
CREATE TABLE order_imports (
  id          INTEGER PRIMARY KEY,
  file_name   TEXT,
  sha256      TEXT NOT NULL,
  rows        INTEGER NOT NULL,
  imported_at TEXT NOT NULL,
  shift_id    TEXT,
  operator    TEXT
) STRICT;

CREATE TABLE orders (
  id          TEXT PRIMARY KEY,
  customer    TEXT NOT NULL,
  school      TEXT NOT NULL,
  blueprint   TEXT NOT NULL,
  deadline    TEXT NOT NULL,
  -- Expected device count from a row without serial; null when the order lists its serials.
  quantity    INTEGER,
  import_id   INTEGER NOT NULL REFERENCES order_imports (id),
  imported_at TEXT NOT NULL
) STRICT;

-- Expected serials: from the import, or assigned at goods receipt to an order known by quantity.
CREATE TABLE order_serials (
  serial    TEXT PRIMARY KEY,
  order_id  TEXT NOT NULL REFERENCES orders (id),
  asset_tag TEXT,
  source    TEXT NOT NULL CHECK (source IN ('import', 'receipt'))
) STRICT;
CREATE INDEX order_serials_by_order ON order_serials (order_id);

-- Goods receipt: each serial scanned off a delivery, once. order_id is null when it is in no order.
CREATE TABLE goods_receipts (
  serial      TEXT PRIMARY KEY,
  order_id    TEXT REFERENCES orders (id),
  expected    INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  shift_id    TEXT,
  operator    TEXT
) STRICT;
CREATE INDEX goods_receipts_by_order ON goods_receipts (order_id);

-- Packing units (box, cart) for one school.
CREATE TABLE units (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('box', 'cart')),
  school      TEXT NOT NULL,
  customer    TEXT,
  order_id    TEXT,
  capacity    INTEGER,
  state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  created_at  TEXT NOT NULL,
  closed_at   TEXT,
  shift_id    TEXT,
  operator    TEXT
) STRICT;

CREATE TABLE unit_items (
  id         INTEGER PRIMARY KEY,
  unit_id    TEXT NOT NULL REFERENCES units (id),
  serial     TEXT NOT NULL,
  run_id     TEXT NOT NULL REFERENCES runs (id),
  packed_at  TEXT NOT NULL,
  removed_at TEXT,
  shift_id   TEXT,
  operator   TEXT
) STRICT;
-- A device is in at most one unit at a time.
CREATE UNIQUE INDEX one_unit_per_device ON unit_items (serial) WHERE removed_at IS NULL;
CREATE INDEX unit_items_by_unit ON unit_items (unit_id);
CREATE INDEX unit_items_by_run ON unit_items (run_id);

-- Quarantine / returns: set aside with a reason; released with a note.
CREATE TABLE quarantine (
  id           INTEGER PRIMARY KEY,
  serial       TEXT NOT NULL,
  run_id       TEXT,
  kind         TEXT NOT NULL CHECK (kind IN ('hardware', 'technician')),
  step         TEXT,
  reason       TEXT NOT NULL,
  at           TEXT NOT NULL,
  shift_id     TEXT,
  operator     TEXT,
  released_at  TEXT,
  release_note TEXT
) STRICT;
CREATE UNIQUE INDEX one_open_quarantine ON quarantine (serial) WHERE released_at IS NULL;

-- Labels sent to a printer (device labels, unit labels, manifests), for reprint and audit.
CREATE TABLE label_jobs (
  id        INTEGER PRIMARY KEY,
  kind      TEXT NOT NULL CHECK (kind IN ('device', 'unit')),
  run_id    TEXT,
  unit_id   TEXT,
  serial    TEXT,
  template  TEXT NOT NULL,
  printer   TEXT NOT NULL,
  status    TEXT NOT NULL CHECK (status IN ('printed', 'failed')),
  error     TEXT,
  at        TEXT NOT NULL,
  shift_id  TEXT,
  operator  TEXT
) STRICT;
CREATE INDEX label_jobs_by_run ON label_jobs (run_id);

-- Every technician action (retry, skip, cancel, quarantine, pack, reopen, reprint, receipt ...).
CREATE TABLE operator_actions (
  id        INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  shift_id  TEXT,
  operator  TEXT,
  action    TEXT NOT NULL,
  run_id    TEXT,
  serial    TEXT,
  unit_id   TEXT,
  detail    TEXT
) STRICT;
CREATE INDEX operator_actions_by_shift ON operator_actions (shift_id, id);

-- Runs in flight when a shift closed, handed over to the next: counted only where they finish.
CREATE TABLE shift_carryovers (
  run_id     TEXT NOT NULL REFERENCES runs (id),
  from_shift TEXT NOT NULL REFERENCES shifts (id),
  to_shift   TEXT NOT NULL REFERENCES shifts (id),
  state      TEXT NOT NULL,
  at         TEXT NOT NULL,
  PRIMARY KEY (run_id, from_shift)
) STRICT;
CREATE INDEX shift_carryovers_to ON shift_carryovers (to_shift);

-- Every step event records its shift and operator: those of its run when it is written, so the
-- events of a run handed over to the next shift land in that shift.
ALTER TABLE step_events ADD COLUMN operator TEXT;
CREATE TRIGGER step_events_shift_operator AFTER INSERT ON step_events
BEGIN
  UPDATE step_events
     SET shift_id = coalesce((SELECT shift_id FROM runs WHERE id = NEW.run_id), NEW.shift_id),
         operator = coalesce(NEW.operator, (SELECT operator FROM runs WHERE id = NEW.run_id))
   WHERE id = NEW.id;
END;

CREATE INDEX runs_by_shift_started ON runs (shift_id, started_at);
`;
