import type { FloorTotals, StationTile } from '../../../shared/contract/hub-api.js';
import { MESSAGES, type MessageCode } from '../../../shared/messages/catalogue.js';
import type { WireMessage } from '../../../shared/messages/schema.js';
import { readEventMessage } from '../../pipeline/step-event-text.js';
import { parseWindows } from '../../shifts/shift-schedule.js';
import { localDayOf, zonedInstant } from '../../shifts/zoned-time.js';

/**
 * The floor's totals. A station the hub does not hear from may have moved on since its last report:
 * its in-progress and stalled runs are counted apart as unknown, never in the live figures.
 */
export function floorTotals(tiles: readonly StationTile[]): FloorTotals {
  const totals: FloorTotals = { stations: tiles.length, online: 0, wip: 0, done: 0, failed: 0, stalled: 0, unknown: { stations: 0, wip: 0, stalled: 0 } };
  for (const t of tiles) {
    totals.done += t.done;
    totals.failed += t.failed;
    if (t.online) {
      totals.online += 1;
      totals.wip += t.wip;
      totals.stalled += t.stalled;
    } else {
      totals.unknown.stations += 1;
      totals.unknown.wip += t.wip;
      totals.unknown.stalled += t.stalled;
    }
  }
  return totals;
}

/**
 * The daily target's expected count at `at`: the target spread evenly over the working hours of
 * the day (`hours`, "06:00-22:00" in the hub's time zone): 0 before they begin, all of it after.
 */
export function expectedByTarget(target: number, hours: string, at: number, timeZone: string): number {
  const [window] = parseWindows([hours]);
  if (!window || window.end <= window.start) return target;
  const day = localDayOf(at, timeZone);
  const from = zonedInstant(day, window.start, timeZone);
  const to = zonedInstant(day, window.end, timeZone);
  const share = Math.min(1, Math.max(0, (at - from) / (to - from)));
  return Math.round(target * share * 10) / 10;
}

function isCatalogueCode(code: string): code is MessageCode {
  return Object.hasOwn(MESSAGES, code);
}

/**
 * A cause the hub stored (a run's error code, a step event's stored catalogue message, or prose)
 * as a catalogue message the dashboard can say in its own language; undefined when it is prose or
 * a code this build does not know. A code's `step` parameter is the step it happened in; a code
 * needing any other parameter the station did not send stays prose.
 */
export function causeText(stored: string | null, step: string | null): WireMessage | undefined {
  if (!stored) return undefined;
  const { text } = readEventMessage(stored);
  if (text) return text;
  if (!isCatalogueCode(stored)) return undefined;
  const params: Record<string, string> = {};
  for (const name of MESSAGES[stored] as readonly string[]) {
    if (name !== 'step' || !step) return undefined;
    params.step = step;
  }
  return { code: stored, params };
}
