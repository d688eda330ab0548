import { stepFailed, type StepFailedError } from '../step-errors.js';
import type { IosLinkError } from './ios-link.js';

/**
 * A transport failure as the technician reads it: the catalogue code for its kind, the device's
 * own word (or ours, when the device said nothing) and whether trying again can help. The service
 * errors (MCInstall, installation_proxy) have their own mapping beside the service clients.
 */
export function linkStepFailure(err: IosLinkError, usbmuxdAddress: string): StepFailedError {
  const reason = err.deviceReason ?? err.message;
  switch (err.kind) {
    case 'pairing-denied':
      // The prompt does not come back until the device is plugged in again: an automatic retry cannot help.
      return stepFailed('ios.trust-denied', { reason }, false);
    case 'password-protected':
      return stepFailed('ios.passcode', { reason }, true);
    case 'not-paired':
    case 'invalid-host-id':
      return stepFailed('ios.not-paired', { reason }, true);
    case 'tls-failed':
      return stepFailed('ios.tls-failed', { reason }, true);
    case 'service-refused':
      return stepFailed('ios.service-refused', { reason }, true);
    case 'usbmuxd-unreachable':
      return stepFailed('ios.usbmuxd-unreachable', { address: usbmuxdAddress, reason }, true);
    case 'device-gone':
      return stepFailed('ios.connection-lost', { reason }, true);
    case 'pairing-pending':
    case 'protocol':
      return stepFailed('ios.protocol', { reason: err.deviceReason ? `${err.deviceReason}: ${err.message}` : err.message }, true);
  }
}
