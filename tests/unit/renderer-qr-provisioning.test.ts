import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { i18nResources } from '../../renderer/src/common/i18n/index.js';
import { instructionText } from '../../renderer/src/station/state/device-text.js';
import { qrProvisioningOf } from '../../renderer/src/station/state/qr-provisioning.js';

const I18N = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'renderer', 'src', 'common', 'i18n');

async function translator(lng: 'de' | 'en') {
  const [de, en] = ['de', 'en'].map((l) => JSON.parse(fs.readFileSync(path.join(I18N, `${l}.json`), 'utf8')) as Record<string, unknown>);
  const i18n = i18next.createInstance();
  await i18n.init({ lng, resources: i18nResources({ de: de!, en: en! }), interpolation: { escapeValue: false } });
  return i18n.t;
}

const PAYLOAD = JSON.stringify({
  'android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME': 'de.benchline.mdm/.AdminReceiver',
  'android.app.extra.PROVISIONING_WIFI_SSID': 'Schulnetz',
  'android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE': 'WPA',
  'android.app.extra.PROVISIONING_WIFI_PASSWORD': 'Geheim-123',
});

function tablet(waiting: DeviceView['waiting'], state: DeviceView['state'] = 'waiting'): DeviceView {
  return {
    serial: 'R9BT0004100',
    family: 'android',
    model: 'SM-X200',
    slot: 'B3',
    runId: 'r1',
    state,
    step: 'enroll',
    progress: 0.3,
    attempts: 1,
    error: null,
    platform: 'android',
    present: true,
    name: null,
    osVersion: '14',
    stepLabel: { de: 'Per QR-Code einrichten', en: 'Enroll by QR code' },
    stepIndex: 1,
    stepCount: 3,
    blueprint: 'android-qr-test',
    startedAt: null,
    finishedAt: null,
    waiting,
    portPath: 'adb:127.0.0.1:5555',
  };
}

const qrWait = (payload: string): DeviceView['waiting'] => ({
  reason: 'technician',
  message: `Set the tablet up by QR code … QR content: ${payload}`,
  text: { code: 'android.qr-scan', params: { dpc: 'de.benchline.mdm', payload } },
});

describe('QR provisioning on a tile', () => {
  it('reads the payload and the sheet facts from a qr-provisioning wait, and nothing from other waits', () => {
    expect(qrProvisioningOf(tablet(qrWait(PAYLOAD)))).toEqual({
      dpc: 'de.benchline.mdm',
      payload: PAYLOAD,
      component: 'de.benchline.mdm/.AdminReceiver',
      wifiSsid: 'Schulnetz',
      wifiSecurity: 'WPA',
    });
    // Not JSON: still a code to show, no facts for the sheet.
    expect(qrProvisioningOf(tablet(qrWait('not json')))).toMatchObject({ payload: 'not json', wifiSsid: null, component: null });
    expect(qrProvisioningOf(tablet(qrWait(PAYLOAD), 'running'))).toBeNull();
    expect(qrProvisioningOf(tablet({ reason: 'technician', message: 'Check the case', text: { code: 'step.manual-check', params: {} } }))).toBeNull();
  });

  it('says what to do in the UI language, without the payload and its Wi-Fi password', async () => {
    const device = tablet(qrWait(PAYLOAD));
    const de = instructionText(device, await translator('de'), 'de');
    expect(de).toBe(
      'Tablet per QR-Code einrichten: auf dem Willkommensbildschirm sechsmal tippen, diesen Code scannen, Einrichtung mit de.benchline.mdm abschließen lassen – dann Seriennummer scannen oder Enter drücken',
    );
    const en = instructionText(device, await translator('en'), 'en', true);
    expect(en).toContain('then scan the serial number again or press Enter');
    for (const text of [de, en]) expect(text).not.toContain('Geheim');
  });
});
