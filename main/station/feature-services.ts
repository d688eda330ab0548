import type { BlueprintLookup } from '../blueprints/blueprint-catalog.js';
import { LabelPrinting } from '../labels/label-printing.js';
import type { Logger } from '../logging/logger.js';
import { DeviceAssignment } from '../orders/assignment.js';
import { OrderReceipt } from '../orders/receipt.js';
import type { Clock } from '../pipeline/clock.js';
import type { LiveRun } from '../pipeline/run-controller.js';
import { QuarantineService } from '../quarantine/quarantine-service.js';
import { Operators } from '../shifts/operators.js';
import { ShiftService } from '../shifts/shift-service.js';
import { FloorStore } from '../store/floor-store.js';
import { OrderStore } from '../store/order-store.js';
import { ShiftLogStore } from '../store/shift-log-store.js';
import type { StationStore } from '../store/station-store.js';
import { UnitStore } from '../store/unit-store.js';
import { Packing } from '../units/packing.js';

// Part of the composition root (start-station.ts): builds the feature services over shared stores.
// Kept apart so a feature's tests can build the services without drivers, HTTP or a run controller.

/** What the feature services need from the station around them. */
export interface FeatureHost {
  readonly store: StationStore;
  readonly stationId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly resourcesDir: string;
  readonly blueprints: BlueprintLookup;
  stationName(): string;
  liveRun(runId: string): LiveRun | undefined;
  liveRunForSerial(serial: string): LiveRun | undefined;
  cancelLiveRun(runId: string): void;
  moveLiveRun(runId: string, shiftId: string, operator: string | null): void;
  /** Starts the run of a plugged device that waited for an assignment. */
  startWaitingDevice(serial: string): void;
  /** Tries again every plugged device whose run could not start (sign-in, batch, order); answers how many started. */
  startWaitingDevices(): number;
  shiftChanged(): void;
  /** The current batch or the sign-in policy changed. */
  floorChanged(): void;
}

/** The floor's work around the pipeline, one service per feature folder, over shared stores. */
export interface FeatureServices {
  readonly orders: OrderStore;
  readonly units: UnitStore;
  readonly floorStore: FloorStore;
  readonly operators: Operators;
  readonly shifts: ShiftService;
  readonly assignment: DeviceAssignment;
  readonly receipt: OrderReceipt;
  readonly labels: LabelPrinting;
  readonly packing: Packing;
  readonly quarantine: QuarantineService;
}

export function createFeatureServices(host: FeatureHost): FeatureServices {
  const db = host.store.db;
  const { store, clock, logger, stationId } = host;
  const orders = new OrderStore(db);
  const units = new UnitStore(db);
  const floorStore = new FloorStore(db);
  const operators = new Operators({
    store,
    floorStore,
    clock,
    shiftChanged: () => host.shiftChanged(),
    mayStartWaitingDevices: () => void host.startWaitingDevices(),
    policyChanged: () => host.floorChanged(),
  });
  const labels = new LabelPrinting({
    store,
    floorStore,
    operators,
    clock,
    logger,
    dataDir: host.dataDir,
    resourcesDir: host.resourcesDir,
    liveRun: (id) => host.liveRun(id),
  });
  return {
    orders,
    units,
    floorStore,
    operators,
    labels,
    shifts: new ShiftService({
      store,
      floorStore,
      shiftLog: new ShiftLogStore(db),
      operators,
      clock,
      logger,
      stationId,
      stationName: () => host.stationName(),
      moveLiveRun: (runId, shiftId, operator) => host.moveLiveRun(runId, shiftId, operator),
      shiftChanged: () => host.shiftChanged(),
    }),
    assignment: new DeviceAssignment({
      store,
      orders,
      floorStore,
      operators,
      blueprints: host.blueprints,
      startWaitingDevice: (serial) => host.startWaitingDevice(serial),
      startWaitingDevices: () => host.startWaitingDevices(),
      batchChanged: () => host.floorChanged(),
    }),
    receipt: new OrderReceipt({ orders, floorStore, operators, clock, blueprints: host.blueprints, startWaitingDevices: () => host.startWaitingDevices() }),
    packing: new Packing({
      store,
      units,
      floorStore,
      operators,
      labelPrinting: labels,
      clock,
      stationId,
      liveRunForSerial: (serial) => host.liveRunForSerial(serial),
    }),
    quarantine: new QuarantineService({
      store,
      floorStore,
      operators,
      clock,
      liveRunForSerial: (serial) => host.liveRunForSerial(serial),
      cancelLiveRun: (runId) => host.cancelLiveRun(runId),
    }),
  };
}
