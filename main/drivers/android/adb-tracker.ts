import { backoffDelay } from '../../../shared/backoff.js';
import type { LogLevel } from '../../logging/logger.js';
import { AdbLinkError, type AdbServer } from './adb-client.js';
import { AdbStartError } from './adb-server-process.js';
import type { AdbDeviceEntry } from './device-list.js';

export interface AdbTrackerEvents {
  /**
   * The whole device list, at once after (re-)attaching, after every change and every poll.
   * `asOf`: when the server made it (a poll's answer may arrive after a newer tracking message).
   */
  list(devices: AdbDeviceEntry[], asOf: number): void;
  /** Tracking ended: the server died or cannot be reached. The devices' last known states stand. */
  lost(error: AdbLinkError): void;
  /** Tracking is back after a loss (the first list follows at once). */
  back(): void;
  /** The server could not be started (missing binary, start-server failed); retried with backoff. */
  startFailed(error: AdbStartError): void;
}

export interface AdbTrackerOptions {
  server: AdbServer;
  /** `adb start-server` with the station's adb binary. */
  startServer(): Promise<void>;
  retryMs: number;
  retryMaxMs: number;
  /** How often `devices -l` is read besides tracking: adb 29 does not push every state change. */
  listPollMs: number;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  random?: () => number;
}

/**
 * Keeps `host:track-devices-l` open against the adb server. When no server answers it starts
 * one (`adb start-server`); when tracking ends (the server was killed) it tells `lost`, starts
 * the server again and re-attaches with backoff, then `back` and the full list. It never
 * decides what a missing device means: that is the driver's (a restarted server lists its USB
 * devices again only after it has re-enumerated them).
 */
export class AdbTracker {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly opts: AdbTrackerOptions) {}

  /** Starts tracking; resolves once the first list arrived, or after the first failed try (tracking goes on). */
  start(events: AdbTrackerEvents): Promise<void> {
    let firstTry!: () => void;
    const first = new Promise<void>((resolve) => (firstTry = resolve));
    this.loop = this.run(events, firstTry);
    return first;
  }

  /** Tries again at once instead of waiting out the backoff (a technician's "retry", a test). */
  retryNow(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(events: AdbTrackerEvents, firstTry: () => void): Promise<void> {
    const signal = this.abort.signal;
    let attempt = 0;
    let lost = false;
    while (!signal.aborted) {
      try {
        await this.ensureServer();
        const tracking = new AbortController();
        const onStop = () => tracking.abort();
        signal.addEventListener('abort', onStop, { once: true });
        const poll = setInterval(() => {
          const asOf = Date.now();
          this.opts.server.devices().then(
            (devices) => {
              if (!tracking.signal.aborted && !lost) events.list(devices, asOf);
            },
            () => undefined,
          );
        }, this.opts.listPollMs);
        try {
          await this.opts.server.track((devices) => {
            if (attempt > 0 || lost) {
              if (lost) events.back();
              attempt = 0;
              lost = false;
            }
            events.list(devices, Date.now());
            firstTry();
          }, tracking.signal);
        } finally {
          clearInterval(poll);
          tracking.abort();
          signal.removeEventListener('abort', onStop);
        }
        if (signal.aborted) return;
        throw new AdbLinkError('server-unreachable', 'adb server ended tracking');
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof AdbStartError) {
          this.opts.log(err.problem === 'missing' ? 'error' : 'warn', `adb server could not be started: ${err.message}`);
          events.startFailed(err);
        } else {
          const linkError = err instanceof AdbLinkError ? err : new AdbLinkError('server-unreachable', String(err));
          if (!lost) {
            lost = true;
            this.opts.log('warn', `adb server connection lost: ${linkError.message}`);
            events.lost(linkError);
          }
        }
        firstTry();
      }
      attempt += 1;
      await this.pause(
        backoffDelay(attempt, {
          baseMs: this.opts.retryMs,
          maxMs: this.opts.retryMaxMs,
          jitter: 'half',
          ...(this.opts.random ? { random: this.opts.random } : {}),
        }),
      );
    }
  }

  /** Starts a server when none answers. */
  private async ensureServer(): Promise<void> {
    try {
      await this.opts.server.version(this.abort.signal);
      return;
    } catch (err) {
      if (!(err instanceof AdbLinkError) || err.kind !== 'server-unreachable') throw err;
    }
    this.opts.log('info', `no adb server answers on port ${this.opts.server.port}: starting one`);
    await this.opts.startServer();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
