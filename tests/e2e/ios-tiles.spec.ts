import type { Browser, Page } from '@playwright/test';
import { decodeLocationId, portPathOfPorts } from '../../main/drivers/ios/usbmux/location-id.js';
import { StationStore } from '../../main/store/station-store.js';
import type { EmulatedIpadSpec } from '../emulators/ios/emulated-ipad.js';
import { makeIpadSpec } from '../emulators/ios/ipad-emulator.js';
import { startIosFloor, type IosFloor, type IosFloorOptions } from '../fixtures/ios-floor.js';
import { expect, openUi, test as stationTest, tile, type Station } from './station-fixture.js';

/**
 * The iOS driver's tiles as a technician sees them, on the built headless station with
 * `--drivers ios` and emulated iPads (tests/fixtures/ios-floor.ts): the Trust instruction naming
 * the slot, in German and in English; an app's upload line (percent, MB of MB, MB/s) while it
 * uploads; a finished tile with the name the iPad was given.
 */

interface FloorOptions extends IosFloorOptions {
  /** Slot labels for the devices' ports, in the order of `devices` (the bench layout, learned before). */
  slots: string[];
}

const test = stationTest.extend<{ floorOptions: FloorOptions; floor: IosFloor }>({
  floorOptions: [{ speed: 100, devices: [], slots: [] }, { option: true }],
  floor: async ({ floorOptions }, use) => {
    const floor = await startIosFloor(floorOptions);
    try {
      learnSlots(floor.dataDir, floorOptions.devices, floorOptions.slots);
      await use(floor);
    } finally {
      await floor.close();
    }
  },
  // The station runs on the floor's data dir (library, supervision identity, layout) at real time:
  // its clock is the technician's, only the emulated iPads are faster.
  stationOptions: async ({ floor }, use) => {
    // floor.args: --drivers ios --ios-activation-url (the stub).
    await use({ simSpeed: 1, simulate: 0, args: floor.args, env: floor.env, dataDir: floor.dataDir });
  },
});

/** The bench layout as learn mode leaves it: each device's USB port (from its LocationID) mapped to a slot label. */
function learnSlots(dataDir: string, devices: readonly EmulatedIpadSpec[], labels: readonly string[]): void {
  const store = new StationStore(`${dataDir}/station.db`);
  try {
    devices.forEach((spec, position) => {
      const location = decodeLocationId(spec.locationId);
      if (location?.form !== 'ports') throw new Error(`emulated iPad ${spec.udid} has no port path`);
      store.saveSlot({ label: labels[position]!, portPath: portPathOfPorts(location.bus, location.ports), position });
    });
  } finally {
    store.close();
  }
}

async function pageIn(browser: Browser, station: Station, locale: string): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await openUi(page, station);
  return page;
}

/** The transfer line: "42 % · 40 MB of 100 MB · 30 MB/s" (German: "von"). */
function transferPattern(of: string): RegExp {
  return new RegExp(`^(\\d+) % · (\\d+) MB ${of} (\\d+) MB · (\\d+) MB/s$`);
}

const APP_MB = 100;
// A user who has not yet tapped Trust, and an iPad fresh from the box (it pairs without a tap, needs no erase).
const slowToTrust = makeIpadSpec(0, { trustAfterSeconds: 24 * 3600 });
const uploading = makeIpadSpec(1, { setupDone: false, activationState: 'Unactivated', batteryPercent: 80 });

test.describe('iOS tiles: Trust and upload', () => {
  // Real-device timings (speed 1): USB 2 carries 30 MB/s, so a 100 MB Pages uploads for about 3 s.
  test.use({ floorOptions: { speed: 1, devices: [slowToTrust, uploading], slots: ['A1', 'A2'], appBytes: { 'com.apple.Pages': APP_MB * 1_000_000 } } });

  test('a set-up iPad waits for Trust with the slot on its tile (German and English), and an app upload shows percent, MB and MB/s', async ({
    browser,
    station,
  }) => {
    const de = await pageIn(browser, station, 'de-DE');
    const en = await pageIn(browser, station, 'en-US');

    // (a) The instruction names the slot the station shows on the tile.
    const trustDe = tile(de, slowToTrust.udid);
    await expect(trustDe).toHaveAttribute('data-state', 'waiting', { timeout: 30_000 });
    const slot = await trustDe.getAttribute('data-slot');
    expect(slot).toBe('A1');
    await expect(trustDe.locator('.tile__slot')).toHaveText('A1');
    await expect(trustDe.locator('.tile__instruction')).toHaveText('Tippe auf dem iPad in Steckplatz A1 auf „Vertrauen“');
    await expect(tile(en, slowToTrust.udid).locator('.tile__instruction')).toHaveText('Tap “Trust” on the iPad in slot A1');

    // (b) The upload line while Pages uploads: it moves, in the size of the IPA, at USB 2's rate.
    const line = tile(en, uploading.udid).locator('.tile__transfer');
    await expect(line).toHaveText(transferPattern('of'), { timeout: 40_000 });
    // An upload's first report carries no rate yet ("0 MB/s"): read the line once the rate is measured.
    let first: RegExpExecArray | null = null;
    await expect
      .poll(
        async () => {
          first = transferPattern('of').exec((await line.textContent()) ?? '');
          return first ? Number(first[4]) : 0;
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    expect(first, 'transfer line').not.toBeNull();
    const [, percent, done, total, rate] = first!.map(Number);
    expect(total, 'the IPA is a little over the executable').toBeGreaterThanOrEqual(APP_MB);
    expect(total).toBeLessThan(APP_MB + 2);
    expect(rate, 'MB/s near what the emulated USB 2 port carries (30 MB/s)').toBeGreaterThan(5);
    expect(rate).toBeLessThan(60);
    expect(done).toBeLessThanOrEqual(total!);
    // Later the same line shows more of the upload.
    await expect
      .poll(async () => Number(transferPattern('of').exec((await line.textContent()) ?? '')?.[1] ?? -1), { timeout: 10_000, intervals: [200] })
      .toBeGreaterThan(percent!);
    await expect(tile(en, uploading.udid).locator('.tile__step-label')).toHaveText('App: Pages');
    // The German tile shows the same line in its words.
    await expect(tile(de, uploading.udid).locator('.tile__transfer')).toHaveText(transferPattern('von'));

    // The slow user's iPad still waits, nothing done to it meanwhile.
    await expect(trustDe).toHaveAttribute('data-state', 'waiting');
  });
});

test.describe('iOS tiles: finished', () => {
  const fresh = makeIpadSpec(2, { setupDone: false, activationState: 'Unactivated', batteryPercent: 80 });
  // Real-device seconds / 100: the whole school-ipad run takes a few seconds.
  test.use({ floorOptions: { speed: 100, devices: [fresh], slots: ['B3'] } });

  test('an iPad through school-ipad ends as a done tile with the name it was given', async ({ page, station, floor }) => {
    await openUi(page, station);
    const done = tile(page, fresh.udid);
    await expect(done).toHaveAttribute('data-state', 'done', { timeout: 40_000 });
    await expect(done.locator('.tile__state')).toHaveText('Done');
    await expect(done.locator('.tile__instruction')).toHaveText('Unplug and pack');
    await expect(done.locator('.tile__slot')).toHaveText('B3');
    // The tile's name is the one the iPad now holds (rename step), its serial beside the model.
    const name = floor.state(fresh.udid).deviceName;
    expect(name).not.toBe('iPad');
    await expect(done.locator('.tile__name')).toHaveText(name);
    await expect(done.locator('.tile__serial')).toHaveText(`${fresh.udid} · `);
    await expect(done.locator('.tile__transfer')).toHaveCount(0);
  });
});
