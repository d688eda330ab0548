import type { ServiceHandler } from '../emulated-ipad.ts';
import { afcService } from './afc.ts';
import { diagnosticsRelayService } from './diagnostics-relay.ts';
import { installationProxyService } from './installation-proxy.ts';
import { mcInstallService } from './mcinstall.ts';
import { mobileActivationService } from './mobileactivationd.ts';

/** The services an emulated iPad starts through lockdown's StartService, by service name. */
export const IPAD_SERVICES: Record<string, ServiceHandler> = {
  'com.apple.mobile.MCInstall': mcInstallService,
  'com.apple.afc': afcService,
  'com.apple.mobile.installation_proxy': installationProxyService,
  'com.apple.mobileactivationd': mobileActivationService,
  'com.apple.mobile.diagnostics_relay': diagnosticsRelayService,
};

export { approveProfiles } from './profiles.ts';
export { eraseDeviceState } from './device-reset.ts';
export { verifySignedChallenge } from './supervisor-signature.ts';
export { IPAD_SETUP_PANES } from './supervision.ts';
export type { UploadFaults } from './afc.ts';
