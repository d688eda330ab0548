import type { IosStepTable } from './ios-step.js';

/** identify, wait-for-trust, battery: the steps that need lockdown only (ios-transport). */
export const pairingSteps: IosStepTable = {};
