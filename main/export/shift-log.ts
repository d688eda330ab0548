import { isFinishedResult } from '../../shared/contract/run-state.js';
import type { MessageLanguage } from '../../shared/messages/catalogue.js';
import { finishedDevices, firstPassYield } from '../../shared/metrics.js';
import type { ShiftLogWords } from './shift-log-words.js';

/**
 * The shift log as CONTRACT.md pins it: one row per run, these columns in this order. The same
 * types serve the station's export and the hub's, which reads the same runs from its own store.
 */
export const SHIFT_LOG_COLUMNS = [
  'run_id',
  'station',
  'shift_id',
  'slot',
  'serial',
  'family',
  'model',
  'os_version',
  'customer',
  'school',
  'order_id',
  'blueprint',
  'blueprint_version',
  'operator',
  'started_at',
  'finished_at',
  'duration_s',
  'result',
  'failed_step',
  'error',
  'attempts',
  'device_name',
  'asset_tag',
  'unit_id',
] as const;
export type ShiftLogColumn = (typeof SHIFT_LOG_COLUMNS)[number];

export const SHIFT_LOG_RESULTS = ['done', 'failed', 'cancelled', 'unfinished'] as const;
export type ShiftLogResult = (typeof SHIFT_LOG_RESULTS)[number];

/** One run as exported. Times are ISO 8601 with offset; duration in seconds with one decimal. */
export interface ShiftLogRun {
  run_id: string;
  station: string;
  shift_id: string;
  slot: string | null;
  serial: string;
  family: string | null;
  model: string | null;
  os_version: string | null;
  customer: string | null;
  school: string | null;
  order_id: string | null;
  blueprint: string;
  blueprint_version: number;
  operator: string | null;
  started_at: string;
  finished_at: string | null;
  duration_s: number | null;
  result: ShiftLogResult;
  failed_step: string | null;
  error: string | null;
  attempts: number;
  device_name: string | null;
  asset_tag: string | null;
  unit_id: string | null;
  /**
   * sha-256 of the resolved blueprint the run executed (JSON export only: the CSV columns are
   * pinned by CONTRACT.md and spreadsheets users built on them must not shift).
   */
  blueprint_hash?: string | null;
}

/** One attempt of one step, from the step events (JSON export's "steps"). */
export interface ShiftLogStep {
  runId: string;
  step: string;
  status: 'running' | 'done' | 'failed' | 'timeout' | 'skipped' | 'interrupted' | 'cancelled';
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  message: string | null;
}

export interface ShiftLogHeader {
  id: string;
  station: string;
  stationName: string;
  openedAt: string;
  closedAt: string | null;
  operators: string[];
  /** Runs handed over to the next shift at close: they are counted there, not here. */
  carriedOut: { runId: string; serial: string; toShift: string; state: string }[];
  /** Runs this shift took over from the previous one. */
  carriedIn: { runId: string; serial: string; fromShift: string; state: string }[];
}

/** Aggregates for the PDF, computed by the store without loading the runs. */
export interface ShiftLogSummary {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  unfinished: number;
  /** Devices done without any retry or technician action, of all finished (shared/metrics.ts). */
  firstPassYield: number | null;
  /** Devices done per hour of the shift; `hour` is the hour's start, ISO with offset. */
  perHour: { hour: string; done: number }[];
  /** Step failures (including ones a retry later fixed), by step and reason, most frequent first. */
  failures: { step: string; reason: string; count: number }[];
}

/**
 * What an exporter reads. `runs()` and `steps()` are iterated once each, lazily, so a source
 * backed by a database pages through it and never holds the whole shift.
 */
export interface ShiftLogSource {
  header(): ShiftLogHeader;
  summary(): ShiftLogSummary;
  runs(): Iterable<ShiftLogRun>;
  steps(): Iterable<ShiftLogStep>;
  /** What the PDF says about steps and failures in `language` (labels, catalogue words); the CSV/JSON never use it. */
  words(language: MessageLanguage): ShiftLogWords;
  /** Events of the shift's time window the hub refused for good; a source without them leaves the key out. */
}

/** An event the hub refused (the station's dead letters), as exported. Times ISO 8601 with offset. */
export interface ShiftLogDeadLetter {
  seq: number;
  kind: string;
  createdAt: string;
  rejectedAt: string;
  code: string;
  message: string;
  /** 'hub': the hub keeps it too; 'station': refused alone, the hub has a gap at this seq. */
  source: 'hub' | 'station';
  payload: unknown;
}

/**
 * A shift's totals from its run counts by state: the station and the hub both build their summary
 * here, so their exports cannot drift apart.
 */
export function summarizeShift(
  byState: Readonly<Record<string, number>>,
  firstPass: number,
  perHour: ShiftLogSummary['perHour'],
  failures: ShiftLogSummary['failures'],
): ShiftLogSummary {
  const done = byState.done ?? 0;
  const failed = byState.failed ?? 0;
  const cancelled = byState.cancelled ?? 0;
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  return {
    total,
    done,
    failed,
    cancelled,
    unfinished: total - done - failed - cancelled,
    firstPassYield: firstPassYield(firstPass, finishedDevices(byState)),
    perHour,
    failures,
  };
}

export type ShiftLogFormat = 'csv' | 'json' | 'pdf';
export type CsvDialect = 'rfc4180' | 'excel-de';

export function resultOf(state: string): ShiftLogResult {
  return isFinishedResult(state) ? state : 'unfinished';
}

/** Seconds between two ISO times, one decimal; null when unfinished. */
export function durationSeconds(startedAt: string, finishedAt: string | null): number | null {
  if (!finishedAt) return null;
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) ? Math.round(ms / 100) / 10 : null;
}

// The exports' local times with offset; re-exported so every export module finds them with the log's types.
export { isoWithOffset, localTimeZone } from '../shifts/zoned-time.js';
