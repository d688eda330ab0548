import type { MessageLanguage } from '../../shared/messages/catalogue.js';
import { eventMessageProse } from '../pipeline/step-event-text.js';
import type { DeadLetterRecord } from '../store/dead-letter-store.js';
import type { ShiftRecord } from '../store/records.js';
import type { FloorStore } from '../store/floor-store.js';
import type { ShiftLogEventRow, ShiftLogRunRow, ShiftLogStore } from '../store/shift-log-store.js';
import {
  durationSeconds,
  isoWithOffset,
  localTimeZone,
  resultOf,
  summarizeShift,
  type ShiftLogDeadLetter,
  type ShiftLogHeader,
  type ShiftLogRun,
  type ShiftLogSource,
  type ShiftLogStep,
  type ShiftLogSummary,
} from './shift-log.js';
import { causeWords, runFailureText, StepLabels, type ShiftLogWords } from './shift-log-words.js';

/** A step event's kind stored in place of a message (nothing more specific was recorded). */
const BARE_KINDS = new Set(['fail', 'timeout', 'interrupted']);

function capturedOf(json: string): Record<string, string> {
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** A stored dead letter as the exports show it: local times, the payload as JSON (or its text if it is not). */
export function toShiftLogDeadLetter(l: DeadLetterRecord, tz: string): ShiftLogDeadLetter {
  let payload: unknown;
  try {
    payload = JSON.parse(l.payload) as unknown;
  } catch {
    payload = l.payload;
  }
  return {
    seq: l.seq,
    kind: l.kind,
    createdAt: isoWithOffset(l.createdAt, tz),
    rejectedAt: isoWithOffset(l.rejectedAt, tz),
    code: l.code,
    message: l.message,
    source: l.source,
    payload,
  };
}

/** Maps a stored run to the contract's row. */
export function toShiftLogRun(r: ShiftLogRunRow, station: string, tz: string): ShiftLogRun {
  const c = capturedOf(r.captured);
  const result = resultOf(r.state);
  return {
    run_id: r.id,
    station,
    shift_id: r.shift_id,
    slot: r.slot,
    serial: r.serial,
    family: r.family,
    model: c.model ?? r.model,
    os_version: c.osVersion ?? r.os_version,
    customer: c.customer ?? null,
    school: c.school ?? null,
    order_id: c.orderId ?? null,
    blueprint: r.blueprint,
    blueprint_version: r.blueprint_version,
    operator: r.operator,
    started_at: isoWithOffset(r.started_at, tz),
    finished_at: r.finished_at ? isoWithOffset(r.finished_at, tz) : null,
    duration_s: result === 'unfinished' ? null : durationSeconds(r.started_at, r.finished_at),
    result,
    failed_step: r.failed_step,
    error: r.error_message ?? r.error_code,
    attempts: r.attempts_total,
    device_name: c.deviceName ?? null,
    asset_tag: c.assetTag ?? null,
    unit_id: r.unit_id,
    // Last, after the CSV's columns: JSON readers find it by name, the CSV never has it.
    blueprint_hash: r.blueprint_hash,
  };
}

const CLOSING: Record<string, ShiftLogStep['status']> = {
  done: 'done',
  fail: 'failed',
  timeout: 'timeout',
  skip: 'skipped',
  interrupted: 'interrupted',
  cancel: 'cancelled',
};

/** Folds one run's step events (in commit order) into one entry per step attempt. */
export function stepsOfRun(events: readonly ShiftLogEventRow[], tz: string): ShiftLogStep[] {
  const out: ShiftLogStep[] = [];
  let open: ShiftLogStep | null = null;
  for (const row of events) {
    // Step events store catalogue messages; the export carries their English words (CONTRACT.md columns).
    const e = { ...row, message: eventMessageProse(row.message) };
    if (e.kind === 'start' && e.step) {
      if (open) out.push(open);
      open = { runId: e.run_id, step: e.step, status: 'running', attempt: e.attempt, startedAt: isoWithOffset(e.at, tz), finishedAt: null, message: e.message };
      continue;
    }
    // A step still open when its run resumes was cut off by a station restart (kill, power loss):
    // it ends there, interrupted, and the step starts again as its own row.
    if (e.kind === 'resumed' && open && open.step === e.step) {
      out.push({ ...open, status: 'interrupted', finishedAt: isoWithOffset(e.at, tz) });
      open = null;
      continue;
    }
    const status = CLOSING[e.kind];
    if (!status) continue;
    if (open && (open.step === e.step || e.kind === 'cancel')) {
      open.status = status;
      open.finishedAt = isoWithOffset(e.at, tz);
      open.message = e.message ?? open.message;
      out.push(open);
      open = null;
    } else if (e.step && (e.kind === 'skip' || e.kind === 'cancel')) {
      // A failed step the technician skipped, or a run cancelled between steps.
      const at = isoWithOffset(e.at, tz);
      out.push({ runId: e.run_id, step: e.step, status, attempt: e.attempt, startedAt: at, finishedAt: at, message: e.message });
    }
  }
  if (open) out.push(open);
  return out;
}

/** The station's shift log, read from its database page by page. */
export class StationShiftLogSource implements ShiftLogSource {
  private readonly tz: string;

  constructor(
    private readonly deps: { log: ShiftLogStore; floor: FloorStore; stationId: string; stationName: string },
    private readonly shift: ShiftRecord,
    opts: { timeZone?: string; pageSize?: number } = {},
  ) {
    this.tz = opts.timeZone ?? localTimeZone();
    this.pageSize = opts.pageSize ?? 500;
  }

  private readonly pageSize: number;

  header(): ShiftLogHeader {
    const s = this.shift;
    return {
      id: s.id,
      station: this.deps.stationId,
      stationName: this.deps.stationName,
      openedAt: isoWithOffset(s.openedAt, this.tz),
      closedAt: s.closedAt ? isoWithOffset(s.closedAt, this.tz) : null,
      operators: s.operators,
      carriedOut: this.deps.floor.carriedOut(s.id),
      carriedIn: this.deps.floor.carriedIn(s.id),
    };
  }

  summary(): ShiftLogSummary {
    const { byState, firstPass } = this.deps.log.counts(this.shift.id);
    // Reasons in English words, as the hub's copy of the events has them: both exports stay byte-identical.
    const failures = this.deps.log.failures(this.shift.id).map((f) => ({ step: f.step, reason: eventMessageProse(f.reason) ?? f.reason, count: f.n }));
    return summarizeShift(byState, firstPass, this.perHour(), failures);
  }

  words(language: MessageLanguage): ShiftLogWords {
    const labels = new StepLabels(this.deps.log.blueprintsOf(this.shift.id), language);
    return {
      failures: () => this.deps.log.failures(this.shift.id).map((f) => ({ step: labels.label(f.step), cause: causeWords(f.reason, language), count: f.n })),
      runFailure: (run) => {
        if (run.result !== 'failed' && !run.error) return '';
        const step = run.failed_step ? labels.label(run.failed_step, { name: run.blueprint, version: run.blueprint_version }) : null;
        // The failing step's event keeps the cause as a catalogue message; the run's own error column has English words only.
        const stored = run.result === 'failed' ? this.deps.log.lastFailure(run.run_id) : null;
        const cause =
          stored !== null && !BARE_KINDS.has(stored) ? causeWords(stored, language) : (run.error ?? (stored === null ? null : causeWords(stored, language)));
        return runFailureText(step, cause);
      },
    };
  }

  /** Every hour from the shift's start to its end (or its last finished device), gaps as zero. */
  private perHour(): ShiftLogSummary['perHour'] {
    const rows = this.deps.log.donePerHour(this.shift.id);
    const byHour = new Map(rows.map((r) => [Date.parse(`${r.hour}:00:00.000Z`), r.n]));
    const hourOf = (iso: string) => Math.floor(Date.parse(iso) / 3_600_000) * 3_600_000;
    const starts = [hourOf(this.shift.openedAt), ...byHour.keys()];
    const ends = [this.shift.closedAt ? hourOf(this.shift.closedAt) : hourOf(this.shift.openedAt), ...byHour.keys()];
    const from = Math.min(...starts);
    const to = Math.max(...ends);
    const out: ShiftLogSummary['perHour'] = [];
    // A shift is hours long; a clock that jumped must not make a chart of thousands of bars.
    for (let h = from; h <= to && out.length < 48; h += 3_600_000) {
      out.push({ hour: isoWithOffset(new Date(h).toISOString(), this.tz), done: byHour.get(h) ?? 0 });
    }
    return out;
  }

  /** Dead letters of events written while the shift was open. */

  *runs(): Generator<ShiftLogRun> {
    for (const r of this.deps.log.runs(this.shift.id, this.pageSize)) yield toShiftLogRun(r, this.deps.stationId, this.tz);
  }

  *steps(): Generator<ShiftLogStep> {
    let ids: string[] = [];
    const flush = function* (this: StationShiftLogSource): Generator<ShiftLogStep> {
      const byRun = new Map<string, ShiftLogEventRow[]>();
      for (const e of this.deps.log.eventsOf(ids)) {
        let list = byRun.get(e.run_id);
        if (!list) byRun.set(e.run_id, (list = []));
        list.push(e);
      }
      for (const id of ids) yield* stepsOfRun(byRun.get(id) ?? [], this.tz);
      ids = [];
    };
    for (const r of this.deps.log.runs(this.shift.id, this.pageSize)) {
      ids.push(r.id);
      if (ids.length >= 200) yield* flush.call(this);
    }
    if (ids.length) yield* flush.call(this);
  }
}
