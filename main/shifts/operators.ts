import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import { SIGN_IN_POLICIES, type SignInPolicy } from '../../shared/contract/floor-api.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { FloorStore, Who } from '../store/floor-store.js';
import type { ShiftRecord } from '../store/records.js';
import { UNASSIGNED_OPERATOR, type StationStore } from '../store/station-store.js';

export interface OperatorsDeps {
  readonly store: StationStore;
  readonly floorStore: FloorStore;
  readonly clock: Clock;
  /** The open shift or its crew changed: renderers show it at once. */
  shiftChanged(): void;
  /** Someone signed in, or the policy now lets devices run: devices that waited for it start. */
  mayStartWaitingDevices?(): void;
  /** The sign-in policy changed: renderers show it. */
  policyChanged?(): void;
}

const POLICY_SETTING = 'sign_in_policy';
/** Every run has a responsible technician unless the station is told to run unattended. */
export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = 'wait';

export type ActionFields = { runId?: string | null; serial?: string | null; unitId?: string | null; detail?: string | null };

/** Who is acting at this station: sign-in by badge or name, sign-out, and the action log every feature writes to. */
export class Operators {
  constructor(private readonly deps: OperatorsDeps) {}

  private now(): string {
    return isoTime(this.deps.clock.now());
  }

  /** The shift and operator an action is recorded with: the operator who signed in last at this station. */
  who(): Who {
    const shift = this.deps.store.currentShift();
    if (!shift) return { shiftId: null, operator: null };
    const present = this.deps.floorStore.presentOperators(shift.id);
    const active = this.deps.store.getSetting('active_operator');
    return { shiftId: shift.id, operator: active && present.includes(active) ? active : (present.at(-1) ?? null) };
  }

  /**
   * A new run's `operator`: the one technician signed in at this station when it starts (the one
   * who signed in last), never the whole shift's crew (issue 13: the export names who ran it).
   */
  runOperator(shift: ShiftRecord): string | null {
    const present = this.deps.floorStore.presentOperators(shift.id);
    const active = this.deps.store.getSetting('active_operator');
    if (active && present.includes(active)) return active;
    return present.at(-1) ?? null;
  }

  /** Records `operator` as the technician responsible for a run (who acted on it last). */
  assignRun(runId: string, operator: string | null): void {
    this.deps.floorStore.setRunOperator(runId, operator);
  }

  /** Whether devices start while nobody is signed in: the station's setting, else `wait`. */
  signInPolicy(): SignInPolicy {
    const stored = this.deps.store.getSetting(POLICY_SETTING);
    return (SIGN_IN_POLICIES as readonly (string | null)[]).includes(stored) ? (stored as SignInPolicy) : DEFAULT_SIGN_IN_POLICY;
  }

  setSignInPolicy(policy: SignInPolicy): SignInPolicy {
    const before = this.signInPolicy();
    this.deps.store.setSetting(POLICY_SETTING, policy);
    if (before !== policy) {
      this.recordAction('sign-in-policy', { detail: policy });
      this.deps.policyChanged?.();
      if (policy === 'run') this.deps.mayStartWaitingDevices?.();
    }
    return policy;
  }

  /** Someone (not the station's own `unassigned`) is signed in to the open shift. */
  someoneSignedIn(): boolean {
    const shift = this.deps.store.currentShift();
    return shift !== null && this.deps.floorStore.presentOperators(shift.id).some((o) => o !== UNASSIGNED_OPERATOR);
  }

  /** A new run may start now: someone is signed in, or the policy lets devices run without. */
  mayStartRuns(): boolean {
    return this.signInPolicy() === 'run' || this.someoneSignedIn();
  }

  /** The operator a registered badge belongs to, or null. */
  badgeOwner(badge: string): string | null {
    return this.deps.floorStore.operatorByBadge(badge);
  }

  recordAction(action: string, fields: ActionFields = {}): void {
    this.deps.floorStore.recordAction({ at: this.now(), action, ...this.who(), ...fields });
  }

  /**
   * Signs an operator in by badge or name: opens the shift if none is open, or joins it. A badge
   * seen for the first time together with a name is registered to that name.
   */
  signIn(p: { name?: string | undefined; badge?: string | undefined }): { operator: string; shiftId: string; operators: string[] } {
    const { store, floorStore } = this.deps;
    const now = this.now();
    let name = p.name?.trim();
    if (p.badge) {
      const owner = floorStore.operatorByBadge(p.badge);
      if (owner && name && owner !== name) throw new AppError('conflict', message('operator.badge-other', { badge: p.badge, owner, name }));
      if (!owner && !name) throw new AppError('not_found', message('operator.badge-unknown', { badge: p.badge }));
      if (!owner && name) floorStore.setBadge(name, p.badge, now);
      name = owner ?? name;
    }
    if (!name) throw new AppError('bad_request', message('operator.name-missing'));
    if (name === UNASSIGNED_OPERATOR) throw new AppError('bad_request', message('operator.name-reserved', { name: UNASSIGNED_OPERATOR }));
    const before = store.currentShift();
    const shift = store.openShift([name], now);
    // An automatically opened shift (operator "unassigned") becomes the first operator's shift.
    if (before && floorStore.presentOperators(shift.id).includes(UNASSIGNED_OPERATOR)) floorStore.leaveShift(shift.id, UNASSIGNED_OPERATOR, now);
    store.setSetting('active_operator', name);
    floorStore.recordAction({ at: now, action: 'sign-in', shiftId: shift.id, operator: name, detail: p.badge ? 'badge' : 'name' });
    this.deps.shiftChanged();
    this.deps.mayStartWaitingDevices?.();
    return { operator: name, shiftId: shift.id, operators: floorStore.presentOperators(shift.id) };
  }

  signOut(name: string): void {
    const { store, floorStore } = this.deps;
    const shift = store.currentShift();
    if (!shift) throw new AppError('conflict', message('shift.none-open'));
    const now = this.now();
    if (!floorStore.leaveShift(shift.id, name, now)) throw new AppError('not_found', message('operator.not-signed-in', { name, shiftId: shift.id }));
    floorStore.recordAction({ at: now, action: 'sign-out', shiftId: shift.id, operator: name });
    if (store.getSetting('active_operator') === name) store.setSetting('active_operator', '');
    this.deps.shiftChanged();
  }
}
