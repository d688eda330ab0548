/**
 * One formula for every retry delay: `baseMs * factor^(attempt - 1)`, capped at `maxMs`, with
 * optional jitter so that many clients retrying at once spread out.
 */
export interface BackoffOptions {
  baseMs: number;
  /** Growth per attempt; 2 doubles the delay each time. */
  factor?: number;
  maxMs?: number;
  /** 'full': anywhere in [0, delay]; 'half': in [delay/2, delay]; 'none': exactly the delay. */
  jitter?: 'none' | 'full' | 'half';
  /** In [0, 1); tests pass their own. */
  random?: () => number;
}

/** The delay before retry number `attempt` (1 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { baseMs, factor = 2, maxMs = Number.POSITIVE_INFINITY, jitter = 'none', random = Math.random } = options;
  const delay = Math.min(baseMs * factor ** Math.max(0, attempt - 1), maxMs);
  if (jitter === 'full') return Math.floor(random() * delay);
  if (jitter === 'half') return Math.floor(delay / 2 + (random() * delay) / 2);
  return delay;
}
