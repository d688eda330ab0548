import type { IosStepTable } from './ios-step.js';

/** erase, activate, supervise, enroll-mdm, install-profile, remove-profile, install-app, wifi, rename, restart, verify (ios-steps). */
export const serviceSteps: IosStepTable = {};
