// The station's one composition root: it builds the store, the blueprints, the drivers, the run
// controller, the device registry, the event fan-out and the feature services, starts them in
// order, and (for `benchline station` and the Electron shell alike) serves the automation API and
// reports to the hub. Nothing else constructs these parts.
import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { IngestBody } from '../../shared/contract/hub-api.js';
import type { HubLinkView } from '../../shared/contract/station-api.js';
import type { SignInPolicy } from '../../shared/contract/floor-api.js';
import { ensureApiToken } from '../api/api-token.js';
import { createStationServer } from '../api/station-http-server.js';
import { RENDERER_DIR, RESOURCES_DIR, appVersion } from '../app-paths.js';
import { BlueprintCatalog } from '../blueprints/blueprint-catalog.js';
import type { DeviceDriver, DriverEvents } from '../drivers/driver.js';
import { resolveDrivers, type DriverName } from '../drivers/registry.js';
import { SimulatedDriver } from '../drivers/simulated/simulated-driver.js';
import { UsbPortFeed } from '../drivers/usb/usb-port-feed.js';
import { TestUsbBackend } from '../drivers/usb/test-usb-backend.js';
import { loadLibusbBackend, type UsbBackend } from '../drivers/usb/usb-backend.js';
import { createFileLogger, redactingLogger, type Logger } from '../logging/logger.js';
import { chooseKeyProvider, type OsKeyStore } from '../secrets/key-providers.js';
import { SecretStore } from '../secrets/secret-store.js';
import { SecretRows } from '../store/secret-rows.js';
import { clockAtSpeed, isoTime, type Clock } from '../pipeline/clock.js';
import { RunController } from '../pipeline/run-controller.js';
import { parseLaneCaps } from '../pipeline/lanes.js';
import type { ShiftService } from '../shifts/shift-service.js';
import { StationStore } from '../store/station-store.js';
import { DeadLetterStore } from '../store/dead-letter-store.js';
import type { Db } from '../store/database.js';
import { BenchHardware } from './bench-hardware.js';
import { DeviceRegistry } from './device-registry.js';
import { createFeatureServices } from './feature-services.js';
import { HubLibraryClient } from '../library/hub-library-client.js';
import { LibraryService } from '../library/library-service.js';
import { OutboxSender, type HubLink, type OutboxSource } from '../hub-link/outbox-sender.js';
import { defaultSimSlots } from './slot-layout.js';
import { StationCore } from './station-core.js';
import { StationEvents } from './station-events.js';

export { DRIVER_NAMES, type DriverName } from '../drivers/registry.js';

/** Checked station settings: what `startStation` needs, in the CLI and in the Electron shell alike. */
export interface StationOptions {
  dataDir: string;
  host: string;
  /** Host names browsers may use besides loopback and the bound address (--host, --allowed-host). */
  hostNames?: string[];
  port: number;
  drivers: DriverName[];
  simulate: number;
  simSpeed: number;
  simFailRate: number;
  simSeed: number;
  blueprintFiles: string[];
  /** Fixed serial ports for the serial driver (--serial-port), e.g. RS-232 or an emulator's PTY. */
  serialPorts?: string[];
  /** Caps on concurrent heavy steps, "heavy=10,driver=25" (--lane-cap); over the station setting `lane_caps`. */
  laneCaps?: string;
  /** The activation server for iOS devices (--ios-activation-url); absent: Apple's. */
  iosActivationUrl?: string;
  /** The adb binary for the Android driver (--adb PATH). */
  adbPath?: string;
  /** --sign-in-policy: stored as the station's policy at start; absent, the stored one (default `wait`) holds. */
  signInPolicy?: SignInPolicy;
  /** Where the built renderer is; the automation API works without it. */
  rendererDir?: string | null;
  resourcesDir?: string;
  version?: string;
  /** The hub to report to (--hub, --hub-token); null: the station works alone. */
  hub?: HubLink | null;
  /** The OS key store for secrets (the app's safeStorage); without it DATA_DIR/secrets.key. */
  osKeyStore?: OsKeyStore;
}

/** A started station: core, api-token and the loopback automation API. */
export interface RunningStation {
  core: StationCore;
  server: FastifyInstance;
  token: string;
  dataDir: string;
  logger: Logger;
  /** Base URL of the automation API and the browser UI, e.g. http://127.0.0.1:4780/ */
  url: string;
  /** The outbox sender when the station reports to a hub. */
  hubSender: OutboxSender | null;
  /** Stops the server, then the core; safe to call more than once. */
  close(): Promise<void>;
}

/** What the station core is opened with (tests open one directly with openStationCore). */
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
  /** Caps on concurrent heavy steps, "heavy=10,driver=25" (--lane-cap); over the station setting `lane_caps`. */
  laneCaps?: string;
  /** The activation server for iOS devices (--ios-activation-url); absent: Apple's. */
  iosActivationUrl?: string;
  /** The adb binary the Android driver starts the adb server with (--adb PATH); `adb` on PATH by default. */
  adbPath?: string;
  /** Stored as the station's sign-in policy before any device starts; absent, the stored one (default `wait`) holds. */
  signInPolicy?: SignInPolicy;
  /** The `usb` boundary: libusb unless one is given (startStation passes the loopback test source for BENCHLINE_TEST_USB=1). */
  usbBackend?: UsbBackend;
  /** Quiet time after USB hotplug events before the bus is read (ms). */
  usbSettleMs?: number;
  /** The app's OS key store for secrets (main/electron/ passes safeStorage); headless uses DATA_DIR/secrets.key. */
  osKeyStore?: OsKeyStore;
}

// ---- drivers ----------------------------------------------------------------------------------

/** The drivers named in --drivers, built by their registered modules (main/drivers/registry.ts). */
function buildDrivers(
  config: StationConfig,
  store: StationStore,
  blueprints: BlueprintCatalog,
  usbPorts: UsbPortFeed | null,
  testUsb: TestUsbBackend | null,
  logger: Logger,
): Map<string, DeviceDriver> {
  const drivers = new Map<string, DeviceDriver>();
  for (const module of resolveDrivers(config.drivers)) {
    const driver = module.build({
      resourcesDir: config.resourcesDir,
      simSpeed: config.simSpeed,
      simFailRate: config.simFailRate,
      simSeed: config.simSeed,
      serialPorts: config.serialPorts ?? [],
      simStorage: store,
      blueprintFor: (platform) => blueprints.defaultFor(platform)?.blueprint ?? null,
      usbPorts,
      testTty: testUsb ? (portPath) => testUsb.ttyFor(portPath) : null,
      iosActivationUrl: config.iosActivationUrl ?? null,
      adbPath: config.adbPath ?? null,
      slotForPort: (portPath) => store.slotForPort(portPath),
      log: (level, message, fields) => logger.log(level, message, fields),
    });
    drivers.set(driver.family, driver);
  }
  return drivers;
}

// ---- the core ----------------------------------------------------------------------------------

/** Opens the data dir, loads blueprints, restores unfinished runs and starts the drivers. */
export async function openStationCore(config: StationConfig): Promise<StationCore> {
  // Refuses a driver this build does not have before anything is opened.
  resolveDrivers(config.drivers);
  let usbBackend: UsbBackend | null = null;
  if (config.drivers.includes('usb')) {
    // A UsbUnavailableError is an AppError ('unavailable') with its catalogue message already.
    usbBackend = config.usbBackend ?? (await loadLibusbBackend());
  }
  // Simulated devices run --sim-speed times faster; the pipeline's timeouts and backoffs follow.
  const clock = config.clock ?? clockAtSpeed(config.simSpeed);
  const store = new StationStore(path.join(config.dataDir, 'station.db'));
  try {
    const core = buildStation(config, store, clock, usbBackend);
    await bootStation(core, config, clock);
    return core.core;
  } catch (err) {
    store.close();
    throw err;
  }
}

interface BuiltStation {
  core: StationCore;
  store: StationStore;
  blueprints: BlueprintCatalog;
  drivers: Map<string, DeviceDriver>;
  simulator: SimulatedDriver | null;
  bench: BenchHardware;
  registry: DeviceRegistry;
  shifts: ShiftService;
  controller: RunController;
  logger: Logger;
}

function buildStation(config: StationConfig, store: StationStore, clock: Clock, usbBackend: UsbBackend | null): BuiltStation {
  const secrets = new SecretStore(new SecretRows(store.db), chooseKeyProvider(config.dataDir, config.osKeyStore ?? null));
  // Everything the station logs passes the redactor: a secret a step used never reaches a log file.
  const logger = redactingLogger(config.logger, secrets.redactor);
  const stationId = store.stationId();
  const stationName = () => config.stationName ?? store.getSetting('station_name') ?? 'Station';
  const blueprints = new BlueprintCatalog(store);
  // The registry, events and features call each other back; each is used only after all are built.
  // eslint-disable-next-line prefer-const -- assigned once below; the callbacks in between read it later
  let registry!: DeviceRegistry;
  // eslint-disable-next-line prefer-const -- as above
  let events!: StationEvents;
  const library = new LibraryService(store.db, config.dataDir, () => new Date(clock.now()));
  library.sweep();
  const controller = new RunController({
    clock,
    stationId,
    createRun: (run, event, outbox) => store.createRun(run, event, outbox),
    commitTransition: (...args) => store.commitTransition(...args),
    executeStep: (serial, ctx) => registry.executeStep(serial, ctx),
    deviceName: (run, step) => registry.deviceName(run, step),
    log: (level, message, fields) => logger.log(level, message, fields),
    secrets,
    laneKeys: (serial) => registry.laneKeys(serial),
    libraryItem: (ref) => library.fileFor(ref),
    // The command line wins over the station's setting, which wins over the defaults.
    laneCaps: parseLaneCaps(config.laneCaps ?? '', parseLaneCaps(store.getSetting('lane_caps') ?? '')),
  });
  const features = createFeatureServices({
    store,
    stationId,
    clock,
    logger,
    dataDir: config.dataDir,
    resourcesDir: config.resourcesDir,
    blueprints,
    stationName,
    liveRun: (runId) => controller.get(runId),
    liveRunForSerial: (serial) => controller.forSerial(serial),
    cancelLiveRun: (runId) => controller.cancel(runId),
    moveLiveRun: (runId, shiftId, operator) => controller.moveToShift(runId, shiftId, operator),
    startWaitingDevice: (serial) => registry.startWaitingDevice(serial),
    startWaitingDevices: () => registry.startWaitingDevices(),
    shiftChanged: () => events.shiftChanged(),
    floorChanged: () => events.floorChanged(),
  });
  events = new StationEvents({
    logger,
    deviceView: (serial) => registry.view(serial),
    stats: () => features.shifts.stats(),
    currentShift: () => store.currentShift(),
    floorState: () => ({ batch: features.assignment.currentBatch(), signInPolicy: features.operators.signInPolicy() }),
  });

  const testUsb = usbBackend instanceof TestUsbBackend ? usbBackend : null;
  const usbPorts = usbBackend ? new UsbPortFeed() : null;
  const drivers = buildDrivers(config, store, blueprints, usbPorts, testUsb, logger);
  const simulated = drivers.get('simulated');
  const simulator = simulated instanceof SimulatedDriver ? simulated : null;
  const bench = new BenchHardware(
    {
      store,
      logger,
      driverRunning: (family) => drivers.has(family),
      usbPorts,
      presentDevices: () => registry.presentDevices(),
      simulatorOn: simulator !== null,
      emit: (event) => events.emit(event),
      layoutChanged: () => registry.layoutChanged(),
      learnEnded: () => registry.learnEnded(),
      now: () => isoTime(clock.now()),
    },
    usbBackend,
    config.usbSettleMs,
  );
  registry = new DeviceRegistry({
    library,
    store,
    clock,
    logger,
    controller,
    drivers,
    bench,
    blueprints,
    assignment: features.assignment,
    orders: features.orders,
    operators: features.operators,
    labelPrinting: features.labels,
    events,
  });
  controller.onTransition((t, run) => registry.afterTransition(t, run));
  controller.onTransition((t, run) => features.quarantine.afterTransition(t, run));
  controller.onProgress((run) => events.deviceChanged(run.serial));

  const core = new StationCore({
    store,
    stationId,
    clock,
    version: config.version,
    stationName,
    controller,
    registry,
    events,
    blueprints,
    bench,
    drivers: [...drivers.values()],
    simulator,
    testUsb,
    library,
    ...features,
  });
  return { core, store, blueprints, drivers, simulator, bench, registry, shifts: features.shifts, controller, logger };
}

async function bootStation(s: BuiltStation, config: StationConfig, clock: Clock): Promise<void> {
  if (config.signInPolicy) s.core.operators.setSignInPolicy(config.signInPolicy);
  s.blueprints.load(config.resourcesDir, config.blueprintFiles, isoTime(clock.now()));
  if (s.simulator) s.store.ensureSlots(defaultSimSlots(256));
  s.store.clearPresence();
  // Drivers first, so restored runs find their devices present.
  const events: DriverEvents = {
    attached: (d) => s.registry.deviceAttached(d),
    detached: (serial) => s.registry.deviceDetached(serial),
    notice: (n) => s.bench.setNotice(n),
    noticeCleared: (portPath) => s.bench.clearNotice(portPath),
  };
  for (const driver of s.drivers.values()) await driver.start(events);
  await s.bench.start();
  s.registry.restore();
  if (s.simulator && config.simulate > 0) {
    const plugged = s.simulator.list().filter((d) => d.plugged).length;
    if (plugged < config.simulate) s.simulator.plug({ count: config.simulate - plugged });
  }
  s.shifts.startScheduler();
  s.logger.log('info', `station ${s.core.stationId} ready`, { runs: s.controller.size, devices: s.registry.size });
}

// ---- the running station -----------------------------------------------------------------------

/**
 * The `usb` boundary for a started station: BENCHLINE_TEST_USB=1 puts the loopback test source in
 * place of libusb (devices are plugged through the test endpoint); otherwise openStationCore loads libusb.
 */
function testUsbFromEnvironment(drivers: readonly DriverName[], logger: Logger): UsbBackend | undefined {
  if (!drivers.includes('usb') || process.env.BENCHLINE_TEST_USB !== '1') return undefined;
  logger.log('warn', 'USB test source enabled (BENCHLINE_TEST_USB=1): USB devices come from the loopback test endpoint, not from libusb.');
  return new TestUsbBackend();
}

/**
 * Opens the station core on its data dir, makes sure the api-token exists and serves the automation
 * API (and the built renderer, for browsers) on host:port. Shared by `benchline station --headless`
 * and the Electron shell, so both run the very same station.
 */
export async function startStation(options: StationOptions): Promise<RunningStation> {
  const { dataDir, host, port } = options;
  const version = options.version ?? appVersion();
  const logger = createFileLogger(dataDir, 'station');
  const usbBackend = testUsbFromEnvironment(options.drivers, logger);
  const core = await openStationCore({
    dataDir,
    resourcesDir: options.resourcesDir ?? RESOURCES_DIR,
    drivers: options.drivers,
    simulate: options.simulate,
    simSpeed: options.simSpeed,
    simFailRate: options.simFailRate,
    simSeed: options.simSeed,
    blueprintFiles: options.blueprintFiles,
    serialPorts: options.serialPorts ?? [],
    ...(options.laneCaps ? { laneCaps: options.laneCaps } : {}),
    ...(options.iosActivationUrl ? { iosActivationUrl: options.iosActivationUrl } : {}),
    ...(options.adbPath ? { adbPath: options.adbPath } : {}),
    ...(options.signInPolicy ? { signInPolicy: options.signInPolicy } : {}),
    version,
    logger,
    ...(usbBackend ? { usbBackend } : {}),
    ...(options.osKeyStore ? { osKeyStore: options.osKeyStore } : {}),
  });
  let server: FastifyInstance;
  let token: string;
  try {
    token = ensureApiToken(dataDir);
    server = await createStationServer({
      core,
      token,
      rendererDir: options.rendererDir === undefined ? RENDERER_DIR : options.rendererDir,
      logger,
      version,
      hostNames: options.hostNames ?? [],
    });
  } catch (err) {
    await core.close();
    throw err;
  }
  try {
    await server.listen({ host, port });
  } catch (err) {
    await server.close().catch(() => {});
    await core.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(
      'unavailable',
      code === 'EADDRINUSE' ? message('station.port-in-use', { port, host }) : message('station.listen-failed', { host, port, detail: (err as Error).message }),
    );
  }
  const address = server.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}/`;
  logger.log('info', 'listening', { url, dataDir });
  const hubSender = options.hub ? startHubReporting(core, options.hub, logger, version) : null;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      try {
        await hubSender?.stop();
        await server.close();
      } finally {
        await core.close();
        logger.flush();
      }
    })();
    return closing;
  };
  return { core, server, token, dataDir, logger, url, hubSender, close };
}

/** Starts the sender for a station core: woken by every committed transition, stopped with the station. */
export function startHubReporting(
  core: {
    store: OutboxSource & { getSetting(key: string): string | null; db: Db };
    stationId: string;
    onCommitted(listener: () => void): () => void;
    receipt?: { orderProgress(): NonNullable<IngestBody['orders']> };
    setHubLink?(status: (() => HubLinkView) | null, onChange?: (listener: () => void) => () => void): void;
    library?: LibraryService;
  },
  link: HubLink,
  logger: Logger,
  version: string,
): OutboxSender {
  const stationName = () => core.store.getSetting('station_name') ?? 'Station';
  const receipt = core.receipt;
  const orders = receipt ? () => receipt.orderProgress() : undefined;
  const sender = new OutboxSender({
    source: core.store,
    deadLetters: new DeadLetterStore(core.store.db),
    stationId: core.stationId,
    hubUrl: link.url,
    token: link.token,
    logger,
    version,
    stationName,
    ...(orders ? { orders } : {}),
  });
  sender.onStop(core.onCommitted(() => sender.notify()));
  core.setHubLink?.(
    () => sender.status(),
    (listener) => sender.onStatus(listener),
  );
  sender.onStop(() => core.setHubLink?.(null));
  const library = core.library;
  if (library) {
    library.useHub(new HubLibraryClient({ library, hubUrl: link.url, token: link.token, logger }));
    sender.onStop(() => library.useHub(null));
  }
  sender.start();
  return sender;
}
