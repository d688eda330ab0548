import type { StepType } from '../../../../shared/blueprint/schema.js';
import type { AndroidStepTable } from './android-step.js';
import { deviceSteps } from './device-steps.js';
import { installSteps } from './install-steps.js';
import { ownerSteps } from './owner-steps.js';
import { provisioningSteps } from './qr-step.js';

/** Every step type the Android driver runs on a tablet, by blueprint type. */
export const ANDROID_STEPS: AndroidStepTable = { ...deviceSteps, ...installSteps, ...ownerSteps, ...provisioningSteps };

/** Steps whose runner does not talk to the tablet: they do not wait for it to be usable. */
export const TABLET_FREE_STEPS: ReadonlySet<StepType> = new Set<StepType>(['qr-provisioning', 'manual-check']);

/** Steps the station runs itself or that need nothing of the driver. */
export const NO_DEVICE_STEPS: ReadonlySet<StepType> = new Set<StepType>(['print-label', 'pack']);
