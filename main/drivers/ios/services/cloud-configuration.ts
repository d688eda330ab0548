import { createHash } from 'node:crypto';
import type { PlistDict } from '../ios-link.js';
import { plistString } from '../plist-codec.js';

/**
 * Supervision ("Prepare" in Apple Configurator) is a cloud configuration set over MCInstall while
 * the device is in Setup Assistant. What goes into it follows the two public sequences that work
 * (go-ios ios/mcinstall/prepare.go, pymobiledevice3 services/mobile_config.py `supervise`).
 */

/**
 * Every Setup Assistant pane key either public tool skips for "skip all" (Apple's SkipKeys; the
 * union of go-ios's and pymobiledevice3's lists, deprecated keys included so older iPadOS skips
 * them too). A key a device does not know is ignored by it.
 */
export const ALL_SETUP_PANES: readonly string[] = [
  'Accessibility',
  'AccessibilityAppearance',
  'ActionButton',
  'AdditionalPrivacySettings',
  'AgeBasedSafetySettings',
  'Android',
  'Appearance',
  'AppleID',
  'AppStore',
  'Avatar',
  'Biometric',
  'CameraButton',
  'CloudStorage',
  'DeviceProtection',
  'DeviceToDeviceMigration',
  'Diagnostics',
  'Display',
  'DisplayTone',
  'EnableLockdownMode',
  'ExpressLanguage',
  'FileVault',
  'HomeButtonSensitivity',
  'iCloudDiagnostics',
  'iCloudStorage',
  'iMessageAndFaceTime',
  'IntendedUser',
  'Intelligence',
  'Keyboard',
  'Language',
  'LanguageAndLocale',
  'Location',
  'LockdownMode',
  'MessagingActivationUsingPhoneNumber',
  'Multitasking',
  'OnBoarding',
  'OSShowcase',
  'Passcode',
  'Payment',
  'PreferredLanguage',
  'Privacy',
  'Region',
  'Registration',
  'Restore',
  'RestoreCompleted',
  'Safety',
  'SafetyAndHandling',
  'ScreenSaver',
  'ScreenTime',
  'SIMSetup',
  'Siri',
  'SoftwareUpdate',
  'SpokenLanguage',
  'TapToSetup',
  'TermsOfAddress',
  'Tips',
  'Tone',
  'TOS',
  'TouchID',
  'TrueToneDisplay',
  'TVHomeScreenSync',
  'TVProviderSignIn',
  'TVRoom',
  'UnlockWithWatch',
  'UpdateCompleted',
  'Wallpaper',
  'WatchMigration',
  'WebContentFiltering',
  'Welcome',
  'WiFi',
  'Zoom',
];

export interface SupervisionSettings {
  organization: string;
  /** The supervision identity's certificate, DER. */
  supervisorCertificate: Buffer;
  skipSetup: 'all' | readonly string[];
  allowPairing: boolean;
  /** Whether the device leaves Setup Assistant (pymobiledevice3's "UI complete" flags); false keeps it there for the user. */
  finishSetup: boolean;
}

/**
 * The cloud configuration for a supervised device. OrganizationMagic is derived from the
 * organisation, so running the step again sends the same configuration.
 */
export function supervisedConfiguration(settings: SupervisionSettings): PlistDict {
  const config: PlistDict = {
    IsSupervised: true,
    IsMandatory: true,
    IsMDMUnremovable: false,
    AllowPairing: settings.allowPairing,
    OrganizationName: settings.organization,
    OrganizationMagic: uuidFrom(`benchline-organization:${settings.organization}`),
    SupervisorHostCertificates: [settings.supervisorCertificate],
    SkipSetup: [...(settings.skipSetup === 'all' ? ALL_SETUP_PANES : settings.skipSetup)],
  };
  if (settings.finishSetup) {
    config['CloudConfigurationUIComplete'] = true;
    config['ConfigurationWasApplied'] = true;
    config['PostSetupProfileWasInstalled'] = true;
  }
  return config;
}

/** Where go-ios's prepare writes an empty file over AFC so Setup Assistant ends (its last step). */
export const SKIP_SETUP_DIRECTORY = 'iTunes_Control/iTunes';
export const SKIP_SETUP_FILE = `${SKIP_SETUP_DIRECTORY}/SkipSetup`;

export interface Supervision {
  supervised: boolean;
  /** Supervised with the given certificate among SupervisorHostCertificates. */
  byCertificate: boolean;
  organization: string | null;
}

/** What a stored cloud configuration (null: none) says about supervision by `certificate` (DER). */
export function supervisionOf(config: PlistDict | null, certificate: Buffer | null): Supervision {
  if (!config) return { supervised: false, byCertificate: false, organization: null };
  const supervised = config['IsSupervised'] === true;
  const certificates = Array.isArray(config['SupervisorHostCertificates']) ? config['SupervisorHostCertificates'] : [];
  const byCertificate = supervised && certificate !== null && certificates.some((c) => Buffer.isBuffer(c) && c.equals(certificate));
  return { supervised, byCertificate, organization: plistString(config, 'OrganizationName') };
}

/** A UUID (version 5 layout) from a name: stable across runs and stations. */
export function uuidFrom(name: string): string {
  const hash = createHash('sha256').update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
