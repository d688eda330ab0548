/**
 * The floor's figures, computed one way on the station and on the hub, so the number a technician
 * sees on the bench is the number the supervisor sees on the dashboard.
 */
import { FINISHED_RESULT_STATES } from './contract/run-state.js';

/** Short spans count as at least 15 minutes, so the first device of a shift does not read as 240/h. */
const MIN_HOURS = 0.25;

/** Devices done per hour between fromMs and toMs, one decimal. */
export function devicesPerHour(done: number, fromMs: number, toMs: number): number {
  const hours = Math.max(MIN_HOURS, (toMs - fromMs) / 3_600_000);
  return Math.round((done / hours) * 10) / 10;
}

/**
 * Step events that take a run off the first pass: a failed or timed-out try (whether the pipeline
 * retried it on its own or a person had to), and the technician's retry or skip. A retry or skip
 * always follows a failure; they are listed so the rule reads as it is meant.
 */
export const NOT_FIRST_PASS_EVENT_KINDS = ['fail', 'timeout', 'retry', 'skip'] as const;

/**
 * Whether a run is a first-pass device: done in its first attempt (`attempts` counts every try,
 * automatic retries included), and none of its step events is a failure or a technician's fix.
 */
export function isFirstPass(state: string, attempts: number, eventKinds: Iterable<string>): boolean {
  if (state !== 'done' || attempts > 1) return false;
  for (const k of eventKinds) if ((NOT_FIRST_PASS_EVENT_KINDS as readonly string[]).includes(k)) return false;
  return true;
}

/** The run states that count as finished devices: the first-pass yield's denominator. */
export const FINISHED_DEVICE_STATES = FINISHED_RESULT_STATES;

/** Finished devices among run counts by state (done, failed, cancelled). */
export function finishedDevices(byState: Readonly<Record<string, number>>): number {
  return FINISHED_DEVICE_STATES.reduce((n, s) => n + (byState[s] ?? 0), 0);
}

/**
 * First-pass yield: devices done without any retry or technician action (isFirstPass), over the
 * devices finished (done, failed or cancelled); null before any finished, which the UI shows as
 * "–", never as "0 %". Three decimals.
 */
export function firstPassYield(firstPass: number, finished: number): number | null {
  return finished === 0 ? null : Math.round((firstPass / finished) * 1000) / 1000;
}
