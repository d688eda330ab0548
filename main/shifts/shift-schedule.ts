import { addDays, localDayOf, zonedInstant } from './zoned-time.js';

/**
 * Shift boundary rules (issue 5). A schedule is a list of windows in the station's local time,
 * "06:00-14:00", "14:00-22:00", "22:00-06:00" (a window may cross midnight; "24:00" is midnight).
 *
 * - An open shift closes at the first window end after it was opened (by hand it may close sooner).
 * - Operators who signed in within EARLY_SIGN_IN_MS before that boundary are the next crew arriving
 *   early: they move to the next shift instead of being closed out with the old one.
 * - Runs in flight at the close are handed over to the next shift and counted only there (the
 *   store's carryOver); a run that finished is counted in the shift it finished in, never twice.
 */
export const EARLY_SIGN_IN_MS = 30 * 60_000;

export interface ShiftWindow {
  start: number;
  end: number;
}

/** A shift window that cannot be read; `text` says which and why, in the catalogue's words. */
export class ShiftScheduleError extends Error {
  override name = 'ShiftScheduleError';
  constructor(readonly text: Message<'shift.window-invalid' | 'shift.window-hours' | 'shift.window-empty'>) {
    super(formatMessage(text, 'en'));
  }
}

/** "06:00-14:00" -> minutes of the day. */
export function parseWindows(windows: readonly string[]): ShiftWindow[] {
  return windows.map((w) => {
    const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(w.trim());
    if (!m) throw new ShiftScheduleError(message('shift.window-invalid', { window: w }));
    const start = Number(m[1]) * 60 + Number(m[2]);
    const end = Number(m[3]) * 60 + Number(m[4]);
    if (start >= 24 * 60 || end > 24 * 60) throw new ShiftScheduleError(message('shift.window-hours', { window: w }));
    if (start === end) throw new ShiftScheduleError(message('shift.window-empty', { window: w }));
    return { start, end };
  });
}

/** When a shift opened at `openedAt` closes by the schedule: the first window end after it; null without a schedule. */
export function scheduledClose(openedAt: number, windows: readonly ShiftWindow[], timeZone: string): number | null {
  if (windows.length === 0) return null;
  const today = localDayOf(openedAt, timeZone);
  let best: number | null = null;
  for (let offset = -1; offset <= 2; offset++) {
    const day = addDays(today, offset);
    for (const w of windows) {
      const end = zonedInstant(day, w.end, timeZone);
      if (end > openedAt && (best === null || end < best)) best = end;
    }
  }
  return best;
}

/** Whether the open shift is due to close by the schedule at `now`. */
export function isDue(openedAt: number, now: number, windows: readonly ShiftWindow[], timeZone: string): boolean {
  const close = scheduledClose(openedAt, windows, timeZone);
  return close !== null && now >= close;
}

/** Operators who joined shortly before the boundary: they belong to the next shift. */
export function earlyJoiners(joins: readonly { name: string; joinedAt: number }[], boundary: number): string[] {
  return joins.filter((j) => j.joinedAt >= boundary - EARLY_SIGN_IN_MS && j.joinedAt <= boundary).map((j) => j.name);
}
import { message, type Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
