import type { ScanResult } from '../../shared/contract/floor-api.js';
import type { DeviceAssignment } from '../orders/assignment.js';
import type { Operators } from '../shifts/operators.js';
import type { StationStore } from '../store/station-store.js';
import type { Packing } from '../units/packing.js';

export interface ScannedCodeDeps {
  readonly store: Pick<StationStore, 'latestRunForSerial' | 'getDevice'>;
  readonly operators: Pick<Operators, 'badgeOwner' | 'signIn'>;
  readonly assignment: Pick<DeviceAssignment, 'chooseBatch' | 'hasOrder'>;
  readonly packing: Pick<Packing, 'findUnit' | 'pack'>;
}

/**
 * What a code scanned outside a field means at this station, decided in one place so every screen
 * reads a scan the same way: a unit label, an order (it becomes the batch), a registered badge
 * (signs in); while packing, any other code is a device for the unit; else a device the station
 * knows, or nothing it knows. The scanner is the keyboard: one scan, one answer.
 */
export function resolveScannedCode(deps: ScannedCodeDeps, rawCode: string, packInto?: string): ScanResult {
  const code = rawCode.trim();
  const unit = deps.packing.findUnit(code);
  if (unit) return { kind: 'unit', unit };
  if (deps.assignment.hasOrder(code)) {
    const { batch, started } = deps.assignment.chooseBatch({ orderId: code });
    // chooseBatch with an order always yields a batch; the guard keeps the type honest.
    if (batch) return { kind: 'order', batch, started };
  }
  if (deps.operators.badgeOwner(code)) return { kind: 'badge', ...deps.operators.signIn({ badge: code }) };
  if (packInto) return { kind: 'packed', serial: code, result: deps.packing.pack(packInto, code) };
  if (deps.store.latestRunForSerial(code) || deps.store.getDevice(code)) return { kind: 'device', serial: code };
  return { kind: 'unknown', code };
}
