import { useSyncExternalStore } from 'react';

/**
 * One shared one-second clock for every ticking elapsed time: 256 tiles subscribe to the same
 * timer instead of running 256. It stops when nobody listens.
 *
 * It reads the station's time, not the browser's: the offset comes from the snapshot's
 * `serverTime`, and ticks fall on the station's whole seconds. Two browsers (or one after a reload)
 * then show the same elapsed time for a run, as it derives from the run's own timestamps only.
 */
const listeners = new Set<() => void>();
let offsetMs = 0;
let now = Date.now();
let timer: ReturnType<typeof setTimeout> | null = null;

function read(): number {
  return Date.now() + offsetMs;
}

function schedule(): void {
  // To the next whole second of station time (plus a little, so the reading is past it).
  timer = setTimeout(
    () => {
      now = read();
      for (const l of listeners) l();
      schedule();
    },
    1000 - (read() % 1000) + 5,
  );
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = read();
    schedule();
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearTimeout(timer);
      timer = null;
    }
  };
}

const getNow = () => now;

/**
 * The station's time is `serverTime` now: later readings add the difference to the browser's
 * clock (its own clock may be minutes off the station's).
 */
export function syncServerTime(serverTime: string | undefined, receivedAt = Date.now()): void {
  const server = serverTime ? Date.parse(serverTime) : NaN;
  if (!Number.isFinite(server)) return;
  offsetMs = server - receivedAt;
  now = read();
}

/**
 * The clock's last reading, without subscribing: a time that stopped ticking (connection lost)
 * stays where the clock last was, and rendering stays pure.
 */
export function lastTick(): number {
  return now;
}

/** The station's current time, re-rendering once a second, on its whole seconds. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, getNow);
}
