import type { IngestBody, RejectedEvent } from '../../../shared/contract/hub-api.js';
import { tokenHash } from '../credentials.js';
import { isDataError, multiRow, num, parseMs } from '../db/rows.js';
import type { SqlClient, SqlDatabase, SqlValue } from '../db/sql.js';
import { AppError } from '../../../shared/contract/errors.js';
import { message } from '../../../shared/messages/catalogue.js';
import { deadLettersAmong, storeDeadLetters } from './dead-letters.js';
import { escapeControlCharacters, escapeSnapshotStrings, validateBatch, type DeadEvent, type ParsedEvent } from './event-validation.js';
import { IngestQueue } from './ingest-queue.js';
import { projectEvents } from './projections.js';

/** The PostgreSQL NOTIFY channel that carries "station X changed" between hub instances. */
export const HUB_CHANNEL = 'benchline_hub';

export interface IngestResult {
  ackSeq: number;
  /** The hub's id of the station that sent. */
  stationKey: string;
  stationName: string;
  stored: number;
  duplicates: number;
  /** Events of this batch that are dead letters (set aside now, or by an earlier copy of the batch). */
  rejected: RejectedEvent[];
  /** Set when the station reports acknowledged events this database never had. */
  warning: string | null;
}

interface PendingIngest {
  stationHash: string;
  body: IngestBody;
  events: ParsedEvent[];
  dead: DeadEvent[];
  offset: number | null;
  now: number;
  resolve: (r: IngestResult) => void;
  reject: (err: unknown) => void;
}

/** A batch of a group that passed the token checks, with what writing it found out. */
interface Accepted {
  item: PendingIngest;
  key: string;
  name: string;
  createdAt: number;
  ack: number;
  maxSeq: number;
  offset: number;
  warning: string | null;
  fresh: ParsedEvent[];
  /** Seqs of dead letters this batch added: they count as received like stored events. */
  freshDead: number[];
  dead: DeadEvent[];
}

/**
 * Writes stations' batches: validates each event, stores the valid ones idempotently by (station,
 * seq), sets the others aside as dead letters, applies the projections, and answers the highest
 * seq received without a gap (stored or set aside). Replays and overlaps are ignored; events after a
 * gap are kept and counted once the gap is filled.
 *
 * When the database refuses a value the validation let through, the group is written again one
 * batch and one event at a time, and the event it refuses becomes a dead letter (event_unstorable)
 * rather than an error every retry hits again.
 */
export class IngestWriter {
  private readonly queue: IngestQueue<PendingIngest>;

  constructor(
    private readonly db: SqlDatabase,
    private readonly committed: (stationKey: string) => void,
  ) {
    this.queue = new IngestQueue(db.dialect === 'postgres' ? 4 : 1, (group) => this.writeGroup(group));
  }

  async ingest(token: string | undefined, body: IngestBody, now = Date.now()): Promise<IngestResult> {
    if (!token) throw new AppError('unauthorized', message('hub.station-token-missing'));
    const batch = validateBatch(body);
    return new Promise<IngestResult>((resolve, reject) => {
      this.queue.add({ stationHash: tokenHash(token), body, ...batch, offset: body.sentAt ? now - parseMs(body.sentAt) : null, now, resolve, reject });
    });
  }

  private async writeGroup(group: PendingIngest[]): Promise<void> {
    try {
      this.settle(group, await this.inTransaction(group, false));
    } catch (err) {
      if (!isDataError(err)) {
        for (const item of group) item.reject(err);
        return;
      }
      // One value the database refuses must not fail the others: each batch again, event by event.
      for (const item of group) {
        try {
          this.settle([item], await this.inTransaction([item], true));
        } catch (again) {
          item.reject(again);
        }
      }
    }
  }

  private inTransaction(group: PendingIngest[], eventByEvent: boolean): Promise<Map<PendingIngest, IngestResult | Error>> {
    return this.db.transaction(async (tx) => {
      const outcome = new Map<PendingIngest, IngestResult | Error>();
      await this.write(tx, group, outcome, eventByEvent);
      return outcome;
    });
  }

  private settle(group: PendingIngest[], outcome: Map<PendingIngest, IngestResult | Error>): void {
    for (const item of group) {
      const o = outcome.get(item);
      if (o instanceof Error || o === undefined) {
        item.reject(o ?? new Error('ingest: no outcome'));
      } else {
        item.resolve(o);
        this.committed(o.stationKey);
      }
    }
  }

  /** The batches whose token is known and bound to the station that sent them. */
  private async authorize(tx: SqlClient, group: PendingIngest[], outcome: Map<PendingIngest, IngestResult | Error>): Promise<Accepted[]> {
    const hashes = [...new Set(group.map((g) => g.stationHash))];
    const columns = 'id, name, token_hash, station_uuid, ack_seq, max_seq, clock_offset_ms, created_at';
    const rows =
      this.db.dialect === 'postgres'
        ? await tx.all(`SELECT ${columns} FROM stations WHERE token_hash = ANY($1::text[]) FOR UPDATE`, [hashes])
        : (await Promise.all(hashes.map((h) => tx.get(`SELECT ${columns} FROM stations WHERE token_hash = $1`, [h])))).filter((r) => r !== undefined);
    const byHash = new Map(rows.map((r) => [String(r.token_hash), r]));
    const accepted: Accepted[] = [];
    for (const item of group) {
      const st = byHash.get(item.stationHash);
      if (!st) {
        outcome.set(item, new AppError('unauthorized', message('hub.station-token-unknown')));
        continue;
      }
      const key = String(st.id);
      const name = String(st.name);
      const uuid = item.body.stationId;
      if (st.station_uuid === null) {
        const other = await tx.get('SELECT name FROM stations WHERE station_uuid = $1', [uuid]);
        if (other) {
          outcome.set(item, new AppError('conflict', message('hub.station-id-taken', { stationId: uuid, name: String(other.name), tokenName: name })));
          continue;
        }
        await tx.run('UPDATE stations SET station_uuid = $1 WHERE id = $2', [uuid, key]);
      } else if (st.station_uuid !== uuid) {
        outcome.set(item, new AppError('forbidden', message('hub.token-other-station', { name, boundId: String(st.station_uuid), stationId: uuid })));
        continue;
      }
      let ack = num(st.ack_seq);
      let warning: string | null = null;
      const acked = item.body.acked;
      if (acked !== undefined && acked > ack) {
        warning = `Station "${name}" had events up to seq ${acked} acknowledged before, but this hub holds them only up to ${ack}; seq ${ack + 1}..${acked} are not in this hub's database and cannot be sent again.`;
        ack = acked;
      }
      accepted.push({
        item,
        key,
        name,
        createdAt: num(st.created_at),
        ack,
        maxSeq: num(st.max_seq),
        offset: item.offset ?? num(st.clock_offset_ms),
        warning,
        fresh: [],
        freshDead: [],
        dead: [...item.dead],
      });
    }
    return accepted;
  }

  private async write(tx: SqlClient, group: PendingIngest[], outcome: Map<PendingIngest, IngestResult | Error>, eventByEvent: boolean): Promise<void> {
    const accepted = await this.authorize(tx, group, outcome);
    if (accepted.length === 0) return;

    if (eventByEvent) for (const a of accepted) await this.storeOneByOne(tx, a);
    else await this.storeTogether(tx, accepted);
    for (const a of accepted) {
      a.freshDead = await storeDeadLetters(
        tx,
        this.db.dialect,
        a.key,
        a.dead.filter((d) => d.seq > a.ack),
        a.item.now,
      );
    }

    for (const a of accepted) {
      const seqs = [...a.fresh.map((e) => e.seq), ...a.freshDead].sort((x, y) => x - y);
      const contiguous = a.maxSeq <= a.ack && seqs.every((seq, i) => seq === a.ack + i + 1);
      a.maxSeq = Math.max(a.maxSeq, seqs.at(-1) ?? 0);
      // Nothing was received beyond the old ack but this contiguous run: no need to look.
      a.ack = contiguous ? a.ack + seqs.length : await this.advanceAck(tx, a.key, a.ack);
    }

    await this.storeSnapshots(tx, accepted);

    // Every station's new state in one statement (the rows exist, so the upsert only updates). On
    // PostgreSQL it also tells every hub instance, delivered at commit.
    const notify = this.db.dialect === 'postgres' ? `, pg_notify('${HUB_CHANNEL}', id)` : '';
    for (let i = 0; i < accepted.length; i += 200) {
      await multiRow(
        tx,
        this.db.dialect,
        'INSERT INTO stations (id, name, token_hash, created_at, last_seen, ack_seq, max_seq, clock_offset_ms, backlog, version, reported_name) VALUES',
        accepted
          .slice(i, i + 200)
          .map((a) => [
            a.key,
            a.name,
            a.item.stationHash,
            a.createdAt,
            a.item.now,
            a.ack,
            a.maxSeq,
            a.offset,
            a.item.body.backlog ?? null,
            a.item.body.version ?? null,
            a.item.body.name ?? null,
          ]),
        `ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, ack_seq = excluded.ack_seq, max_seq = excluded.max_seq,
           clock_offset_ms = excluded.clock_offset_ms, backlog = excluded.backlog, version = coalesce(excluded.version, stations.version),
           reported_name = coalesce(excluded.reported_name, stations.reported_name)
         RETURNING id${notify}`,
      );
    }
    for (const a of accepted) {
      const received = a.fresh.length + a.freshDead.length;
      // Only a batch with events not new this time can name dead letters of an earlier copy.
      const total = a.item.events.length + a.item.dead.length;
      const rejected =
        received === total && a.freshDead.length === 0
          ? []
          : await deadLettersAmong(tx, a.key, [...a.item.events.map((e) => e.seq), ...a.item.dead.map((d) => d.seq)]);
      outcome.set(a.item, {
        ackSeq: a.ack,
        stationKey: a.key,
        stationName: a.name,
        stored: a.fresh.length,
        duplicates: total - received,
        rejected,
        warning: a.warning,
      });
    }
  }

  /** Events of the whole group in a few multi-row statements; what the insert returns is what was new. */
  private async storeTogether(tx: SqlClient, accepted: Accepted[]): Promise<void> {
    const candidates = accepted.flatMap((a) => a.item.events.filter((e) => e.seq > a.ack).map((e) => ({ a, e })));
    const stored = new Set<string>();
    for (let i = 0; i < candidates.length; i += 200) {
      const chunk = candidates.slice(i, i + 200);
      const inserted = await multiRow(
        tx,
        this.db.dialect,
        'INSERT INTO events (station_id, seq, kind, at, received_at, payload) VALUES',
        chunk.map(({ a, e }) => [a.key, e.seq, e.kind, e.at, a.item.now, e.raw]),
        'ON CONFLICT (station_id, seq) DO NOTHING RETURNING station_id, seq',
      );
      for (const r of inserted) stored.add(`${String(r.station_id)}|${num(r.seq)}`);
    }
    for (const { a, e } of candidates) if (stored.has(`${a.key}|${e.seq}`)) a.fresh.push(e);
    await projectEvents(
      tx,
      this.db.dialect,
      accepted.map((a) => ({ key: a.key, events: a.fresh, offset: a.offset })),
    );
  }

  /** Each event with its projections inside its own savepoint: one the database refuses becomes a dead letter. */
  private async storeOneByOne(tx: SqlClient, a: Accepted): Promise<void> {
    for (const e of a.item.events) {
      if (e.seq <= a.ack) continue;
      await tx.run('SAVEPOINT ingest_event');
      try {
        const inserted = await tx.all(
          'INSERT INTO events (station_id, seq, kind, at, received_at, payload) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (station_id, seq) DO NOTHING RETURNING seq',
          [a.key, e.seq, e.kind, e.at, a.item.now, e.raw],
        );
        if (inserted.length > 0) {
          await projectEvents(tx, this.db.dialect, [{ key: a.key, events: [e], offset: a.offset }]);
          a.fresh.push(e);
        }
        await tx.run('RELEASE SAVEPOINT ingest_event');
      } catch (err) {
        await tx.run('ROLLBACK TO SAVEPOINT ingest_event');
        await tx.run('RELEASE SAVEPOINT ingest_event');
        if (!isDataError(err)) throw err;
        const text = `{"seq":${e.seq},"kind":${JSON.stringify(e.kind)},"at":${JSON.stringify(e.at)},"payload":${e.raw}}`;
        a.dead.push({
          seq: e.seq,
          code: 'event_unstorable',
          message: escapeControlCharacters(`The hub's database refused seq ${e.seq} (${e.kind}): ${(err as Error).message}`),
          payload: escapeControlCharacters(text),
        });
      }
    }
  }

  /** What the station knows of its devices and its orders: descriptions, replaced with every snapshot. */
  private async storeSnapshots(tx: SqlClient, accepted: Accepted[]): Promise<void> {
    const devices = new Map<string, SqlValue[]>();
    for (const a of accepted) {
      for (const d of escapeSnapshotStrings(a.item.body.devices ?? [])) devices.set(`${a.key}|${d.serial}`, [a.key, d.serial, d.family, d.model, d.osVersion]);
    }
    const deviceRows = [...devices.values()];
    for (let i = 0; i < deviceRows.length; i += 200) {
      await multiRow(
        tx,
        this.db.dialect,
        'INSERT INTO devices (station_id, serial, family, model, os_version) VALUES',
        deviceRows.slice(i, i + 200),
        'ON CONFLICT (station_id, serial) DO UPDATE SET family = excluded.family, model = excluded.model, os_version = excluded.os_version',
      );
    }
    for (const a of accepted) {
      if (a.item.body.orders === undefined) continue;
      const orders = escapeSnapshotStrings(a.item.body.orders);
      // A snapshot replaces the station's previous one: orders it no longer has disappear.
      await tx.run('DELETE FROM order_progress WHERE station_id = $1', [a.key]);
      for (let i = 0; i < orders.length; i += 200) {
        await multiRow(
          tx,
          this.db.dialect,
          'INSERT INTO order_progress (station_id, order_id, customer, school, blueprint, deadline, expected, received, configured, packed, updated_at) VALUES',
          orders
            .slice(i, i + 200)
            .map((o) => [a.key, o.id, o.customer, o.school, o.blueprint, o.deadline, o.expected, o.received, o.configured, o.packed, a.item.now]),
          '',
        );
      }
    }
  }

  /** The highest seq from `from` on with no gap below it, counting stored events and dead letters. */
  private async advanceAck(tx: SqlClient, key: string, from: number): Promise<number> {
    let ack = from;
    for (;;) {
      const rows = await tx.all<{ seq: number }>(
        `SELECT seq FROM (SELECT seq FROM events WHERE station_id = $1 AND seq > $2 UNION SELECT seq FROM dead_letters WHERE station_id = $1 AND seq > $2) received
         ORDER BY seq LIMIT 1000`,
        [key, ack],
      );
      let advanced = 0;
      for (const r of rows) {
        if (Number(r.seq) !== ack + 1) return ack;
        ack += 1;
        advanced += 1;
      }
      if (advanced < 1000) return ack;
    }
  }
}
