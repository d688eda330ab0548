import type { EmulatedIpadState, EmulatorEnv } from '../emulated-ipad.js';
import { certificateDer } from '../lockdown/device-keys.js';
import { extrasOf } from './device-extras.js';
import type { PlistDict } from './plist-service.js';
import { newInstalledProfile, readProfile } from './profiles.js';

/**
 * Supervision rules shared by MCInstall and AFC: which certificates supervise the device, and when a
 * device in Setup Assistant leaves it.
 *
 * How the blueprint's `finishSetup` reaches the device (decided here; both public tools' sequences
 * work): the device leaves Setup Assistant (setupDone) once a cloud configuration is stored whose
 * SkipSetup names every pane the iPad would show (IPAD_SETUP_PANES) AND either
 *  - the configuration itself says setup is complete: `CloudConfigurationUIComplete: true`
 *    (pymobiledevice3's `supervise` sends it), or
 *  - the host writes the empty file `iTunes_Control/iTunes/SkipSetup` over AFC after
 *    SetCloudConfiguration (go-ios `prepare`'s last step).
 * A configuration that leaves a pane unskipped, or `finishSetup: false` (no UIComplete flag, no
 * SkipSetup file), keeps the device in Setup Assistant for the user. Profiles stored with
 * StoreProfile{Purpose: PostSetupInstallation} are installed when setup finishes.
 */

/**
 * The panes an iPad shows in Setup Assistant (ASSUMED for iPadOS 17/18: Apple's SkipKeys list minus
 * iPhone-, TV- and Mac-only panes). Every name is in both go-ios's skip-all list and
 * pymobiledevice3's, so either tool's "skip all" covers them.
 */
export const IPAD_SETUP_PANES: readonly string[] = [
  'Accessibility',
  'Appearance',
  'AppleID',
  'AppStore',
  'Biometric',
  'DeviceToDeviceMigration',
  'Diagnostics',
  'iMessageAndFaceTime',
  'Keyboard',
  'Language',
  'Location',
  'Multitasking',
  'Passcode',
  'Payment',
  'Privacy',
  'Region',
  'Restore',
  'RestoreCompleted',
  'ScreenTime',
  'Siri',
  'SoftwareUpdate',
  'TermsOfAddress',
  'TOS',
  'UpdateCompleted',
  'Welcome',
  'WiFi',
];

export const SKIP_SETUP_FILE = 'iTunes_Control/iTunes/SkipSetup';
export const POST_SETUP_PURPOSE = 'PostSetupInstallation';

export function skipsAllPanes(configuration: PlistDict): boolean {
  const skip = configuration['SkipSetup'];
  if (!Array.isArray(skip)) return false;
  const names = new Set(skip.filter((s): s is string => typeof s === 'string'));
  return IPAD_SETUP_PANES.every((pane) => names.has(pane));
}

/** The DER certificates allowed to Escalate (and to pair without Trust): the cloud configuration's SupervisorHostCertificates. */
export function supervisorCertificates(device: EmulatedIpadState): Buffer[] {
  const configuration = device.cloudConfiguration;
  if (!configuration || configuration['IsSupervised'] !== true) return [];
  const certificates = configuration['SupervisorHostCertificates'];
  return Array.isArray(certificates) ? certificates.filter((c): c is Buffer => Buffer.isBuffer(c)) : [];
}

/** Whether `certificate` (DER, or PEM as some hosts send it) is one of the device's supervisors. */
export function isSupervisorCertificate(device: EmulatedIpadState, certificate: Buffer): boolean {
  const der = certificateDer(certificate);
  return der !== null && supervisorCertificates(device).some((c) => certificateDer(c)?.equals(der) === true);
}

/** Leaves Setup Assistant when the stored configuration skips every pane; `confirmed` says whether the host asked to finish. */
export function finishSetupIfComplete(device: EmulatedIpadState, env: EmulatorEnv, confirmed: boolean): void {
  const configuration = device.cloudConfiguration;
  if (device.setupDone || !configuration || !confirmed || !skipsAllPanes(configuration as PlistDict)) return;
  device.setupDone = true;
  env.log(`Setup Assistant finished (every pane skipped)`);
  const stored = extrasOf(device).storedProfiles;
  const payload = stored.get(POST_SETUP_PURPOSE);
  if (!payload) return;
  stored.delete(POST_SETUP_PURPOSE);
  const read = readProfile(payload);
  if (read) device.profiles.set(read.facts.identifier, newInstalledProfile(read.facts, payload, true, false));
}
