import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors.js';
import { formatMessage } from '../../shared/messages/format.js';
import type { Message } from '../../shared/messages/catalogue.js';
import { resolveDrivers, type DriverBuildContext } from '../../main/drivers/registry.js';
import { IosDriver } from '../../main/drivers/ios/ios-driver.js';
import { AndroidDriver } from '../../main/drivers/android/android-driver.js';
import { SerialDriver } from '../../main/drivers/serial/serial-driver.js';
import { SimulatedDriver } from '../../main/drivers/simulated/simulated-driver.js';
import type { DeviceDriver } from '../../main/drivers/driver.js';
import { serialDriverModule } from '../../main/drivers/serial/serial-module.js';
import { DeviceRegistry, type DeviceRegistryDeps } from '../../main/station/device-registry.js';
import { StationStore } from '../../main/store/station-store.js';
import { tempDir, testBlueprint } from '../fixtures/store-helpers.js';

const RESOURCES = path.resolve(__dirname, '../../resources');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function buildContext(store: StationStore): DriverBuildContext {
  return {
    resourcesDir: RESOURCES,
    simSpeed: 1000,
    simFailRate: 0,
    simSeed: 1,
    serialPorts: [],
    simStorage: store,
    blueprintFor: () => null,
    usbPorts: null,
    testTty: null,
    iosActivationUrl: null,
    adbPath: null,
    slotForPort: () => null,
    log: () => {},
  };
}

function openStore(): StationStore {
  const t = tempDir('benchline-drivers-');
  const store = new StationStore(path.join(t.dir, 'station.db'));
  cleanups.push(() => (store.close(), t.cleanup()));
  return store;
}

describe('driver registry', () => {
  it('resolves --drivers names to driver modules; usb is the bus watcher, not a driver', () => {
    const store = openStore();
    const drivers = resolveDrivers(['sim', 'usb', 'serial']).map((m) => m.build(buildContext(store)));
    expect(drivers.map((d) => d.constructor)).toEqual([SimulatedDriver, SerialDriver]);
    expect(drivers.map((d) => d.family)).toEqual(['simulated', 'serial']);
    expect(resolveDrivers(['usb'])).toEqual([]);
  });

  it('builds the ios driver for --drivers ios (nothing is contacted before start)', () => {
    const store = openStore();
    const [ios] = resolveDrivers(['ios']).map((m) => m.build(buildContext(store)));
    expect(ios).toBeInstanceOf(IosDriver);
    expect(ios!.family).toBe('ios');
    expect(ios!.supportedSteps.has('erase')).toBe(true);
    expect(ios!.supportedSteps.has('set-device-owner')).toBe(false);
  });

  it('builds the android driver for --drivers android (nothing is contacted before start)', () => {
    const store = openStore();
    const [android] = resolveDrivers(['android']).map((m) => m.build(buildContext(store)));
    expect(android).toBeInstanceOf(AndroidDriver);
    expect(android!.family).toBe('android');
    expect([...android!.supportedSteps].sort()).toEqual(
      expect.arrayContaining([
        'identify',
        'wait-for-trust',
        'battery',
        'install-apk',
        'install-app',
        'set-device-owner',
        'settings',
        'wifi',
        'reboot',
        'rename',
        'verify',
        'qr-provisioning',
        'print-label',
      ]),
    );
    expect(android!.supportedSteps.has('erase')).toBe(false);
  });

  it('has each driver declare the step types it runs', () => {
    const store = openStore();
    const [sim] = resolveDrivers(['sim']).map((m) => m.build(buildContext(store)));
    const serial = serialDriverModule.build(buildContext(store));
    expect(sim!.supportedSteps.has('erase')).toBe(true);
    expect(sim!.supportedSteps.has('serial-script')).toBe(false);
    expect(serial.supportedSteps.has('serial-script')).toBe(true);
    expect(serial.supportedSteps.has('erase')).toBe(false);
    expect(serial.supportedSteps.has('install-app')).toBe(false);
    const ios = resolveDrivers(['ios'])[0]!.build(buildContext(store));
    expect(['identify', 'wait-for-trust', 'battery'].every((t) => ios.supportedSteps.has(t as 'identify'))).toBe(true);
    expect(ios.supportedSteps.has('serial-script')).toBe(false);
  });
});

describe('capability check at the start of a run', () => {
  function registry(supported: readonly string[], steps: Parameters<typeof testBlueprint>[0]) {
    const store = openStore();
    const blueprint = testBlueprint(steps);
    const started: string[] = [];
    const driver = { family: 'serial', supportedSteps: new Set(supported) } as unknown as DeviceDriver;
    const deps = {
      store,
      clock: { now: () => Date.now() },
      logger: { log() {} },
      controller: { forSerial: () => undefined, start: (r: { serial: string }) => void started.push(r.serial) },
      drivers: new Map([['serial', driver]]),
      bench: { usbRunning: false, learning: false, clearNotice() {}, portAppeared() {} },
      blueprints: { get: () => blueprint, defaultFor: () => blueprint },
      assignment: { assignmentFor: () => ({ ok: true, assignment: { blueprint, blueprintId: 1, captured: {} } }) },
      orders: { orderOfSerial: () => null },
      operators: { runOperator: () => 'Anna', mayStartRuns: () => true },
      labelPrinting: {},
      events: { deviceChanged() {}, deviceRemoved() {}, shiftChanged() {} },
      library: { missingFor: () => [] },
    } as unknown as DeviceRegistryDeps;
    const reg = new DeviceRegistry(deps);
    reg.restore();
    reg.deviceAttached({ serial: 'S1', family: 'serial', platform: 'serial', model: 'Sensor', osVersion: null, portPath: '1-4.1' });
    return { reg, started };
  }

  it('refuses a blueprint with a step the driver cannot run before the run starts, naming the step', () => {
    const r = registry(
      ['identify', 'verify'],
      [
        { id: 'identify', type: 'identify', params: {} },
        { id: 'wipe', type: 'erase', params: {} },
      ],
    );
    expect(r.started).toEqual([]);
    const error = r.reg.view('S1')?.error;
    expect(error?.code).toBe('run.step-unsupported');
    expect(error?.text).toEqual({ code: 'run.step-unsupported', params: { step: 'wipe', type: 'erase', family: 'serial' } });
    expect(formatMessage(error!.text as Message, 'de')).toContain('„wipe“');
  });

  it("starts a run whose steps the driver runs; printing is the station's and needs no driver support", () => {
    const r = registry(
      ['identify'],
      [
        { id: 'identify', type: 'identify', params: {} },
        { id: 'label', type: 'print-label', params: { template: 'asset' } },
      ],
    );
    expect(r.started).toEqual(['S1']);
    expect(r.reg.view('S1')?.error).toBeNull();
  });
});
