import { useSyncExternalStore } from 'react';

/**
 * One shared one-second clock for every ticking elapsed time: 256 tiles subscribe to the same
 * interval instead of running 256 timers. It stops when nobody listens.
 */
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const getNow = () => now;

/**
 * The clock's last reading, without subscribing: a time that stopped ticking (connection lost, run
 * stopped) stays where the clock last was, and rendering stays pure.
 */
export function lastTick(): number {
  return now;
}

/** The current time, re-rendering once a second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, getNow);
}
