import type { ServiceHandler } from '../emulated-ipad.js';
import { afcService } from './afc.js';
import { diagnosticsRelayService } from './diagnostics-relay.js';
import { installationProxyService } from './installation-proxy.js';
import { mcInstallService } from './mcinstall.js';
import { mobileActivationService } from './mobileactivationd.js';

/** The services an emulated iPad starts through lockdown's StartService, by service name. */
export const IPAD_SERVICES: Record<string, ServiceHandler> = {
  'com.apple.mobile.MCInstall': mcInstallService,
  'com.apple.afc': afcService,
  'com.apple.mobile.installation_proxy': installationProxyService,
  'com.apple.mobileactivationd': mobileActivationService,
  'com.apple.mobile.diagnostics_relay': diagnosticsRelayService,
};

export { approveProfiles } from './profiles.js';
export { eraseDeviceState } from './device-reset.js';
export { IPAD_SETUP_PANES } from './supervision.js';
export type { UploadFaults } from './afc.js';
