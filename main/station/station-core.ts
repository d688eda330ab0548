import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type {
  RunDetail,
  RunSummary,
  ShiftStats,
  ShiftView,
  SlotLayout,
  StationEvent,
  StationSnapshot,
  HubLinkView,
} from '../../shared/contract/station-api.js';
import type { BlueprintCatalog } from '../blueprints/blueprint-catalog.js';
import type { DeviceDriver } from '../drivers/driver.js';
import { SerialDriver } from '../drivers/serial/serial-driver.js';
import type { SimulatedDriver, PlugRequest } from '../drivers/simulated/simulated-driver.js';
import type { TestUsbBackend } from '../drivers/usb/test-usb-backend.js';
import type { LabelPrinting } from '../labels/label-printing.js';
import type { DeviceAssignment } from '../orders/assignment.js';
import type { OrderReceipt } from '../orders/receipt.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { LiveRun, RunController, RunTransition } from '../pipeline/run-controller.js';
import type { QuarantineService } from '../quarantine/quarantine-service.js';
import type { Operators } from '../shifts/operators.js';
import type { ShiftService } from '../shifts/shift-service.js';
import type { StationStore } from '../store/station-store.js';
import type { Packing } from '../units/packing.js';
import type { BenchHardware } from './bench-hardware.js';
import type { DeviceRegistry } from './device-registry.js';
import { runDetail, runSummary } from './run-views.js';
import type { LibraryService } from '../library/library-service.js';
import type { FeatureServices } from './feature-services.js';
import type { StationEvents } from './station-events.js';
import { resolveScannedCode } from './scanned-code.js';
import type { FloorState, ScanResult, SignInPolicy } from '../../shared/contract/floor-api.js';

/** The feature services the core exposes to the API, by their folder's name. */
export type ExposedFeatures = Pick<FeatureServices, 'operators' | 'shifts' | 'assignment' | 'receipt' | 'labels' | 'packing' | 'quarantine'>;

/** Everything the station is made of, built and started by the composition root (start-station.ts). */
export interface StationParts extends ExposedFeatures {
  readonly store: StationStore;
  readonly stationId: string;
  readonly clock: Clock;
  readonly version: string;
  stationName(): string;
  readonly controller: RunController;
  readonly registry: DeviceRegistry;
  readonly events: StationEvents;
  readonly blueprints: BlueprintCatalog;
  readonly bench: BenchHardware;
  readonly drivers: readonly DeviceDriver[];
  readonly simulator: SimulatedDriver | null;
  readonly testUsb: TestUsbBackend | null;
  readonly library: LibraryService;
}

/**
 * The station core as the API and the Electron shell see it: plain Node, no Electron. It answers
 * queries and technician actions over the parts the composition root wired together; the floor's
 * work is in the feature services it exposes (operators, shifts, assignment, receipt, labels,
 * packing, quarantine).
 */
export class StationCore implements ExposedFeatures {
  readonly store: StationStore;
  readonly stationId: string;
  readonly simulator: SimulatedDriver | null;
  /** The loopback USB test source, when the station was started with one. */
  readonly testUsb: TestUsbBackend | null;
  /** USB watcher, port tiles, slot layout and learn mode. */
  readonly bench: BenchHardware;
  /** Who is signed in, and the action log. */
  readonly operators: Operators;
  /** Closing shifts, the schedule, a shift's figures and log. */
  readonly shifts: ShiftService;
  /** Current batch and a device's order. */
  readonly assignment: DeviceAssignment;
  /** Order import and goods receipt. */
  readonly receipt: OrderReceipt;
  /** Printer setting, previews, reprints. */
  readonly labels: LabelPrinting;
  /** Boxes and carts. */
  readonly packing: Packing;
  /** Devices set aside and released. */
  readonly quarantine: QuarantineService;
  /** Apps, profiles and files the blueprints install. */
  readonly library: LibraryService;

  constructor(private readonly parts: StationParts) {
    this.store = parts.store;
    this.stationId = parts.stationId;
    this.simulator = parts.simulator;
    this.testUsb = parts.testUsb;
    this.bench = parts.bench;
    this.operators = parts.operators;
    this.shifts = parts.shifts;
    this.assignment = parts.assignment;
    this.receipt = parts.receipt;
    this.labels = parts.labels;
    this.packing = parts.packing;
    this.quarantine = parts.quarantine;
    this.library = parts.library;
  }

  async close(): Promise<void> {
    this.parts.events.stop();
    this.shifts.stop();
    await this.bench.stop();
    for (const driver of this.parts.drivers) await driver.stop();
    this.parts.controller.stopAll();
    this.store.close();
  }

  // ---- events --------------------------------------------------------------------------------

  /** Every committed transition, in order; the automation API's SSE feed. */
  onCommitted(listener: (t: RunTransition) => void): () => void {
    return this.parts.controller.onTransition((t) => listener(t));
  }

  /** Coalesced view updates for renderers: at most one update per device every 50 ms. */
  onEvent(listener: (event: StationEvent) => void): () => void {
    return this.parts.events.onEvent(listener);
  }

  /** Where the hub sender's state comes from, for the snapshot and the renderers' `hub` events. */
  setHubLink(status: (() => HubLinkView) | null, onChange?: (listener: () => void) => () => void): void {
    this.parts.events.setHubLink(status, onChange);
  }

  // ---- queries -------------------------------------------------------------------------------

  /** Devices present or with an unfinished run, in slot order. */
  listDevices() {
    return this.parts.registry.list();
  }

  currentShift(): ShiftView | null {
    return this.store.currentShift();
  }

  listShifts(): ShiftView[] {
    return this.store.listShifts();
  }

  resolveShift(id: string): ShiftView {
    const shift = id === 'current' ? this.store.currentShift() : id === 'last' ? this.store.lastShift() : this.store.getShift(id);
    if (!shift) throw new AppError('not_found', id === 'current' ? message('shift.none-open') : message('shift.not-found', { shiftId: id }));
    return shift;
  }

  listRuns(shiftId: string): RunSummary[] {
    return this.store.runsOfShift(shiftId).map((r) => {
      const live = this.parts.controller.get(r.id);
      return runSummary(live?.record ?? r, this.parts.blueprints.get(r.blueprintId));
    });
  }

  stats(): ShiftStats {
    return this.shifts.stats();
  }

  snapshot(): StationSnapshot {
    return {
      stationId: this.stationId,
      stationName: this.parts.stationName(),
      version: this.parts.version,
      simulator: this.simulator !== null,
      shift: this.store.currentShift(),
      stats: this.stats(),
      devices: this.listDevices(),
      notices: this.bench.listNotices(),
      hub: this.parts.events.hubLinkView(),
      floor: this.floorState(),
      // Renderers time runs against the station's clock, not their own: two browsers agree.
      serverTime: isoTime(this.parts.clock.now()),
    };
  }

  /** The current batch and the sign-in policy, as the header shows them. */
  floorState(): FloorState {
    return { batch: this.assignment.currentBatch(), signInPolicy: this.operators.signInPolicy() };
  }

  runDetail(runId: string): RunDetail {
    const record = this.parts.controller.get(runId)?.record ?? this.store.getRun(runId);
    if (!record) throw new AppError('not_found', message('run.not-found', { runId }));
    return runDetail(record, this.parts.blueprints.get(record.blueprintId), this.store.stepEvents(runId));
  }

  // ---- bench layout --------------------------------------------------------------------------

  slotLayout(): SlotLayout {
    return this.bench.layout();
  }

  saveSlot(label: string, portPath: string, position?: number): SlotLayout {
    this.bench.saveSlot(label, portPath, position);
    return this.bench.layout();
  }

  deleteSlot(label: string): SlotLayout {
    if (!this.bench.deleteSlot(label)) throw new AppError('not_found', message('slot.not-found', { label }));
    return this.bench.layout();
  }

  startLearn(labels: string[]): SlotLayout {
    this.bench.startLearn(labels);
    return this.bench.layout();
  }

  stopLearn(): SlotLayout {
    this.bench.stopLearn();
    return this.bench.layout();
  }

  // ---- technician actions --------------------------------------------------------------------

  retryRun(runId: string): void {
    const live = this.liveRun(runId);
    this.asResponsible(live, () => this.parts.controller.retry(runId, this.parts.registry.isPresent(live.serial)));
    this.shifts.adoptIntoCurrentShift(live.record);
    this.operators.recordAction('retry', { runId, serial: live.serial });
  }

  cancelRun(runId: string): void {
    const live = this.liveRun(runId);
    this.asResponsible(live, () => this.parts.controller.cancel(runId));
    this.operators.recordAction('cancel', { runId, serial: live.serial });
  }

  skipStep(runId: string): void {
    const live = this.liveRun(runId);
    const step = live.blueprint.steps[live.record.stepIndex]?.id ?? null;
    this.asResponsible(live, () => this.parts.controller.skip(runId));
    this.operators.recordAction('skip', { runId, serial: live.serial, detail: step });
  }

  confirmStep(runId: string): void {
    const live = this.liveRun(runId);
    this.asResponsible(live, () => this.parts.controller.confirm(runId));
    this.operators.recordAction('confirm', { runId, serial: live.serial });
  }

  /**
   * The technician acting on a run becomes its operator (issue 13: the export names who ran it or
   * acted on it), before the action, so the transition it causes tells the hub; undone when the
   * action is refused.
   */
  private asResponsible(live: LiveRun, action: () => void): void {
    const before = live.record.operator;
    const actor = this.operators.who().operator;
    const takeOver = actor !== null && actor !== before;
    const assign = (operator: string | null) => {
      this.operators.assignRun(live.id, operator);
      this.parts.controller.setOperator(live.id, operator);
    };
    if (takeOver) assign(actor);
    try {
      action();
    } catch (err) {
      if (takeOver) assign(before);
      throw err;
    }
  }

  private liveRun(runId: string): LiveRun {
    const live = this.parts.controller.get(runId);
    if (live) return live;
    if (this.store.getRun(runId)) throw new AppError('conflict', message('run.finished', { runId }));
    throw new AppError('not_found', message('run.not-found', { runId }));
  }

  openShift(operators: string[]): ShiftView {
    const shift = this.store.openShift(operators, isoTime(this.parts.clock.now()));
    this.parts.events.shiftChanged();
    // Devices that waited for someone to sign in start now.
    this.parts.registry.startWaitingDevices();
    return shift;
  }

  setSignInPolicy(policy: SignInPolicy): FloorState {
    this.operators.setSignInPolicy(policy);
    return this.floorState();
  }

  /** A code scanned outside a field: a unit, an order, a badge, or (while packing into `packInto`) a device. */
  scanCode(code: string, packInto?: string): ScanResult {
    return resolveScannedCode({ store: this.store, operators: this.operators, assignment: this.assignment, packing: this.packing }, code, packInto);
  }

  closeShift(shiftId: string): ShiftView {
    return this.shifts.closeShift(shiftId, 'hand');
  }

  // ---- simulator -----------------------------------------------------------------------------

  plugSimulated(request: PlugRequest): string[] {
    return this.requireSimulator().plug(request);
  }

  unplugSimulated(serial: string): void {
    const sim = this.requireSimulator();
    if (!sim.list().some((d) => d.serial === serial)) throw new AppError('not_found', message('simulator.no-device', { serial }));
    sim.unplug(serial);
  }

  replugSimulated(serial: string): void {
    const sim = this.requireSimulator();
    if (!sim.list().some((d) => d.serial === serial)) throw new AppError('not_found', message('simulator.no-device', { serial }));
    sim.replug(serial);
  }

  /** A technician says another device is on this serial port: the port is asked who is there now. */
  reidentifyPort(portPath: string): void {
    const serial = this.parts.drivers.find((d): d is SerialDriver => d instanceof SerialDriver);
    if (!serial) throw new AppError('unavailable', message('station.no-serial-driver'));
    if (!serial.reidentify(portPath)) throw new AppError('not_found', message('station.no-serial-port', { port: portPath }));
  }

  private requireSimulator(): SimulatedDriver {
    if (!this.simulator) throw new AppError('unavailable', message('station.no-simulator'));
    return this.simulator;
  }
}
