import type { DeviceView } from '../../../../shared/contract/station-api.js';

/** The catalogue code of a qr-provisioning step's wait (main/drivers/android/steps/qr-step.ts). */
const QR_SCAN_CODE = 'android.qr-scan';
const EXTRA = 'android.app.extra.PROVISIONING_';

/** What a tile and the printed sheet show of a qr-provisioning wait. */
export interface QrProvisioning {
  /** The DPC's package, as the blueprint names it. */
  dpc: string;
  /** The JSON text the QR code carries (with the Wi-Fi password: shown as a QR code only, never as text). */
  payload: string;
  component: string | null;
  wifiSsid: string | null;
  /** NONE, WPA, WEP or EAP, as the payload says. */
  wifiSecurity: string | null;
}

function stringField(fields: Record<string, unknown>, key: string): string | null {
  const value = fields[`${EXTRA}${key}`];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The QR provisioning payload a device waits to be enrolled with, or null when it waits for
 * nothing of the kind. The payload is the step's JSON text; the sheet's facts are read from it.
 */
export function qrProvisioningOf(device: Pick<DeviceView, 'state' | 'waiting'>): QrProvisioning | null {
  const text = device.waiting?.text;
  if (device.state !== 'waiting' || device.waiting?.reason !== 'technician' || text?.code !== QR_SCAN_CODE) return null;
  const dpc = text.params?.['dpc'];
  const payload = text.params?.['payload'];
  if (typeof dpc !== 'string' || typeof payload !== 'string' || payload === '') return null;
  let fields: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(payload);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (an older station's text): the QR code still carries it, the sheet lists no facts.
  }
  return {
    dpc,
    payload,
    component: stringField(fields, 'DEVICE_ADMIN_COMPONENT_NAME'),
    wifiSsid: stringField(fields, 'WIFI_SSID'),
    wifiSecurity: stringField(fields, 'WIFI_SECURITY_TYPE'),
  };
}
