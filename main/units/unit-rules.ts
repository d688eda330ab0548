import type { RunState } from '../../shared/contract/run-state.js';
import { message, type Message } from '../../shared/messages/catalogue.js';

/** Why a device may not go into a unit; `text` is what the technician reads, as a catalogue message. */
export type PackRefusalCode = 'unit_closed' | 'unit_full' | 'no_run' | 'not_finished' | 'quarantined' | 'other_school' | 'in_other_unit';
export interface PackRefusal {
  code: PackRefusalCode;
  text: Message<
    'unit.closed' | 'unit.full' | 'pack.no-run' | 'pack.not-finished' | 'pack.quarantined' | 'pack.other-school' | 'pack.no-school' | 'pack.in-other-unit'
  >;
}

function refuse(code: PackRefusalCode, text: PackRefusal['text']): { ok: false; refusal: PackRefusal } {
  return { ok: false, refusal: { code, text } };
}

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

/**
 * Whether a scanned device may be packed into a unit: only a finished device of the unit's
 * school, not quarantined, not in another unit. Packing it into the unit it is in already is fine
 * (a second scan changes nothing).
 */
export function checkPack(unit: PackTarget, d: PackCandidate): { ok: true; already: boolean } | { ok: false; refusal: PackRefusal } {
  if (d.currentUnit === unit.id) return { ok: true, already: true };
  if (unit.state === 'closed') return refuse('unit_closed', message('unit.closed', { unitId: unit.id }));
  if (!d.run) return refuse('no_run', message('pack.no-run', { serial: d.serial }));
  if (d.quarantined) return refuse('quarantined', message('pack.quarantined', { serial: d.serial }));
  if (d.run.state !== 'done') return refuse('not_finished', message('pack.not-finished', { serial: d.serial, state: message(`run-state.${d.run.state}`) }));
  if ((d.run.school ?? '') !== unit.school) {
    return refuse(
      'other_school',
      d.run.school
        ? message('pack.other-school', { serial: d.serial, school: d.run.school, unitSchool: unit.school })
        : message('pack.no-school', { serial: d.serial, unitId: unit.id, unitSchool: unit.school }),
    );
  }
  if (d.currentUnit) return refuse('in_other_unit', message('pack.in-other-unit', { serial: d.serial, unitId: d.currentUnit }));
  if (unit.capacity !== null && unit.count >= unit.capacity) return refuse('unit_full', message('unit.full', { unitId: unit.id, capacity: unit.capacity }));
  return { ok: true, already: false };
}
