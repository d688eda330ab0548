import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { ShiftStats } from '../../shared/contract/station-api.js';
import { devicesPerHour } from '../../shared/metrics.js';
import { StationShiftLogSource } from '../export/station-shift-source.js';
import type { Logger } from '../logging/logger.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { FloorStore } from '../store/floor-store.js';
import type { RunRecord, ShiftRecord } from '../store/records.js';
import type { ShiftLogStore } from '../store/shift-log-store.js';
import { UNASSIGNED_OPERATOR, type StationStore } from '../store/station-store.js';
import type { Operators } from './operators.js';
import { earlyJoiners, isDue, parseWindows, scheduledClose, ShiftScheduleError } from './shift-schedule.js';

export interface ShiftServiceDeps {
  readonly store: StationStore;
  readonly floorStore: FloorStore;
  readonly shiftLog: ShiftLogStore;
  readonly operators: Operators;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly stationId: string;
  stationName(): string;
  /** A run in flight changes shift: the live run must count in its new shift too. */
  moveLiveRun(runId: string, shiftId: string, operator: string | null): void;
  shiftChanged(): void;
}

/** Closing shifts (by hand or by the schedule) with the hand-over of runs in flight, the schedule, and a shift's figures and log. */
export class ShiftService {
  private scheduleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ShiftServiceDeps) {}

  private now(): string {
    return isoTime(this.deps.clock.now());
  }

  /**
   * Closes a shift. Runs still in flight, and operators who signed in just before a scheduled
   * boundary, go on in the next shift (opened at once for them); nothing is counted twice.
   */
  closeShift(shiftId: string, reason: 'hand' | 'schedule'): ShiftRecord {
    const { store, floorStore } = this.deps;
    const now = this.now();
    const shift = store.getShift(shiftId);
    if (!shift) throw new AppError('not_found', message('shift.not-found', { shiftId }));
    if (shift.closedAt) throw new AppError('conflict', message('shift.closed-already', { shiftId }));
    const early = reason === 'schedule' ? this.earlyCrew(shift, this.deps.clock.now()) : [];
    const inFlight = floorStore.inFlightRuns(shiftId);
    floorStore.recordAction({ at: now, action: 'shift-close', shiftId, operator: this.deps.operators.who().operator, detail: reason });
    const closed = store.closeShift(shiftId, now) as ShiftRecord;
    if (inFlight.length > 0 || early.length > 0) {
      const next = store.openShift(early.length ? early : [UNASSIGNED_OPERATOR], now);
      const operator = early.length ? early.join(', ') : null;
      for (const r of floorStore.carryOver(shiftId, next.id, operator, now)) this.deps.moveLiveRun(r.runId, next.id, operator);
      this.deps.logger.log('info', `shift ${shiftId} closed (${reason}); ${inFlight.length} runs handed over to ${next.id}`, { shiftId, next: next.id });
    }
    this.deps.shiftChanged();
    return closed;
  }

  private earlyCrew(shift: ShiftRecord, boundary: number): string[] {
    const rows = this.deps.floorStore.signedInSince(shift.id);
    // Only the people who joined after the shift's own first sign-in can be the next crew.
    const first = Math.min(...rows.map((r) => Date.parse(r.joinedAt)));
    return earlyJoiners(
      rows.filter((r) => Date.parse(r.joinedAt) > first && r.name !== UNASSIGNED_OPERATOR).map((r) => ({ name: r.name, joinedAt: Date.parse(r.joinedAt) })),
      boundary,
    );
  }

  /** A failed run retried after its shift closed moves to the open shift, where its result will count. */
  adoptIntoCurrentShift(run: RunRecord): void {
    const { store } = this.deps;
    const shift = store.getShift(run.shiftId);
    if (!shift?.closedAt) return;
    const now = this.now();
    const open = store.currentShift();
    const current = open ?? store.ensureShift(now);
    if (!open) this.deps.shiftChanged();
    const operator = this.deps.operators.runOperator(current);
    this.deps.floorStore.moveRun(run.id, run.shiftId, current.id, run.state, operator, now);
    this.deps.moveLiveRun(run.id, current.id, operator);
  }

  scheduleWindows(): string[] {
    const raw = this.deps.store.getSetting('shift_schedule');
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  setScheduleWindows(windows: string[]): string[] {
    try {
      parseWindows(windows);
    } catch (err) {
      if (err instanceof ShiftScheduleError) throw new AppError('bad_request', err.text);
      throw err;
    }
    this.deps.store.setSetting('shift_schedule', JSON.stringify(windows));
    this.deps.operators.recordAction('shift-schedule', { detail: windows.join(', ') || '(none)' });
    this.checkSchedule();
    return windows;
  }

  /** Closes the open shift when the schedule says so; called every 20 s and after a schedule change. */
  checkSchedule(): void {
    const shift = this.deps.store.currentShift();
    const windows = parseWindows(this.scheduleWindows());
    if (!shift || windows.length === 0) return;
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (isDue(Date.parse(shift.openedAt), this.deps.clock.now(), windows, tz)) {
      const boundary = scheduledClose(Date.parse(shift.openedAt), windows, tz);
      this.deps.logger.log('info', `shift ${shift.id} reached its scheduled end ${boundary === null ? '' : new Date(boundary).toISOString()}`);
      this.closeShift(shift.id, 'schedule');
    }
  }

  startScheduler(): void {
    if (this.scheduleTimer) return;
    this.scheduleTimer = setInterval(() => {
      try {
        this.checkSchedule();
      } catch (err) {
        this.deps.logger.log('error', `shift schedule: ${(err as Error).message}`);
      }
    }, 20_000);
    this.scheduleTimer.unref();
  }

  stop(): void {
    if (this.scheduleTimer) clearInterval(this.scheduleTimer);
    this.scheduleTimer = null;
  }

  /** The open shift's figures for the header. */
  stats(): ShiftStats {
    const shift = this.deps.store.currentShift();
    if (!shift) return { done: 0, failed: 0, inProgress: 0, devicesPerHour: 0 };
    const c = this.deps.store.shiftCounts(shift.id);
    const done = c.done ?? 0;
    return {
      done,
      failed: c.failed ?? 0,
      inProgress: (c.queued ?? 0) + (c.running ?? 0) + (c.waiting ?? 0) + (c.interrupted ?? 0),
      devicesPerHour: devicesPerHour(done, Date.parse(shift.openedAt), this.deps.clock.now()),
    };
  }

  /** What the shift log export of one shift reads. */
  shiftLogSource(shift: ShiftRecord): StationShiftLogSource {
    return new StationShiftLogSource(
      { log: this.deps.shiftLog, floor: this.deps.floorStore, stationId: this.deps.stationId, stationName: this.deps.stationName() },
      shift,
    );
  }
}
