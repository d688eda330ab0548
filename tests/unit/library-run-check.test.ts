import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { DeviceDriver } from '../../main/drivers/driver.js';
import { STEP_TYPES } from '../../shared/blueprint/schema.js';
import { LibraryService } from '../../main/library/library-service.js';
import type { Logger } from '../../main/logging/logger.js';
import { DeviceRegistry, type DeviceRegistryDeps } from '../../main/station/device-registry.js';
import { StationStore } from '../../main/store/station-store.js';
import { writeIpa } from '../fixtures/library-files.js';
import type { Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { tempDir, testBlueprint } from '../fixtures/store-helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A registry with a real store and library; the rest of the station is stubbed to what a run's start touches. */
function registry(family: 'ios' | 'simulated', installsWithoutLibrary: boolean) {
  const t = tempDir('benchline-librun-');
  const store = new StationStore(path.join(t.dir, 'station.db'));
  cleanups.push(() => (store.close(), t.cleanup()));
  const library = new LibraryService(store.db, t.dir);
  const blueprint = testBlueprint([{ id: 'pages', type: 'install-app', params: { app: 'com.apple.Pages' } }]);
  const started: string[] = [];
  const logged: string[] = [];
  const logger: Logger = { log: (_level, message) => void logged.push(message) };
  const driver = { family, installsWithoutLibrary, supportedSteps: new Set(STEP_TYPES) } as unknown as DeviceDriver;
  const deps = {
    store,
    clock: { now: () => Date.now() },
    logger,
    controller: { forSerial: () => undefined, start: (r: { serial: string }) => void started.push(r.serial) },
    drivers: new Map([[family, driver]]),
    bench: { usbRunning: false, learning: false, clearNotice() {}, portAppeared() {} },
    blueprints: { get: () => blueprint, defaultFor: () => blueprint },
    assignment: { assignmentFor: () => ({ ok: true, assignment: { blueprint, blueprintId: 1, captured: {} } }) },
    orders: { orderOfSerial: () => null },
    operators: { runOperator: () => 'Anna', mayStartRuns: () => true },
    labelPrinting: {},
    events: { deviceChanged() {}, deviceRemoved() {}, shiftChanged() {} },
    library,
  } as unknown as DeviceRegistryDeps;
  const reg = new DeviceRegistry(deps);
  reg.restore();
  const plug = (serial: string) => reg.deviceAttached({ serial, family, platform: 'ios', model: 'iPad', osVersion: '17.0', portPath: `1-${serial}` });
  return { reg, library, plug, started, logged, dir: t.dir };
}

it('refuses a real device run whose app is not in the library, before it starts, and starts it once imported', async () => {
  const r = registry('ios', false);
  r.plug('A1');
  expect(r.started).toEqual([]);
  const error = r.reg.view('A1')?.error;
  expect(error).toEqual({
    code: 'library.missing',
    message: 'App com.apple.Pages is missing from the library',
    text: { code: 'library.missing', params: { kind: { code: 'library.kind.app', params: {} }, identifier: 'com.apple.Pages' } },
  });
  expect(formatMessage(error!.text as Message, 'de')).toBe('App com.apple.Pages fehlt in der Bibliothek');
  const ipa = await writeIpa(path.join(r.dir, 'Pages.ipa'), { CFBundleIdentifier: 'com.apple.Pages', CFBundleShortVersionString: '14.1' });
  await r.library.importFiles([{ path: ipa, name: 'Pages.ipa' }]);
  r.plug('A2');
  expect(r.started).toEqual(['A2']);
});

it('lets a simulated device run without the item, with a line in the log', () => {
  const r = registry('simulated', true);
  r.plug('S1');
  expect(r.started).toEqual(['S1']);
  expect(r.logged).toEqual(['App com.apple.Pages is missing from the library; the simulated device installs without it']);
});
