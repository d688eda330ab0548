import { message } from '../../shared/messages/catalogue.js';
import type { WireMessage } from '../../shared/messages/schema.js';
import { AppError } from '../../shared/contract/errors.js';
import { QUARANTINE_CODES } from '../drivers/step-errors.js';
import { readEventMessage, storedEventMessage } from '../pipeline/step-event-text.js';
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

/** A quarantine entry as listed: a hardware check's reason also as a catalogue message, for the reader's language. */
export type QuarantineEntry = QuarantineRecord & { reasonText: WireMessage | null };

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

  /**
   * The list; `reason` in words (English for a hardware check, as the CSV has it) and `reasonText`
   * the check's message. A technician's reason is their own words and never read as a message.
   */
  listQuarantine(includeReleased: boolean): QuarantineEntry[] {
    return this.deps.floorStore.listQuarantine(includeReleased).map((q) => {
      if (q.kind !== 'hardware') return { ...q, reasonText: null };
      // Rows from before the catalogue hold English prose: readEventMessage leaves it as it is.
      const { message: words, text } = readEventMessage(q.reason);
      return { ...q, reason: words ?? q.reason, reasonText: text };
    });
  }

  /**
   * A run that failed a hardware check (a manual check, or a step named check-/hw-), or failed with
   * a cause no retry can fix (QUARANTINE_CODES: Activation Lock), goes to quarantine by itself.
   */
  afterTransition(t: RunTransition, run: LiveRun): void {
    if (t.state !== 'failed') return;
    const step = run.blueprint.steps[run.record.stepIndex];
    const errorCode = run.record.errorCode;
    const setAside = errorCode !== null && (QUARANTINE_CODES as ReadonlySet<string>).has(errorCode);
    if (!step || !(setAside || step.type === 'manual-check' || HARDWARE_CHECK.test(step.id))) return;
    // The failing step's event stores its cause as a catalogue message (JSON), rendered in each reader's language.
    const failure = t.events.findLast((e) => e.kind === 'fail' || e.kind === 'timeout');
    this.deps.floorStore.quarantine({
      serial: run.serial,
      runId: run.id,
      kind: 'hardware',
      step: step.id,
      reason: failure?.message ?? run.record.errorMessage ?? storedEventMessage(message('quarantine.check-failed', { step: step.id }))!,
      at: t.at,
      shiftId: run.shiftId,
      operator: run.record.operator,
    });
  }
}
