import { message, type Message } from '../../../../shared/messages/catalogue.js';
import type { LibraryFile, StepContext, StepOutcome } from '../../driver.js';
import { stepFailed, type StepFailedError } from '../../step-errors.js';
import type { AndroidDevice } from '../android-device.js';
import { installApk, installMethod, installedVersion, type ApkPart } from '../apk-install.js';
import { installFailureKind, type InstallResult } from '../device-output.js';
import type { AndroidStepTable } from './android-step.js';
import { runLogged } from './tablet-shell.js';

/** Apps captured by the install steps, for verify: `app:PACKAGE` = versionCode. */
export const APP_PREFIX = 'app:';

function partsOf(file: LibraryFile): ApkPart[] {
  return [
    { path: file.path, size: file.size, name: 'base.apk', sha256: file.sha256 },
    ...(file.splits ?? []).map((s) => ({ path: s.path, size: s.size, name: `${s.split}.apk`, sha256: s.sha256 })),
  ];
}

/** The one action that helps with the tablet's failure. */
function installFailed(app: string, result: Extract<InstallResult, { ok: false }>): StepFailedError {
  const params = { app, reason: result.reason };
  switch (installFailureKind(result.code)) {
    case 'storage':
      return stepFailed('android.install-storage', params, false);
    case 'incompatible':
      return stepFailed('android.install-incompatible', params, false);
    case 'downgrade':
      return stepFailed('android.install-downgrade', params, false);
    case 'old-android':
      return stepFailed('android.install-old-android', params, false);
    default:
      return stepFailed('android.install-failed', params, true);
  }
}

/** install-apk and install-app: an APK (and its splits) from the library; skipped when that versionCode is installed. */
async function installFromLibrary(ctx: StepContext, device: AndroidDevice): Promise<StepOutcome> {
  const step = ctx.step;
  if (step.type !== 'install-apk' && step.type !== 'install-app') return {};
  const app = step.params.app;
  if (!ctx.libraryItem) throw stepFailed('library.missing', { kind: message('library.kind.app'), identifier: app }, false);
  const file = await ctx.libraryItem({ kind: 'apk', identifier: app, version: step.params.version ?? null });
  // The manifest's versionCode (the library read it at import) decides "already installed".
  const wanted = file.versionCode ?? null;
  const run = (command: string) => runLogged(ctx, device, command);
  const captured = (code: number) => ({ [`${APP_PREFIX}${app}`]: String(code) });

  const before = await installedVersion(run, app);
  if (before && wanted !== null && before.versionCode === wanted) {
    return { captured: captured(wanted), message: `${app} ${file.version ?? wanted} already installed` };
  }
  const parts = partsOf(file);
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  const started = Date.now();
  const result = await installApk(
    {
      device,
      run,
      signal: ctx.signal,
      onBytes: (sent) => {
        const seconds = (Date.now() - started) / 1000;
        ctx.progress?.({
          percent: Math.min(100, Math.round((100 * sent) / Math.max(total, 1))),
          bytes: sent,
          total,
          ...(seconds > 0 ? { bytesPerSecond: Math.round(sent / seconds) } : {}),
        });
      },
      log: (line) => ctx.log(line),
    },
    parts,
    installMethod(device.features()),
  );
  if (!result.ok) throw installFailed(app, result);
  const after = await installedVersion(run, app);
  if (!after || (wanted !== null && after.versionCode !== wanted)) {
    const actual: Message | string = after ? String(after.versionCode) : message('android.missing');
    throw stepFailed('android.install-unverified', { app, expected: String(wanted ?? file.version ?? '?'), actual });
  }
  return { captured: captured(after.versionCode), message: `${app} ${file.version ?? after.versionCode} installed` };
}

export const installSteps: AndroidStepTable = {
  'install-apk': installFromLibrary,
  // On Android install-app means the same: the blueprint's app is an APK in the library.
  'install-app': installFromLibrary,
};
