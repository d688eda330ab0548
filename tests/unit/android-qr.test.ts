import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryFile } from '../../main/drivers/driver.js';
import type { AndroidDevice } from '../../main/drivers/android/android-device.js';
import { scaledTimings } from '../../main/drivers/android/android-timings.js';
import { buildQrProvisioning, signatureChecksum, type QrProvisioningParams } from '../../main/drivers/android/qr-provisioning.js';
import { ANDROID_STEPS } from '../../main/drivers/android/steps/index.js';
import { SecretRedactor } from '../../main/secrets/secret-redactor.js';
import { secretTexts } from '../../main/secrets/secret-types.js';
import { androidStep, libraryApk, stepContext } from '../fixtures/android-step-context.js';
import { makeCertificate, writeApk, type TestCertificate } from '../fixtures/library-files.js';

let dir: string;
let signer: TestCertificate;
let dpc: LibraryFile;
let unsigned: LibraryFile;

async function dpcApk(name: string, cert: TestCertificate | null): Promise<LibraryFile> {
  const file = path.join(dir, name);
  await writeApk(file, dir, { package: 'de.benchline.mdm', versionCode: 7, versionName: '1.7', minSdk: 23 }, cert);
  return libraryApk(file);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-qr-'));
  signer = makeCertificate(dir, 'dpc');
  dpc = await dpcApk('dpc.apk', signer);
  unsigned = await dpcApk('unsigned.apk', null);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PARAMS: QrProvisioningParams = {
  dpc: 'de.benchline.mdm',
  component: 'de.benchline.mdm/.AdminReceiver',
  downloadUrl: 'https://mdm.example.org/dpc.apk',
  wifi: { ssid: 'Schulnetz', security: 'wpa2', secret: 'wifi-school' },
  locale: 'de-DE',
  timeZone: 'Europe/Berlin',
  leaveAllSystemAppsEnabled: true,
  adminExtras: { school: 'GS Nord', enrollmentToken: 'T-42' },
};
const WIFI = { kind: 'wifi' as const, password: 'Sch00l "net"' };

describe('QR provisioning payload', () => {
  it('carries the AOSP keys and the checksum of the DPC signing certificate (URL-safe base64, no padding)', async () => {
    const payload = await buildQrProvisioning(PARAMS, { libraryItem: async () => dpc, secret: async () => WIFI });
    const expected = createHash('sha256').update(signer.der).digest('base64url');
    expect(expected).not.toMatch(/[+/=]/);
    expect(payload).toEqual({
      'android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME': 'de.benchline.mdm/.AdminReceiver',
      'android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION': 'https://mdm.example.org/dpc.apk',
      'android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM': expected,
      'android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED': true,
      'android.app.extra.PROVISIONING_WIFI_SSID': 'Schulnetz',
      'android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE': 'WPA',
      'android.app.extra.PROVISIONING_WIFI_PASSWORD': 'Sch00l "net"',
      'android.app.extra.PROVISIONING_LOCALE': 'de_DE',
      'android.app.extra.PROVISIONING_TIME_ZONE': 'Europe/Berlin',
      'android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE': { school: 'GS Nord', enrollmentToken: 'T-42' },
    });
    expect(signatureChecksum('ff'.repeat(32))).toBe('__________________________________________8');
  });

  it('refuses a DPC whose signature the library cannot read, and a Wi-Fi without its secret', async () => {
    await expect(buildQrProvisioning(PARAMS, { libraryItem: async () => unsigned, secret: async () => WIFI })).rejects.toMatchObject({
      code: 'android.qr-unsigned',
      retryable: false,
    });
    await expect(buildQrProvisioning({ ...PARAMS, wifi: { ssid: 'Schulnetz', security: 'wpa2' } }, { libraryItem: async () => dpc })).rejects.toMatchObject({
      code: 'android.wifi-no-secret',
    });
    const open = await buildQrProvisioning({ ...PARAMS, wifi: { ssid: 'Gast', security: 'open' } }, { libraryItem: async () => dpc });
    expect(open['android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE']).toBe('NONE');
    expect(open).not.toHaveProperty(['android.app.extra.PROVISIONING_WIFI_PASSWORD']);
  });

  it('the step shows the payload in its confirmation (waiting.text params) and ends when the technician confirms', async () => {
    const { ctx, record } = stepContext('R9BT0004100', androidStep('qr-provisioning', PARAMS), {
      library: { 'de.benchline.mdm': dpc },
      secrets: { 'wifi-school': WIFI },
    });
    const outcome = await ANDROID_STEPS['qr-provisioning']!(ctx, {} as AndroidDevice, { timings: scaledTimings(1), log: () => {} });
    expect(record.confirmations).toHaveLength(1);
    const text = record.confirmations[0] as { code: string; params: { dpc: string; payload: string } };
    expect(text.code).toBe('android.qr-scan');
    expect(text.params.dpc).toBe('de.benchline.mdm');
    expect(JSON.parse(text.params.payload)).toEqual(await buildQrProvisioning(PARAMS, { libraryItem: async () => dpc, secret: async () => WIFI }));
    expect(outcome.captured).toEqual({ deviceOwner: 'de.benchline.mdm/de.benchline.mdm.AdminReceiver' });
  });

  it('a Wi-Fi password inside the JSON payload is redacted from what is stored', () => {
    const redactor = new SecretRedactor();
    redactor.remember('wifi-school', secretTexts(WIFI));
    const stored = redactor.redact(JSON.stringify({ 'android.app.extra.PROVISIONING_WIFI_PASSWORD': WIFI.password }));
    expect(stored).not.toContain('Sch00l');
    expect(stored).toContain('[secret wifi-school]');
  });
});
