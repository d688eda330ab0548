// Over 400 lines: the one place where live run actors meet the store. Starting, restoring, committing
// each snapshot with its events and outbox record, recovery after a refused commit, presence, lanes and
// technician actions all touch the same map of live runs; the machine itself (run-machine.ts), the step
// actor (step-actor.ts), lanes (lanes.ts) and the outbox payload (run-outbox.ts) are their own modules.
import { message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { AppError } from '../../shared/contract/errors.js';
import crypto from 'node:crypto';
import { createActor, type Actor } from 'xstate';
import type { Blueprint, BlueprintStep } from '../../shared/blueprint/schema.js';
import { backoffDelay } from '../../shared/backoff.js';
import type { RunState } from '../../shared/contract/run-state.js';
import type { LibraryFile, LibraryItemRef, StepContext, StepOutcome, StepProgress } from '../drivers/driver.js';
import { StepFailedError, stepFailed, type StepMessage } from '../drivers/step-errors.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { SecretError, type SecretValue } from '../secrets/secret-types.js';
import { newRunRecord, type RunPatch, type RunPhase, type RunRecord, type StepEventInput } from '../store/records.js';
import { isoTime, type Clock } from './clock.js';
import {
  createRunMachine,
  phaseOf,
  restoredRun,
  runStateOf,
  type RunContext,
  type RunEvent,
  type RunMachine,
  type RunSnapshot,
  type StepInput,
  type StepSession,
} from './run-machine.js';
import type { RunTransitionPayload } from '../../shared/contract/outbox-events.js';
import { transitionOutbox } from './run-outbox.js';
import { DEFAULT_LANE_CAPS, LaneScheduler, type LaneCaps } from './lanes.js';

type RunActor = Actor<RunMachine>;

/** A run whose commit failed is restored from its last committed record after this long, doubling up to a minute. */
const RECOVERY_BACKOFF = { baseMs: 1_000, maxMs: 60_000 };
/** Progress reports of one run reach listeners at most this often; they are never written to the database. */
const PROGRESS_INTERVAL_MS = 250;

/** What the controller needs from the station: persistence, the drivers, naming. */
export interface RunControllerDeps {
  clock: Clock;
  stationId: string;
  /** Persist a new run with its first event and outbox record, in one transaction. */
  createRun(run: RunRecord, event: StepEventInput, outbox: RunTransitionPayload): void;
  /** Persist a transition with its events and outbox record, in one transaction. */
  commitTransition(runId: string, shiftId: string, patch: RunPatch, events: readonly StepEventInput[], outbox: RunTransitionPayload, now: string): void;
  /** Runs a step on the device through whichever driver serves it. */
  executeStep(serial: string, ctx: StepContext): Promise<StepOutcome>;
  /** The device name for a rename step; stable for a run once chosen. */
  deviceName(run: LiveRun, step: BlueprintStep): string | null;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** The station's secrets: a step reads one by name (ctx.secret); what the step reports back is redacted. */
  secrets?: SecretStore;
  /** The library file a step installs; null when the station lacks it (the step then fails with library.missing). */
  libraryItem?(ref: LibraryItemRef): LibraryFile | null;
  /** The lanes a device's heavy steps take (its driver's, its USB bus's); none: heavy steps only share the scheduler's one lane. */
  laneKeys?(serial: string): readonly string[];
  /** Caps on concurrent heavy steps (the station setting or --lane-cap); the defaults otherwise. */
  laneCaps?: LaneCaps;
}

/** A committed transition, as published to listeners (SSE, the renderer, the hub's outbox). */
export interface RunTransition {
  runId: string;
  serial: string;
  shiftId: string;
  state: RunState;
  phase: RunPhase;
  step: string | null;
  stepIndex: number;
  at: string;
  events: StepEventInput[];
}

export interface LiveRun {
  readonly id: string;
  readonly serial: string;
  readonly shiftId: string;
  readonly slot: string | null;
  readonly blueprintId: number;
  readonly blueprint: Blueprint;
  readonly startedAt: string;
  /** The last committed state of the run. */
  readonly record: RunRecord;
  /** The running step's last progress report, if it gave one. */
  readonly progress: StepProgress | null;
  /** What the run waits for now, live (a lane's queue position changes without a commit). */
  readonly waiting: RunContext['waiting'];
}

/** One run the controller drives: its last committed record and the actor that moves it on. */
class RunEntry implements LiveRun {
  readonly id: string;
  readonly serial: string;
  readonly slot: string | null;
  readonly blueprintId: number;
  readonly startedAt: string;
  actor: RunActor | null = null;
  /** Step events emitted since the last commit; committed with the next snapshot. */
  journal: StepEventInput[] = [];
  timer: NodeJS.Timeout | null = null;
  armedDeadline: number | null = null;
  /** Last presence the station reported while the run lived, applied again when it is recovered. */
  present: boolean | null = null;
  /** Set while the actor is gone after a failed commit, until it is restored from `record`. */
  recovery: NodeJS.Timeout | null = null;
  /** Failed commits in a row, for the recovery delay. */
  failures = 0;
  /** The progress last published, when, and the trailing publication of a later one. */
  progressAt = 0;
  publishedProgress: StepProgress | null = null;
  progressTimer: NodeJS.Timeout | null = null;

  constructor(
    public record: RunRecord,
    readonly blueprint: Blueprint,
    private readonly lanePosition: (runId: string) => number | null,
  ) {
    this.id = record.id;
    this.serial = record.serial;
    this.slot = record.slot;
    this.blueprintId = record.blueprintId;
    this.startedAt = record.startedAt;
  }

  get shiftId(): string {
    return this.record.shiftId;
  }

  get progress(): StepProgress | null {
    return this.actor?.getSnapshot().context.progress ?? null;
  }

  get waiting(): RunContext['waiting'] {
    const waiting = this.actor ? this.actor.getSnapshot().context.waiting : null;
    const ahead = waiting?.reason === 'lane' ? this.lanePosition(this.id) : null;
    if (ahead === null) return waiting;
    const text = message('wait.lane', { ahead });
    return { reason: 'lane', message: formatMessage(text, 'en'), text };
  }
}

/**
 * Owns one xstate actor per unfinished run: creates and restores them, commits every snapshot
 * that moves the run (with the step events the machine emitted on the way), arms the stored
 * deadlines, and routes technician actions and device presence to them. A commit that fails stops
 * the actor; the run is restored from its last committed record, as a restart would.
 */
export class RunController {
  private readonly runs = new Map<string, RunEntry>();
  private readonly bySerial = new Map<string, string>();
  private readonly listeners = new Set<(t: RunTransition, run: LiveRun) => void>();
  private readonly progressListeners = new Set<(run: LiveRun) => void>();
  private readonly machine: RunMachine;
  /** Heavy steps wait here for a free lane, first queued first served. */
  readonly lanes: LaneScheduler;

  constructor(private readonly deps: RunControllerDeps) {
    this.lanes = new LaneScheduler(deps.laneCaps ?? DEFAULT_LANE_CAPS);
    this.machine = createRunMachine({
      clock: deps.clock,
      execute: (input, session) => this.execute(input, session),
      lanes: {
        request: (runId, serial, granted) =>
          this.lanes.request(runId, this.deps.laneKeys?.(serial) ?? ['driver:any'], this.runs.get(runId)?.startedAt ?? '', granted),
        release: (runId) => this.lanes.release(runId),
      },
    });
    // The queue moved: waiting runs' tiles show their new place (throttled per run like progress).
    this.lanes.onMoved(() => {
      for (const entry of this.runs.values()) if (entry.record.phase === 'lane') this.publishProgress(entry);
    });
  }

  private readonly lanePosition = (runId: string): number | null => this.lanes.position(runId);

  onTransition(listener: (t: RunTransition, run: LiveRun) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A run's step reported progress; throttled per run, nothing is committed for it. */
  onProgress(listener: (run: LiveRun) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  forSerial(serial: string): LiveRun | undefined {
    const id = this.bySerial.get(serial);
    return id === undefined ? undefined : this.runs.get(id);
  }

  all(): IterableIterator<LiveRun> {
    return this.runs.values();
  }

  get size(): number {
    return this.runs.size;
  }

  /** Creates a run for a device and starts it unless the device is gone already. */
  start(params: {
    serial: string;
    shiftId: string;
    slot: string | null;
    operator: string | null;
    blueprint: Blueprint;
    blueprintId: number;
    /** Known before the first step (customer, school, order, asset tag from the order). */
    captured?: Record<string, string>;
  }): LiveRun {
    if (this.bySerial.has(params.serial)) throw new AppError('conflict', message('run.already-has-run', { serial: params.serial }));
    const iso = isoTime(this.deps.clock.now());
    const record = newRunRecord(
      {
        id: crypto.randomUUID(),
        serial: params.serial,
        blueprintId: params.blueprintId,
        shiftId: params.shiftId,
        slot: params.slot,
        operator: params.operator,
        captured: { ...params.captured },
      },
      iso,
    );
    const created: StepEventInput = {
      stepIndex: null,
      step: null,
      kind: 'created',
      attempt: 1,
      message: `${params.blueprint.id} v${params.blueprint.version}`,
    };
    this.deps.createRun(record, created, transitionOutbox(this.deps.stationId, record, params.blueprint, [created], iso));
    const entry = new RunEntry(record, params.blueprint, this.lanePosition);
    this.publish(entry, [created], iso);
    this.adopt(entry);
    return entry;
  }

  /** Recreates the actor of a run loaded from the database; it continues at its last committed step. */
  restore(record: RunRecord, blueprint: Blueprint): LiveRun {
    const entry = new RunEntry(record, blueprint, this.lanePosition);
    this.adopt(entry);
    return entry;
  }

  /**
   * Hands a live run over to another shift (its shift closed while it ran): its later events and
   * its result count there. The store moves the run's row in the same hand-over.
   */
  moveToShift(runId: string, shiftId: string, operator: string | null): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    entry.record = { ...entry.record, shiftId, operator: operator ?? entry.record.operator };
  }

  /** The technician now responsible for a live run: its next commit carries them (the store row is the caller's). */
  setOperator(runId: string, operator: string | null): void {
    const entry = this.runs.get(runId);
    if (entry) entry.record = { ...entry.record, operator };
  }

  deviceLeft(serial: string): void {
    this.presence(serial, false);
  }

  deviceBack(serial: string): void {
    this.presence(serial, true);
  }

  retry(runId: string, devicePresent: boolean): void {
    const entry = this.require(runId);
    if (entry.record.phase !== 'failed') throw new AppError('conflict', message('run.not-failed-retry', { runId }));
    this.act(entry, { type: 'RETRY' });
    if (!devicePresent) entry.actor?.send({ type: 'DEVICE_LEFT' });
  }

  skip(runId: string): void {
    const entry = this.require(runId);
    if (entry.record.phase !== 'failed') throw new AppError('conflict', message('run.not-failed-skip', { runId }));
    const step = entry.blueprint.steps[entry.record.stepIndex];
    if (step?.mandatory) throw new AppError('conflict', message('run.step-mandatory', { step: step.id }));
    this.act(entry, { type: 'SKIP' });
  }

  cancel(runId: string): void {
    this.act(this.require(runId), { type: 'CANCEL' });
  }

  /** The technician confirms what the run waits for (a manual check); the machine hands it to the step. */
  confirm(runId: string): void {
    const entry = this.require(runId);
    if (!entry.actor?.getSnapshot().can({ type: 'CONFIRM' })) throw new AppError('conflict', message('run.not-waiting'));
    this.act(entry, { type: 'CONFIRM' });
  }

  /** Stops every actor without committing anything: used on shutdown; runs resume on next start. */
  stopAll(): void {
    for (const entry of this.runs.values()) {
      this.clearTimers(entry);
      entry.actor?.stop();
      entry.actor = null;
    }
    this.runs.clear();
    this.bySerial.clear();
  }

  /**
   * A technician's action is processed at once; when its commit fails the technician must hear it
   * (the run goes on from its last saved state), not get an "ok" for an action that did not happen.
   */
  private act(entry: RunEntry, event: RunEvent): void {
    entry.actor?.send(event);
    if (entry.recovery) throw new AppError('conflict', message('run.save-failed'));
  }

  private require(runId: string): RunEntry {
    const entry = this.runs.get(runId);
    if (!entry) throw new AppError('not_found', message('run.not-active', { runId }));
    if (entry.recovery) throw new AppError('conflict', message('run.recovering'));
    return entry;
  }

  private presence(serial: string, present: boolean): void {
    const id = this.bySerial.get(serial);
    const entry = id === undefined ? undefined : this.runs.get(id);
    if (!entry) return;
    entry.present = present;
    entry.actor?.send({ type: present ? 'DEVICE_BACK' : 'DEVICE_LEFT' });
  }

  private adopt(entry: RunEntry): void {
    this.runs.set(entry.id, entry);
    this.bySerial.set(entry.serial, entry.id);
    this.startActor(entry);
  }

  /**
   * Starts the entry's actor from its last committed record: the only way a run (new, restored
   * after a restart, or recovered after a failed commit) gets an actor.
   */
  private startActor(entry: RunEntry): void {
    const { snapshot, then } = restoredRun(this.machine, entry.record, entry.blueprint.steps);
    const actor = createActor(this.machine, { snapshot, input: snapshot.context });
    entry.actor = actor;
    entry.journal = [];
    actor.on('journal', (e) => entry.journal.push(e.event));
    // Until `then` is sent the actor stands where the record says (a mid-step run stands
    // interrupted by the restart): nothing to commit yet.
    let settled = then === null;
    actor.subscribe((s) => {
      if (settled) this.onSnapshot(entry, actor, s);
    });
    actor.start();
    settled = true;
    if (then) actor.send(then);
    else this.onSnapshot(entry, actor, actor.getSnapshot());
    if (entry.present === false && entry.actor === actor) actor.send({ type: 'DEVICE_LEFT' });
  }

  /** Commits a snapshot that moved the run, arms its deadline, and retires a finished run. */
  private onSnapshot(entry: RunEntry, actor: RunActor, snapshot: RunSnapshot): void {
    if (entry.actor !== actor) return;
    const ctx = snapshot.context;
    const phase = phaseOf(snapshot);
    const prev = entry.record;
    const moved = entry.journal.length > 0 || prev.phase !== phase || prev.stepIndex !== ctx.stepIndex || prev.deadlineAt !== ctx.deadlineAt;
    if (moved) {
      try {
        this.commit(entry, phase, ctx);
      } catch (err) {
        this.recover(entry, actor, err);
        return;
      }
    } else if (ctx.progress !== entry.publishedProgress) {
      this.publishProgress(entry);
    }
    this.armDeadline(entry, ctx.deadlineAt);
    if (snapshot.status === 'done') this.retire(entry);
  }

  /**
   * A failed commit (disk full, database busy or gone): its last committed state is still in the
   * database and in `entry.record`. The actor is stopped, which stops the step it was running,
   * and the run is restored from that record after a delay, as a restart would.
   */
  private recover(entry: RunEntry, actor: RunActor, err: unknown): void {
    entry.actor = null;
    actor.stop();
    this.clearTimers(entry);
    entry.journal = [];
    entry.failures++;
    const delay = backoffDelay(entry.failures, RECOVERY_BACKOFF);
    const reason = err instanceof Error ? err.message : String(err);
    this.deps.log('error', `run ${entry.id} could not be saved; picking it up again from its last saved state in ${delay / 1000} s: ${reason}`, {
      runId: entry.id,
      serial: entry.serial,
    });
    entry.recovery = setTimeout(() => {
      entry.recovery = null;
      if (this.runs.get(entry.id) === entry) this.startActor(entry);
    }, delay);
  }

  private clearTimers(entry: RunEntry): void {
    // Every path that stops a run's actor comes here: a lane it held goes to the next in line.
    this.lanes.release(entry.id);
    if (entry.timer) clearTimeout(entry.timer);
    if (entry.recovery) clearTimeout(entry.recovery);
    if (entry.progressTimer) clearTimeout(entry.progressTimer);
    entry.timer = null;
    entry.armedDeadline = null;
    entry.progressTimer = null;
  }

  private retire(entry: RunEntry): void {
    this.clearTimers(entry);
    this.runs.delete(entry.id);
    if (this.bySerial.get(entry.serial) === entry.id) this.bySerial.delete(entry.serial);
  }

  private armDeadline(entry: RunEntry, deadline: number | null): void {
    if (deadline === entry.armedDeadline) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    entry.armedDeadline = deadline;
    if (deadline === null) return;
    const delay = Math.max(0, deadline - this.deps.clock.now());
    entry.timer = setTimeout(
      () => {
        entry.timer = null;
        entry.armedDeadline = null;
        const actor = entry.actor;
        if (!actor) return;
        actor.send({ type: 'DEADLINE' });
        // A deadline the clock has not reached yet (timer fired early) is armed again.
        if (entry.actor === actor && actor.getSnapshot().status === 'active') this.armDeadline(entry, actor.getSnapshot().context.deadlineAt);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  private commit(entry: RunEntry, phase: RunPhase, ctx: RunContext): void {
    const iso = isoTime(this.deps.clock.now());
    // A wait may show a secret to the technician (a QR provisioning payload with the Wi-Fi
    // password): what is stored and sent to the hub never holds it; the live wait keeps it.
    const redact = <T>(value: T): T => (this.deps.secrets ? this.deps.secrets.redactor.redactDeep(value) : value);
    const events = redact(entry.journal);
    const patch: RunPatch = {
      state: runStateOf(phase),
      phase,
      stepIndex: ctx.stepIndex,
      attempt: ctx.attempt,
      attemptsTotal: ctx.retries + 1,
      deadlineAt: ctx.deadlineAt,
      waitingReason: ctx.waiting?.reason ?? null,
      waitingMessage: redact(ctx.waiting?.message ?? null),
      errorCode: ctx.error?.code ?? null,
      errorMessage: ctx.error?.message ?? null,
      failedStep: phase === 'failed' ? ctx.failedStep : null,
      captured: ctx.captured,
      finishedAt: ctx.finishedAt === null ? null : isoTime(ctx.finishedAt),
    };
    const next: RunRecord = { ...entry.record, ...patch, updatedAt: iso };
    this.deps.commitTransition(entry.id, entry.shiftId, patch, events, transitionOutbox(this.deps.stationId, next, entry.blueprint, events, iso), iso);
    entry.journal = [];
    entry.record = next;
    entry.failures = 0;
    this.publish(entry, events, iso);
  }

  private publish(entry: RunEntry, events: StepEventInput[], at: string): void {
    const r = entry.record;
    const t: RunTransition = {
      runId: r.id,
      serial: r.serial,
      shiftId: r.shiftId,
      state: r.state,
      phase: r.phase,
      step: entry.blueprint.steps[r.stepIndex]?.id ?? null,
      stepIndex: r.stepIndex,
      at,
      events,
    };
    for (const listener of this.listeners) {
      try {
        listener(t, entry);
      } catch (err) {
        this.deps.log('error', `transition listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Publishes the step's progress (or lane position) now, or once the run's interval has passed (the latest wins). */
  private publishProgress(entry: RunEntry): void {
    if (entry.progressTimer) return;
    const wait = entry.progressAt + PROGRESS_INTERVAL_MS - this.deps.clock.now();
    const send = () => {
      entry.progressTimer = null;
      entry.progressAt = this.deps.clock.now();
      entry.publishedProgress = entry.progress;
      for (const listener of this.progressListeners) {
        try {
          listener(entry);
        } catch (err) {
          this.deps.log('error', `progress listener failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    if (wait <= 0) send();
    else entry.progressTimer = setTimeout(send, wait);
  }

  /** A library file for a step, or the catalogue's "missing from the library" failure (not retryable: fetching is the hub's job). */
  private readLibraryItem(ref: LibraryItemRef): Promise<LibraryFile> {
    const found = this.deps.libraryItem?.(ref) ?? null;
    if (found) return Promise.resolve(found);
    const kind = message(ref.kind === 'profile' ? 'library.kind.profile' : ref.kind === 'file' ? 'library.kind.file' : 'library.kind.app');
    const identifier = ref.version ? `${ref.identifier} ${ref.version}` : ref.identifier;
    return Promise.reject(stepFailed('library.missing', { kind, identifier }, false));
  }

  /** Runs one try of a step through the station's drivers; the session is the step's line to its machine. */
  private execute(input: StepInput, session: StepSession): Promise<StepOutcome> {
    const entry = this.runs.get(input.runId);
    if (!entry) return Promise.reject(new AppError('not_found', message('run.not-active', { runId: input.runId })));
    const ctx: StepContext = {
      runId: entry.id,
      serial: entry.serial,
      step: input.step,
      attempt: input.attempt,
      captured: input.captured,
      deviceName: input.step.type === 'rename' ? this.deps.deviceName(entry, input.step) : (input.captured.deviceName ?? null),
      signal: session.signal,
      waitFor: session.waitFor.bind(session),
      confirmByTechnician: session.confirmByTechnician.bind(session),
      progress: session.progress.bind(session),
      expectReattach: session.expectReattach.bind(session),
      laneDone: session.laneDone.bind(session),
      log: (message) => this.deps.log('info', message, { runId: entry.id, serial: entry.serial, step: input.step.id }),
      secret: (name) => readSecret(this.deps.secrets, name),
      libraryItem: (ref) => this.readLibraryItem(ref),
    };
    const secrets = this.deps.secrets;
    if (!secrets) return this.deps.executeStep(entry.serial, ctx);
    // What a step reports is stored in the run, exported and sent to the hub: no secret it used may be in it.
    return this.deps.executeStep(entry.serial, ctx).then(
      (outcome) => secrets.redactor.redactDeep(outcome),
      (err: unknown) => {
        if (err instanceof Error) err.message = secrets.redactor.redact(err.message);
        throw err;
      },
    );
  }
}

/** A step's secret, or a step failure naming the missing secret (never its value). */
async function readSecret(secrets: SecretStore | undefined, name: string): Promise<SecretValue> {
  if (!secrets) throw stepFailed('secret.missing', { name }, false);
  try {
    return secrets.get(name);
  } catch (err) {
    if (err instanceof SecretError) throw new StepFailedError(err.text as StepMessage, false);
    throw err;
  }
}
