/**
 * Errors a driver throws from a step. Their messages are shown to the technician as they are,
 * so they say what to do ("Tap Trust on the iPad in slot 7"), not what the code saw.
 */
export class StepFailedError extends Error {
  override name = 'StepFailedError';
  constructor(
    readonly code: string,
    message: string,
    /** False when trying again cannot help (wrong device, policy refused). */
    readonly retryable = true,
  ) {
    super(message);
  }
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

/** Rejects when the signal aborts; for drivers that wait on something that cannot be cancelled. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new StepAbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StepAbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
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
