import { formatMessage } from '../../shared/messages/format.js';
import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { LiveRun, RunTransition } from '../pipeline/run-controller.js';
import type { Operators } from '../shifts/operators.js';
import type { FloorStore, QuarantineRecord } from '../store/floor-store.js';
import type { StationStore } from '../store/station-store.js';

export interface QuarantineDeps {
  readonly store: StationStore;
  readonly floorStore: FloorStore;
  readonly operators: Operators;
  readonly clock: Clock;
  liveRunForSerial(serial: string): LiveRun | undefined;
  cancelLiveRun(runId: string): void;
}

/** A step id that names a hardware check: a run failing it sends the device to quarantine. */
const HARDWARE_CHECK = /^(check|hw|hardware)-/;

/** Devices set aside (by a technician, or by a failed hardware check) and released again: the quarantine / return list. */
export class QuarantineService {
  constructor(private readonly deps: QuarantineDeps) {}

  /** The technician sets a device aside: its run is cancelled and it goes to the quarantine / return list. */
  quarantineDevice(serial: string, reason: string): void {
    const { store, floorStore, operators } = this.deps;
    const live = this.deps.liveRunForSerial(serial);
    const run = live?.record ?? store.latestRunForSerial(serial);
    if (!run && !store.getDevice(serial)) throw new AppError('not_found', message('quarantine.unknown-device', { serial }));
    const at = isoTime(this.deps.clock.now());
    const added = floorStore.quarantine({ serial, runId: run?.id ?? null, kind: 'technician', step: run?.failedStep ?? null, reason, at, ...operators.who() });
    if (!added) throw new AppError('conflict', message('quarantine.already', { serial }));
    if (live) this.deps.cancelLiveRun(live.id);
    operators.recordAction('quarantine', { serial, runId: run?.id ?? null, detail: reason });
  }

  releaseQuarantine(serial: string, note: string): void {
    if (!this.deps.floorStore.release(serial, note, isoTime(this.deps.clock.now()))) throw new AppError('not_found', message('quarantine.not-in', { serial }));
    this.deps.operators.recordAction('quarantine-release', { serial, detail: note });
  }

  listQuarantine(includeReleased: boolean): QuarantineRecord[] {
    return this.deps.floorStore.listQuarantine(includeReleased);
  }

  /** A run that failed a hardware check (a manual check, or a step named check-/hw-) goes to quarantine by itself. */
  afterTransition(t: RunTransition, run: LiveRun): void {
    if (t.state !== 'failed') return;
    const step = run.blueprint.steps[run.record.stepIndex];
    if (!step || !(step.type === 'manual-check' || HARDWARE_CHECK.test(step.id))) return;
    this.deps.floorStore.quarantine({
      serial: run.serial,
      runId: run.id,
      kind: 'hardware',
      step: step.id,
      // The list shows the reason as stored: the run's English error, like a technician's own words.
      reason: run.record.errorMessage ?? formatMessage(message('quarantine.check-failed', { step: step.id }), 'en'),
      at: t.at,
      shiftId: run.shiftId,
      operator: run.record.operator,
    });
  }
}
