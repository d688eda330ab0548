import type { IosStepTable } from './ios-step.js';
import { pairingSteps } from './pairing-steps.js';
import { serviceSteps } from './service-steps.js';

/** Every step type the iOS driver runs, by blueprint type; the driver's supportedSteps are these keys. */
export const IOS_STEPS: IosStepTable = { ...pairingSteps, ...serviceSteps };
