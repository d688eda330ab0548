import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import jsQRModule from 'jsqr';
import { startAdbServer, type AdbServer, hasAdb } from '../emulators/android/adb-server.js';
import { makeTabletSpec, startAndroidEmulator, type AndroidEmulator } from '../emulators/android/adb-emulator.js';
import type { EmulatedTabletSpec } from '../emulators/android/emulated-tablet.js';
import { makeCertificate, writeApk, type TestCertificate } from '../fixtures/library-files.js';
import { ROOT, Station, expect, openUi, scan, test as base, tile } from './station-fixture.js';

// The technician's screen for Android tablets on a real headless station with the Android driver:
// the real adb server (Debian adb, its own port and HOME) reaches emulated tablets by `adb connect`.
// The station's data dir holds the DPC's signed APK in its library and the Wi-Fi password as a
// secret, as a bench has them; its blueprint enrolls over the air (tests/e2e/android-qr.yaml).

/** Emulated tablets and the station's deadlines run this many times faster than real ones. */
const SPEED = 20;
const CLI = path.join(ROOT, 'main', 'bin', 'benchline.mjs');
const BLUEPRINT = path.join(ROOT, 'tests', 'e2e', 'android-qr.yaml');
const DPC = 'de.benchline.mdm';
const WIFI_PASSWORD = 'Sch00l-Netz "2024"';
const EXTRA = 'android.app.extra.PROVISIONING_';
// jsqr is CommonJS: under NodeNext its typings' default export is the module's `default`.
const jsQR = jsQRModule.default;

interface AndroidBench {
  adb: AdbServer;
  emulator: AndroidEmulator;
  station: Station;
  /** The DPC's signing certificate: the payload's checksum is the SHA-256 of its DER. */
  signer: TestCertificate;
  dataDir: string;
  /** `adb connect` to every tablet (an unauthorized one answers "failed to authenticate"). */
  connect(): Promise<void>;
}

const test = base.extend<{ tablets: EmulatedTabletSpec[]; bench: AndroidBench }>({
  tablets: [[makeTabletSpec(0)], { option: true }],
  bench: async ({ tablets }, use, testInfo) => {
    testInfo.skip(!hasAdb(), 'no `adb` on PATH (Debian package adb): the Android tiles need the real adb server');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-e2e-android-'));
    const dataDir = path.join(work, 'station');
    const adb = await startAdbServer();
    const emulator = await startAndroidEmulator({ speed: SPEED, devices: tablets });
    let station: Station | null = null;
    try {
      const signer = makeCertificate(work, 'dpc');
      const apk = await writeApk(path.join(work, 'dpc.apk'), work, { package: DPC, versionCode: 7, versionName: '1.7', minSdk: 23 }, signer);
      execFileSync(process.execPath, [CLI, 'library', 'import', apk, '--data-dir', dataDir], { stdio: 'pipe' });
      execFileSync(process.execPath, [CLI, 'secrets', 'set', 'wifi-school', '--stdin', '--kind', 'wifi', '--ssid', 'Schulnetz', '--data-dir', dataDir], {
        input: WIFI_PASSWORD,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      station = new Station(dataDir, {
        simSpeed: SPEED,
        simulate: 0,
        drivers: 'android',
        args: ['--blueprint', BLUEPRINT],
        // The station uses the test's adb server (and its keys, should it have to restart it).
        env: { ANDROID_ADB_SERVER_PORT: String(adb.port), HOME: adb.home },
      });
      await station.start();
      const connect = async () => {
        for (const { port } of emulator.devices()) await adb.run(['connect', `127.0.0.1:${port}`]);
      };
      await use({ adb, emulator, station, signer, dataDir, connect });
    } finally {
      await station?.stop();
      await emulator.close();
      await adb.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
});

/** The payload the QR code must carry, written out from the blueprint, the secret and the DPC's certificate. */
function expectedPayload(signer: TestCertificate): Record<string, unknown> {
  return {
    [`${EXTRA}DEVICE_ADMIN_COMPONENT_NAME`]: 'de.benchline.mdm/.AdminReceiver',
    [`${EXTRA}DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION`]: 'https://mdm.example.org/downloads/dpc-1.7.apk',
    [`${EXTRA}DEVICE_ADMIN_SIGNATURE_CHECKSUM`]: createHash('sha256').update(signer.der).digest('base64url'),
    [`${EXTRA}LEAVE_ALL_SYSTEM_APPS_ENABLED`]: true,
    [`${EXTRA}WIFI_SSID`]: 'Schulnetz',
    [`${EXTRA}WIFI_SECURITY_TYPE`]: 'WPA',
    [`${EXTRA}WIFI_PASSWORD`]: WIFI_PASSWORD,
    [`${EXTRA}LOCALE`]: 'de_DE',
    [`${EXTRA}TIME_ZONE`]: 'Europe/Berlin',
    [`${EXTRA}ADMIN_EXTRAS_BUNDLE`]: { school: 'GS Nord-Süd', enrollmentToken: 'T-42' },
  };
}

/**
 * Reads the QR code the way a camera would: a screenshot of what is on screen, decoded by jsQR.
 * The page turns the PNG into pixels (a canvas); the bytes are read as UTF-8, as Android's reader does.
 */
async function decodeQr(page: Page, where: Locator): Promise<string> {
  const png = await where.screenshot();
  const image = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = '';
    for (let i = 0; i < pixels.length; i += 0x8000) binary += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, rgba: btoa(binary) };
  }, png.toString('base64'));
  const code = jsQR(new Uint8ClampedArray(Buffer.from(image.rgba, 'base64')), image.width, image.height);
  expect(code, 'a QR code readable from the screenshot').not.toBeNull();
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(code!.binaryData));
}

/** Every file under `dir` that holds `text` (as UTF-8, or as it reads inside JSON, or JSON in JSON). */
function filesHolding(dir: string, text: string): string[] {
  const inJson = JSON.stringify(text).slice(1, -1);
  const needles = [text, inJson, JSON.stringify(inJson).slice(1, -1)].map((n) => Buffer.from(n));
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => {
      const bytes = fs.readFileSync(file);
      return needles.some((n) => bytes.includes(n));
    });
}

test.describe('Android tablets on the technician screen', () => {
  test.use({ tablets: [makeTabletSpec(0, { usbDebugging: 'prompt', allowDebuggingAfterSeconds: null })] });

  test('an unauthorized tablet asks, on its slot, for USB debugging to be allowed, and goes on once it is', async ({ browser, bench }) => {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    const { emulator, station } = bench;
    const spec = emulator.devices()[0]!;
    const portPath = `adb:127.0.0.1:${spec.port}`;
    await openUi(page, station);

    // The bench's layout names the tablet's place B3 before it is plugged in.
    await page.getByTestId('slots-open').click();
    const dialog = page.getByRole('dialog', { name: 'Steckplätze dieses Arbeitsplatzes' });
    await dialog.getByLabel('Steckplatz', { exact: true }).fill('B3');
    await dialog.getByLabel('Port', { exact: true }).fill(portPath);
    await dialog.getByRole('button', { name: 'Speichern' }).click();
    await expect(dialog.locator('.slot-table tbody tr[data-label="B3"]')).toHaveAttribute('data-port', portPath);
    await page.keyboard.press('Escape');

    await bench.connect();
    const notice = page.locator(`.port-tile[data-port="${portPath}"]`);
    await expect(notice).toHaveAttribute('data-kind', 'unauthorized');
    await expect(notice).toHaveAttribute('data-slot', 'B3');
    await expect(notice.locator('.tile__state')).toHaveText('Nicht freigegeben');
    await expect(notice.locator('.tile__instruction')).toHaveText('USB-Debugging auf dem Tablet in Steckplatz B3 erlauben („Immer erlauben“ ankreuzen)');
    await expect(page.locator('.tile[data-serial]')).toHaveCount(0);

    // The user taps "Allow" with "Always allow" ticked: the same tile becomes the tablet's run.
    emulator.device(spec.serial).allowDebugging();
    await expect(notice).toHaveCount(0);
    const t = tile(page, spec.serial);
    await expect(t).toHaveAttribute('data-slot', 'B3');
    await expect(t.locator('.tile__slot')).toHaveText('B3');
    await expect(t.locator('.tile__model')).toHaveText('SM-X200');
    // It went on: identified, now at the QR step, waiting for the technician.
    await expect(t).toHaveAttribute('data-state', 'waiting', { timeout: 30_000 });
    await expect(t.locator('.tile__step-label')).toHaveText('Per QR-Code einrichten');
    await expect(t.locator('.tile__instruction')).toHaveText(
      'Tablet per QR-Code einrichten: auf dem Willkommensbildschirm sechsmal tippen, diesen Code scannen, Einrichtung mit de.benchline.mdm abschließen lassen – dann Seriennummer scannen oder Enter drücken',
    );
    expect(emulator.device(spec.serial).history.some((h) => h.includes('getprop'))).toBe(true);
    await context.close();
  });
});

test.describe('QR provisioning on the tile', () => {
  test('the tile shows the payload as a QR code and a printable sheet; a scan confirms and the run goes on', async ({ page, bench }) => {
    const { emulator, station, signer } = bench;
    const serial = emulator.devices()[0]!.serial;
    await openUi(page, station);
    await bench.connect();

    const t = tile(page, serial);
    await expect(t).toHaveAttribute('data-state', 'waiting', { timeout: 30_000 });
    await expect(t).toHaveClass(/tile--qr/);
    await expect(t.locator('.tile__step-label')).toHaveText('Enroll by QR code');
    await expect(t.locator('.tile__instruction')).toHaveText(
      'Set up the tablet by QR code: tap the welcome screen six times, scan this code, let de.benchline.mdm finish the setup – then scan the serial number or press Enter',
    );
    // The password is in the code, never in the tile's words.
    await expect(t).not.toContainText('Sch00l');
    const qr = t.getByTestId('qr');
    await expect(qr.locator('img')).toHaveAttribute('alt', 'QR code to set up with de.benchline.mdm');
    // Big enough for a tablet camera at 30 cm: about 4 screen pixels (1 mm) a module.
    const box = (await qr.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(400);
    const payload = JSON.parse(await decodeQr(page, qr)) as unknown;
    expect(payload).toEqual(expectedPayload(signer));

    // The printable sheet: the same code, the DPC, the Wi-Fi's name and the steps.
    await t.getByRole('button', { name: 'QR sheet' }).click();
    const sheet = page.getByRole('dialog', { name: 'Set up Android tablets by QR code' });
    await expect(sheet.getByTestId('qr-sheet-wifi')).toHaveText('Schulnetz (WPA/WPA2)');
    await expect(sheet).toContainText('de.benchline.mdm/.AdminReceiver');
    await expect(sheet).toContainText('The code holds the Wi-Fi password');
    await expect(sheet).not.toContainText('Sch00l');
    expect(JSON.parse(await decodeQr(page, sheet.getByTestId('qr')))).toEqual(expectedPayload(signer));
    await page.evaluate(() => {
      window.print = () => document.body.setAttribute('data-printed', 'yes');
    });
    await sheet.getByRole('button', { name: 'Print' }).click();
    await expect(page.locator('body')).toHaveAttribute('data-printed', 'yes');
    // On paper only the sheet shows, on one A4 page.
    await page.emulateMedia({ media: 'print' });
    await expect(t).toBeHidden();
    await expect(sheet.getByRole('button', { name: 'Print' })).toBeHidden();
    await expect(sheet.getByTestId('qr')).toBeVisible();
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g)?.length, 'pages printed').toBe(1);
    await page.emulateMedia({ media: 'screen' });
    await page.keyboard.press('Escape');
    await expect(sheet).toHaveCount(0);

    // The tablet has enrolled: the technician scans its serial (selects the tile), then again (confirms).
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await scan(page, serial);
    await expect(t).toBeFocused();
    await expect(t.locator('.tile__instruction')).toContainText('then scan the serial number again or press Enter');
    await scan(page, serial);
    await expect(page.locator('.notice')).toContainText('“Enroll by QR code” confirmed');
    await expect(t).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(t.getByTestId('qr')).toHaveCount(0);
    expect(emulator.device(serial).settings.global.get('stay_on_while_plugged_in')).toBe('3');

    // What the station stored and logged holds no Wi-Fi password; the run's record keeps the device owner.
    const runs = await station.api<{ runId: string; serial: string }[]>('GET', 'runs');
    const run = runs.find((r) => r.serial === serial)!;
    const detail = await station.api<{ captured: Record<string, string> }>('GET', `runs/${run.runId}`);
    expect(detail.captured['deviceOwner']).toBe('de.benchline.mdm/de.benchline.mdm.AdminReceiver');
    expect(JSON.stringify(detail)).not.toContain('Sch00l');
    expect(filesHolding(bench.dataDir, WIFI_PASSWORD)).toEqual([]);
  });
});
