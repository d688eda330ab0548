import type { RunState } from '../../shared/contract/run-state.js';

/** Why a device may not go into a unit; `message` is what the technician reads (German, the floor's language). */
export type PackRefusal =
  | { code: 'unit_closed'; message: string }
  | { code: 'unit_full'; message: string }
  | { code: 'no_run'; message: string }
  | { code: 'not_finished'; message: string }
  | { code: 'quarantined'; message: string }
  | { code: 'other_school'; message: string }
  | { code: 'in_other_unit'; message: string };

export interface PackCandidate {
  serial: string;
  run: { id: string; state: RunState; school: string | null } | null;
  quarantined: boolean;
  currentUnit: string | null;
}

export interface PackTarget {
  id: string;
  school: string;
  state: 'open' | 'closed';
  capacity: number | null;
  count: number;
}

const STATE_DE: Record<RunState, string> = {
  queued: 'wartet auf Start',
  running: 'läuft noch',
  waiting: 'wartet',
  interrupted: 'unterbrochen',
  done: 'fertig',
  failed: 'fehlgeschlagen',
  cancelled: 'abgebrochen',
};

/**
 * Whether a scanned device may be packed into a unit: only a finished device of the unit's
 * school, not quarantined, not in another unit. Packing it into the unit it is in already is fine
 * (a second scan changes nothing).
 */
export function checkPack(unit: PackTarget, d: PackCandidate): { ok: true; already: boolean } | { ok: false; refusal: PackRefusal } {
  if (d.currentUnit === unit.id) return { ok: true, already: true };
  if (unit.state === 'closed') {
    return { ok: false, refusal: { code: 'unit_closed', message: `Einheit ${unit.id} ist geschlossen. Zum Ändern erst mit Begründung wieder öffnen.` } };
  }
  if (!d.run) return { ok: false, refusal: { code: 'no_run', message: `Gerät ${d.serial} wurde an dieser Station nicht eingerichtet.` } };
  if (d.quarantined) return { ok: false, refusal: { code: 'quarantined', message: `Gerät ${d.serial} ist in Quarantäne und darf nicht verpackt werden.` } };
  if (d.run.state !== 'done') {
    return { ok: false, refusal: { code: 'not_finished', message: `Gerät ${d.serial} ist nicht fertig (${STATE_DE[d.run.state]}); nur fertige Geräte werden verpackt.` } };
  }
  if ((d.run.school ?? '') !== unit.school) {
    return {
      ok: false,
      refusal: {
        code: 'other_school',
        message: d.run.school
          ? `Gerät ${d.serial} gehört zu Schule ${d.run.school}, nicht zu ${unit.school}.`
          : `Gerät ${d.serial} ist keiner Schule zugeordnet; Einheit ${unit.id} ist für ${unit.school}.`,
      },
    };
  }
  if (d.currentUnit) {
    return { ok: false, refusal: { code: 'in_other_unit', message: `Gerät ${d.serial} liegt schon in Einheit ${d.currentUnit}; erst dort entnehmen.` } };
  }
  if (unit.capacity !== null && unit.count >= unit.capacity) {
    return { ok: false, refusal: { code: 'unit_full', message: `Einheit ${unit.id} ist voll (${unit.capacity} Geräte).` } };
  }
  return { ok: true, already: false };
}
