import type { ServiceHandler } from '../emulated-ipad.js';

/**
 * Placeholder so the emulator's CLI compiles before EMU-SERVICES merges: EMU-SERVICES replaces
 * this file with the real service table (MCInstall, AFC, installation_proxy, mobileactivationd,
 * diagnostics_relay).
 */
export const IPAD_SERVICES: Record<string, ServiceHandler> = {};
