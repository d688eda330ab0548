import type { StepContext } from '../driver.js';
import { DeviceGoneError, StepAbortedError, StepFailedError, stepFailed } from '../step-errors.js';
import { IosLinkError } from './ios-link.js';
import { AfcError } from './services/afc-client.js';
import { ActivationServerError } from './services/activation-server.js';
import { DiagnosticsRefusedError } from './services/diagnostics-relay.js';
import { InstallProxyError } from './services/installation-proxy.js';
import { CLOUD_CONFIGURATION_PRESENT, McInstallError } from './services/mcinstall-client.js';
import { ActivationLockedError, ActivationRefusedError } from './services/mobile-activation.js';

/**
 * Every error the services raise, as the catalogue's `ios.*` step failure a technician can act on:
 * the device's own words go in `reason`, the one action that helps is in the text, `step` is the
 * step's id (readers put its label in its place). Transport failures (IosLinkError) pass through
 * untouched: the transport's runIosStep (ios-step-runner.ts) turns 'device-gone' into
 * DeviceGoneError once usbmuxd confirms the device left (or runs the step again when usbmuxd only
 * restarted), re-pairs a device that forgot the station, and maps the rest (link-failures.ts).
 */

/** MCInstall codes that mean "activate first" (14006: assumed, as the emulator answers; the device's words still show). */
const NOT_ACTIVATED_CODES = new Set([14006]);

/** installation_proxy's error words that retrying the same package cannot fix. */
const APP_REJECTED = new Set(['ApplicationVerificationFailed', 'PackageInspectionFailed', 'IncorrectArchitecture', 'InvalidSignature']);
const APP_OS_TOO_OLD = new Set(['DeviceOSVersionTooLow', 'MinimumOSVersionNotSatisfied']);

/** Which app or profile a step works on, for the texts that name it. */
export interface ErrorSubject {
  app?: string;
  profile?: string;
}

export function iosStepError(err: unknown, ctx: Pick<StepContext, 'step' | 'serial'>, subject: ErrorSubject = {}): Error {
  if (err instanceof StepFailedError || err instanceof DeviceGoneError || err instanceof StepAbortedError || err instanceof IosLinkError) return err;
  const step = ctx.step.id;
  if (err instanceof McInstallError) return mcInstallError(err, step, subject);
  if (err instanceof InstallProxyError) {
    const app = subject.app ?? '?';
    if (APP_REJECTED.has(err.error)) return stepFailed('ios.app-verification-failed', { app, reason: err.reason }, false);
    if (APP_OS_TOO_OLD.has(err.error)) return stepFailed('ios.app-os-too-old', { app, reason: err.reason }, false);
    return stepFailed('ios.app-install-failed', { app, reason: err.reason });
  }
  if (err instanceof AfcError) return stepFailed('ios.upload-failed', { app: subject.app ?? '?', reason: `${err.status} (${err.operation} ${err.path})` });
  if (err instanceof ActivationLockedError) return stepFailed('ios.activation-locked', { serial: ctx.serial, reason: err.reason }, false);
  if (err instanceof ActivationServerError) return stepFailed('ios.activation-server', { url: err.url, reason: err.reason });
  if (err instanceof ActivationRefusedError) return stepFailed('ios.activation-refused', { reason: `${err.reason} (${err.command})` });
  if (err instanceof DiagnosticsRefusedError) return stepFailed('ios.service-refused', { reason: `diagnostics_relay ${err.request}: ${err.reason}` });
  return err instanceof Error ? err : new Error(String(err));
}

function mcInstallError(err: McInstallError, step: string, subject: ErrorSubject): Error {
  const reason = err.reason;
  if (err.code === CLOUD_CONFIGURATION_PRESENT) return stepFailed('ios.already-configured', { reason }, false);
  if (err.code !== null && NOT_ACTIVATED_CODES.has(err.code)) return stepFailed('ios.not-activated', { step, reason }, false);
  switch (err.request) {
    case 'InstallProfile':
    case 'InstallProfileSilent':
      return stepFailed('ios.profile-refused', { step, profile: subject.profile ?? '?', reason }, false);
    case 'RemoveProfile':
      return stepFailed('ios.profile-remove-refused', { profile: subject.profile ?? '?', reason }, false);
    case 'Escalate':
    case 'EscalateResponse':
    case 'ProceedWithKeybagMigration':
      return stepFailed('ios.escalate-refused', { step, reason }, false);
    case 'EraseDevice':
      return stepFailed('ios.erase-refused', { reason });
    default:
      return stepFailed('ios.mcinstall-failed', { step, request: err.request, reason });
  }
}
