/** The states a run can be in, as the automation API reports them (CONTRACT.md). */
export const RUN_STATES = ['queued', 'running', 'waiting', 'interrupted', 'done', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** States a run never leaves by itself. */
export const FINAL_RUN_STATES: readonly RunState[] = ['done', 'cancelled'];

/** States in which a run still needs the device or the technician. */
export function isRunActive(state: RunState): boolean {
  return state !== 'done' && state !== 'cancelled' && state !== 'failed';
}

/** Driver families: which driver talks to a device. */
export const DEVICE_FAMILIES = ['ios', 'android', 'serial', 'manual', 'simulated'] as const;
export type DeviceFamily = (typeof DEVICE_FAMILIES)[number];

/** What a device is, whichever driver talks to it: blueprints are written per platform. */
export const PLATFORMS = ['ios', 'android', 'serial', 'notebook'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Why a run waits; each has a technician-facing instruction in the renderer's locale files. */
export const WAIT_REASONS = ['trust', 'battery', 'technician'] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];
