import path from 'node:path';
import type { Blueprint, BlueprintStep } from '../../shared/blueprint/schema.js';
import type { Platform } from '../../shared/contract/run-state.js';
import { devicesPerHour } from '../../shared/metrics.js';
import type {
  DeviceView,
  RunDetail,
  RunSummary,
  ShiftStats,
  ShiftView,
  StationEvent,
  StationSnapshot,
  HubLinkView,
} from '../../shared/contract/station-api.js';
import { renderTemplate } from '../../shared/templates/render-template.js';
import { loadBlueprint, loadBlueprintDir } from '../blueprints/blueprint-loader.js';
import { serialPortSettings } from '../../shared/blueprint/schema.js';
import type { SlotLayout } from '../../shared/contract/station-api.js';
import type { AttachedDevice, DeviceDriver, DriverEvents, StepContext, StepOutcome } from '../drivers/driver.js';
import { SerialDriver, type SerialIdentifyScript } from '../drivers/serial/serial-driver.js';
import type { SerialSettings } from '../drivers/serial/serial-link.js';
import { DeviceGoneError } from '../drivers/step-errors.js';
import { UsbUnavailableError, loadLibusbBackend, type UsbBackend } from '../drivers/usb/usb-backend.js';
import { TestUsbBackend } from '../drivers/usb/test-usb-backend.js';
import { SimulatedDriver, type PlugRequest } from '../drivers/simulated/simulated-driver.js';
import { loadSimProfiles } from '../drivers/simulated/sim-profiles.js';
import type { Logger } from '../logging/logger.js';
import { isoTime, systemClock, type Clock } from '../pipeline/clock.js';
import { RunController, type LiveRun, type RunTransition } from '../pipeline/run-controller.js';
import type { DeviceRecord, RunRecord } from '../store/records.js';
import { StationStore } from '../store/station-store.js';
import { FloorOperations } from './floor-operations.js';
import { BenchHardware } from './bench-hardware.js';
import { deviceView, runDetail, runSummary } from './run-views.js';
import { defaultSimSlots } from './slot-layout.js';

export const DRIVER_NAMES = ['sim', 'usb', 'ios', 'android', 'serial'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** Default blueprint per platform, by the names order files use (CONTRACT.md). */
const DEFAULT_BLUEPRINTS: Record<Platform, string> = {
  ios: 'school-ipad',
  android: 'android-tablet',
  notebook: 'notebook-checklist',
  serial: 'serial-device',
};

export interface StationConfig {
  dataDir: string;
  resourcesDir: string;
  drivers: readonly DriverName[];
  simulate: number;
  simSpeed: number;
  simFailRate: number;
  simSeed: number;
  blueprintFiles: readonly string[];
  stationName?: string;
  version: string;
  logger: Logger;
  clock?: Clock;
  /** Fixed serial ports (RS-232, PTYs) the serial driver watches (--serial-port). */
  serialPorts?: readonly string[];
  /**
   * The `usb` boundary: libusb by default. BENCHLINE_TEST_USB=1 puts a loopback test source in its
   * place (devices plugged through the test endpoint); tests may pass one directly.
   */
  usbBackend?: UsbBackend;
  /** Quiet time after USB hotplug events before the bus is read (ms). */
  usbSettleMs?: number;
}

export class StationError extends Error {
  override name = 'StationError';
  constructor(
    readonly code: 'not_found' | 'conflict' | 'bad_request' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

interface DeviceEntry {
  record: DeviceRecord;
  slot: string | null;
  /** The device's finished run, shown while it is still plugged in ("unplug and pack"). */
  lastRun: { record: RunRecord; blueprint: Blueprint } | null;
  /** Plugged in during learn mode: its run starts when learn mode ends. */
  held?: boolean;
  /** Why no run could start (no blueprint for its platform, no order or batch, quarantine). */
  problem: { code: string; message: string } | null;
}

/**
 * The station core: plain Node, no Electron. It wires the store, blueprints, drivers and the run
 * controller together and offers what the API and the Electron shell expose.
 */
export class StationCore {
  readonly store: StationStore;
  readonly stationId: string;
  readonly simulator: SimulatedDriver | null;
  readonly serial: SerialDriver | null;
  /** USB watcher, port tiles, slot layout and learn mode. */
  readonly bench: BenchHardware;
  /** The loopback USB test source, when the station was started with one. */
  readonly testUsb: TestUsbBackend | null;
  /** Shifts and operators, orders, labels, packing units, quarantine (issue 5). */
  readonly floor: FloorOperations;
  private readonly controller: RunController;
  private readonly clock: Clock;
  private readonly drivers = new Map<string, DeviceDriver>();
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly blueprintsById = new Map<number, Blueprint>();
  private readonly current = new Map<Platform, { blueprint: Blueprint; id: number }>();
  private readonly listeners = new Set<(event: StationEvent) => void>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private ready = false;

  private constructor(
    private readonly config: StationConfig,
    usbBackend: UsbBackend | null,
  ) {
    this.clock = config.clock ?? systemClock;
    this.store = new StationStore(path.join(config.dataDir, 'station.db'));
    this.stationId = this.store.stationId();
    this.controller = new RunController({
      clock: this.clock,
      stationId: this.stationId,
      createRun: (run, event, outbox) => this.store.createRun(run, event, outbox),
      commitTransition: (...args) => this.store.commitTransition(...args),
      executeStep: (serial, ctx) => this.executeStep(serial, ctx),
      deviceName: (run, step) => this.deviceName(run, step),
      log: (level, message, fields) => config.logger.log(level, message, fields),
    });
    this.controller.onTransition((t, run) => this.afterTransition(t, run));
    this.floor = new FloorOperations({
      store: this.store,
      stationId: this.stationId,
      clock: this.clock,
      logger: config.logger,
      dataDir: config.dataDir,
      resourcesDir: config.resourcesDir,
      stationName: () => this.config.stationName ?? this.store.getSetting('station_name') ?? 'Station',
      blueprintByName: (name) => this.blueprintByName(name),
      defaultBlueprint: (platform) => this.current.get(platform) ?? null,
      blueprintNames: () => [...new Set([...this.blueprintsById.values()].map((b) => b.id))].sort(),
      liveRun: (runId) => this.controller.get(runId),
      liveRunForSerial: (serial) => this.controller.forSerial(serial),
      cancelLiveRun: (runId) => this.controller.cancel(runId),
      moveLiveRun: (runId, shiftId, operator) => this.controller.moveToShift(runId, shiftId, operator),
      startWaitingDevice: (serial) => this.startWaitingDevice(serial),
      shiftChanged: () => this.emitShift(),
    });
    this.controller.onTransition((t, run) => this.floor.afterTransition(t, run));
    if (config.drivers.includes('sim')) {
      this.simulator = new SimulatedDriver({
        storage: this.store,
        profiles: loadSimProfiles(path.join(config.resourcesDir, 'simulator', 'profiles.json')),
        speed: config.simSpeed,
        failRate: config.simFailRate,
        seed: config.simSeed,
      });
      this.drivers.set('simulated', this.simulator);
    } else {
      this.simulator = null;
    }
    this.testUsb = usbBackend instanceof TestUsbBackend ? usbBackend : null;
    if (config.drivers.includes('serial')) {
      const testUsb = this.testUsb;
      this.serial = new SerialDriver({
        staticPorts: config.serialPorts ?? [],
        identifyScript: () => this.serialIdentifyScript(),
        ...(testUsb ? { locator: { locate: (usb) => Promise.resolve(testUsb.ttyFor(usb.portPath)) } } : {}),
        log: (level, message, fields) => config.logger.log(level, message, fields),
      });
      this.drivers.set('serial', this.serial);
    } else {
      this.serial = null;
    }
    this.bench = new BenchHardware(
      {
        store: this.store,
        logger: config.logger,
        driver: (family) => this.drivers.get(family),
        presentDevices: () =>
          [...this.devices.values()].filter((e) => e.record.present).map((e) => ({ serial: e.record.serial, portPath: e.record.portPath, model: e.record.model })),
        simulatorOn: this.simulator !== null,
        emit: (event) => this.emit(event),
        layoutChanged: () => this.layoutChanged(),
        learnEnded: () => this.learnEnded(),
        now: () => isoTime(this.clock.now()),
      },
      usbBackend,
      config.usbSettleMs,
    );
  }

  /** The identify script of the current serial blueprint: how a serial device tells its serial number. */
  private serialIdentifyScript(): SerialIdentifyScript | null {
    const step = this.current.get('serial')?.blueprint.steps.find((s) => s.type === 'identify');
    if (step?.type !== 'identify' || !step.params.script) return null;
    return { port: (step.params.port ?? serialPortSettings.parse({})) as SerialSettings, script: step.params.script };
  }

  /** Opens the data dir, loads blueprints, restores unfinished runs and starts the drivers. */
  static async open(config: StationConfig): Promise<StationCore> {
    const unsupported = config.drivers.filter((d) => d !== 'sim' && d !== 'usb' && d !== 'serial');
    if (unsupported.length > 0) {
      throw new StationError('bad_request', `The ${unsupported.join(', ')} driver${unsupported.length > 1 ? 's are' : ' is'} not part of this build yet; use --drivers sim,usb,serial.`);
    }
    let usbBackend: UsbBackend | null = null;
    if (config.drivers.includes('usb')) {
      if (config.usbBackend) usbBackend = config.usbBackend;
      else if (process.env.BENCHLINE_TEST_USB === '1') {
        config.logger.log('warn', 'USB test source enabled (BENCHLINE_TEST_USB=1): USB devices come from the loopback test endpoint, not from libusb.');
        usbBackend = new TestUsbBackend();
      } else {
        try {
          usbBackend = await loadLibusbBackend();
        } catch (err) {
          if (err instanceof UsbUnavailableError) throw new StationError('unavailable', err.message);
          throw err;
        }
      }
    }
    const station = new StationCore(config, usbBackend);
    try {
      await station.boot();
    } catch (err) {
      station.store.close();
      throw err;
    }
    return station;
  }

  private async boot(): Promise<void> {
    const now = isoTime(this.clock.now());
    this.loadBlueprints(now);
    if (this.simulator) this.store.ensureSlots(defaultSimSlots(256));
    this.store.clearPresence();
    // Drivers first, so restored runs find their devices present.
    const events: DriverEvents = {
      attached: (d) => this.deviceAttached(d),
      detached: (s) => this.deviceDetached(s),
      notice: (n) => this.bench.setNotice(n),
      noticeCleared: (portPath) => this.bench.clearNotice(portPath),
    };
    for (const driver of this.drivers.values()) await driver.start(events);
    await this.bench.start();
    for (const run of this.store.openRuns()) {
      const blueprint = this.blueprint(run.blueprintId);
      const device = this.store.getDevice(run.serial);
      if (device && !this.devices.has(run.serial)) {
        const slot = device.portPath ? this.store.slotForPort(device.portPath) : null;
        this.devices.set(run.serial, { record: device, slot, lastRun: null, problem: null });
      }
      this.controller.restore(run, blueprint);
    }
    this.ready = true;
    for (const entry of [...this.devices.values()]) {
      if (entry.record.present) this.deviceAttached(this.attachedOf(entry.record));
    }
    if (this.simulator && this.config.simulate > 0) {
      const plugged = this.simulator.list().filter((d) => d.plugged).length;
      if (plugged < this.config.simulate) this.simulator.plug({ count: this.config.simulate - plugged });
    }
    this.floor.startScheduler();
    this.config.logger.log('info', `station ${this.stationId} ready`, { runs: this.controller.size, devices: this.devices.size });
  }

  private loadBlueprints(now: string): void {
    const dir = path.join(this.config.resourcesDir, 'blueprints');
    const defaults = loadBlueprintDir(dir);
    const extra = this.config.blueprintFiles.map((f) => ({ bp: loadBlueprint(path.resolve(f), [path.join(dir, 'baselines')]), file: f }));
    for (const bp of defaults) {
      const id = this.store.saveBlueprint(bp, path.join(dir, `${bp.id}.yaml`), now);
      this.blueprintsById.set(id, bp);
      if (DEFAULT_BLUEPRINTS[bp.platform] === bp.id) this.current.set(bp.platform, { blueprint: bp, id });
    }
    // Blueprints named on the command line become the current batch of their platform.
    for (const { bp, file } of extra) {
      const id = this.store.saveBlueprint(bp, path.resolve(file), now);
      this.blueprintsById.set(id, bp);
      this.current.set(bp.platform, { blueprint: bp, id });
    }
  }

  /** The newest loaded version of a blueprint by its name (as order files name it). */
  private blueprintByName(name: string): { blueprint: Blueprint; id: number } | null {
    let best: { blueprint: Blueprint; id: number } | null = null;
    for (const [id, bp] of this.blueprintsById) {
      if (bp.id === name && (!best || bp.version > best.blueprint.version)) best = { blueprint: bp, id };
    }
    return best;
  }

  private blueprint(id: number): Blueprint {
    let bp = this.blueprintsById.get(id);
    if (!bp) {
      bp = this.store.getBlueprint(id);
      this.blueprintsById.set(id, bp);
    }
    return bp;
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.floor.stop();
    await this.bench.stop();
    for (const driver of this.drivers.values()) await driver.stop();
    this.controller.stopAll();
    this.store.close();
  }

  // ---- devices -------------------------------------------------------------------------------

  private attachedOf(d: DeviceRecord): AttachedDevice {
    return { serial: d.serial, family: d.family, platform: d.platform, model: d.model, osVersion: d.osVersion, portPath: d.portPath ?? '' };
  }

  private deviceAttached(d: AttachedDevice): void {
    const now = isoTime(this.clock.now());
    const record: DeviceRecord = { ...d, present: true };
    this.store.upsertDevice(record, now);
    const slot = this.store.slotForPort(d.portPath);
    const entry = this.devices.get(d.serial) ?? { record, slot, lastRun: null, problem: null };
    entry.record = record;
    entry.slot = slot;
    this.devices.set(d.serial, entry);
    this.bench.clearNotice(d.portPath);
    // Devices that do not come through the USB watcher (the simulator's, fixed serial ports) teach
    // the learn mode their port here; a USB port was taken when it appeared on the bus already.
    if (!this.bench.usbRunning || d.family === 'simulated') this.bench.portAppeared(d.portPath);
    if (!this.ready) return;
    this.markDirty(d.serial);
    if (this.controller.forSerial(d.serial)) {
      this.controller.deviceBack(d.serial);
      return;
    }
    if (this.bench.learning) {
      entry.held = true;
      return;
    }
    const last = this.store.latestRunForSerial(d.serial);
    if (last?.state === 'done') {
      // Already enrolled: show it as done; it is not configured a second time.
      entry.lastRun = { record: last, blueprint: this.blueprint(last.blueprintId) };
      return;
    }
    this.startRun(entry);
  }

  /**
   * Starts a plugged device's run with no click: its order's blueprint and school when its serial
   * is in an order, else the current batch; otherwise the tile asks (FloorOperations.assignmentFor).
   */
  private startRun(entry: DeviceEntry): void {
    entry.held = false;
    const assigned = this.floor.assignmentFor(entry.record.serial, entry.record.platform);
    if (!assigned.ok) {
      const noBlueprint = assigned.code === 'needs_assignment' && this.current.get(entry.record.platform) === undefined && !this.floor.orders.orderOfSerial(entry.record.serial);
      entry.problem = noBlueprint
        ? { code: 'no_blueprint', message: `No blueprint for ${entry.record.platform} devices is loaded. Ask an admin to add one.` }
        : { code: assigned.code, message: assigned.message };
      this.config.logger.log('warn', entry.problem.message, { serial: entry.record.serial });
      return;
    }
    const chosen = assigned.assignment;
    entry.problem = null;
    const open = this.store.currentShift();
    const shift = open ?? this.store.ensureShift(isoTime(this.clock.now()));
    // A shift opened for an unattended station must reach the renderers like one opened by hand.
    if (!open) this.emitShift();
    this.controller.start({
      serial: entry.record.serial,
      shiftId: shift.id,
      slot: entry.slot ?? `port ${entry.record.portPath ?? '?'}`,
      operator: this.floor.runOperator(shift),
      blueprint: chosen.blueprint,
      blueprintId: chosen.blueprintId,
      captured: chosen.captured,
    });
  }

  /** A device whose tile asked for an order, once it has one. */
  private startWaitingDevice(serial: string): void {
    const entry = this.devices.get(serial);
    if (!entry?.record.present) throw new StationError('conflict', `Gerät ${serial} ist nicht eingesteckt.`);
    if (this.controller.forSerial(serial)) throw new StationError('conflict', `Gerät ${serial} läuft schon.`);
    this.startRun(entry);
    this.markDirty(serial);
    if (entry.problem) throw new StationError('conflict', entry.problem.message);
  }

  private deviceDetached(serial: string): void {
    const entry = this.devices.get(serial);
    this.store.setDevicePresent(serial, false, isoTime(this.clock.now()));
    if (!entry) return;
    entry.record = { ...entry.record, present: false };
    this.controller.deviceLeft(serial);
    if (!this.controller.forSerial(serial)) {
      this.devices.delete(serial);
      this.removed.add(serial);
    }
    this.markDirty(serial);
  }

  private executeStep(serial: string, ctx: StepContext): Promise<StepOutcome> {
    // Printing is the station's job, not the device's.
    if (ctx.step.type === 'print-label') {
      const live = this.controller.get(ctx.runId);
      if (live) return this.floor.printLabelStep(live, ctx.step);
    }
    const entry = this.devices.get(serial);
    const driver = entry ? this.drivers.get(entry.record.family) : undefined;
    if (!entry?.record.present || !driver) return Promise.reject(new DeviceGoneError(serial));
    return driver.executeStep(ctx);
  }

  /** Renders the blueprint's naming template; the sequence is per template and school. */
  private deviceName(run: LiveRun, step: BlueprintStep): string | null {
    if (run.record.captured.deviceName) return run.record.captured.deviceName;
    if (step.type !== 'rename') return null;
    const school = run.record.captured.school ?? this.store.getSetting('default_school') ?? 'Schule';
    const template = step.params.template;
    const seq = template.includes('{seq') ? this.store.nextSequence(`${template}|${school}`) : null;
    const device = this.devices.get(run.serial)?.record;
    return renderTemplate(template, { school, seq, serial: run.serial, model: device?.model, ...run.record.captured }).text;
  }

  // ---- events --------------------------------------------------------------------------------

  /** Every committed transition, in order; the automation API's SSE feed. */
  onCommitted(listener: (t: RunTransition) => void): () => void {
    return this.controller.onTransition((t) => listener(t));
  }

  /** Coalesced view updates for renderers: at most one update per device every 50 ms. */
  onEvent(listener: (event: StationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private afterTransition(t: RunTransition, run: LiveRun): void {
    const entry = this.devices.get(t.serial);
    if (entry && (t.state === 'done' || t.state === 'cancelled')) {
      entry.lastRun = { record: run.record, blueprint: run.blueprint };
      if (!entry.record.present) {
        this.devices.delete(t.serial);
        this.removed.add(t.serial);
      }
    }
    this.markDirty(t.serial);
  }

  /** Sends an event to every renderer at once (port tiles, layout); device updates are coalesced. */
  private emit(event: StationEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.config.logger.log('error', `station event listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** The slot layout changed: every device takes the slot of its port now. */
  private layoutChanged(): void {
    for (const entry of this.devices.values()) {
      const slot = entry.record.portPath ? this.store.slotForPort(entry.record.portPath) : null;
      if (slot !== entry.slot) {
        entry.slot = slot;
        this.markDirty(entry.record.serial);
      }
    }
  }

  /** Learn mode ended: devices plugged in during it start their runs now. */
  private learnEnded(): void {
    if (!this.ready) return;
    for (const entry of this.devices.values()) {
      if (entry.held && entry.record.present && !this.controller.forSerial(entry.record.serial)) {
        this.startRun(entry);
        this.markDirty(entry.record.serial);
      }
      entry.held = false;
    }
  }

  private markDirty(serial: string): void {
    this.dirty.add(serial);
    if (this.flushTimer || this.listeners.size === 0) return;
    this.flushTimer = setTimeout(() => this.flush(), 50);
  }

  private flush(): void {
    this.flushTimer = null;
    const serials = [...this.dirty];
    this.dirty.clear();
    const emit = (event: StationEvent) => {
      for (const l of this.listeners) l(event);
    };
    for (const serial of serials) {
      const entry = this.devices.get(serial);
      if (entry) emit({ type: 'device', device: this.viewOf(entry) });
      else if (this.removed.delete(serial)) emit({ type: 'device-removed', serial });
    }
    emit({ type: 'stats', stats: this.stats() });
  }

  // ---- queries -------------------------------------------------------------------------------

  private viewOf(entry: DeviceEntry): DeviceView {
    const live = this.controller.forSerial(entry.record.serial);
    const run = live ? { record: live.record, blueprint: live.blueprint } : entry.lastRun;
    // The slot of the port the device is (or was last) in; null: an unmapped port.
    return deviceView(entry.record, entry.slot, run, entry.problem);
  }

  /** Devices present or with an unfinished run, in slot order. */
  listDevices(): DeviceView[] {
    const order = new Map(this.store.listSlots().map((s) => [s.label, s.position]));
    return [...this.devices.values()]
      .filter((e) => e.record.present || this.controller.forSerial(e.record.serial))
      .map((e) => this.viewOf(e))
      .sort((a, b) => (order.get(a.slot ?? '') ?? 1e9) - (order.get(b.slot ?? '') ?? 1e9) || a.serial.localeCompare(b.serial));
  }

  currentShift(): ShiftView | null {
    return this.store.currentShift();
  }

  listShifts(): ShiftView[] {
    return this.store.listShifts();
  }

  resolveShift(id: string): ShiftView {
    const shift = id === 'current' ? this.store.currentShift() : id === 'last' ? this.store.lastShift() : this.store.getShift(id);
    if (!shift) throw new StationError('not_found', id === 'current' ? 'No shift is open.' : `No shift ${id}.`);
    return shift;
  }

  listRuns(shiftId: string): RunSummary[] {
    return this.store.runsOfShift(shiftId).map((r) => {
      const live = this.controller.get(r.id);
      return runSummary(live?.record ?? r, this.blueprint(r.blueprintId));
    });
  }

  stats(): ShiftStats {
    const shift = this.store.currentShift();
    if (!shift) return { done: 0, failed: 0, inProgress: 0, devicesPerHour: 0 };
    const c = this.store.shiftCounts(shift.id);
    const done = c.done ?? 0;
    return {
      done,
      failed: c.failed ?? 0,
      inProgress: (c.queued ?? 0) + (c.running ?? 0) + (c.waiting ?? 0) + (c.interrupted ?? 0),
      devicesPerHour: devicesPerHour(done, Date.parse(shift.openedAt), this.clock.now()),
    };
  }

  snapshot(): StationSnapshot {
    return {
      stationId: this.stationId,
      stationName: this.config.stationName ?? this.store.getSetting('station_name') ?? 'Station',
      version: this.config.version,
      simulator: this.simulator !== null,
      shift: this.store.currentShift(),
      stats: this.stats(),
      devices: this.listDevices(),
      notices: this.bench.listNotices(),
      hub: this.hubLink?.() ?? null,
    };
  }

  private hubLink: (() => HubLinkView) | null = null;

  /** Where the hub sender's state comes from, for the snapshot (set when the station reports to a hub). */
  setHubLink(status: (() => HubLinkView) | null): void {
    this.hubLink = status;
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
    if (!this.bench.deleteSlot(label)) throw new StationError('not_found', `There is no slot ${label}.`);
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

  runDetail(runId: string): RunDetail {
    const record = this.controller.get(runId)?.record ?? this.store.getRun(runId);
    if (!record) throw new StationError('not_found', `No run ${runId}.`);
    return runDetail(record, this.blueprint(record.blueprintId), this.store.stepEvents(runId));
  }

  // ---- technician actions --------------------------------------------------------------------

  retryRun(runId: string): void {
    const live = this.liveRun(runId);
    this.controller.retry(runId, this.devices.get(live.serial)?.record.present === true);
    this.floor.adoptIntoCurrentShift(live.record);
    this.floor.recordAction('retry', { runId, serial: live.serial });
  }

  cancelRun(runId: string): void {
    const live = this.liveRun(runId);
    this.controller.cancel(runId);
    this.floor.recordAction('cancel', { runId, serial: live.serial });
  }

  skipStep(runId: string): void {
    const live = this.liveRun(runId);
    const step = live.blueprint.steps[live.record.stepIndex]?.id ?? null;
    this.controller.skip(runId);
    this.floor.recordAction('skip', { runId, serial: live.serial, detail: step });
  }

  confirmStep(runId: string): void {
    const live = this.liveRun(runId);
    this.controller.confirm(runId);
    this.floor.recordAction('confirm', { runId, serial: live.serial });
  }

  private liveRun(runId: string): LiveRun {
    const live = this.controller.get(runId);
    if (live) return live;
    if (this.store.getRun(runId)) throw new StationError('conflict', `Run ${runId} is finished; there is nothing to change.`);
    throw new StationError('not_found', `No run ${runId}.`);
  }

  openShift(operators: string[]): ShiftView {
    const shift = this.store.openShift(operators, isoTime(this.clock.now()));
    this.emitShift();
    return shift;
  }

  closeShift(shiftId: string): ShiftView {
    const shift = this.store.getShift(shiftId);
    if (!shift) throw new StationError('not_found', `No shift ${shiftId}.`);
    if (shift.closedAt) throw new StationError('conflict', `Shift ${shiftId} is already closed.`);
    return this.floor.closeShift(shiftId, 'hand');
  }

  private emitShift(): void {
    const shift = this.store.currentShift();
    for (const l of this.listeners) l({ type: 'shift', shift });
    for (const l of this.listeners) l({ type: 'stats', stats: this.stats() });
  }

  // ---- simulator -----------------------------------------------------------------------------

  plugSimulated(request: PlugRequest): string[] {
    return this.requireSimulator().plug(request);
  }

  unplugSimulated(serial: string): void {
    const sim = this.requireSimulator();
    if (!sim.list().some((d) => d.serial === serial)) throw new StationError('not_found', `No simulated device ${serial}.`);
    sim.unplug(serial);
  }

  replugSimulated(serial: string): void {
    const sim = this.requireSimulator();
    if (!sim.list().some((d) => d.serial === serial)) throw new StationError('not_found', `No simulated device ${serial}.`);
    sim.replug(serial);
  }

  private requireSimulator(): SimulatedDriver {
    if (!this.simulator) throw new StationError('unavailable', 'This station runs without the simulator (--drivers has no "sim").');
    return this.simulator;
  }
}
