import { and, assign, fromPromise, setup } from 'xstate';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';
import type { WaitReason } from '../../shared/contract/run-state.js';
import type { StepOutcome } from '../drivers/driver.js';
import { DeviceGoneError, StepFailedError } from '../drivers/step-errors.js';
import type { RunPhase, StepEventInput, StepEventKind } from '../store/records.js';

/** What the machine needs from outside: the clock, the step executor and the journal. */
export interface RunMachineIo {
  now(): number;
  execute(input: StepInput, signal: AbortSignal): Promise<StepOutcome>;
  /** Buffers a step event; committed by the next `commit`. */
  record(event: StepEventInput): void;
  /** Commits the run's new phase with the buffered events and one outbox record, in one transaction. */
  commit(phase: RunPhase, context: RunContext): void;
}

export interface StepInput {
  stepIndex: number;
  step: BlueprintStep;
  attempt: number;
  captured: Record<string, string>;
}

export interface RunError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface RunContext {
  io: RunMachineIo;
  steps: readonly BlueprintStep[];
  stepIndex: number;
  /** Tries of the current step since it started or since the technician's last retry. */
  attempt: number;
  /** Retries anywhere in the run, automatic or by the technician. */
  retries: number;
  /** Epoch ms: the step's timeout while running, the end of the backoff while backing off. */
  deadlineAt: number | null;
  waiting: { reason: WaitReason; message: string } | null;
  error: RunError | null;
  failedStep: string | null;
  captured: Record<string, string>;
  finishedAt: number | null;
  /** The phase the run was in when it was last committed; where a restored run starts. */
  resumeAs: RunPhase;
}

export type RunInput = Omit<RunContext, 'finishedAt'> & { finishedAt?: number | null };

export type RunEvent =
  | { type: 'START' }
  | { type: 'WAIT'; reason: WaitReason; message: string }
  | { type: 'PROCEED' }
  | { type: 'DEADLINE' }
  | { type: 'DEVICE_LEFT' }
  | { type: 'DEVICE_BACK' }
  | { type: 'RETRY' }
  | { type: 'SKIP' }
  | { type: 'CANCEL' };

function currentStep(ctx: RunContext): BlueprintStep {
  return ctx.steps[ctx.stepIndex] as BlueprintStep;
}

function stepLabel(step: BlueprintStep): string {
  return typeof step.label === 'string' ? step.label : step.label?.en ?? step.id;
}

function toRunError(error: unknown): RunError {
  if (error instanceof StepFailedError) return { code: error.code, message: error.message, retryable: error.retryable };
  if (error instanceof Error) return { code: 'internal', message: error.message, retryable: true };
  return { code: 'internal', message: String(error), retryable: true };
}

function ev(ctx: RunContext, kind: StepEventKind, message: string | null = null): StepEventInput {
  const step = ctx.steps[ctx.stepIndex];
  return { stepIndex: step ? ctx.stepIndex : null, step: step?.id ?? null, kind, attempt: ctx.attempt, message };
}

/**
 * A run as a state machine: one actor per run, its steps taken from the blueprint. Timeouts and
 * backoffs are deadlines kept in the context (and so in the database), not xstate timers, so they
 * survive a restart; the run controller sends DEADLINE when one passes.
 */
export const runMachine = setup({
  types: {
    context: {} as RunContext,
    events: {} as RunEvent,
    input: {} as RunInput,
  },
  actors: {
    executeStep: fromPromise<StepOutcome, { io: RunMachineIo; step: StepInput }>(({ input, signal }) =>
      input.io.execute(input.step, signal),
    ),
  },
  guards: {
    deadlinePassed: ({ context }) => context.deadlineAt !== null && context.io.now() >= context.deadlineAt,
    isLastStep: ({ context }) => context.stepIndex >= context.steps.length - 1,
    deviceGone: ({ event }) => 'error' in event && event.error instanceof DeviceGoneError,
    canRetryError: ({ context, event }) => {
      const err = toRunError('error' in event ? event.error : undefined);
      return err.retryable && context.attempt <= currentStep(context).retries;
    },
    canRetryTimeout: ({ context }) => context.attempt <= currentStep(context).retries,
    stepSkippable: ({ context }) => currentStep(context).mandatory !== true,
    resumeQueued: ({ context }) => context.resumeAs === 'queued',
    resumeWorking: ({ context }) => ['running', 'waiting'].includes(context.resumeAs),
    resumeBackoff: ({ context }) => context.resumeAs === 'backoff',
    resumeInterrupted: ({ context }) => context.resumeAs === 'interrupted',
    resumeFailed: ({ context }) => context.resumeAs === 'failed',
    resumeDone: ({ context }) => context.resumeAs === 'done',
  },
  actions: {
    record: ({ context }, params: { kind: StepEventKind; message?: string }) => context.io.record(ev(context, params.kind, params.message ?? null)),
    commit: ({ context }, params: { phase: RunPhase }) => context.io.commit(params.phase, context),
    startStepClock: assign({
      deadlineAt: ({ context }) => context.io.now() + currentStep(context).timeout,
      waiting: null,
    }),
    clearDeadline: assign({ deadlineAt: null, waiting: null }),
  },
}).createMachine({
  id: 'run',
  context: ({ input }) => ({ finishedAt: null, ...input }),
  initial: 'boot',
  on: {
    CANCEL: { target: '.cancelled', actions: { type: 'record', params: { kind: 'cancel' } } },
  },
  states: {
    // Where a run restored from the database picks up.
    boot: {
      always: [
        { guard: 'resumeQueued', target: 'queued' },
        { guard: 'resumeWorking', target: 'working', actions: { type: 'record', params: { kind: 'resumed', message: 'station restarted' } } },
        { guard: 'resumeBackoff', target: 'backoff.restored' },
        { guard: 'resumeInterrupted', target: 'interrupted' },
        { guard: 'resumeFailed', target: 'failed.restored' },
        { guard: 'resumeDone', target: 'done' },
        { target: 'cancelled' },
      ],
    },
    queued: {
      on: {
        START: 'working',
        DEVICE_LEFT: { target: 'interrupted', actions: { type: 'record', params: { kind: 'interrupted' } } },
      },
    },
    working: {
      entry: ['startStepClock', { type: 'record', params: { kind: 'start' } }],
      invoke: {
        src: 'executeStep',
        input: ({ context }) => ({
          io: context.io,
          step: { stepIndex: context.stepIndex, step: currentStep(context), attempt: context.attempt, captured: context.captured },
        }),
        onDone: [
          {
            guard: 'isLastStep',
            target: 'done',
            actions: [
              assign({ captured: ({ context, event }) => ({ ...context.captured, ...event.output.captured }), error: null }),
              { type: 'record', params: { kind: 'done' } },
            ],
          },
          {
            target: 'working',
            reenter: true,
            actions: [
              assign({ captured: ({ context, event }) => ({ ...context.captured, ...event.output.captured }), error: null }),
              { type: 'record', params: { kind: 'done' } },
              assign({ stepIndex: ({ context }) => context.stepIndex + 1, attempt: 1 }),
            ],
          },
        ],
        onError: [
          { guard: 'deviceGone', target: 'interrupted', actions: { type: 'record', params: { kind: 'interrupted' } } },
          {
            guard: 'canRetryError',
            target: 'backoff',
            actions: [
              assign({ error: ({ event }) => toRunError(event.error) }),
              ({ context }) => context.io.record(ev(context, 'fail', context.error?.message ?? null)),
            ],
          },
          {
            target: 'failed',
            actions: [
              assign({ error: ({ event }) => toRunError(event.error) }),
              ({ context }) => context.io.record(ev(context, 'fail', context.error?.message ?? null)),
            ],
          },
        ],
      },
      on: {
        DEADLINE: [
          {
            guard: and(['deadlinePassed', 'canRetryTimeout']),
            target: '#run.backoff',
            actions: [
              assign({ error: ({ context }) => timeoutError(currentStep(context)) }),
              ({ context }) => context.io.record(ev(context, 'timeout', context.error?.message ?? null)),
            ],
          },
          {
            guard: 'deadlinePassed',
            target: '#run.failed',
            actions: [
              assign({ error: ({ context }) => timeoutError(currentStep(context)) }),
              ({ context }) => context.io.record(ev(context, 'timeout', context.error?.message ?? null)),
            ],
          },
        ],
        DEVICE_LEFT: { target: 'interrupted', actions: { type: 'record', params: { kind: 'interrupted' } } },
      },
      initial: 'active',
      states: {
        active: {
          entry: { type: 'commit', params: { phase: 'running' } },
          on: {
            WAIT: {
              target: 'waiting',
              actions: [
                assign({ waiting: ({ event }) => ({ reason: event.reason, message: event.message }) }),
                ({ context }) => context.io.record(ev(context, 'waiting', context.waiting?.message ?? null)),
              ],
            },
          },
        },
        waiting: {
          entry: { type: 'commit', params: { phase: 'waiting' } },
          on: {
            PROCEED: { target: 'active', actions: [assign({ waiting: null }), { type: 'record', params: { kind: 'proceed' } }] },
          },
        },
      },
    },
    backoff: {
      initial: 'fresh',
      on: {
        DEADLINE: {
          guard: 'deadlinePassed',
          target: 'working',
          actions: assign({ attempt: ({ context }) => context.attempt + 1, retries: ({ context }) => context.retries + 1 }),
        },
        DEVICE_LEFT: { target: 'interrupted', actions: { type: 'record', params: { kind: 'interrupted' } } },
      },
      states: {
        fresh: {
          entry: [
            assign({
              // Exponential backoff per try of the step: 1x, 2x, 4x the blueprint's backoff.
              deadlineAt: ({ context }) => context.io.now() + currentStep(context).backoff * 2 ** (context.attempt - 1),
              waiting: null,
            }),
            { type: 'record', params: { kind: 'retry-scheduled' } },
            { type: 'commit', params: { phase: 'backoff' } },
          ],
        },
        // Restored after a restart: keep the stored deadline.
        restored: {},
      },
    },
    interrupted: {
      entry: ['clearDeadline', { type: 'commit', params: { phase: 'interrupted' } }],
      on: {
        DEVICE_BACK: { target: 'working', actions: { type: 'record', params: { kind: 'resumed', message: 'device is back' } } },
      },
    },
    failed: {
      initial: 'fresh',
      on: {
        RETRY: {
          target: 'working',
          actions: [
            assign({ attempt: 1, retries: ({ context }) => context.retries + 1, error: null, failedStep: null }),
            { type: 'record', params: { kind: 'retry', message: 'retried by technician' } },
          ],
        },
        SKIP: [
          {
            guard: and(['stepSkippable', 'isLastStep']),
            target: 'done',
            actions: [{ type: 'record', params: { kind: 'skip', message: 'skipped by technician' } }, assign({ error: null, failedStep: null })],
          },
          {
            guard: 'stepSkippable',
            target: 'working',
            actions: [
              { type: 'record', params: { kind: 'skip', message: 'skipped by technician' } },
              assign({ stepIndex: ({ context }) => context.stepIndex + 1, attempt: 1, error: null, failedStep: null }),
            ],
          },
        ],
        DEVICE_LEFT: {},
      },
      states: {
        fresh: {
          entry: [
            assign({ failedStep: ({ context }) => currentStep(context).id }),
            'clearDeadline',
            { type: 'commit', params: { phase: 'failed' } },
          ],
        },
        restored: {},
      },
    },
    done: {
      type: 'final',
      entry: [assign({ finishedAt: ({ context }) => context.io.now() }), 'clearDeadline', { type: 'commit', params: { phase: 'done' } }],
    },
    cancelled: {
      type: 'final',
      entry: [assign({ finishedAt: ({ context }) => context.io.now() }), 'clearDeadline', { type: 'commit', params: { phase: 'cancelled' } }],
    },
  },
});

function timeoutError(step: BlueprintStep): RunError {
  const seconds = Math.round(step.timeout / 1000);
  return {
    code: 'timeout',
    message: `"${stepLabel(step)}" did not finish within ${seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`}. Check the device and the cable, then retry.`,
    retryable: true,
  };
}
