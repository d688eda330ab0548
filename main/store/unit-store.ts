import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { outboxRecord } from './outbox-record.js';
import type { Who } from './floor-store.js';

export type UnitKind = 'box' | 'cart';

export interface UnitRecord {
  id: string;
  kind: UnitKind;
  school: string;
  customer: string | null;
  orderId: string | null;
  capacity: number | null;
  state: 'open' | 'closed';
  createdAt: string;
  closedAt: string | null;
  count: number;
}

export interface UnitItemRecord {
  unitId: string;
  serial: string;
  runId: string;
  packedAt: string;
  operator: string | null;
  deviceName: string | null;
  assetTag: string | null;
  model: string | null;
  orderId: string | null;
}

type Row = Record<string, unknown>;

function toUnit(r: Row): UnitRecord {
  return {
    id: String(r.id),
    kind: r.kind as UnitKind,
    school: String(r.school),
    customer: (r.customer as string | null) ?? null,
    orderId: (r.order_id as string | null) ?? null,
    capacity: (r.capacity as number | null) ?? null,
    state: r.state as UnitRecord['state'],
    createdAt: String(r.created_at),
    closedAt: (r.closed_at as string | null) ?? null,
    count: Number(r.count ?? 0),
  };
}

/** Packing units and what is in them (issue 5). */
export class UnitStore {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    const withCount = `SELECT u.*, (SELECT count(*) FROM unit_items i WHERE i.unit_id = u.id AND i.removed_at IS NULL) AS count FROM units u`;
    this.s = {
      insert: p(`INSERT INTO units (id, kind, school, customer, order_id, capacity, state, created_at, shift_id, operator)
        VALUES (@id, @kind, @school, @customer, @orderId, @capacity, 'open', @now, @shiftId, @operator)`),
      get: p(`${withCount} WHERE u.id = ?`),
      list: p(`${withCount} WHERE (? IS NULL OR u.state = ?) ORDER BY u.created_at DESC LIMIT ?`),
      items: p(`SELECT i.unit_id, i.serial, i.run_id, i.packed_at, i.operator, d.model,
          json_extract(r.captured, '$.deviceName') AS device_name, json_extract(r.captured, '$.assetTag') AS asset_tag,
          json_extract(r.captured, '$.orderId') AS order_id
        FROM unit_items i JOIN runs r ON r.id = i.run_id LEFT JOIN devices d ON d.serial = i.serial
        WHERE i.unit_id = ? AND i.removed_at IS NULL ORDER BY i.packed_at, i.id`),
      unitOfSerial: p('SELECT unit_id AS unitId FROM unit_items WHERE serial = ? AND removed_at IS NULL'),
      addItem: p(`INSERT INTO unit_items (unit_id, serial, run_id, packed_at, shift_id, operator) VALUES (?, ?, ?, ?, ?, ?)`),
      removeItem: p('UPDATE unit_items SET removed_at = ? WHERE unit_id = ? AND serial = ? AND removed_at IS NULL'),
      itemOutbox: p("INSERT INTO outbox (kind, payload, created_at) VALUES ('unit.item', ?, ?)"),
      stationId: p("SELECT value FROM settings WHERE key = 'station_id'"),
      setState: p('UPDATE units SET state = ?, closed_at = ? WHERE id = ?'),
    };
  }

  create(
    u: { id: string; kind: UnitKind; school: string; customer: string | null; orderId: string | null; capacity: number | null },
    who: Who,
    now: string,
  ): UnitRecord {
    this.s.insert!.run({ ...u, now, ...who });
    return this.get(u.id)!;
  }

  get(id: string): UnitRecord | null {
    const r = this.s.get!.get(id) as Row | undefined;
    return r ? toUnit(r) : null;
  }

  list(state: 'open' | 'closed' | null, limit = 200): UnitRecord[] {
    return (this.s.list!.all(state, state, limit) as Row[]).map(toUnit);
  }

  items(unitId: string): UnitItemRecord[] {
    return (this.s.items!.all(unitId) as Row[]).map((r) => ({
      unitId: String(r.unit_id),
      serial: String(r.serial),
      runId: String(r.run_id),
      packedAt: String(r.packed_at),
      operator: (r.operator as string | null) ?? null,
      deviceName: (r.device_name as string | null) ?? null,
      assetTag: (r.asset_tag as string | null) ?? null,
      model: (r.model as string | null) ?? null,
      orderId: (r.order_id as string | null) ?? null,
    }));
  }

  unitOfSerial(serial: string): string | null {
    return (this.s.unitOfSerial!.get(serial) as { unitId: string } | undefined)?.unitId ?? null;
  }

  addItem(unitId: string, serial: string, runId: string, who: Who, now: string): void {
    this.db.transaction(() => {
      this.s.addItem!.run(unitId, serial, runId, now, who.shiftId, who.operator);
      this.itemToOutbox(unitId, serial, runId, true, now);
    })();
  }

  removeItem(unitId: string, serial: string, now: string): boolean {
    return this.db.transaction(() => {
      const removed = this.s.removeItem!.run(now, unitId, serial).changes > 0;
      if (removed) this.itemToOutbox(unitId, serial, null, false, now);
      return removed;
    })();
  }

  /** The hub's copy of a device packed into a unit or taken out again (its export names the unit), in the same transaction. */
  private itemToOutbox(unitId: string, serial: string, runId: string | null, packed: boolean, now: string): void {
    const stationId = (this.s.stationId!.get() as { value: string } | undefined)?.value ?? '';
    this.s.itemOutbox!.run(outboxRecord({ type: 'unit.item', stationId, at: now, unitId, serial, runId, packed }).payload, now);
  }

  setState(id: string, state: 'open' | 'closed', now: string): void {
    this.s.setState!.run(state, state === 'closed' ? now : null, id);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
