/**
 * The floor's figures, computed one way on the station and on the hub, so the number a technician
 * sees on the bench is the number the supervisor sees on the dashboard.
 */

/** Short spans count as at least 15 minutes, so the first device of a shift does not read as 240/h. */
const MIN_HOURS = 0.25;

/** Devices done per hour between fromMs and toMs, one decimal. */
export function devicesPerHour(done: number, fromMs: number, toMs: number): number {
  const hours = Math.max(MIN_HOURS, (toMs - fromMs) / 3_600_000);
  return Math.round((done / hours) * 10) / 10;
}

/** Share of finished runs (done or failed) that were done without a single failed try; null before any finished. */
export function firstPassYield(firstPass: number, done: number, failed: number): number | null {
  const finished = done + failed;
  return finished === 0 ? null : Math.round((firstPass / finished) * 1000) / 1000;
}
