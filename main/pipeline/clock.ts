/** The pipeline's clock; tests pass their own to move time without waiting. */
export interface Clock {
  now(): number;
  /**
   * How many times faster than real time devices run (--sim-speed); the pipeline's timeouts and
   * backoffs shrink by it. 1 (or absent) is real time.
   */
  readonly speed?: number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The wall clock for a station whose simulated devices run `speed` times faster than real ones. */
export function clockAtSpeed(speed: number): Clock {
  return speed === 1 ? systemClock : { now: () => Date.now(), speed };
}

/**
 * A device-time duration (a blueprint's timeout or backoff) in this clock's milliseconds, whole:
 * deadlines are stored in an INTEGER column, and a fractional one (a 1000 ms backoff at speed 300)
 * made every commit of a backing-off run fail.
 */
export function scaled(clock: Clock, ms: number): number {
  const speed = clock.speed ?? 1;
  return speed === 1 ? ms : Math.ceil(ms / speed);
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
