import { message } from '../../../../shared/messages/catalogue.js';
import type { LibraryFile, StepContext } from '../../driver.js';
import { stepFailed } from '../../step-errors.js';
import type { LockdownSession } from '../ios-link.js';
import { iosStepError } from '../ios-errors.js';
import { AFC_SERVICE, AfcClient } from '../services/afc-client.js';
import { INSTALLATION_PROXY_SERVICE, InstallationProxyClient } from '../services/installation-proxy.js';
import type { IosStepRunner } from './ios-step.js';
import { CAPTURED, capturedList, listWith, withService, withSession } from './step-support.js';

/** installd takes packages from the media partition's PublicStaging (ideviceinstaller, pymobiledevice3 do the same). */
const STAGING_DIRECTORY = 'PublicStaging';

/** Progress reports at most this often during an upload (the pipeline throttles too; this spares the work of building them). */
const PROGRESS_EVERY_MS = 250;

function stagingPath(bundleId: string): string {
  return `${STAGING_DIRECTORY}/${bundleId.replace(/[^A-Za-z0-9._-]/g, '_')}.ipa`;
}

/** "bundleId version" as the run keeps it for verify; a version-less library item keeps the id alone. */
export function appEntry(bundleId: string, version: string | null): string {
  return version ? `${bundleId} ${version}` : bundleId;
}

async function installedVersion(ctx: StepContext, session: LockdownSession, bundleId: string): Promise<string | null | undefined> {
  return withService(ctx, session, INSTALLATION_PROXY_SERVICE, async (conn) => {
    const found = (await new InstallationProxyClient(conn, ctx.signal).lookup([bundleId])).get(bundleId);
    return found ? found.version : undefined;
  });
}

/**
 * Uploads the IPA to PublicStaging over AFC. A partial file from an upload the unplugged device
 * cut short is removed first, so every upload starts clean at byte 0.
 */
async function upload(ctx: StepContext, session: LockdownSession, item: LibraryFile, remotePath: string): Promise<void> {
  await withService(ctx, session, AFC_SERVICE, async (conn) => {
    const afc = await AfcClient.open(conn, ctx.signal);
    await afc.makeDirectory(STAGING_DIRECTORY);
    await afc.remove(remotePath);
    const started = Date.now();
    let reported = 0;
    const report = (bytes: number) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      ctx.progress?.({
        percent: item.size > 0 ? Math.min(100, Math.floor((100 * bytes) / item.size)) : 100,
        bytes,
        total: item.size,
        bytesPerSecond: Math.round(bytes / seconds),
      });
    };
    report(0);
    const written = await afc.upload(item.path, remotePath, (bytes) => {
      const now = Date.now();
      if (now - reported < PROGRESS_EVERY_MS && bytes < item.size) return;
      reported = now;
      report(bytes);
    });
    if (written !== item.size)
      throw stepFailed('ios.upload-failed', { app: item.identifier, reason: `${written} of ${item.size} bytes read from the library file` });
  });
}

/**
 * install-app: an IPA from the library. Skipped when the device has the app at that version; else
 * AFC upload to PublicStaging (progress with bytes and bytes/s), then installation_proxy Install
 * (progress from PercentComplete). The step's lane (upload lanes per bus) is held for the upload
 * only. The staged package is removed after the install.
 */
export const installAppStep: IosStepRunner = async (ctx, device, deps) => {
  if (ctx.step.type !== 'install-app') throw new Error(`install-app runs install-app steps, not ${ctx.step.type}`);
  const { app, version } = ctx.step.params;
  if (!ctx.libraryItem) throw stepFailed('library.missing', { kind: message('library.kind.app'), identifier: version ? `${app} ${version}` : app }, false);
  const item = await ctx.libraryItem({ kind: 'ipa', identifier: app, version: version ?? null });
  const entry = appEntry(item.identifier, item.version);
  const captured = { [CAPTURED.apps]: listWith(capturedList(ctx, CAPTURED.apps), entry, (e) => e === item.identifier || e.startsWith(`${item.identifier} `)) };
  const remotePath = stagingPath(item.identifier);
  try {
    await withSession(ctx, device, deps, async (session) => {
      const installed = await installedVersion(ctx, session, item.identifier);
      if (installed !== undefined && (item.version === null || installed === item.version)) {
        deps.log('info', `install-app: ${entry} is installed already`, { udid: device.udid });
        return;
      }
      await upload(ctx, session, item, remotePath);
      // Installing moves nothing over USB: the bus's lane goes to the next upload meanwhile.
      ctx.laneDone?.();
      await withService(ctx, session, INSTALLATION_PROXY_SERVICE, (conn) =>
        new InstallationProxyClient(conn, ctx.signal).install(remotePath, (percent) => ctx.progress?.({ percent })),
      );
      await withService(ctx, session, AFC_SERVICE, async (conn) => (await AfcClient.open(conn, ctx.signal)).remove(remotePath)).catch((err: unknown) =>
        deps.log('warn', `install-app: the staged package stays on the device (${err instanceof Error ? err.message : String(err)})`, { udid: device.udid }),
      );
      const now = await installedVersion(ctx, session, item.identifier);
      if (now === undefined || (item.version !== null && now !== item.version))
        throw stepFailed('ios.app-install-failed', {
          app: item.identifier,
          reason: `Install completed, but Lookup shows ${now === undefined ? 'no app' : `version ${now ?? '?'}`}`,
        });
    });
  } catch (err) {
    throw iosStepError(err, ctx, { app: item.identifier });
  }
  return { captured };
};
