// Over 400 lines: one xstate machine is one `setup(...).createMachine(...)` expression (states, guards
// and actions typed together); splitting it would scatter the run's lifecycle. It does no I/O.
import { and, assign, emit, sendTo, setup, type SnapshotFrom } from 'xstate';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';
import { backoffDelay } from '../../shared/backoff.js';
import type { RunState, WaitReason } from '../../shared/contract/run-state.js';
import type { StepOutcome, StepProgress } from '../drivers/driver.js';
import { DeviceGoneError, StepFailedError } from '../drivers/step-errors.js';
import type { RunPhase, RunRecord, StepEventInput, StepEventKind } from '../store/records.js';
import { message, type Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { scaled, type Clock } from './clock.js';
import { storedEventMessage } from './step-event-text.js';
import { stepActor, type StepExecutor } from './step-actor.js';
import { isHeavyStep } from './lanes.js';
import { laneActor, type RunLanes } from './lane-actor.js';

export type { StepExecutor, StepInput, StepSession } from './step-actor.js';
export type { RunLanes } from './lane-actor.js';

export interface RunError {
  code: string;
  /** English, for the run record, the log and the hub. */
  message: string;
  /** What the technician reads (step events store it); null for an error restored from a record. */
  text: Message | null;
  retryable: boolean;
}

/** Everything the machine knows about a run: plain data, so a snapshot is what a record holds. */
export interface RunContext {
  runId: string;
  serial: string;
  steps: readonly BlueprintStep[];
  stepIndex: number;
  /** Tries of the current step since it started or since the technician's last retry. */
  attempt: number;
  /** Retries anywhere in the run, automatic or by the technician. */
  retries: number;
  /** Epoch ms: the step's timeout while running, the end of the backoff while backing off. */
  deadlineAt: number | null;
  waiting: { reason: WaitReason; message: string; text: Message | null } | null;
  /** The step waits for the technician's CONFIRM (not for the device). */
  awaitingConfirm: boolean;
  error: RunError | null;
  failedStep: string | null;
  captured: Record<string, string>;
  finishedAt: number | null;
  /** The running step's last progress report; not persisted. */
  progress: StepProgress | null;
  /** The running step said the device will leave and come back: its leaving completes the step. */
  reattachExpected: boolean;
}

export type RunEvent =
  | { type: 'START' }
  | { type: 'RESUME' }
  | { type: 'DEADLINE' }
  | { type: 'DEVICE_LEFT' }
  | { type: 'DEVICE_BACK' }
  | { type: 'RETRY' }
  | { type: 'SKIP' }
  | { type: 'CANCEL' }
  | { type: 'CONFIRM' }
  // Sent back by the running step.
  | { type: 'WAIT'; reason: WaitReason; message: string; text: Message | null; confirmable: boolean }
  | { type: 'PROCEED' }
  | { type: 'PROGRESS'; progress: StepProgress }
  | { type: 'EXPECT_REATTACH' }
  | { type: 'LANE_DONE' }
  // Sent by the lane actor while the run waits for a free lane.
  | { type: 'LANE_GRANTED' }
  | { type: 'STEP_DONE'; output: StepOutcome }
  | { type: 'STEP_FAILED'; error: unknown };

/** Emitted for every step event; the controller commits them with the snapshot that follows. */
export interface JournalEvent {
  type: 'journal';
  event: StepEventInput;
}

/** A step timeout never shrinks below this (or the blueprint's own timeout), however fast simulated devices run: commits under load still need their time. */
export const MIN_SCALED_TIMEOUT_MS = 30_000;

function currentStep(ctx: RunContext): BlueprintStep {
  return ctx.steps[ctx.stepIndex] as BlueprintStep;
}

function stepLabel(step: BlueprintStep): string {
  return typeof step.label === 'string' ? step.label : (step.label?.en ?? step.id);
}

function toRunError(error: unknown): RunError {
  if (error instanceof StepFailedError)
    return { code: error.code, message: error.message, text: { code: error.code, params: error.params } as Message, retryable: error.retryable };
  if (error instanceof Error) return { code: 'internal', message: error.message, text: message('internal'), retryable: true };
  return { code: 'internal', message: String(error), text: message('internal'), retryable: true };
}

function stepEvent(ctx: RunContext, kind: StepEventKind, text: Message | string | null): StepEventInput {
  const step = ctx.steps[ctx.stepIndex];
  return { stepIndex: step ? ctx.stepIndex : null, step: step?.id ?? null, kind, attempt: ctx.attempt, message: storedEventMessage(text) };
}

/** A step event the machine journals; its message given, or taken from the run's error or wait. */
interface JournalParams {
  kind: StepEventKind;
  message?: Message;
  messageFrom?: 'error' | 'waiting';
}

function journalMessage(ctx: RunContext, params: JournalParams): Message | string | null {
  if (params.messageFrom === 'error') return ctx.error ? (ctx.error.text ?? ctx.error.message) : null;
  if (params.messageFrom === 'waiting') return ctx.waiting ? (ctx.waiting.text ?? ctx.waiting.message) : null;
  return params.message ?? null;
}

const journal = (kind: StepEventKind, text?: Message) => ({ type: 'journal', params: { kind, ...(text ? { message: text } : {}) } }) as const;
const journalFrom = (kind: StepEventKind, messageFrom: 'error' | 'waiting') => ({ type: 'journal', params: { kind, messageFrom } }) as const;
const interrupt = { target: '#run.interrupted', actions: journal('interrupted') } as const;
/** The device left as its step said it would (erase, reboot): the run waits for it to come back. */
const restart = { target: '#run.restarting', actions: journal('waiting', message('wait.restart')) } as const;

/**
 * A run as a state machine: one actor per run, its steps taken from the blueprint and run by the
 * `step` actor. Timeouts and backoffs are deadlines kept in the context (and so in the database),
 * not xstate timers, so they survive a restart; the run controller sends DEADLINE when one passes.
 * The machine does no I/O: step events are emitted, and the controller commits each new snapshot.
 */
export function createRunMachine(deps: { clock: Clock; execute: StepExecutor; lanes: RunLanes }) {
  const { clock } = deps;
  return setup({
    types: {
      context: {} as RunContext,
      events: {} as RunEvent,
      input: {} as RunContext,
      emitted: {} as JournalEvent,
    },
    actors: { step: stepActor(deps.execute), lane: laneActor(deps.lanes) },
    guards: {
      deadlinePassed: ({ context }) => context.deadlineAt !== null && clock.now() >= context.deadlineAt,
      isLastStep: ({ context }) => context.stepIndex >= context.steps.length - 1,
      deviceGone: ({ event }) => event.type === 'STEP_FAILED' && event.error instanceof DeviceGoneError,
      canRetryError: ({ context, event }) =>
        event.type === 'STEP_FAILED' && toRunError(event.error).retryable && context.attempt <= currentStep(context).retries,
      canRetryTimeout: ({ context }) => context.attempt <= currentStep(context).retries,
      stepSkippable: ({ context }) => currentStep(context).mandatory !== true,
      awaitsConfirm: ({ context }) => context.awaitingConfirm,
      reattachExpected: ({ context }) => context.reattachExpected,
      stepIsHeavy: ({ context }) => isHeavyStep(currentStep(context)),
    },
    actions: {
      journal: emit(({ context }, params: JournalParams): JournalEvent => ({
        type: 'journal',
        event: stepEvent(context, params.kind, journalMessage(context, params)),
      })),
      /** Keeps what the finished step read from the device. */
      advance: assign({
        captured: ({ context, event }) => (event.type === 'STEP_DONE' ? { ...context.captured, ...event.output.captured } : context.captured),
        error: null,
      }),
      startStepClock: assign({
        deadlineAt: ({ context }) => {
          const timeout = currentStep(context).timeout;
          return clock.now() + Math.max(scaled(clock, timeout), Math.min(timeout, MIN_SCALED_TIMEOUT_MS));
        },
        waiting: null,
        awaitingConfirm: false,
        progress: null,
        reattachExpected: false,
      }),
      clearDeadline: assign({ deadlineAt: null, waiting: null, awaitingConfirm: false, progress: null, reattachExpected: false }),
      finish: assign({ finishedAt: () => clock.now() }),
      /** The step ended: a heavy step's lane goes to the next in line. */
      releaseLane: ({ context }) => deps.lanes.release(context.runId),
    },
  }).createMachine({
    id: 'run',
    context: ({ input }) => input,
    initial: 'queued',
    on: {
      CANCEL: { target: '.cancelled', actions: journal('cancel') },
    },
    states: {
      queued: {
        on: { START: 'route', DEVICE_LEFT: interrupt },
      },
      // Where every step starts: a heavy step waits for a free lane, a light one never does.
      route: {
        always: [{ guard: 'stepIsHeavy', target: 'lane' }, { target: 'working' }],
      },
      lane: {
        entry: assign({ deadlineAt: null, progress: null, awaitingConfirm: false, reattachExpected: false, waiting: LANE_WAITING }),
        invoke: { id: 'lane', src: 'lane', input: ({ context }) => ({ runId: context.runId, serial: context.serial }) },
        on: {
          LANE_GRANTED: { target: 'working', actions: assign({ waiting: null }) },
          DEVICE_LEFT: interrupt,
        },
      },
      working: {
        entry: ['startStepClock', journal('start')],
        exit: 'releaseLane',
        invoke: {
          id: 'step',
          src: 'step',
          input: ({ context }) => ({
            runId: context.runId,
            serial: context.serial,
            stepIndex: context.stepIndex,
            step: currentStep(context),
            attempt: context.attempt,
            captured: context.captured,
          }),
        },
        on: {
          STEP_DONE: [
            { guard: 'isLastStep', target: 'done', actions: ['advance', journal('done')] },
            {
              target: 'route',
              actions: ['advance', journal('done'), assign({ stepIndex: ({ context }) => context.stepIndex + 1, attempt: 1 })],
            },
          ],
          STEP_FAILED: [
            { guard: and(['deviceGone', 'reattachExpected']), ...restart },
            { guard: 'deviceGone', ...interrupt },
            {
              guard: 'canRetryError',
              target: 'backoff',
              actions: [assign({ error: ({ event }) => toRunError(event.error) }), journalFrom('fail', 'error')],
            },
            { target: 'failed', actions: [assign({ error: ({ event }) => toRunError(event.error) }), journalFrom('fail', 'error')] },
          ],
          DEADLINE: [
            {
              guard: and(['deadlinePassed', 'canRetryTimeout']),
              target: 'backoff',
              actions: [assign({ error: ({ context }) => timeoutError(currentStep(context)) }), journalFrom('timeout', 'error')],
            },
            {
              guard: 'deadlinePassed',
              target: 'failed',
              actions: [assign({ error: ({ context }) => timeoutError(currentStep(context)) }), journalFrom('timeout', 'error')],
            },
          ],
          PROGRESS: { actions: assign({ progress: ({ event }) => event.progress }) },
          EXPECT_REATTACH: { actions: assign({ reattachExpected: true }) },
          // The rest of the step needs no lane: the next in line gets it now (released again on exit: no-op).
          LANE_DONE: { actions: 'releaseLane' },
          DEVICE_LEFT: [{ guard: 'reattachExpected', ...restart }, interrupt],
        },
        initial: 'active',
        states: {
          active: {
            on: {
              WAIT: {
                target: 'waiting',
                actions: [
                  assign({
                    waiting: ({ event }) => ({ reason: event.reason, message: event.message, text: event.text }),
                    awaitingConfirm: ({ event }) => event.confirmable,
                  }),
                  journalFrom('waiting', 'waiting'),
                ],
              },
            },
          },
          waiting: {
            on: {
              PROCEED: { target: 'active', actions: [assign({ waiting: null, awaitingConfirm: false }), journal('proceed')] },
              // The technician's confirmation goes to the step that asked for it.
              CONFIRM: { guard: 'awaitsConfirm', actions: [assign({ awaitingConfirm: false }), sendTo('step', { type: 'CONFIRM' })] },
            },
          },
        },
      },
      backoff: {
        // Exponential backoff per try of the step: 1x, 2x, 4x the blueprint's backoff. Entry actions
        // do not run when a run is restored here, so a restored run keeps its stored deadline.
        entry: [
          assign({
            deadlineAt: ({ context }) => clock.now() + scaled(clock, backoffDelay(context.attempt, { baseMs: currentStep(context).backoff })),
            waiting: null,
            awaitingConfirm: false,
            progress: null,
          }),
          journal('retry-scheduled'),
        ],
        on: {
          DEADLINE: {
            guard: 'deadlinePassed',
            target: 'route',
            actions: assign({ attempt: ({ context }) => context.attempt + 1, retries: ({ context }) => context.retries + 1 }),
          },
          DEVICE_LEFT: interrupt,
        },
      },
      // The step's device restarts on purpose. The same serial coming back (whatever its port now)
      // completes the step; the step's deadline still holds, so a device that never returns fails.
      restarting: {
        entry: assign({ waiting: RESTARTING, awaitingConfirm: false, progress: null }),
        on: {
          DEVICE_BACK: [
            { guard: 'isLastStep', target: 'done', actions: journal('done', message('event.device-returned')) },
            {
              target: 'route',
              actions: [
                journal('done', message('event.device-returned')),
                assign({ stepIndex: ({ context }) => context.stepIndex + 1, attempt: 1, error: null }),
              ],
            },
          ],
          DEADLINE: {
            guard: 'deadlinePassed',
            target: 'failed',
            actions: [assign({ error: ({ context }) => reattachTimeoutError(currentStep(context)) }), journalFrom('timeout', 'error')],
          },
        },
      },
      interrupted: {
        entry: 'clearDeadline',
        on: {
          DEVICE_BACK: { target: 'route', actions: journal('resumed', message('event.device-back')) },
          // A run restored from mid-step (see restoredRun) was interrupted by the restart.
          RESUME: { target: 'route', actions: journal('resumed', message('event.station-restarted')) },
        },
      },
      failed: {
        entry: [assign({ failedStep: ({ context }) => currentStep(context).id }), 'clearDeadline'],
        on: {
          RETRY: {
            target: 'route',
            actions: [
              assign({ attempt: 1, retries: ({ context }) => context.retries + 1, error: null, failedStep: null }),
              journal('retry', message('event.retried')),
            ],
          },
          SKIP: [
            {
              guard: and(['stepSkippable', 'isLastStep']),
              target: 'done',
              actions: [journal('skip', message('event.skipped')), assign({ error: null, failedStep: null })],
            },
            {
              guard: 'stepSkippable',
              target: 'route',
              actions: [
                journal('skip', message('event.skipped')),
                assign({ stepIndex: ({ context }) => context.stepIndex + 1, attempt: 1, error: null, failedStep: null }),
              ],
            },
          ],
        },
      },
      done: { type: 'final', entry: ['finish', 'clearDeadline'] },
      cancelled: { type: 'final', entry: ['finish', 'clearDeadline'] },
    },
  });
}

export type RunMachine = ReturnType<typeof createRunMachine>;
export type RunSnapshot = SnapshotFrom<RunMachine>;

/** The run's phase, read from where its machine is: the only place phases come from. */
export function phaseOf(snapshot: RunSnapshot): RunPhase {
  if (snapshot.matches('restarting')) return 'restarting';
  if (snapshot.matches('lane')) return 'lane';
  if (snapshot.matches({ working: 'waiting' })) return 'waiting';
  if (snapshot.matches('working')) return 'running';
  if (snapshot.matches('backoff')) return 'backoff';
  if (snapshot.matches('interrupted')) return 'interrupted';
  if (snapshot.matches('failed')) return 'failed';
  if (snapshot.matches('done')) return 'done';
  if (snapshot.matches('cancelled')) return 'cancelled';
  return 'queued';
}

const STATE_OF_PHASE: Record<RunPhase, RunState> = {
  queued: 'queued',
  running: 'running',
  backoff: 'running',
  waiting: 'waiting',
  // Nobody has to act: the device comes back by itself, or the run waits its turn.
  restarting: 'running',
  lane: 'queued',
  interrupted: 'interrupted',
  failed: 'failed',
  done: 'done',
  cancelled: 'cancelled',
};

/** The contract's state of a phase: a backoff is part of running. */
export function runStateOf(phase: RunPhase): RunState {
  return STATE_OF_PHASE[phase];
}

/**
 * Where the actor of a committed record starts, and the event that moves it on. A run committed
 * mid-step (running, waiting) was interrupted by the restart and resumes that step; a queued run
 * starts; the others wait where they were, with their stored deadline, error and failed step.
 */
export function restoredRun(machine: RunMachine, record: RunRecord, steps: readonly BlueprintStep[]): { snapshot: RunSnapshot; then: RunEvent | null } {
  const context: RunContext = {
    runId: record.id,
    serial: record.serial,
    steps,
    stepIndex: record.stepIndex,
    attempt: record.attempt,
    retries: record.attemptsTotal - 1,
    deadlineAt: record.deadlineAt,
    waiting: record.phase === 'restarting' ? RESTARTING : null,
    awaitingConfirm: false,
    error: record.errorCode ? { code: record.errorCode, message: record.errorMessage ?? '', text: null, retryable: true } : null,
    failedStep: record.failedStep,
    captured: record.captured,
    finishedAt: record.finishedAt === null ? null : Date.parse(record.finishedAt),
    progress: null,
    reattachExpected: false,
  };
  const midStep = record.phase === 'running' || record.phase === 'waiting';
  // A run that waited for a lane asks again, in the order of its queued time.
  const queued = record.phase === 'queued' || record.phase === 'lane';
  const value = midStep ? 'interrupted' : queued ? 'queued' : record.phase;
  const then: RunEvent | null = midStep ? { type: 'RESUME' } : queued ? { type: 'START' } : null;
  return { snapshot: machine.resolveState({ value, context }), then };
}

const LANE_TEXT = message('wait.lane-queued');
/** The place in line is added when the run is shown (RunController's LiveRun.waiting). */
const LANE_WAITING = { reason: 'lane', message: formatMessage(LANE_TEXT, 'en'), text: LANE_TEXT } as const;

const RESTARTING_TEXT = message('wait.restart');
const RESTARTING = { reason: 'restart', message: formatMessage(RESTARTING_TEXT, 'en'), text: RESTARTING_TEXT } as const;

function reattachTimeoutError(step: BlueprintStep): RunError {
  const text = message('run.reattach-timeout', { step: step.id });
  return { code: text.code, message: formatMessage(message('run.reattach-timeout', { step: stepLabel(step) }), 'en'), text, retryable: true };
}

function timeoutError(step: BlueprintStep): RunError {
  const seconds = Math.round(step.timeout / 1000);
  return {
    code: 'timeout',
    message: `"${stepLabel(step)}" did not finish within ${seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`}. Check the device and the cable, then retry.`,
    // The step's id stands in for its label: readers put the label in their own language in its place.
    text: message('timeout', { step: step.id }),
    retryable: true,
  };
}
