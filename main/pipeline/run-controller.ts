import crypto from 'node:crypto';
import { createActor, type Actor } from 'xstate';
import type { Blueprint, BlueprintStep } from '../../shared/blueprint/schema.js';
import type { RunState, WaitReason } from '../../shared/contract/run-state.js';
import type { StepContext, StepOutcome } from '../drivers/driver.js';
import { StepAbortedError } from '../drivers/step-errors.js';
import { newRunRecord, type RunPatch, type RunPhase, type RunRecord, type StepEventInput } from '../store/records.js';
import { isoTime, type Clock } from './clock.js';
import { runMachine, type RunContext, type RunEvent, type RunMachineIo, type StepInput } from './run-machine.js';

/** What the controller needs from the station: persistence, the drivers, naming. */
export interface RunControllerDeps {
  clock: Clock;
  stationId: string;
  /** Persist a new run with its first event and outbox record, in one transaction. */
  createRun(run: RunRecord, event: StepEventInput, outbox: OutboxWrite): void;
  /** Persist a transition with its events and outbox record, in one transaction. */
  commitTransition(runId: string, shiftId: string, patch: RunPatch, events: readonly StepEventInput[], outbox: OutboxWrite, now: string): void;
  /** Runs a step on the device through whichever driver serves it. */
  executeStep(serial: string, ctx: StepContext): Promise<StepOutcome>;
  /** The device name for a rename step; stable for a run once chosen. */
  deviceName(run: LiveRun, step: BlueprintStep): string | null;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface OutboxWrite {
  kind: string;
  payload: string;
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
  record: RunRecord;
}

interface RunEntry extends LiveRun {
  actor: Actor<typeof runMachine>;
  buffer: StepEventInput[];
  timer: NodeJS.Timeout | null;
  armedDeadline: number | null;
  pendingConfirm: { resolve: () => void } | null;
  execution: number;
  /** Stops the step in flight when the actor dies without stopping it (a failed commit). */
  abortStep: AbortController | null;
  /** Set while the actor is gone after a failed commit, until it is recreated from `record`. */
  recovery: { timer: NodeJS.Timeout; presence: 'DEVICE_LEFT' | 'DEVICE_BACK' | null } | null;
  /** Failed commits in a row, for the recovery delay. */
  failures: number;
}

/** A run whose commit failed is recreated from its last committed state after this long, doubling up to a minute. */
const RECOVERY_DELAY_MS = 1_000;
const RECOVERY_DELAY_MAX_MS = 60_000;

const PHASE_STATE: Record<RunPhase, RunState> = {
  queued: 'queued',
  running: 'running',
  backoff: 'running',
  waiting: 'waiting',
  interrupted: 'interrupted',
  failed: 'failed',
  done: 'done',
  cancelled: 'cancelled',
};

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
}

export class RunActionError extends Error {
  override name = 'RunActionError';
}

/**
 * Owns one xstate actor per unfinished run: creates and restores them, commits every transition,
 * arms the stored deadlines, and routes technician actions and device presence to them.
 */
export class RunController {
  private readonly runs = new Map<string, RunEntry>();
  private readonly bySerial = new Map<string, string>();
  private readonly listeners = new Set<(t: RunTransition, run: LiveRun) => void>();

  constructor(private readonly deps: RunControllerDeps) {}

  onTransition(listener: (t: RunTransition, run: LiveRun) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    if (this.bySerial.has(params.serial)) throw new RunActionError(`Device ${params.serial} already has a run.`);
    const now = this.deps.clock.now();
    const iso = isoTime(now);
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
    const created: StepEventInput = { stepIndex: null, step: null, kind: 'created', attempt: 1, message: `${params.blueprint.id} v${params.blueprint.version}` };
    this.deps.createRun(record, created, this.outboxFor(record, params.blueprint, [created], iso));
    const entry = this.spawn(record, params.blueprint);
    this.publish(entry, [created], iso);
    entry.actor.send({ type: 'START' });
    return entry;
  }

  /** Recreates the actor of a run loaded from the database; it continues at its last committed step. */
  restore(record: RunRecord, blueprint: Blueprint): LiveRun {
    const entry = this.spawn(record, blueprint);
    // A run committed as queued was created but never started (the station stopped in between).
    if (record.phase === 'queued') entry.actor.send({ type: 'START' });
    return entry;
  }

  /**
   * Hands a live run over to another shift (its shift closed while it ran): its later events and
   * its result count there. The store moves the run's row in the same hand-over.
   */
  moveToShift(runId: string, shiftId: string, operator: string | null): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    (entry as { shiftId: string }).shiftId = shiftId;
    entry.record = { ...entry.record, shiftId, operator: operator ?? entry.record.operator };
  }

  deviceLeft(serial: string): void {
    this.sendBySerial(serial, { type: 'DEVICE_LEFT' });
  }

  deviceBack(serial: string): void {
    this.sendBySerial(serial, { type: 'DEVICE_BACK' });
  }

  retry(runId: string, devicePresent: boolean): void {
    const entry = this.require(runId);
    if (entry.record.phase !== 'failed') throw new RunActionError(`Run ${runId} has not failed; there is nothing to retry.`);
    this.act(entry, { type: 'RETRY' });
    if (!devicePresent) entry.actor.send({ type: 'DEVICE_LEFT' });
  }

  skip(runId: string): void {
    const entry = this.require(runId);
    if (entry.record.phase !== 'failed') throw new RunActionError(`Run ${runId} has not failed; only a failed step can be skipped.`);
    const step = entry.blueprint.steps[entry.record.stepIndex];
    if (step?.mandatory) throw new RunActionError(`"${step.id}" is required by policy and cannot be skipped.`);
    this.act(entry, { type: 'SKIP' });
  }

  cancel(runId: string): void {
    this.act(this.require(runId), { type: 'CANCEL' });
  }

  /**
   * A technician's action is processed at once; when its commit fails the technician must hear it
   * (the run goes on from its last saved state), not get an "ok" for an action that did not happen.
   */
  private act(entry: RunEntry, event: RunEvent): void {
    entry.actor.send(event);
    if (entry.recovery) throw new RunActionError('The station could not save this action; the run goes on from its last saved state. Try again in a few seconds.');
  }

  /** The technician confirms what the run waits for (a manual check). */
  confirm(runId: string): void {
    const entry = this.require(runId);
    if (!entry.pendingConfirm) throw new RunActionError('This device is not waiting for a confirmation.');
    const pending = entry.pendingConfirm;
    entry.pendingConfirm = null;
    pending.resolve();
  }

  /** Stops every actor without committing anything: used on shutdown; runs resume on next start. */
  stopAll(): void {
    for (const entry of this.runs.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      if (entry.recovery) clearTimeout(entry.recovery.timer);
      entry.actor.stop();
    }
    this.runs.clear();
    this.bySerial.clear();
  }

  private require(runId: string): RunEntry {
    const entry = this.runs.get(runId);
    if (!entry) throw new RunNotFoundError(`No active run ${runId}.`);
    if (entry.recovery) throw new RunActionError('The station could not save this run a moment ago and is picking it up again; try again in a few seconds.');
    return entry;
  }

  private sendBySerial(serial: string, event: RunEvent & { type: 'DEVICE_LEFT' | 'DEVICE_BACK' }): void {
    const id = this.bySerial.get(serial);
    const entry = id === undefined ? undefined : this.runs.get(id);
    if (!entry) return;
    // Presence changes while the run recovers are replayed to the recreated actor.
    if (entry.recovery) entry.recovery.presence = event.type;
    else entry.actor.send(event);
  }

  private spawn(record: RunRecord, blueprint: Blueprint): RunEntry {
    // The entry is filled in before the actor starts, because starting it may already commit.
    const entry = {
      id: record.id,
      serial: record.serial,
      shiftId: record.shiftId,
      slot: record.slot,
      blueprintId: record.blueprintId,
      blueprint,
      startedAt: record.startedAt,
      record,
      buffer: [],
      timer: null,
      armedDeadline: null,
      pendingConfirm: null,
      execution: 0,
      abortStep: null,
      recovery: null,
      failures: 0,
    } as unknown as RunEntry;
    this.runs.set(record.id, entry);
    this.bySerial.set(record.serial, record.id);
    this.startActor(entry);
    return entry;
  }

  /** Creates and starts the entry's actor from its last committed record. */
  private startActor(entry: RunEntry): void {
    const { record, blueprint } = entry;
    const io: RunMachineIo = {
      now: () => this.deps.clock.now(),
      record: (e) => entry.buffer.push(e),
      commit: (phase, ctx) => this.commit(entry, phase, ctx),
      execute: (input, signal) => this.execute(entry, input, signal),
    };
    const actor = createActor(runMachine, {
      input: {
        io,
        steps: blueprint.steps,
        stepIndex: record.stepIndex,
        attempt: record.attempt,
        retries: record.attemptsTotal - 1,
        deadlineAt: record.deadlineAt,
        waiting: null,
        error: record.errorCode ? { code: record.errorCode, message: record.errorMessage ?? '', retryable: true } : null,
        failedStep: record.failedStep,
        captured: record.captured,
        resumeAs: record.phase,
      },
    });
    entry.actor = actor;
    actor.subscribe({
      next: (snapshot) => {
        this.armDeadline(entry, snapshot.context.deadlineAt);
        if (snapshot.status === 'done') this.retire(entry);
      },
      error: (err) => this.recover(entry, actor, err),
    });
    actor.start();
  }

  /**
   * A failed commit (disk full, database busy or gone) stops the run's actor in the middle of a
   * transition; its last committed state is still in the database and in `entry.record`. The step
   * that was running is stopped (xstate does not stop children of an actor that errors), and the
   * actor is recreated from the committed state after a delay, as a restart would.
   */
  private recover(entry: RunEntry, actor: Actor<typeof runMachine>, err: unknown): void {
    if (entry.actor !== actor || this.runs.get(entry.id) !== entry) return;
    entry.abortStep?.abort();
    entry.abortStep = null;
    entry.pendingConfirm = null;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    entry.armedDeadline = null;
    entry.buffer = [];
    entry.failures++;
    const delay = Math.min(RECOVERY_DELAY_MS * 2 ** (entry.failures - 1), RECOVERY_DELAY_MAX_MS);
    this.deps.log('error', `run ${entry.id} could not be saved; picking it up again from its last saved state in ${delay / 1000} s: ${(err as Error).message}`, {
      runId: entry.id,
      serial: entry.serial,
    });
    const recovery: NonNullable<RunEntry['recovery']> = {
      presence: null,
      timer: setTimeout(() => {
        entry.recovery = null;
        this.startActor(entry);
        if (entry.actor.getSnapshot().status !== 'active' || entry.recovery) return;
        if (entry.record.phase === 'queued') entry.actor.send({ type: 'START' });
        if (recovery.presence) entry.actor.send({ type: recovery.presence });
      }, delay),
    };
    entry.recovery = recovery;
  }

  private retire(entry: RunEntry): void {
    if (entry.timer) clearTimeout(entry.timer);
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
    entry.timer = setTimeout(() => {
      entry.timer = null;
      entry.armedDeadline = null;
      entry.actor.send({ type: 'DEADLINE' });
      // A deadline the clock has not reached yet (timer fired early) is armed again.
      const ctx = entry.actor.getSnapshot().context;
      if (entry.actor.getSnapshot().status === 'active') this.armDeadline(entry, ctx.deadlineAt);
    }, Math.min(delay, 2 ** 31 - 1));
  }

  private commit(entry: RunEntry, phase: RunPhase, ctx: RunContext): void {
    const now = this.deps.clock.now();
    const iso = isoTime(now);
    const events = entry.buffer.splice(0);
    const patch: RunPatch = {
      state: PHASE_STATE[phase],
      phase,
      stepIndex: ctx.stepIndex,
      attempt: ctx.attempt,
      attemptsTotal: ctx.retries + 1,
      deadlineAt: ctx.deadlineAt,
      waitingReason: ctx.waiting?.reason ?? null,
      waitingMessage: ctx.waiting?.message ?? null,
      errorCode: ctx.error?.code ?? null,
      errorMessage: ctx.error?.message ?? null,
      failedStep: phase === 'failed' ? ctx.failedStep : null,
      captured: ctx.captured,
      finishedAt: ctx.finishedAt === null ? null : isoTime(ctx.finishedAt),
    };
    const prev = entry.record;
    if (events.length === 0 && prev.phase === phase && prev.stepIndex === patch.stepIndex && prev.deadlineAt === patch.deadlineAt) return;
    const next: RunRecord = { ...prev, ...patch, updatedAt: iso };
    this.deps.commitTransition(entry.id, entry.shiftId, patch, events, this.outboxFor(next, entry.blueprint, events, iso), iso);
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
        this.deps.log('error', `transition listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** The hub's copy of a transition: enough to count and export without asking the station. */
  private outboxFor(run: RunRecord, blueprint: Blueprint, events: readonly StepEventInput[], at: string): OutboxWrite {
    const payload = {
      type: 'run.transition',
      stationId: this.deps.stationId,
      at,
      run: {
        id: run.id,
        serial: run.serial,
        shiftId: run.shiftId,
        slot: run.slot,
        operator: run.operator,
        blueprint: blueprint.id,
        blueprintVersion: blueprint.version,
        state: run.state,
        step: blueprint.steps[run.stepIndex]?.id ?? null,
        stepIndex: run.stepIndex,
        attempts: run.attemptsTotal,
        errorCode: run.errorCode,
        errorMessage: run.errorMessage,
        failedStep: run.failedStep,
        captured: run.captured,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      },
      events,
    };
    return { kind: 'run.transition', payload: JSON.stringify(payload) };
  }

  private async execute(entry: RunEntry, input: StepInput, signal: AbortSignal): Promise<StepOutcome> {
    const execution = ++entry.execution;
    // The step's own signal: aborted with the actor's, or by recover(). Not AbortSignal.any: the
    // driver composes this signal again with the device's presence, and with 1,000 concurrent runs
    // that nesting took 18 s of CPU where the whole pipeline otherwise takes 3 (pipeline benchmark).
    const own = new AbortController();
    entry.abortStep = own;
    if (signal.aborted) own.abort();
    else signal.addEventListener('abort', () => own.abort(), { once: true });
    signal = own.signal;
    const isCurrent = () => !signal.aborted && entry.execution === execution;
    const waitFor = async <T>(reason: WaitReason, message: string, until: Promise<T>): Promise<T> => {
      if (isCurrent()) entry.actor.send({ type: 'WAIT', reason, message });
      try {
        return await until;
      } finally {
        if (isCurrent()) entry.actor.send({ type: 'PROCEED' });
      }
    };
    const ctx: StepContext = {
      runId: entry.id,
      serial: entry.serial,
      step: input.step,
      attempt: input.attempt,
      captured: input.captured,
      deviceName: input.step.type === 'rename' ? this.deps.deviceName(entry, input.step) : (input.captured.deviceName ?? null),
      signal,
      waitFor,
      confirmByTechnician: (message) =>
        waitFor(
          'technician',
          message,
          new Promise<void>((resolve, reject) => {
            entry.pendingConfirm = { resolve };
            signal.addEventListener('abort', () => {
              entry.pendingConfirm = null;
              reject(new StepAbortedError());
            }, { once: true });
          }),
        ),
      log: (message) => this.deps.log('info', message, { runId: entry.id, serial: entry.serial, step: input.step.id }),
    };
    return this.deps.executeStep(entry.serial, ctx);
  }
}
