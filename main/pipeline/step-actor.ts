import { fromCallback, type EventObject } from 'xstate';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';
import type { WaitReason } from '../../shared/contract/run-state.js';
import type { StepOutcome, StepProgress } from '../drivers/driver.js';
import { StepAbortedError } from '../drivers/step-errors.js';
import type { Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';

/** What one try of a step gets from the run: plain data. */
export interface StepInput {
  runId: string;
  serial: string;
  stepIndex: number;
  step: BlueprintStep;
  attempt: number;
  captured: Record<string, string>;
}

/** The step's line to its run: everything it reports goes to the run's machine as an event. */
export interface StepSession {
  /** Aborted when the machine leaves the step (timeout, cancel, device gone, a failed commit). */
  signal: AbortSignal;
  /** `message` is a catalogue message, or prose from a driver not converted yet. */
  waitFor<T>(reason: WaitReason, message: Message | string, until: Promise<T>): Promise<T>;
  confirmByTechnician(message: Message | string): Promise<void>;
  progress(report: StepProgress): void;
  /** The device will leave and come back during this step (see StepContext.expectReattach). */
  expectReattach(): void;
  /** The step no longer needs its lane (see StepContext.laneDone). */
  laneDone(): void;
}

export type StepExecutor = (input: StepInput, session: StepSession) => Promise<StepOutcome>;

/** Events the step sends back to its run. */
export type StepReport =
  | { type: 'WAIT'; reason: WaitReason; message: string; text: Message | null; confirmable: boolean }
  | { type: 'PROCEED' }
  | { type: 'PROGRESS'; progress: StepProgress }
  | { type: 'EXPECT_REATTACH' }
  | { type: 'LANE_DONE' }
  | { type: 'STEP_DONE'; output: StepOutcome }
  | { type: 'STEP_FAILED'; error: unknown };

/**
 * One try of a step as a callback actor: it reports WAIT, PROCEED and PROGRESS while the executor
 * works, receives the technician's CONFIRM, and ends with STEP_DONE or STEP_FAILED. Stopping it
 * aborts the executor; nothing it says after that reaches the run.
 */
export function stepActor(execute: StepExecutor) {
  return fromCallback<EventObject, StepInput>(({ input, sendBack, receive }) => {
    const abort = new AbortController();
    const signal = abort.signal;
    const report = (event: StepReport) => {
      if (!signal.aborted) sendBack(event);
    };
    let confirmed: (() => void) | null = null;
    receive((event) => {
      if (event.type === 'CONFIRM' && confirmed) {
        const resolve = confirmed;
        confirmed = null;
        resolve();
      }
    });
    const waitFor = async <T>(reason: WaitReason, message: Message | string, until: Promise<T>, confirmable = false): Promise<T> => {
      const text = typeof message === 'string' ? null : message;
      report({ type: 'WAIT', reason, message: text ? formatMessage(text, 'en') : (message as string), text, confirmable });
      try {
        return await until;
      } finally {
        report({ type: 'PROCEED' });
      }
    };
    const session: StepSession = {
      signal,
      waitFor: (reason, message, until) => waitFor(reason, message, until),
      confirmByTechnician: (message) =>
        waitFor(
          'technician',
          message,
          new Promise<void>((resolve, reject) => {
            confirmed = resolve;
            signal.addEventListener('abort', () => reject(new StepAbortedError()), { once: true });
          }),
          true,
        ),
      progress: (progress) => report({ type: 'PROGRESS', progress }),
      expectReattach: () => report({ type: 'EXPECT_REATTACH' }),
      laneDone: () => report({ type: 'LANE_DONE' }),
    };
    new Promise<StepOutcome>((resolve) => resolve(execute(input, session))).then(
      (output) => report({ type: 'STEP_DONE', output }),
      (error: unknown) => report({ type: 'STEP_FAILED', error }),
    );
    return () => abort.abort();
  });
}
