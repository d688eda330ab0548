/**
 * Hardening (issue 8): events the hub refused for good. They leave the outbox so later events are
 * not held up behind them, and are kept here for the supervisor (header count, export).
 */
export const migration003 = `
CREATE TABLE dead_letters (
  seq         INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  code        TEXT NOT NULL,
  message     TEXT NOT NULL,
  rejected_at TEXT NOT NULL,
  -- 'hub': the hub stored it as its dead letter too; 'station': refused alone after halving, the hub has a gap.
  source      TEXT NOT NULL CHECK (source IN ('hub', 'station'))
) STRICT;
CREATE INDEX dead_letters_by_time ON dead_letters (rejected_at);
`;
