import { createHash } from 'node:crypto';
import type { EmulatedIpadState, EmulatorEnv, InstalledApp, ServiceHandler } from '../emulated-ipad.js';
import { normalizeAfcPath } from './afc-filesystem.js';
import { extrasOf } from './device-extras.js';
import { inspectPackage } from './ipa-package.js';
import { delay, isPlistDict, servePlistRequests, stringField, type PlistDict, type PlistValue, type ServiceConnection } from './plist-service.js';
import { REAL_DEVICE_MS } from './timings.js';

/**
 * com.apple.mobile.installation_proxy (libimobiledevice src/installation_proxy.c, go-ios
 * ios/installationproxy/, pymobiledevice3 services/installation_proxy.py). Install/Upgrade read the
 * package uploaded over AFC (ideviceinstaller: PublicStaging/<bundle id>, no extension) and stream
 * {PercentComplete, Status} until {Status: Complete}, or end with {Error, ErrorDescription}.
 * Browse pages {CurrentIndex, CurrentAmount, CurrentList, Total, Status: BrowsingApplications} then
 * {Status: Complete}; Lookup answers {LookupResult, Status: Complete}.
 * Assumed: installd consumes the staged package on success (it is gone from PublicStaging), an
 * install the host stops listening to still completes on the device, and uninstalling an app that
 * is not there completes without error.
 */

/** Install stages as ideviceinstaller prints them from real devices, with the share of the install time each takes (assumed). */
const INSTALL_STAGES: readonly (readonly [status: string, percent: number, share: number])[] = [
  ['CreatingStagingDirectory', 5, 0.02],
  ['ExtractingPackage', 15, 0.2],
  ['InspectingPackage', 20, 0.05],
  ['TakingInstallLock', 20, 0.02],
  ['PreflightingApplication', 30, 0.05],
  ['InstallingEmbeddedProfile', 30, 0.03],
  ['VerifyingApplication', 40, 0.25],
  ['CreatingContainer', 50, 0.05],
  ['InstallingApplication', 60, 0.13],
  ['PostflightingApplication', 70, 0.05],
  ['SandboxingApplication', 80, 0.05],
  ['GeneratingApplicationMap', 90, 0.1],
];

/** The stage after which each failure is reported. */
const FAILS_AFTER: Record<string, string> = {
  PackageExtractionFailed: 'CreatingStagingDirectory',
  PackageInspectionFailed: 'ExtractingPackage',
  ApplicationVerificationFailed: 'VerifyingApplication',
};
/** installd's 0xe8008001 as the signed 32-bit ErrorDetail devices send. */
const VERIFICATION_ERROR_DETAIL = -402620415;

/** Apps every iPad has (ApplicationType System); their version is the OS version. */
const SYSTEM_APPS: readonly (readonly [bundleId: string, name: string, bundleDir: string])[] = [
  ['com.apple.mobilesafari', 'Safari', 'MobileSafari.app'],
  ['com.apple.Preferences', 'Settings', 'Preferences.app'],
  ['com.apple.camera', 'Camera', 'Camera.app'],
  ['com.apple.mobileslideshow', 'Photos', 'MobileSlideShow.app'],
];

/** Real devices send Browse results in pages (size assumed). */
const BROWSE_PAGE = 10;

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function userAppInfo(device: EmulatedIpadState, app: InstalledApp): PlistDict {
  return {
    CFBundleIdentifier: app.bundleId,
    CFBundleShortVersionString: app.version,
    // The state keeps one version; a real app's CFBundleVersion (its build) may differ.
    CFBundleVersion: app.version,
    CFBundleDisplayName: app.displayName,
    CFBundleName: app.displayName,
    ApplicationType: 'User',
    Path: `/private/var/containers/Bundle/Application/${uuidFrom(`${device.udid}/${app.bundleId}/bundle`)}/${app.displayName}.app`,
    Container: `/private/var/mobile/Containers/Data/Application/${uuidFrom(`${device.udid}/${app.bundleId}/data`)}`,
    IsUpgradeable: true,
  };
}

function systemAppInfo(device: EmulatedIpadState, [bundleId, name, bundleDir]: readonly [string, string, string]): PlistDict {
  return {
    CFBundleIdentifier: bundleId,
    CFBundleShortVersionString: device.productVersion,
    CFBundleVersion: device.buildVersion,
    CFBundleDisplayName: name,
    CFBundleName: name,
    ApplicationType: 'System',
    Path: `/Applications/${bundleDir}`,
  };
}

/** The apps ClientOptions select (ApplicationType User/System/Any, BundleIDs), trimmed to ReturnAttributes. */
function selectApps(device: EmulatedIpadState, options: PlistDict): PlistDict[] {
  const type = stringField(options, 'ApplicationType') ?? 'Any';
  const ids = options['BundleIDs'];
  const wanted = Array.isArray(ids) ? new Set(ids.filter((i): i is string => typeof i === 'string')) : null;
  const attributes = options['ReturnAttributes'];
  const keep = Array.isArray(attributes) ? attributes.filter((a): a is string => typeof a === 'string') : null;
  const apps: PlistDict[] = [];
  if (type === 'User' || type === 'Any') for (const app of device.apps.values()) apps.push(userAppInfo(device, app));
  if (type === 'System' || type === 'Any') for (const app of SYSTEM_APPS) apps.push(systemAppInfo(device, app));
  return apps
    .filter((a) => !wanted || wanted.has(a['CFBundleIdentifier'] as string))
    .map((a) => (keep ? Object.fromEntries(Object.entries(a).filter(([k]) => keep.includes(k) || k === 'CFBundleIdentifier')) : a));
}

async function browse(device: EmulatedIpadState, options: PlistDict, conn: ServiceConnection): Promise<void> {
  const apps = selectApps(device, options);
  for (let index = 0; index < apps.length; index += BROWSE_PAGE) {
    const page = apps.slice(index, index + BROWSE_PAGE);
    conn.send({ CurrentIndex: index, CurrentAmount: page.length, CurrentList: page, Total: apps.length, Status: 'BrowsingApplications' });
  }
  conn.send({ Status: 'Complete' });
}

async function install(device: EmulatedIpadState, env: EmulatorEnv, packagePath: string | null, conn: ServiceConnection): Promise<void> {
  const path = packagePath === null ? null : normalizeAfcPath(packagePath);
  if (path === null) {
    conn.send({ Error: 'MissingPackagePath', ErrorDescription: 'The request has no PackagePath.' });
    return;
  }
  const generation = extrasOf(device).generation;
  const data = device.files.get(path);
  const verdict = data
    ? await inspectPackage(data)
    : ({ ok: false, error: 'PackageExtractionFailed', description: `Could not open the package at ${path}: no such file.` } as const);
  const failure = !verdict.ok
    ? verdict
    : device.faults.failVerification?.includes(verdict.app.bundleId)
      ? ({
          ok: false,
          error: 'ApplicationVerificationFailed',
          description: `Failed to verify code signature of ${verdict.app.bundleId} : 0xe8008001 (A signed resource has been added, modified, or deleted.)`,
        } as const)
      : null;
  const totalMs = env.scaled(REAL_DEVICE_MS.appInstallBase + (REAL_DEVICE_MS.appInstallPerMiB * (data?.length ?? 0)) / (1024 * 1024));
  for (const [status, percent, share] of INSTALL_STAGES) {
    conn.send({ PercentComplete: percent, Status: status });
    await delay(totalMs * share);
    if (failure && FAILS_AFTER[failure.error] === status) {
      const error: PlistDict = { Error: failure.error, ErrorDescription: failure.description };
      if (failure.error === 'ApplicationVerificationFailed') error['ErrorDetail'] = VERIFICATION_ERROR_DETAIL;
      env.log(`install of ${path} failed: ${failure.error}`);
      conn.send(error);
      return;
    }
  }
  // An erase while installing wipes the app with everything else.
  if (!verdict.ok || extrasOf(device).generation !== generation) return;
  device.apps.set(verdict.app.bundleId, { ...verdict.app });
  device.files.delete(path);
  env.log(`installed ${verdict.app.bundleId} ${verdict.app.version}`);
  conn.send({ Status: 'Complete' });
}

async function uninstall(device: EmulatedIpadState, env: EmulatorEnv, bundleId: string | null, conn: ServiceConnection): Promise<void> {
  if (bundleId && device.apps.has(bundleId)) {
    conn.send({ PercentComplete: 50, Status: 'RemovingApplication' });
    await delay(env.scaled(REAL_DEVICE_MS.appUninstall));
    device.apps.delete(bundleId);
    conn.send({ PercentComplete: 90, Status: 'GeneratingApplicationMap' });
  }
  conn.send({ Status: 'Complete' });
}

function optionsOf(request: PlistDict): PlistDict {
  const options: PlistValue | undefined = request['ClientOptions'];
  return isPlistDict(options) ? options : {};
}

export const installationProxyService: ServiceHandler = (stream, device, env) => {
  servePlistRequests(stream, env, 'installation_proxy', async (request, conn) => {
    const command = stringField(request, 'Command');
    switch (command) {
      case 'Install':
      case 'Upgrade':
        return install(device, env, stringField(request, 'PackagePath') ?? null, conn);
      case 'Uninstall':
        return uninstall(device, env, stringField(request, 'ApplicationIdentifier') ?? null, conn);
      case 'Browse':
        return browse(device, optionsOf(request), conn);
      case 'Lookup': {
        const result: PlistDict = {};
        for (const app of selectApps(device, optionsOf(request))) result[app['CFBundleIdentifier'] as string] = app;
        conn.send({ LookupResult: result, Status: 'Complete' });
        return;
      }
      default:
        conn.send({ Error: 'UnknownCommand', ErrorDescription: `Unknown command ${command ?? '(none)'}` });
    }
  });
};
