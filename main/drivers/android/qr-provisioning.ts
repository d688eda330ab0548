import type { BlueprintStep } from '../../../shared/blueprint/schema.js';
import type { LibraryFile, LibraryItemRef, SecretValue } from '../driver.js';
import { stepFailed } from '../step-errors.js';
import { wifiPassword } from './wifi-secret.js';

export type QrProvisioningParams = Extract<BlueprintStep, { type: 'qr-provisioning' }>['params'];

/** The AOSP provisioning keys (DevicePolicyManager.EXTRA_PROVISIONING_*), as the setup wizard's QR reader takes them. */
const EXTRA = 'android.app.extra.PROVISIONING_';

/** What a QR code carries: a flat JSON object, the admin extras as a nested object. */
export type QrProvisioningPayload = Record<string, string | boolean | Record<string, string>>;

/** The DPC's signature checksum: URL-safe base64 (no padding) of the SHA-256 of its signing certificate. */
export function signatureChecksum(signerSha256Hex: string): string {
  return Buffer.from(signerSha256Hex, 'hex').toString('base64url');
}

/**
 * Wi-Fi security as DevicePolicyManager documents it (NONE, WPA, WEP, EAP). WPA3 is sent as WPA:
 * the documented values have no WPA3 word, and WPA2/WPA3 transition networks take a WPA-PSK
 * configuration (a WPA3-only network is unconfirmed).
 */
const WIFI_SECURITY: Record<'open' | 'wpa2' | 'wpa3', string> = { open: 'NONE', wpa2: 'WPA', wpa3: 'WPA' };

/** Java's Locale.toString form ("de_DE") of a blueprint's locale ("de-DE" or "de_DE"). */
function javaLocale(locale: string): string {
  return locale.replace('-', '_');
}

/** The payload for a blueprint step, the DPC's certificate digest and the Wi-Fi password (null: open or no Wi-Fi). */
export function qrProvisioningPayload(params: QrProvisioningParams, signerSha256Hex: string, wifiPassword: string | null): QrProvisioningPayload {
  const payload: QrProvisioningPayload = {
    [`${EXTRA}DEVICE_ADMIN_COMPONENT_NAME`]: params.component,
    [`${EXTRA}DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION`]: params.downloadUrl,
    [`${EXTRA}DEVICE_ADMIN_SIGNATURE_CHECKSUM`]: signatureChecksum(signerSha256Hex),
    [`${EXTRA}LEAVE_ALL_SYSTEM_APPS_ENABLED`]: params.leaveAllSystemAppsEnabled,
  };
  if (params.wifi) {
    payload[`${EXTRA}WIFI_SSID`] = params.wifi.ssid;
    payload[`${EXTRA}WIFI_SECURITY_TYPE`] = WIFI_SECURITY[params.wifi.security];
    if (wifiPassword !== null) payload[`${EXTRA}WIFI_PASSWORD`] = wifiPassword;
  }
  if (params.locale) payload[`${EXTRA}LOCALE`] = javaLocale(params.locale);
  if (params.timeZone) payload[`${EXTRA}TIME_ZONE`] = params.timeZone;
  if (params.adminExtras && Object.keys(params.adminExtras).length > 0) payload[`${EXTRA}ADMIN_EXTRAS_BUNDLE`] = { ...params.adminExtras };
  return payload;
}

/** Where the payload's parts come from: the library (the DPC's APK) and the station's secrets. */
export interface QrProvisioningSources {
  libraryItem?(ref: LibraryItemRef): Promise<LibraryFile>;
  secret?(name: string): Promise<SecretValue>;
}

/**
 * Builds the payload of a qr-provisioning step: the checksum from the library's DPC APK (the
 * digest of its v1 signature's certificate, which the library read at import), the Wi-Fi password from the named secret. Used by the step, and by
 * the station for a printable sheet (the payload does not depend on the tablet).
 */
export async function buildQrProvisioning(params: QrProvisioningParams, sources: QrProvisioningSources): Promise<QrProvisioningPayload> {
  if (!sources.libraryItem) throw stepFailed('android.qr-unsigned', { dpc: params.dpc }, false);
  const apk = await sources.libraryItem({ kind: 'apk', identifier: params.dpc, version: null });
  const signer = apk.signerSha256;
  if (typeof signer !== 'string' || !/^[0-9a-f]{64}$/i.test(signer)) throw stepFailed('android.qr-unsigned', { dpc: params.dpc }, false);
  const wifi = params.wifi;
  const password = wifi ? await wifiPassword(sources, wifi.ssid, wifi.security, wifi.secret) : null;
  return qrProvisioningPayload(params, signer, password);
}
