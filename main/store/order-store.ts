import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** An order as the CSV states it (CONTRACT.md "Order import"). */
export interface OrderFields {
  id: string;
  customer: string;
  school: string;
  blueprint: string;
  deadline: string;
  /** From a row with an empty serial; null when the order only lists serials. */
  quantity: number | null;
}

export interface OrderRecord extends OrderFields {
  importedAt: string;
}

export interface OrderProgress extends OrderRecord {
  expected: number;
  received: number;
  missing: number;
  unexpected: number;
  configured: number;
  packed: number;
}

export interface OrderImportWrite {
  fileName: string | null;
  sha256: string;
  rows: number;
  orders: (OrderFields & { serials: { serial: string; assetTag: string | null }[] })[];
}

export type ReceiptStatus = 'expected' | 'assigned' | 'unexpected' | 'duplicate';

export interface ReceiptResult {
  serial: string;
  status: ReceiptStatus;
  /** The order the serial belongs to (or was scanned against, when unexpected). */
  orderId: string | null;
  receivedAt: string;
}

type Row = Record<string, unknown>;

function toOrder(r: Row): OrderRecord {
  return {
    id: String(r.id),
    customer: String(r.customer),
    school: String(r.school),
    blueprint: String(r.blueprint),
    deadline: String(r.deadline),
    quantity: (r.quantity as number | null) ?? null,
    importedAt: String(r.imported_at),
  };
}

/** Orders and goods receipt (issue 5): all SQL for them, each method one transaction. */
export class OrderStore {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      orderOfSerial: p('SELECT order_id AS orderId, asset_tag AS assetTag FROM order_serials WHERE serial = ?'),
      getOrder: p('SELECT * FROM orders WHERE id = ?'),
      listOrders: p('SELECT * FROM orders ORDER BY deadline, id'),
      insertImport: p('INSERT INTO order_imports (file_name, sha256, rows, imported_at, shift_id, operator) VALUES (?, ?, ?, ?, ?, ?)'),
      upsertOrder: p(`INSERT INTO orders (id, customer, school, blueprint, deadline, quantity, import_id, imported_at)
        VALUES (@id, @customer, @school, @blueprint, @deadline, @quantity, @importId, @now)
        ON CONFLICT (id) DO UPDATE SET deadline = excluded.deadline, quantity = coalesce(excluded.quantity, quantity),
          import_id = excluded.import_id`),
      insertSerial: p(`INSERT INTO order_serials (serial, order_id, asset_tag, source) VALUES (?, ?, ?, ?)
        ON CONFLICT (serial) DO UPDATE SET asset_tag = coalesce(excluded.asset_tag, asset_tag) WHERE order_id = excluded.order_id`),
      assignSerial: p("INSERT INTO order_serials (serial, order_id, asset_tag, source) VALUES (?, ?, NULL, 'receipt')"),
      serialCount: p('SELECT count(*) AS n FROM order_serials WHERE order_id = ?'),
      getReceipt: p('SELECT * FROM goods_receipts WHERE serial = ?'),
      insertReceipt: p('INSERT INTO goods_receipts (serial, order_id, expected, received_at, shift_id, operator) VALUES (?, ?, ?, ?, ?, ?)'),
      progress: p(`SELECT o.*,
          (SELECT count(*) FROM order_serials s WHERE s.order_id = o.id) AS listed,
          (SELECT count(*) FROM goods_receipts g WHERE g.order_id = o.id AND g.expected = 1) AS received,
          (SELECT count(*) FROM goods_receipts g WHERE g.order_id = o.id AND g.expected = 0) AS unexpected,
          (SELECT count(DISTINCT r.serial) FROM runs r WHERE r.state = 'done' AND json_extract(r.captured, '$.orderId') = o.id) AS configured,
          (SELECT count(*) FROM unit_items u JOIN runs r ON r.id = u.run_id
             WHERE u.removed_at IS NULL AND json_extract(r.captured, '$.orderId') = o.id) AS packed
        FROM orders o ORDER BY o.deadline, o.id`),
      missing: p(`SELECT s.serial FROM order_serials s LEFT JOIN goods_receipts g ON g.serial = s.serial
        WHERE s.order_id = ? AND g.serial IS NULL ORDER BY s.serial`),
      unexpectedOf: p('SELECT serial FROM goods_receipts WHERE expected = 0 AND order_id IS ? ORDER BY received_at'),
      blueprintNames: p('SELECT DISTINCT name FROM blueprints'),
    };
  }

  /** The order a serial is listed in, with its asset tag. */
  orderOfSerial(serial: string): { orderId: string; assetTag: string | null } | null {
    return (this.s.orderOfSerial!.get(serial) as { orderId: string; assetTag: string | null } | undefined) ?? null;
  }

  /** Lists a serial no order had in an order: the technician's answer to a tile that asked. */
  assignSerial(serial: string, orderId: string): void {
    this.s.assignSerial!.run(serial, orderId);
  }

  getOrder(id: string): OrderRecord | null {
    const r = this.s.getOrder!.get(id) as Row | undefined;
    return r ? toOrder(r) : null;
  }

  listOrders(): OrderRecord[] {
    return (this.s.listOrders!.all() as Row[]).map(toOrder);
  }

  /** Blueprint names the database has seen (for validating order files without a running station). */
  blueprintNames(): string[] {
    return (this.s.blueprintNames!.all() as { name: string }[]).map((r) => r.name);
  }

  /** Writes a validated import, all of it in one transaction; importing the same file again changes nothing. */
  importOrders(
    write: OrderImportWrite,
    now: string,
    who: { shiftId: string | null; operator: string | null },
  ): { importId: number; orders: number; serials: number; newSerials: number } {
    return this.db.transaction(() => {
      const importId = Number(this.s.insertImport!.run(write.fileName, write.sha256, write.rows, now, who.shiftId, who.operator).lastInsertRowid);
      let serials = 0;
      let newSerials = 0;
      for (const o of write.orders) {
        this.s.upsertOrder!.run({ ...o, importId, now });
        for (const s of o.serials) {
          if (!this.s.orderOfSerial!.get(s.serial)) newSerials++;
          this.s.insertSerial!.run(s.serial, o.id, s.assetTag, 'import');
          serials++;
        }
      }
      return { importId, orders: write.orders.length, serials, newSerials };
    })();
  }

  /**
   * Goods receipt of one scanned serial. Listed serials count as received for their order; an
   * unknown serial scanned against an order known only by quantity joins it while there is room;
   * anything else is recorded as unexpected. Scanning the same serial again changes nothing.
   */
  receive(serial: string, againstOrder: string | null, now: string, who: { shiftId: string | null; operator: string | null }): ReceiptResult {
    return this.db.transaction((): ReceiptResult => {
      const prev = this.s.getReceipt!.get(serial) as Row | undefined;
      if (prev) return { serial, status: 'duplicate', orderId: (prev.order_id as string | null) ?? null, receivedAt: String(prev.received_at) };
      const listed = this.orderOfSerial(serial);
      if (listed) {
        this.s.insertReceipt!.run(serial, listed.orderId, 1, now, who.shiftId, who.operator);
        return { serial, status: 'expected', orderId: listed.orderId, receivedAt: now };
      }
      const order = againstOrder ? this.getOrder(againstOrder) : null;
      if (order?.quantity != null) {
        const n = (this.s.serialCount!.get(order.id) as { n: number }).n;
        if (n < order.quantity) {
          this.s.insertSerial!.run(serial, order.id, null, 'receipt');
          this.s.insertReceipt!.run(serial, order.id, 1, now, who.shiftId, who.operator);
          return { serial, status: 'assigned', orderId: order.id, receivedAt: now };
        }
      }
      this.s.insertReceipt!.run(serial, order?.id ?? null, 0, now, who.shiftId, who.operator);
      return { serial, status: 'unexpected', orderId: order?.id ?? null, receivedAt: now };
    })();
  }

  /** Expected / received / missing / unexpected / configured / packed per order. */
  progress(): OrderProgress[] {
    return (this.s.progress!.all() as Row[]).map((r) => {
      const o = toOrder(r);
      const listed = Number(r.listed);
      const expected = Math.max(o.quantity ?? 0, listed);
      const received = Number(r.received);
      return {
        ...o,
        expected,
        received,
        missing: Math.max(0, expected - received),
        unexpected: Number(r.unexpected),
        configured: Number(r.configured),
        packed: Number(r.packed),
      };
    });
  }

  /** Listed serials of an order not received yet. */
  missingSerials(orderId: string): string[] {
    return (this.s.missing!.all(orderId) as { serial: string }[]).map((r) => r.serial);
  }

  /** Serials scanned against an order (or, with null, against none) that no order lists. */
  unexpectedSerials(orderId: string | null): string[] {
    return (this.s.unexpectedOf!.all(orderId) as { serial: string }[]).map((r) => r.serial);
  }
}
