import { formatMessage } from '../../shared/messages/format.js';
import { message, type Message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { Blueprint, BlueprintStep } from '../../shared/blueprint/schema.js';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { renderTemplate } from '../../shared/templates/render-template.js';
import type { BlueprintCatalog } from '../blueprints/blueprint-catalog.js';
import type { AttachedDevice, DeviceDriver, StepContext, StepOutcome } from '../drivers/driver.js';
import { DeviceGoneError } from '../drivers/step-errors.js';
import type { LabelPrinting } from '../labels/label-printing.js';
import { missingMessage, type LibraryRef } from '../library/library-service.js';
import type { Logger } from '../logging/logger.js';
import type { DeviceAssignment } from '../orders/assignment.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import { laneKeys } from '../pipeline/lanes.js';
import type { LiveRun, RunController, RunTransition } from '../pipeline/run-controller.js';
import type { Operators } from '../shifts/operators.js';
import type { OrderStore } from '../store/order-store.js';
import type { DeviceRecord, RunRecord } from '../store/records.js';
import type { StationStore } from '../store/station-store.js';
import { deviceView } from './run-views.js';
import type { StationEvents } from './station-events.js';
import { isRunClosed } from '../../shared/contract/run-state.js';

/** A port path the USB watcher makes (main/drivers/usb/usb-backend.ts usbPortPath): "1-4.2", "3-addr7". */
const USB_PORT_PATH = /^\d+-(?:[\d.]+|addr\d+)$/;

/** Steps the station runs itself, whatever the device's driver: printing. */
const STATION_STEPS: ReadonlySet<BlueprintStep['type']> = new Set(['print-label']);

/** What the registry needs of the bench hardware (USB watcher, port tiles, learn mode). */
export interface BenchPorts {
  readonly usbRunning: boolean;
  readonly learning: boolean;
  clearNotice(portPath: string): void;
  portAppeared(portPath: string): void;
}

export interface DeviceRegistryDeps {
  readonly store: StationStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly controller: RunController;
  /** The started drivers by the device family they serve. */
  readonly drivers: ReadonlyMap<string, DeviceDriver>;
  readonly bench: BenchPorts;
  readonly blueprints: BlueprintCatalog;
  readonly assignment: DeviceAssignment;
  readonly orders: OrderStore;
  readonly operators: Operators;
  readonly labelPrinting: LabelPrinting;
  readonly events: StationEvents;
  /** The device library: what a blueprint needs that this station lacks (and fetching it from the hub). */
  readonly library: { missingFor(blueprint: Blueprint): LibraryRef[]; fetchMissing?(refs: readonly LibraryRef[]): void };
}

interface DeviceEntry {
  record: DeviceRecord;
  slot: string | null;
  /** The device's finished run, shown while it is still plugged in ("unplug and pack"). */
  lastRun: { record: RunRecord; blueprint: Blueprint } | null;
  /** Plugged in during learn mode: its run starts when learn mode ends. */
  held?: boolean;
  /** Why no run could start (no blueprint for its platform, no order or batch, quarantine). */
  /** Why the device has no run; `message` is English (logs, the API), `text` what the technician reads. */
  problem: { code: string; message: string; text: Message } | null;
}

/**
 * The devices the station holds (plugged in, or with an unfinished run) and the start of their
 * runs: a plugged device gets its assignment and its run with no click.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceEntry>();
  private ready = false;

  constructor(private readonly deps: DeviceRegistryDeps) {}

  get size(): number {
    return this.devices.size;
  }

  /**
   * Restores the unfinished runs (the drivers are started, so their devices are present), then
   * starts runs for devices plugged in before the station was ready.
   */
  restore(): void {
    const { store, controller, blueprints } = this.deps;
    for (const run of store.openRuns()) {
      const blueprint = blueprints.get(run.blueprintId);
      const device = store.getDevice(run.serial);
      if (device && !this.devices.has(run.serial)) {
        const slot = device.portPath ? store.slotForPort(device.portPath) : null;
        this.devices.set(run.serial, { record: device, slot, lastRun: null, problem: null });
      }
      controller.restore(run, blueprint);
    }
    this.ready = true;
    for (const entry of [...this.devices.values()]) {
      if (entry.record.present) this.deviceAttached(attachedOf(entry.record));
    }
  }

  deviceAttached(d: AttachedDevice): void {
    const { store, bench, controller } = this.deps;
    const now = isoTime(this.deps.clock.now());
    const record: DeviceRecord = { ...d, present: true };
    store.upsertDevice(record, now);
    const slot = store.slotForPort(d.portPath);
    const entry = this.devices.get(d.serial) ?? { record, slot, lastRun: null, problem: null };
    entry.record = record;
    entry.slot = slot;
    this.devices.set(d.serial, entry);
    bench.clearNotice(d.portPath);
    // Devices that do not come through the USB watcher (the simulator's, fixed serial ports, a
    // tablet the adb server reaches over the network: "adb:HOST:PORT") teach the learn mode their
    // port here; a USB port ("1-4.2") was taken when it appeared on the bus already.
    if (!bench.usbRunning || d.family === 'simulated' || !USB_PORT_PATH.test(d.portPath)) bench.portAppeared(d.portPath);
    if (!this.ready) return;
    this.deps.events.deviceChanged(d.serial);
    if (controller.forSerial(d.serial)) {
      controller.deviceBack(d.serial);
      return;
    }
    if (bench.learning) {
      entry.held = true;
      return;
    }
    const last = store.latestRunForSerial(d.serial);
    if (last?.state === 'done') {
      // Already enrolled: show it as done; it is not configured a second time.
      entry.lastRun = { record: last, blueprint: this.deps.blueprints.get(last.blueprintId) };
      return;
    }
    this.startRun(entry);
  }

  deviceDetached(serial: string): void {
    const entry = this.devices.get(serial);
    this.deps.store.setDevicePresent(serial, false, isoTime(this.deps.clock.now()));
    if (!entry) return;
    entry.record = { ...entry.record, present: false };
    this.deps.controller.deviceLeft(serial);
    if (!this.deps.controller.forSerial(serial)) {
      this.devices.delete(serial);
      this.deps.events.deviceRemoved(serial);
    } else {
      this.deps.events.deviceChanged(serial);
    }
  }

  /**
   * Starts a plugged device's run with no click: its order's blueprint and school when its serial
   * is in an order, else the current batch; otherwise the tile asks (DeviceAssignment.assignmentFor).
   */
  private startRun(entry: DeviceEntry): void {
    const { store, controller } = this.deps;
    entry.held = false;
    if (!this.deps.operators.mayStartRuns()) {
      // Every run has a responsible technician: the device waits until someone signs in (the policy's default).
      this.setProblem(entry, 'needs_sign_in', message('device.needs-sign-in'), 'info');
      return;
    }
    const assigned = this.deps.assignment.assignmentFor(entry.record.serial, entry.record.platform);
    if (!assigned.ok) {
      const noBlueprint =
        assigned.code === 'needs_assignment' &&
        this.deps.blueprints.defaultFor(entry.record.platform) === null &&
        !this.deps.orders.orderOfSerial(entry.record.serial);
      const text: Message = noBlueprint ? message('no_blueprint') : assigned.text;
      this.setProblem(entry, noBlueprint ? 'no_blueprint' : assigned.code, text, 'warn');
      return;
    }
    const chosen = assigned.assignment;
    if (this.refusedForCapability(entry, chosen.blueprint)) return;
    if (this.refusedForLibrary(entry, chosen.blueprint)) return;
    entry.problem = null;
    const open = store.currentShift();
    const shift = open ?? store.ensureShift(isoTime(this.deps.clock.now()));
    // A shift opened for an unattended station must reach the renderers like one opened by hand.
    if (!open) this.deps.events.shiftChanged();
    controller.start({
      serial: entry.record.serial,
      shiftId: shift.id,
      slot: entry.slot ?? `port ${entry.record.portPath ?? '?'}`,
      operator: this.deps.operators.runOperator(shift),
      blueprint: chosen.blueprint,
      blueprintId: chosen.blueprintId,
      captured: chosen.captured,
    });
  }

  /** Why the device has no run; logged once per new reason (a device tried again after every batch change stays quiet). */
  private setProblem(entry: DeviceEntry, code: string, text: Message, level: 'info' | 'warn'): void {
    const english = formatMessage(text, 'en');
    const same = entry.problem?.code === code && entry.problem.message === english;
    entry.problem = { code, message: english, text };
    if (!same) this.deps.logger.log(level, english, { serial: entry.record.serial });
  }

  /**
   * A run with a step the device's driver does not run is refused before it starts, naming the
   * step: failing it in the middle would leave a half-configured device.
   */
  private refusedForCapability(entry: DeviceEntry, blueprint: Blueprint): boolean {
    const driver = this.deps.drivers.get(entry.record.family);
    if (!driver) return false;
    const step = blueprint.steps.find((s) => !STATION_STEPS.has(s.type) && !driver.supportedSteps.has(s.type));
    if (!step) return false;
    const text = message('run.step-unsupported', { step: step.id, type: step.type, family: driver.family });
    entry.problem = { code: text.code, message: formatMessage(text, 'en'), text };
    this.deps.logger.log('warn', entry.problem.message, { serial: entry.record.serial, blueprint: blueprint.id });
    return true;
  }

  /** A run whose app or profile is not in the library is refused before it starts (the simulator only warns). */
  private refusedForLibrary(entry: DeviceEntry, blueprint: Blueprint): boolean {
    const missing = this.deps.library.missingFor(blueprint);
    const first = missing[0];
    if (!first) return false;
    const msg = missingMessage(first);
    this.deps.library.fetchMissing?.(missing);
    if (this.deps.drivers.get(entry.record.family)?.installsWithoutLibrary) {
      // Info, not a warning: a simulator installs nothing, and 16 demo devices would flood the terminal.
      this.deps.logger.log('info', `${formatMessage(msg, 'en')}; the simulated device installs without it`, { serial: entry.record.serial });
      return false;
    }
    entry.problem = { code: msg.code, message: formatMessage(msg, 'en'), text: msg };
    this.deps.logger.log('warn', formatMessage(msg, 'en'), { serial: entry.record.serial, missing: missing.length });
    return true;
  }

  /** A device whose tile asked for an order, once it has one. */
  startWaitingDevice(serial: string): void {
    const entry = this.devices.get(serial);
    if (!entry?.record.present) throw new AppError('conflict', message('device.not-plugged', { serial }));
    if (this.deps.controller.forSerial(serial)) throw new AppError('conflict', message('device.running', { serial }));
    this.startRun(entry);
    this.deps.events.deviceChanged(serial);
    if (entry.problem) throw new AppError('conflict', entry.problem.text);
  }

  /**
   * Every plugged device whose run could not start (nobody signed in, no order or batch, no
   * blueprint) is tried again, e.g. once a batch is chosen or someone signs in. Answers how many started.
   */
  startWaitingDevices(): number {
    if (!this.ready) return 0;
    let started = 0;
    for (const entry of this.devices.values()) {
      if (!entry.problem || entry.held || !entry.record.present || this.deps.controller.forSerial(entry.record.serial)) continue;
      this.startRun(entry);
      if (!entry.problem) started++;
      this.deps.events.deviceChanged(entry.record.serial);
    }
    return started;
  }

  executeStep(serial: string, ctx: StepContext): Promise<StepOutcome> {
    // Printing is the station's job, not the device's.
    if (ctx.step.type === 'print-label') {
      const live = this.deps.controller.get(ctx.runId);
      if (live) return this.deps.labelPrinting.printLabelStep(live, ctx.step);
    }
    const entry = this.devices.get(serial);
    const driver = entry ? this.deps.drivers.get(entry.record.family) : undefined;
    if (!entry?.record.present || !driver) return Promise.reject(new DeviceGoneError(serial));
    // The slot as it is now (the device may have moved since the run started): instructions name it.
    return driver.executeStep({ ...ctx, slot: entry.slot });
  }

  /** The lanes the device's heavy steps take: its driver's and its USB bus's (from the port it is in now). */
  laneKeys(serial: string): string[] {
    const device = this.devices.get(serial)?.record;
    return device ? laneKeys(device.family, device.portPath) : [`driver:unknown`];
  }

  /** Renders the blueprint's naming template; the sequence is per template and school. */
  deviceName(run: LiveRun, step: BlueprintStep): string | null {
    const { store } = this.deps;
    if (run.record.captured.deviceName) return run.record.captured.deviceName;
    if (step.type !== 'rename') return null;
    const school = run.record.captured.school ?? store.getSetting('default_school') ?? 'Schule';
    const template = step.params.template;
    const seq = template.includes('{seq') ? store.nextSequence(`${template}|${school}`) : null;
    const device = this.devices.get(run.serial)?.record;
    return renderTemplate(template, { school, seq, serial: run.serial, model: device?.model, ...run.record.captured }).text;
  }

  /** A finished run stays on its tile while the device is plugged in; an unplugged device's tile goes. */
  afterTransition(t: RunTransition, run: LiveRun): void {
    const entry = this.devices.get(t.serial);
    if (entry && isRunClosed(t.state)) {
      entry.lastRun = { record: run.record, blueprint: run.blueprint };
      if (!entry.record.present) {
        this.devices.delete(t.serial);
        this.deps.events.deviceRemoved(t.serial);
        return;
      }
    }
    this.deps.events.deviceChanged(t.serial);
  }

  /** The slot layout changed: every device takes the slot of its port now. */
  layoutChanged(): void {
    for (const entry of this.devices.values()) {
      const slot = entry.record.portPath ? this.deps.store.slotForPort(entry.record.portPath) : null;
      if (slot !== entry.slot) {
        entry.slot = slot;
        this.deps.events.deviceChanged(entry.record.serial);
      }
    }
  }

  /** Learn mode ended: devices plugged in during it start their runs now. */
  learnEnded(): void {
    if (!this.ready) return;
    for (const entry of this.devices.values()) {
      if (entry.held && entry.record.present && !this.deps.controller.forSerial(entry.record.serial)) {
        this.startRun(entry);
        this.deps.events.deviceChanged(entry.record.serial);
      }
      entry.held = false;
    }
  }

  isPresent(serial: string): boolean {
    return this.devices.get(serial)?.record.present === true;
  }

  presentDevices(): { serial: string; portPath: string | null; model: string }[] {
    return [...this.devices.values()]
      .filter((e) => e.record.present)
      .map((e) => ({ serial: e.record.serial, portPath: e.record.portPath, model: e.record.model }));
  }

  /** The device's tile; undefined when the station does not hold it. */
  view(serial: string): DeviceView | undefined {
    const entry = this.devices.get(serial);
    return entry ? this.viewOf(entry) : undefined;
  }

  private viewOf(entry: DeviceEntry): DeviceView {
    const live = this.deps.controller.forSerial(entry.record.serial);
    const run = live ? { record: live.record, blueprint: live.blueprint, stepProgress: live.progress, waiting: live.waiting } : entry.lastRun;
    // The slot of the port the device is (or was last) in; null: an unmapped port.
    return deviceView(entry.record, entry.slot, run, entry.problem);
  }

  /** Devices present or with an unfinished run, in slot order. */
  list(): DeviceView[] {
    const order = new Map(this.deps.store.listSlots().map((s) => [s.label, s.position]));
    return [...this.devices.values()]
      .filter((e) => e.record.present || this.deps.controller.forSerial(e.record.serial))
      .map((e) => this.viewOf(e))
      .sort((a, b) => (order.get(a.slot ?? '') ?? 1e9) - (order.get(b.slot ?? '') ?? 1e9) || a.serial.localeCompare(b.serial));
  }
}

function attachedOf(d: DeviceRecord): AttachedDevice {
  return { serial: d.serial, family: d.family, platform: d.platform, model: d.model, osVersion: d.osVersion, portPath: d.portPath ?? '' };
}
