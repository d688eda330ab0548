// What a device bench measures of a station whose core runs in the bench's own process (the
// emulated devices run in theirs): the event-loop delay and peak memory of this process while the
// devices run, and from the station's shift log each device's own step time against the wall time.
// Shared by the device benches (tests/bench/android-bench.mjs; the iOS bench can take it too), so
// every bench states its figures the same way:
//   devices, speed, wall_s         first run started -> last run ended (the station was up before)
//   devices_per_hour               at the emulator's speed
//   devices_per_hour_real          the same wave at real-device timings (wall_s x speed; the station's
//                                  own overheads are scaled up too, so it is on the low side)
//   ideal_s, ideal_ratio           the slowest device's own step time (the sum of its steps' start ->
//                                  end in the step events) / wall_s; target >= 0.9
//   rss_peak_mb, lag_p99_ms        this process's peak RSS and event-loop lag p99 (how late a timer
//                                  fires: monitorEventLoopDelay's figure less its sampling interval,
//                                  as @fastify/under-pressure counts it); lag target < 20 ms
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const TARGETS = { idealRatio: 0.9, lagP99Ms: 20 };

/** monitorEventLoopDelay's timer interval (ms): every sample it records is at least this long. */
const LAG_RESOLUTION_MS = 10;

/**
 * Starts measuring this process: event-loop lag (monitorEventLoopDelay every 10 ms), RSS sampled
 * every 50 ms, CPU time. `stop()` ends it and returns the figures.
 */
export function measureProcess() {
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const late = (ns) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const cpu0 = process.cpuUsage();
  // When the worst delays happened (seconds from the start), for the log: a 10 ms tick that came late.
  const t0 = performance.now();
  let last = t0;
  const worst = [];
  const ticker = setInterval(() => {
    const now = performance.now();
    const late = now - last - LAG_RESOLUTION_MS;
    last = now;
    if (late < 20) return;
    worst.push({ atS: (now - t0) / 1000, lateMs: late });
    worst.sort((a, b) => b.lateMs - a.lateMs).splice(10);
  }, LAG_RESOLUTION_MS);
  lag.enable();
  return {
    stop() {
      lag.disable();
      clearInterval(sampler);
      clearInterval(ticker);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const cpu = process.cpuUsage(cpu0);
      return {
        lagP50Ms: late(lag.percentile(50)),
        lagP99Ms: late(lag.percentile(99)),
        lagMaxMs: late(lag.max),
        rssPeakMb: peakRss / 1024 / 1024,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        worst: worst.sort((a, b) => a.atS - b.atS),
      };
    },
  };
}

/**
 * The same lag measured in an idle Node process beside the bench: what the machine's load alone
 * costs a process that does nothing (two cores shared by many processes). `stop()` resolves with
 * its p99 in ms.
 */
export function measureIdleProcess() {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${LAG_RESOLUTION_MS} }); h.enable();
       const keep = setInterval(() => {}, 1000);
       process.stdin.on('data', () => { h.disable(); clearInterval(keep); process.stdout.write(String(h.percentile(99))); process.stdin.destroy(); });`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return {
    stop: () =>
      new Promise((resolve) => {
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.once('exit', () => resolve(Math.max(0, Number(out) / 1e6 - LAG_RESOLUTION_MS)));
        child.stdin.write('stop\n');
      }),
  };
}

const ENDED = ['done', 'failed', 'cancelled'];

/**
 * Resolves when `count` runs of the core have ended (done, failed or cancelled); rejects after
 * `timeoutMs` naming how many had. Counts from the core's commits, so the bench does nothing else.
 */
export function runsEnded(core, count, timeoutMs) {
  const ended = new Set();
  return new Promise((resolve, reject) => {
    let stopListening = () => {};
    const timer = setTimeout(() => {
      stopListening();
      reject(new Error(`${ended.size} of ${count} runs ended within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    const note = (runId, state) => {
      if (ENDED.includes(state)) ended.add(runId);
      if (ended.size < count) return;
      clearTimeout(timer);
      stopListening();
      resolve();
    };
    stopListening = core.onCommitted((t) => note(t.runId, t.state));
    for (const run of core.store.db.prepare(`SELECT id, state FROM runs WHERE state IN (${ENDED.map(() => '?').join(', ')})`).all(...ENDED))
      note(run.id, run.state);
  });
}

/** A step's `start` closes with the next of these for the same step (as the shift log pairs them). */
const CLOSING = new Set(['done', 'fail', 'timeout', 'interrupted', 'cancel', 'resumed']);

/**
 * The shift log's figures, read from the station's database: each run's own step time (its steps'
 * start -> end in milliseconds, where the export rounds to seconds; lane waits and the time
 * between steps are not in it), per step; the wall time from the first run's start to the last
 * run's end; the slowest device; the runs that did not end done.
 */
export function shiftLogFigures(db) {
  const runs = db.prepare('SELECT id, serial, state, started_at, finished_at, error_code, error_message FROM runs').all();
  const own = new Map(runs.map((r) => [r.id, { serial: r.serial, total: 0, steps: new Map() }]));
  const open = new Map();
  // Where runs waited between steps (a lane, the device coming back): by the step that waited.
  const lastEnd = new Map(runs.map((r) => [r.id, Date.parse(r.started_at)]));
  const waits = new Map();
  for (const e of db.prepare('SELECT run_id, step, kind, at FROM step_events ORDER BY id').iterate()) {
    if (e.kind === 'start' && e.step) {
      const waited = (Date.parse(e.at) - (lastEnd.get(e.run_id) ?? Date.parse(e.at))) / 1000;
      const w = waits.get(e.step) ?? { runs: 0, seconds: 0, maxSeconds: 0 };
      if (waited > 0.05) waits.set(e.step, { runs: w.runs + 1, seconds: w.seconds + waited, maxSeconds: Math.max(w.maxSeconds, waited) });
      open.set(e.run_id, e);
      continue;
    }
    const started = open.get(e.run_id);
    const run = own.get(e.run_id);
    if (!started || !run || !CLOSING.has(e.kind) || (e.step !== started.step && e.kind !== 'cancel')) continue;
    const seconds = (Date.parse(e.at) - Date.parse(started.at)) / 1000;
    run.total += seconds;
    run.steps.set(started.step, (run.steps.get(started.step) ?? 0) + seconds);
    lastEnd.set(e.run_id, Date.parse(e.at));
    open.delete(e.run_id);
  }
  const ended = runs.filter((r) => r.finished_at);
  const wallSeconds = ended.length
    ? (Math.max(...ended.map((r) => Date.parse(r.finished_at))) - Math.min(...runs.map((r) => Date.parse(r.started_at)))) / 1000
    : 0;
  const perRun = [...own.values()].sort((a, b) => b.total - a.total);
  const meanSteps = new Map();
  for (const { steps } of perRun) for (const [step, s] of steps) meanSteps.set(step, (meanSteps.get(step) ?? 0) + s / perRun.length);
  return {
    runs: runs.length,
    notDone: runs.filter((r) => r.state !== 'done'),
    wallSeconds,
    slowest: perRun[0] ?? { serial: null, total: 0, steps: new Map() },
    fastestSeconds: perRun.at(-1)?.total ?? 0,
    meanSteps,
    waits: [...waits].sort((a, b) => b[1].seconds - a[1].seconds),
  };
}

/** "before dpc: 7 runs waited 16.1 s at most (102.3 s in all)" for the log: where the time between steps went. */
export function formatWaits(waits, top = 3) {
  return (
    waits
      .slice(0, top)
      .map(([step, w]) => `before ${step}: ${w.runs} runs waited up to ${w.maxSeconds.toFixed(2)} s (${w.seconds.toFixed(1)} s in all)`)
      .join('; ') || 'none'
  );
}

/** The JSON line's common figures. */
export function benchFigures({ devices, speed, wallSeconds, idealSeconds, process: p }) {
  return {
    devices,
    speed,
    wall_s: round(wallSeconds, 2),
    devices_per_hour: Math.round((devices * 3600) / wallSeconds),
    devices_per_hour_real: Math.round((devices * 3600) / (wallSeconds * speed)),
    ideal_s: round(idealSeconds, 2),
    ideal_ratio: round(idealSeconds / wallSeconds, 3),
    rss_peak_mb: round(p.rssPeakMb, 1),
    lag_p99_ms: round(p.lagP99Ms, 1),
  };
}

/** The targets a result misses, in words (empty: all met). */
export function missedTargets(result, targets = TARGETS) {
  const missed = [];
  if (!(result.ideal_ratio >= targets.idealRatio)) missed.push(`ideal_ratio ${result.ideal_ratio} < ${targets.idealRatio}`);
  if (!(result.lag_p99_ms < targets.lagP99Ms)) missed.push(`lag_p99_ms ${result.lag_p99_ms} >= ${targets.lagP99Ms}`);
  return missed;
}

/** "identify 0.12, battery 0.05, …" for the log. */
export function formatSteps(steps) {
  return [...steps].map(([step, s]) => `${step} ${s.toFixed(2)}`).join(', ');
}

/** Another process's CPU seconds so far (Linux /proc; 0 elsewhere). */
export function cpuSecondsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
