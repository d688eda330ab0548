import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { BlueprintLookup } from '../blueprints/blueprint-catalog.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { Operators } from '../shifts/operators.js';
import type { FloorStore } from '../store/floor-store.js';
import type { OrderProgress, OrderStore, ReceiptResult } from '../store/order-store.js';
import { importOrderFile, type OrderImportReport } from './order-import.js';

export interface OrderReceiptDeps {
  readonly orders: OrderStore;
  readonly floorStore: FloorStore;
  readonly operators: Operators;
  readonly clock: Clock;
  readonly blueprints: Pick<BlueprintLookup, 'names'>;
  /** New orders may list devices already plugged in and waiting: they start. */
  startWaitingDevices?(): number;
}

/** Order files in, goods receipt of scanned serials, and each order's progress. */
export class OrderReceipt {
  constructor(private readonly deps: OrderReceiptDeps) {}

  private now(): string {
    return isoTime(this.deps.clock.now());
  }

  importOrders(csv: string | Uint8Array, fileName: string | null): OrderImportReport {
    const who = this.deps.operators.who();
    const report = importOrderFile(this.deps.orders, csv, { fileName, knownBlueprints: new Set(this.deps.blueprints.names()), now: this.now(), ...who });
    this.deps.floorStore.recordAction({
      at: this.now(),
      action: report.ok ? 'orders-import' : 'orders-import-refused',
      ...who,
      detail: `${fileName ?? '(upload)'}: ${report.ok ? `${report.orders} orders, ${report.serials} serials` : `${report.issues.length} problems`}`,
    });
    if (report.ok) this.deps.startWaitingDevices?.();
    return report;
  }

  orderProgress(): OrderProgress[] {
    return this.deps.orders.progress();
  }

  receiveSerial(serial: string, orderId: string | null): ReceiptResult {
    if (orderId && !this.deps.orders.getOrder(orderId)) throw new AppError('not_found', message('order.not-found', { orderId }));
    const r = this.deps.orders.receive(serial, orderId, this.now(), this.deps.operators.who());
    this.deps.operators.recordAction('receipt', { serial, detail: `${r.status}${r.orderId ? ` ${r.orderId}` : ''}` });
    return r;
  }
}
