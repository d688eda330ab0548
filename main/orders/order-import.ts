import crypto from 'node:crypto';
import type { OrderStore } from '../store/order-store.js';
import { parseOrderCsv, type OrderCsvIssue } from './order-csv.js';

/** The validation report of an order import: what was imported, or every bad line and nothing imported. */
export interface OrderImportReport {
  ok: boolean;
  fileName: string | null;
  rows: number;
  orders: number;
  serials: number;
  /** Serials this import added (an import of the same file again adds none). */
  newSerials: number;
  issues: OrderCsvIssue[];
}

export interface OrderImportOptions {
  fileName: string | null;
  knownBlueprints: ReadonlySet<string>;
  now: string;
  shiftId: string | null;
  operator: string | null;
}

/**
 * Validates an order file against the station (known blueprints, serials in other orders) and
 * imports it in one transaction, or imports nothing and reports every problem.
 */
export function importOrderFile(store: OrderStore, input: string | Uint8Array, opts: OrderImportOptions): OrderImportReport {
  const parsed = parseOrderCsv(input, {
    knownBlueprints: opts.knownBlueprints,
    orderOfSerial: (serial) => store.orderOfSerial(serial)?.orderId ?? null,
    existingOrder: (id) => store.getOrder(id),
  });
  if (!parsed.ok) return { ok: false, fileName: opts.fileName, rows: 0, orders: 0, serials: 0, newSerials: 0, issues: parsed.issues };
  const sha256 = crypto.createHash('sha256').update(input).digest('hex');
  const result = store.importOrders(
    {
      fileName: opts.fileName,
      sha256,
      rows: parsed.rows,
      orders: parsed.orders.map((o) => ({ ...o, serials: o.serials.map((s) => ({ serial: s.serial, assetTag: s.assetTag })) })),
    },
    opts.now,
    { shiftId: opts.shiftId, operator: opts.operator },
  );
  return { ok: true, fileName: opts.fileName, rows: parsed.rows, orders: result.orders, serials: result.serials, newSerials: result.newSerials, issues: [] };
}
