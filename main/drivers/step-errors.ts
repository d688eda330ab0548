import { message as makeMessage, type Message, type MessageCode, type MessageParams } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';

/**
 * The codes a step may fail with, all from the message catalogue (REVIEW §3.5): a new driver adds
 * its codes there, with German and English texts, instead of inventing free strings.
 */
export type StepErrorCode = Extract<
  MessageCode,
  'run.failed' | 'step.failed' | 'timeout' | `${'sim' | 'serial' | 'ios' | 'label' | 'printer' | 'secret' | 'library'}.${string}`
>;
export type StepMessage = Message<StepErrorCode>;

/**
 * Errors a driver throws from a step. The technician reads `code` with `params` in the UI's
 * language; `message` is the English rendering for the log and the run record.
 */
export class StepFailedError extends Error {
  override name = 'StepFailedError';
  readonly code: StepErrorCode;
  readonly params: StepMessage['params'];
  /** False when trying again cannot help (wrong device, policy refused). */
  readonly retryable: boolean;
  constructor(text: StepMessage, retryable?: boolean);
  /** @deprecated Prose from a driver not yet converted (serial, label printing); phase B passes a message. */
  constructor(code: StepErrorCode, prose: string, retryable?: boolean);
  constructor(codeOrText: StepErrorCode | StepMessage, proseOrRetryable?: string | boolean, retryable = true) {
    const text = typeof codeOrText === 'string' ? null : codeOrText;
    super(text ? formatMessage(text, 'en') : String(proseOrRetryable));
    this.code = text ? text.code : (codeOrText as StepErrorCode);
    this.params = text ? text.params : {};
    this.retryable = typeof proseOrRetryable === 'boolean' ? proseOrRetryable : text ? true : retryable;
  }
}

/**
 * Step failures that set the device aside (the quarantine / return list) whatever step they came
 * from: nothing on the bench can fix them. Activation Lock is lifted only by the device's owner.
 */
export const QUARANTINE_CODES: ReadonlySet<StepErrorCode> = new Set<StepErrorCode>(['ios.activation-locked']);

/** A step failure with its message built and checked against the catalogue. */
export function stepFailed<C extends StepErrorCode>(code: C, params: MessageParams<C>, retryable = true): StepFailedError {
  return new StepFailedError(makeMessage(code, params), retryable);
}

/** The device left while the step ran: the run is interrupted, not failed, and resumes when it returns. */
export class DeviceGoneError extends Error {
  override name = 'DeviceGoneError';
  constructor(readonly serial: string) {
    super(`Device ${serial} was unplugged during the step.`);
  }
}

/** The step was aborted (timeout, cancel, unplug); the run's own event says which. */
export class StepAbortedError extends Error {
  override name = 'StepAbortedError';
  constructor() {
    super('The step was stopped.');
  }
}

/** Sleeps, or rejects with StepAbortedError when the signal aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new StepAbortedError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StepAbortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
