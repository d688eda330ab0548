/**
 * How long the Android driver waits for what, in real-device milliseconds (assumed: nobody here
 * has timed a real tablet; see the report). The station divides them by --sim-speed so that
 * emulated tablets at speed N and the pipeline's scaled deadlines stay in step.
 *
 * | what                                | ms      | why                                                        |
 * |-------------------------------------|---------|------------------------------------------------------------|
 * | serverRetryMs .. serverRetryMaxMs   | 1000 .. 30000 | adb server gone: start it again, re-attach tracking  |
 * | identifyRetryMs .. identifyRetryMaxMs | 2000 .. 60000 | a tablet that does not answer getprop yet            |
 * | offlineRetryMs .. offlineRetryMaxMs | 3000 .. 60000 | `adb reconnect offline` for a USB tablet stuck offline |
 * | settleAfterRestartMs                | 15000   | after a server restart USB tablets re-enumerate within seconds; missing ones count as gone after this |
 * | offlineDetachMs                     | 60000   | an identified tablet offline this long counts as gone (its run is interrupted) |
 * | bootPollMs                          | 1000    | sys.boot_completed polled while a tablet boots             |
 * | rebootLeaveMs                       | 60000   | a tablet told to reboot must drop off within this          |
 * | batteryPollMs                       | 15000   | battery level polled while waiting for the charge          |
 * | listPollMs                          | 2000    | `devices -l` read besides tracking (adb 29 does not push every state change) |
 */
export interface AndroidTimings {
  serverRetryMs: number;
  serverRetryMaxMs: number;
  identifyRetryMs: number;
  identifyRetryMaxMs: number;
  offlineRetryMs: number;
  offlineRetryMaxMs: number;
  settleAfterRestartMs: number;
  offlineDetachMs: number;
  bootPollMs: number;
  rebootLeaveMs: number;
  batteryPollMs: number;
  listPollMs: number;
}

export const REAL_TABLET_TIMINGS: AndroidTimings = {
  serverRetryMs: 1000,
  serverRetryMaxMs: 30_000,
  identifyRetryMs: 2000,
  identifyRetryMaxMs: 60_000,
  offlineRetryMs: 3000,
  offlineRetryMaxMs: 60_000,
  settleAfterRestartMs: 15_000,
  offlineDetachMs: 60_000,
  bootPollMs: 1000,
  rebootLeaveMs: 60_000,
  batteryPollMs: 15_000,
  listPollMs: 2000,
};

/** The timings at `speed` (1 = real time); never below 10 ms, so polling stays a poll. */
export function scaledTimings(speed: number, base: AndroidTimings = REAL_TABLET_TIMINGS): AndroidTimings {
  const factor = Number.isFinite(speed) && speed > 0 ? speed : 1;
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, Math.max(10, Math.round(v / factor))])) as unknown as AndroidTimings;
}
