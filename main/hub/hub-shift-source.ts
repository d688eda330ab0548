import {
  isoWithOffset,
  localTimeZone,
  summarizeShift,
  type ShiftLogHeader,
  type ShiftLogRun,
  type ShiftLogSource,
  type ShiftLogStep,
  type ShiftLogSummary,
} from '../export/shift-log.js';
import { causeWords, runFailureText, type ShiftLogWords } from '../export/shift-log-words.js';
import { stepsOfRun, toShiftLogRun } from '../export/station-shift-source.js';
import type { MessageLanguage } from '../../shared/messages/catalogue.js';
import { isFirstPass } from '../../shared/metrics.js';
import type { ShiftLogEventRow } from '../store/shift-log-store.js';
import type { HubShiftLog } from './hub-store.js';

/**
 * A station's shift log from the hub's copy of its event stream, through the very mappings the
 * station's own export uses (toShiftLogRun, stepsOfRun) and written by the same writers, so the
 * two exports agree. Loaded whole: the writers read synchronously and a shift is a few thousand rows.
 */
export class HubShiftLogSource implements ShiftLogSource {
  private readonly tz: string;
  private readonly eventsByRun = new Map<string, ShiftLogEventRow[]>();

  constructor(
    private readonly log: HubShiftLog,
    opts: { timeZone?: string } = {},
  ) {
    this.tz = opts.timeZone ?? localTimeZone();
    for (const e of log.events) {
      let list = this.eventsByRun.get(e.run_id);
      if (!list) this.eventsByRun.set(e.run_id, (list = []));
      list.push(e);
    }
  }

  header(): ShiftLogHeader {
    const s = this.log.shift;
    return {
      id: s.id,
      station: this.log.stationId,
      stationName: this.log.stationName,
      openedAt: isoWithOffset(s.openedAt, this.tz),
      closedAt: s.closedAt ? isoWithOffset(s.closedAt, this.tz) : null,
      operators: s.operators,
      carriedOut: this.log.carriedOut,
      carriedIn: this.log.carriedIn,
    };
  }

  summary(): ShiftLogSummary {
    const byState: Record<string, number> = {};
    let firstPass = 0;
    for (const r of this.log.runs) {
      byState[r.state] = (byState[r.state] ?? 0) + 1;
      if (
        isFirstPass(
          r.state,
          r.attempts_total,
          (this.eventsByRun.get(r.id) ?? []).map((e) => e.kind),
        )
      )
        firstPass += 1;
    }
    const failures = new Map<string, { step: string; reason: string; count: number }>();
    for (const e of this.log.events) {
      if (e.kind !== 'fail' && e.kind !== 'timeout') continue;
      const step = e.step ?? '?';
      const reason = e.message ?? e.kind;
      const k = `${step}\u0000${reason}`;
      const f = failures.get(k) ?? { step, reason, count: 0 };
      f.count += 1;
      failures.set(k, f);
    }
    return summarizeShift(
      byState,
      firstPass,
      this.perHour(),
      [...failures.values()]
        .sort((a, b) => b.count - a.count || (a.step < b.step ? -1 : a.step > b.step ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0))
        .slice(0, 30),
    );
  }

  /**
   * The hub has no blueprints and its copy of the events has English words (stations send those),
   * so its PDF names steps by id; causes it knows only as a kind get the language's word.
   */
  words(language: MessageLanguage): ShiftLogWords {
    return {
      failures: () => this.summary().failures.map((f) => ({ step: f.step, cause: causeWords(f.reason, language), count: f.count })),
      runFailure: (run) => (run.result === 'failed' || run.error ? runFailureText(run.failed_step, run.error) : ''),
    };
  }

  /** Every hour from the shift's start to its end (or its last finished device): as the station's export counts it. */
  private perHour(): ShiftLogSummary['perHour'] {
    const byHour = new Map<number, number>();
    for (const r of this.log.runs) {
      if (r.state !== 'done' || !r.finished_at) continue;
      const h = Date.parse(`${r.finished_at.slice(0, 13)}:00:00.000Z`);
      byHour.set(h, (byHour.get(h) ?? 0) + 1);
    }
    const hourOf = (iso: string) => Math.floor(Date.parse(iso) / 3_600_000) * 3_600_000;
    const s = this.log.shift;
    const from = Math.min(hourOf(s.openedAt), ...byHour.keys());
    const to = Math.max(s.closedAt ? hourOf(s.closedAt) : hourOf(s.openedAt), ...byHour.keys());
    const out: ShiftLogSummary['perHour'] = [];
    for (let h = from; h <= to && out.length < 48; h += 3_600_000) {
      out.push({ hour: isoWithOffset(new Date(h).toISOString(), this.tz), done: byHour.get(h) ?? 0 });
    }
    return out;
  }

  *runs(): Generator<ShiftLogRun> {
    for (const r of this.log.runs) yield toShiftLogRun(r, this.log.stationId, this.tz);
  }

  *steps(): Generator<ShiftLogStep> {
    for (const r of this.log.runs) yield* stepsOfRun(this.eventsByRun.get(r.id) ?? [], this.tz);
  }
}
