import { message, type Message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import type { CurrentBatch } from '../../shared/contract/floor-api.js';
import type { Platform } from '../../shared/contract/run-state.js';
import type { BlueprintLookup } from '../blueprints/blueprint-catalog.js';
import type { Operators } from '../shifts/operators.js';
import type { FloorStore } from '../store/floor-store.js';
import type { OrderStore } from '../store/order-store.js';
import type { StationStore } from '../store/station-store.js';

/** A device's assignment: the blueprint and what the run records about customer, school and order. */
export interface Assignment {
  source: 'order' | 'batch' | 'default';
  blueprint: Blueprint;
  blueprintId: number;
  captured: Record<string, string>;
}

export type AssignmentResult = { ok: true; assignment: Assignment } | { ok: false; code: 'needs_assignment' | 'quarantined'; text: Message };

export interface DeviceAssignmentDeps {
  readonly store: StationStore;
  readonly orders: OrderStore;
  readonly floorStore: FloorStore;
  readonly operators: Operators;
  readonly blueprints: BlueprintLookup;
  /** Starts the run of a plugged device that waited for an assignment. */
  startWaitingDevice(serial: string): void;
  /** Tries again every plugged device that could not start; answers how many started. */
  startWaitingDevices(): number;
  /** The current batch changed: renderers show it. */
  batchChanged(): void;
}

export type BatchChoice = { orderId: string } | { blueprint: string; customer: string; school: string } | { clear: true };

/** Which order, blueprint and school a plugged device gets: its order, the current batch, the default, or the tile asks. */
export class DeviceAssignment {
  constructor(private readonly deps: DeviceAssignmentDeps) {}

  /** An order with this id was imported (a scanned order barcode). */
  hasOrder(orderId: string): boolean {
    return this.deps.orders.getOrder(orderId) !== null;
  }

  currentBatch(): CurrentBatch | null {
    const raw = this.deps.store.getSetting('current_batch');
    return raw ? (JSON.parse(raw) as CurrentBatch) : null;
  }

  setCurrentBatch(p: BatchChoice): CurrentBatch | null {
    return this.chooseBatch(p).batch;
  }

  /** Sets the current batch, then starts every plugged device that waited for one and fits it. */
  chooseBatch(p: BatchChoice): { batch: CurrentBatch | null; started: number } {
    let batch: CurrentBatch | null;
    if ('clear' in p) batch = null;
    else if ('orderId' in p) {
      const o = this.deps.orders.getOrder(p.orderId);
      if (!o) throw new AppError('not_found', message('order.not-found', { orderId: p.orderId }));
      batch = { orderId: o.id, blueprint: o.blueprint, customer: o.customer, school: o.school };
    } else {
      if (!this.deps.blueprints.byName(p.blueprint))
        throw new AppError('bad_request', message('order.unknown-blueprint', { blueprint: p.blueprint, known: this.deps.blueprints.names().join(', ') }));
      batch = { orderId: null, blueprint: p.blueprint, customer: p.customer, school: p.school };
    }
    this.deps.store.setSetting('current_batch', batch ? JSON.stringify(batch) : '');
    this.deps.operators.recordAction('current-batch', { detail: batch ? `${batch.orderId ?? batch.blueprint} / ${batch.school}` : '(none)' });
    this.deps.batchChanged();
    return { batch, started: batch ? this.deps.startWaitingDevices() : 0 };
  }

  /**
   * What a plugged device gets, with no click: its order's blueprint and school when its serial is
   * in an order; else the station's current batch; else, on a station without orders, the default
   * blueprint of its platform; else the tile asks.
   */
  assignmentFor(serial: string, platform: Platform): AssignmentResult {
    const { orders, blueprints } = this.deps;
    if (this.deps.floorStore.isQuarantined(serial)) {
      return { ok: false, code: 'quarantined', text: message('order.device-quarantined', { serial }) };
    }
    const listed = orders.orderOfSerial(serial);
    if (listed) {
      const order = orders.getOrder(listed.orderId)!;
      const bp = blueprints.byName(order.blueprint);
      if (!bp) return { ok: false, code: 'needs_assignment', text: message('order.blueprint-missing', { orderId: order.id, blueprint: order.blueprint }) };
      if (bp.blueprint.platform !== platform) {
        return {
          ok: false,
          code: 'needs_assignment',
          text: message('order.platform-mismatch', {
            serial,
            orderId: order.id,
            blueprint: order.blueprint,
            blueprintPlatform: bp.blueprint.platform,
            platform,
          }),
        };
      }
      return {
        ok: true,
        assignment: { source: 'order', ...bp, blueprintId: bp.id, captured: orderCaptured(order.id, order.customer, order.school, listed.assetTag) },
      };
    }
    const batch = this.currentBatch();
    if (batch) {
      const bp = blueprints.byName(batch.blueprint);
      if (bp && bp.blueprint.platform === platform) {
        return {
          ok: true,
          assignment: { source: 'batch', ...bp, blueprintId: bp.id, captured: orderCaptured(batch.orderId, batch.customer, batch.school, null) },
        };
      }
    }
    if (orders.listOrders().length === 0 && !batch) {
      const bp = blueprints.defaultFor(platform);
      if (bp) {
        const school = this.deps.store.getSetting('default_school');
        return { ok: true, assignment: { source: 'default', ...bp, blueprintId: bp.id, captured: school ? { school } : {} } };
      }
    }
    return {
      ok: false,
      code: 'needs_assignment',
      text: batch ? message('order.other-batch', { serial, blueprint: batch.blueprint, platform }) : message('order.no-batch', { serial }),
    };
  }

  /** The tile's answer: this device belongs to that order (it joins the order's serials). */
  assignDevice(serial: string, orderId: string): void {
    const { orders } = this.deps;
    const order = orders.getOrder(orderId);
    if (!order) throw new AppError('not_found', message('order.not-found', { orderId }));
    const listed = orders.orderOfSerial(serial);
    if (listed && listed.orderId !== orderId) throw new AppError('conflict', message('order.in-other-order', { serial, orderId: listed.orderId }));
    if (!listed) orders.assignSerial(serial, orderId);
    this.deps.operators.recordAction('assign', { serial, detail: orderId });
    this.deps.startWaitingDevice(serial);
  }
}

function orderCaptured(orderId: string | null, customer: string, school: string, assetTag: string | null): Record<string, string> {
  const c: Record<string, string> = { customer, school };
  if (orderId) c.orderId = orderId;
  if (assetTag) c.assetTag = assetTag;
  return c;
}
