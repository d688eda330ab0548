/** The states a run can be in, as the automation API reports them (CONTRACT.md). */
export const RUN_STATES = ['queued', 'running', 'waiting', 'interrupted', 'done', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/*
 * One taxonomy of run states for the station, the hub, the exports and the UI.
 *
 * "Final" means two different things, so it has two names here:
 * - CLOSED: the station is through with the run (done, cancelled). Nothing reopens it, so its tile may
 *   go and the station does not restore it at start.
 * - FINISHED_RESULT: the run has a result to report (done, failed, cancelled). A failed run is not
 *   closed: the technician can retry or skip it, and the station keeps it open. But as of now it has
 *   a result, so exports and metrics count it as failed, and a later retry changes that result.
 * IN_PROGRESS runs have no result yet (the hub's "WIP", carried over at a shift change);
 * NEEDS_TECHNICIAN runs wait for a person (failed, or waiting on the bench).
 */

/** The station is through with the run: nothing reopens it. */
export const CLOSED_RUN_STATES = ['done', 'cancelled'] as const satisfies readonly RunState[];
/** The station still holds the run: in progress, or failed and waiting for retry or skip. */
export const OPEN_RUN_STATES = ['queued', 'running', 'waiting', 'interrupted', 'failed'] as const satisfies readonly RunState[];
/** No result yet: still moving or paused (the hub's WIP; handed over when its shift closes). */
export const IN_PROGRESS_RUN_STATES = ['queued', 'running', 'waiting', 'interrupted'] as const satisfies readonly RunState[];
/** Has a result for exports and metrics; a failed run's result may still change by a retry. */
export const FINISHED_RESULT_STATES = ['done', 'failed', 'cancelled'] as const satisfies readonly RunState[];
/** Waits for a person: the tile comes first in the technician's attention list. */
export const NEEDS_TECHNICIAN_STATES = ['failed', 'waiting'] as const satisfies readonly RunState[];

export type ClosedRunState = (typeof CLOSED_RUN_STATES)[number];
export type InProgressRunState = (typeof IN_PROGRESS_RUN_STATES)[number];
export type FinishedResultState = (typeof FINISHED_RESULT_STATES)[number];

function member<T extends string>(set: readonly T[], state: string | null | undefined): state is T {
  return state != null && (set as readonly string[]).includes(state);
}

/** Done or cancelled: the station is through with the run. */
export function isRunClosed(state: string | null | undefined): state is ClosedRunState {
  return member(CLOSED_RUN_STATES, state);
}

/** Queued, running, waiting or interrupted: no result yet. */
export function isRunInProgress(state: string | null | undefined): state is InProgressRunState {
  return member(IN_PROGRESS_RUN_STATES, state);
}

/** Done, failed or cancelled: a result exports and metrics count. */
export function isFinishedResult(state: string | null | undefined): state is FinishedResultState {
  return member(FINISHED_RESULT_STATES, state);
}

/** Failed or waiting: a person has to act. */
export function needsTechnician(state: string | null | undefined): boolean {
  return member(NEEDS_TECHNICIAN_STATES, state);
}

/** A set as an SQL list, "('queued', 'running')", from the same constants (the states are plain words, safe to inline). */
export function runStatesSql(states: readonly RunState[]): string {
  return `(${states.map((s) => `'${s}'`).join(', ')})`;
}

/** Driver families: which driver talks to a device. */
export const DEVICE_FAMILIES = ['ios', 'android', 'serial', 'manual', 'simulated'] as const;
export type DeviceFamily = (typeof DEVICE_FAMILIES)[number];

/** What a device is, whichever driver talks to it: blueprints are written per platform. */
export const PLATFORMS = ['ios', 'android', 'serial', 'notebook'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * Why a run waits; each has a technician-facing instruction in the renderer's locale files.
 * `restart` (the device restarts on purpose) and `lane` (a free lane for a heavy step) need no
 * person: their runs stay running and queued.
 */
export const WAIT_REASONS = ['trust', 'battery', 'technician', 'restart', 'lane'] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];
