import { StepAbortedError } from '../step-errors.js';

/**
 * Waits for `work` unless `signal` aborts first: then `onAbort` runs (it closes the socket the work
 * waits on, so nothing is left half-read) and the wait rejects with StepAbortedError.
 */
export function untilAborted<T>(signal: AbortSignal, work: Promise<T>, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort?.();
    work.catch(() => {});
    return Promise.reject(new StepAbortedError());
  }
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      onAbort?.();
      reject(new StepAbortedError());
    };
    signal.addEventListener('abort', aborted, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
