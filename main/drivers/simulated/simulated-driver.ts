import { AppError } from '../../../shared/contract/errors.js';
import { STEP_TYPES, type StepType } from '../../../shared/blueprint/schema.js';
import type { Platform } from '../../../shared/contract/run-state.js';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import type { SimDeviceRecord, SimDeviceState } from '../../store/records.js';
import { stripControl } from '../../../shared/contract/text.js';
import type { AttachedDevice, DeviceDriver, DriverEvents, StepContext, StepOutcome } from '../driver.js';
import { DeviceGoneError, StepAbortedError, stepFailed, sleep } from '../step-errors.js';
import { seededRandom } from './seeded-random.js';
import type { SimProfiles } from './sim-profiles.js';

/** Where the simulated hub keeps its devices, so they are still plugged in after a crash. */
export interface SimDeviceStorage {
  listSimDevices(): SimDeviceRecord[];
  saveSimDevice(device: SimDeviceRecord): void;
  setSimPlugged(serial: string, plugged: boolean): void;
  setSimState(serial: string, state: SimDeviceState): void;
}

export interface SimulatedDriverOptions {
  storage: SimDeviceStorage;
  profiles: SimProfiles;
  /** 1 = real time; 1000 = a thousand times faster; Infinity = no waiting at all (benchmarks). */
  speed: number;
  failRate: number;
  seed: number;
}

export interface PlugRequest {
  count: number;
  model?: string | undefined;
  failAt?: string | undefined;
  platform?: Platform | undefined;
  /** Serials to give the devices (e.g. an order's), as many as `count`; random ones otherwise. */
  serials?: readonly string[] | undefined;
}

/** A simulator request that cannot be done (unknown model, serial taken): the caller's mistake. */
export class SimulatorError extends AppError {
  override name = 'SimulatorError';
  constructor(text: Message) {
    super('bad_request', text);
  }
}

/** The step types the simulator fails with a cause of its own; any other failure says which step failed. */
const SIM_FAILURES = [
  'battery',
  'erase',
  'activate',
  'supervise',
  'enroll-mdm',
  'install-profile',
  'remove-profile',
  'install-app',
  'rename',
  'restart',
  'verify',
  'print-label',
  'set-device-owner',
  'install-apk',
  'settings',
  'wifi',
  'reboot',
] as const;
type SimFailure = (typeof SIM_FAILURES)[number];
const isSimFailure = (type: string): type is SimFailure => (SIM_FAILURES as readonly string[]).includes(type);
/** The cause a failing step gives: a tablet's battery says "tablet", not "iPad". */
const simFailureCode = (platform: Platform, type: SimFailure) =>
  platform === 'android' && type === 'battery' ? 'sim.battery-android' : (`sim.${type}` as const);

interface LiveSimDevice {
  record: SimDeviceRecord;
  /** Aborted when the device is unplugged: every step on it stops at once. */
  presence: AbortController;
  /** Set while the device is away restarting (after an erase or a restart); it comes back when this fires. */
  restart?: NodeJS.Timeout | null;
}

/** Step types after which a simulated device restarts: it leaves the bus and comes back, as an erased or restarted iPad or a rebooted tablet does. */
const RESTARTING_STEPS: ReadonlySet<StepType> = new Set(['erase', 'restart', 'reboot']);
/** Step types that upload an app (iPad apps, Android APKs): they report progress. */
const UPLOADING_STEPS: ReadonlySet<StepType> = new Set(['install-app', 'install-apk']);
/** How much charge a simulated device has when it is plugged in: most are charged, a few are low. */
const CHARGED_PERCENT = 80;
const LOW_PERCENT = 12;
/** Battery rise while charging on the hub, when the profile says none (about 2 % a minute). */
const DEFAULT_CHARGE_SECONDS_PER_PERCENT = 30;
/** Progress reports during a simulated upload. */
const UPLOAD_CHUNKS = 20;

/**
 * A virtual USB hub with simulated devices: the default driver, used for training, the end-to-end
 * tests and the benchmarks. Step timings come from the profile, failures from a seeded generator.
 */
export class SimulatedDriver implements DeviceDriver {
  readonly family = 'simulated' as const;
  /** Simulated installs need no file: `npm start` works on an empty library (missing items are logged). */
  readonly installsWithoutLibrary = true;
  /** Every tablet step; serial scripts need a serial device. */
  readonly supportedSteps: ReadonlySet<StepType> = new Set(STEP_TYPES.filter((t) => t !== 'serial-script' && t !== 'serial-verify'));
  private events: DriverEvents | null = null;
  private readonly devices = new Map<string, LiveSimDevice>();
  private readonly random: () => number;
  private serialCounter = 0;

  constructor(private readonly opts: SimulatedDriverOptions) {
    this.random = seededRandom(opts.seed);
  }

  async start(events: DriverEvents): Promise<void> {
    this.events = events;
    for (const record of this.opts.storage.listSimDevices()) {
      const live = { record, presence: new AbortController() };
      if (!record.plugged) live.presence.abort();
      this.devices.set(record.serial, live);
      this.serialCounter++;
      if (record.plugged) events.attached(this.toAttached(record));
    }
  }

  async stop(): Promise<void> {
    this.events = null;
    for (const live of this.devices.values()) {
      if (live.restart) clearTimeout(live.restart);
      live.restart = null;
    }
  }

  list(): SimDeviceRecord[] {
    return [...this.devices.values()].map((d) => d.record);
  }

  /** Plugs new simulated devices into free ports; returns their serials. */
  plug(request: PlugRequest): string[] {
    const platform = request.platform ?? this.platformForModel(request.model) ?? 'ios';
    const profile = this.opts.profiles.platforms[platform];
    if (!profile) throw new SimulatorError(message('simulator.no-profile', { platform }));
    const models = request.model ? profile.models.filter((m) => m.model === request.model) : profile.models;
    if (models.length === 0) {
      throw new SimulatorError(message('simulator.unknown-model', { model: request.model ?? '', known: profile.models.map((m) => m.model).join(', ') }));
    }
    if (request.serials) {
      if (request.serials.length !== request.count)
        throw new SimulatorError(message('simulator.serial-count', { count: request.count, given: request.serials.length }));
      const taken = request.serials.filter((s, i) => this.devices.has(s) || request.serials!.indexOf(s) !== i);
      if (taken.length) throw new SimulatorError(message('simulator.serials-taken', { serials: taken.join(', ') }));
    }
    const serials: string[] = [];
    for (let i = 0; i < request.count; i++) {
      const model = models[Math.floor(this.random() * models.length)] ?? models[0]!;
      const record: SimDeviceRecord = {
        serial: request.serials?.[i] ?? this.newSerial(model.serialPrefix),
        platform,
        model: model.model,
        osVersion: model.osVersion,
        portPath: this.freePort(),
        plugged: true,
        failAt: request.failAt ?? null,
        state: { battery: this.random() < this.opts.profiles.lowBatteryShare ? LOW_PERCENT : CHARGED_PERCENT },
      };
      this.opts.storage.saveSimDevice(record);
      this.devices.set(record.serial, { record, presence: new AbortController() });
      serials.push(record.serial);
      this.events?.attached(this.toAttached(record));
    }
    return serials;
  }

  unplug(serial: string): void {
    const live = this.require(serial);
    if (live.restart) {
      // Pulled while restarting: it does not come back by itself.
      clearTimeout(live.restart);
      live.restart = null;
      this.opts.storage.setSimPlugged(serial, false);
      return;
    }
    if (!live.record.plugged) return;
    live.record.plugged = false;
    this.opts.storage.setSimPlugged(serial, false);
    live.presence.abort();
    this.events?.detached(serial);
  }

  replug(serial: string): void {
    const live = this.require(serial);
    if (live.restart) clearTimeout(live.restart);
    live.restart = null;
    if (live.record.plugged) return;
    live.record.plugged = true;
    this.opts.storage.setSimPlugged(serial, true);
    live.presence = new AbortController();
    this.events?.attached(this.toAttached(live.record));
  }

  async executeStep(ctx: StepContext): Promise<StepOutcome> {
    const live = this.devices.get(ctx.serial);
    if (!live?.record.plugged) throw new DeviceGoneError(ctx.serial);
    const presence = live.presence.signal;
    const signal = AbortSignal.any([ctx.signal, presence]);
    try {
      return await this.runStep(live, ctx, signal);
    } catch (err) {
      if (err instanceof StepAbortedError && presence.aborted) throw new DeviceGoneError(ctx.serial);
      throw err;
    }
  }

  private async runStep(live: LiveSimDevice, ctx: StepContext, signal: AbortSignal): Promise<StepOutcome> {
    const { record } = live;
    const step = ctx.step;
    const profile = this.opts.profiles.platforms[record.platform];
    const seconds = profile?.steps[step.type] ?? this.opts.profiles.defaultStepSeconds;

    if (step.type === 'wait-for-trust' && !record.state.trusted) {
      await ctx.waitFor(
        'trust',
        message(record.platform === 'android' ? 'wait.trust-android' : 'wait.trust-ios'),
        this.wait((profile?.trustSeconds ?? 0) * this.jitter(), signal),
      );
      this.saveState(record, { ...record.state, trusted: true });
    }
    if (step.type === 'manual-check') {
      const prompt = typeof step.params.prompt === 'string' ? step.params.prompt : step.params.prompt.en;
      await ctx.confirmByTechnician(prompt);
      return {};
    }

    // Like a real driver, the simulator reads the secrets a step names: a missing one fails the step.
    const secretName = step.type === 'wifi' ? step.params.secret : step.type === 'supervise' ? step.params.identity : undefined;
    if (secretName !== undefined && ctx.secret) await ctx.secret(secretName);
    const duration = seconds * this.jitter();
    if (this.shouldFail(record, step.id, step.type, step.retries)) {
      await this.wait(duration / 2, signal);
      throw isSimFailure(step.type) ? stepFailed(simFailureCode(record.platform, step.type), {}) : stepFailed('step.failed', { step: step.id });
    }
    if (UPLOADING_STEPS.has(step.type) && ctx.progress) await this.upload(ctx, duration, signal);
    else await this.wait(duration, signal);
    if (step.type === 'battery') {
      await this.charge(record, ctx, step.params.minPercent, profile?.chargeSecondsPerPercent ?? DEFAULT_CHARGE_SECONDS_PER_PERCENT, signal);
    }
    const restartSeconds = profile?.restartSeconds ?? 0;
    if (RESTARTING_STEPS.has(step.type) && restartSeconds > 0 && ctx.expectReattach) {
      // Like an erased or restarted iPad or a rebooted tablet: the device leaves the bus and comes back; the run goes on at the next step.
      ctx.expectReattach();
      this.restart(live, restartSeconds * this.jitter());
      throw new DeviceGoneError(ctx.serial);
    }
    const captured = this.captures(record, ctx);
    // What a device answers is stored, sent to the hub and printed: the same rule as a real driver's answers.
    return { captured: captured && Object.fromEntries(Object.entries(captured).map(([k, v]) => [k, stripControl(v)])) };
  }

  /**
   * A device below `minPercent` charges on the hub while the tile says so, as a real one does;
   * a charged one passes at once. The level is stored, so a station restarted meanwhile knows it.
   */
  private async charge(record: SimDeviceRecord, ctx: StepContext, minPercent: number, secondsPerPercent: number, signal: AbortSignal): Promise<void> {
    const level = record.state.battery ?? 100;
    if (level >= minPercent) return;
    const seconds = (minPercent - level) * secondsPerPercent * this.jitter();
    // A tablet waits with the real Android driver's words (it charges for the installs, there is no erase).
    const text =
      record.platform === 'android' ? message('android.battery-low', { percent: level, min: minPercent }) : message('wait.battery', { percent: minPercent });
    await ctx.waitFor('battery', text, this.wait(seconds, signal));
    this.saveState(record, { ...record.state, battery: minPercent });
  }

  /** An app upload in chunks, reporting percent, bytes and bytes/s as a real install does. */
  private async upload(ctx: StepContext, seconds: number, signal: AbortSignal): Promise<void> {
    const total = Math.round((150 + this.random() * 1350) * 1024 * 1024);
    const bytesPerSecond = Math.round(total / Math.max(seconds, 0.001));
    for (let chunk = 1; chunk <= UPLOAD_CHUNKS; chunk++) {
      await this.wait(seconds / UPLOAD_CHUNKS, signal);
      const bytes = Math.round((total * chunk) / UPLOAD_CHUNKS);
      ctx.progress?.({ percent: Math.round((100 * chunk) / UPLOAD_CHUNKS), bytes, total, bytesPerSecond });
    }
  }

  /**
   * The device leaves the bus now and comes back after `seconds` (scaled by the speed). Its stored
   * plug state stays "plugged": a station restarted meanwhile finds it back.
   */
  private restart(live: LiveSimDevice, seconds: number): void {
    const serial = live.record.serial;
    live.record.plugged = false;
    live.presence.abort();
    this.events?.detached(serial);
    const ms = (seconds * 1000) / this.opts.speed;
    live.restart = setTimeout(
      () => {
        live.restart = null;
        live.record.plugged = true;
        live.presence = new AbortController();
        this.events?.attached(this.toAttached(live.record));
      },
      Number.isFinite(ms) ? Math.max(0, ms) : 0,
    );
  }

  private captures(record: SimDeviceRecord, ctx: StepContext): Record<string, string> | undefined {
    switch (ctx.step.type) {
      case 'identify':
        return { serialNumber: record.serial, model: record.model, osVersion: record.osVersion };
      case 'rename':
        return ctx.deviceName ? { deviceName: ctx.deviceName } : undefined;
      default:
        return undefined;
    }
  }

  /**
   * `failAt` (a step id or type) fails that step until the run has exhausted its automatic retries,
   * so the run ends `failed` and a technician's retry then succeeds. Otherwise `--sim-fail-rate`.
   */
  private shouldFail(record: SimDeviceRecord, stepId: string, stepType: string, retries: number): boolean {
    if (record.failAt === stepId || record.failAt === stepType) {
      const left = record.state.failuresLeft?.[stepId] ?? retries + 1;
      if (left > 0) {
        this.saveState(record, { ...record.state, failuresLeft: { ...record.state.failuresLeft, [stepId]: left - 1 } });
        return true;
      }
      return false;
    }
    return this.opts.failRate > 0 && this.random() < this.opts.failRate;
  }

  private saveState(record: SimDeviceRecord, state: SimDeviceState): void {
    record.state = state;
    this.opts.storage.setSimState(record.serial, state);
  }

  private wait(realSeconds: number, signal: AbortSignal): Promise<void> {
    const ms = (realSeconds * 1000) / this.opts.speed;
    if (!Number.isFinite(ms) || ms <= 0) {
      if (signal.aborted) return Promise.reject(new StepAbortedError());
      return Promise.resolve();
    }
    return sleep(ms, signal);
  }

  private jitter(): number {
    return 0.75 + this.random() * 0.5;
  }

  private require(serial: string): LiveSimDevice {
    const live = this.devices.get(serial);
    if (!live) throw new SimulatorError(message('simulator.no-device', { serial }));
    return live;
  }

  private platformForModel(model: string | undefined): Platform | undefined {
    if (!model) return undefined;
    for (const [platform, profile] of Object.entries(this.opts.profiles.platforms)) {
      if (profile.models.some((m) => m.model === model)) return platform as Platform;
    }
    return undefined;
  }

  private freePort(): string {
    const used = new Set([...this.devices.values()].filter((d) => d.record.plugged).map((d) => d.record.portPath));
    for (let n = 1; ; n++) {
      const port = `sim-${n}`;
      if (!used.has(port)) return port;
    }
  }

  private newSerial(prefix: string): string {
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
    for (;;) {
      let body = '';
      for (let i = body.length; i < 12 - prefix.length; i++) body += alphabet[Math.floor(this.random() * alphabet.length)];
      const serial = prefix + body;
      if (!this.devices.has(serial)) return serial;
    }
  }

  private toAttached(record: SimDeviceRecord): AttachedDevice {
    return {
      serial: record.serial,
      family: 'simulated',
      platform: record.platform,
      model: stripControl(record.model),
      osVersion: stripControl(record.osVersion),
      portPath: record.portPath,
    };
  }
}
