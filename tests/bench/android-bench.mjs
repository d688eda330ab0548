#!/usr/bin/env node
// Android benchmark (npm run bench:android): N emulated tablets through the default android-tablet
// blueprint on one station with the real Android driver and the real adb server, the emulator's
// real-device timings divided by --speed.
//
//   node tests/bench/android-bench.mjs [--devices 32] [--speed 1] [--apk-mb 2] [--lane-cap heavy=10,driver=25]
//                                      [--dir DIR] [--keep] [--check]
//
// Who runs where, so that the figures are the station's: the emulated tablets run in their own
// process (tests/emulators/android/run-android-emulator.ts), the adb server in its own (Debian adb,
// own port and HOME), and the station core in this process (openStationCore from dist/, as
// `benchline station` opens it, without the HTTP server nobody calls here, unattended), measured
// from inside with bench:ios's probes and figures (ios-bench-probes.mjs, ios-bench-figures.mjs)
// from the first `adb connect` to the last run's end. The tablets join with `adb connect` all at
// once, as tablets on the network do: the worst case for the lanes. Speed 1 (the default, about
// 90 s) is a real bench's pace; a higher speed packs a shift's work into less time, a stress test
// whose event-loop lag rises with it. The station runs with its default lane caps unless
// --lane-cap says otherwise.
//
// Prints ONE JSON line on stdout, the figures of bench:ios (see ios-bench.mjs) but for uploads:
//   devices, speed, wall_s, devices_per_hour, devices_per_hour_real, ideal_s, ideal_ratio (target >= 0.9), rss_peak_mb
//   lag_p99_ms, lag_p99_idle_process_ms   how late a 10 ms timer fires, p99, in the station and in an
//                                          idle process beside it: monitorEventLoopDelay's figure less
//                                          its 10 ms sampling interval, which every sample includes
//                                          (as @fastify/under-pressure counts it); target < 20
//   apk_mib_s                              APK bytes installed per second of wall time
// Details go to stderr. --check exits 1 when a target is missed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = path.join(ROOT, 'dist', 'main');
const EMULATOR = path.join(ROOT, 'tests', 'emulators', 'android', 'run-android-emulator.ts');
const TARGETS = { idealRatio: 0.9, lagP99Ms: 20 };
/** monitorEventLoopDelay's sampling interval in the probes: every sample is at least this long. */
const LAG_RESOLUTION_MS = 10;
const log = (msg) => process.stderr.write(`android-bench: ${msg}\n`);

if (!fs.existsSync(path.join(DIST, 'station', 'start-station.js'))) {
  log('main is not built; run "npm run build:main" (npm run bench:android does).');
  process.exit(2);
}

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '32' },
    speed: { type: 'string', default: '1' },
    'apk-mb': { type: 'string', default: '2' },
    'lane-cap': { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
const N = Number(args.devices);
const SPEED = Number(args.speed);
const APK_BYTES = Math.round(Number(args['apk-mb']) * 1024 * 1024);
if (!Number.isInteger(N) || N < 1 || N > 256) fail(`--devices must be a whole number 1..256, got "${args.devices}"`);
if (!Number.isFinite(SPEED) || SPEED <= 0) fail(`--speed must be a positive number, got "${args.speed}"`);
if (!Number.isFinite(APK_BYTES) || APK_BYTES < 1) fail(`--apk-mb must be a positive number, got "${args['apk-mb']}"`);

await import('./fixture-hooks.mjs');
const { startAndroidFloor } = await import('../fixtures/android-floor.ts');
const { openStationCore } = await import(path.join(DIST, 'station', 'start-station.js'));
const { DeviceRegistry } = await import(path.join(DIST, 'station', 'device-registry.js'));
const { LaneScheduler } = await import(path.join(DIST, 'pipeline', 'lanes.js'));
const { StationStore } = await import(path.join(DIST, 'store', 'station-store.js'));
const { silentLogger } = await import(path.join(DIST, 'logging', 'logger.js'));
const { cpuSeconds, formatSteps, mean, ownStepSeconds, pct, round, stepBreakdown, waveFigures } = await import('./ios-bench-figures.mjs');
const { cpuSecondsOf, startProbes } = await import('./ios-bench-probes.mjs');

// ---- 1. the floor: adb server, the example APKs and the Wi-Fi secret in the station's data dir ----

const base = args.dir ? path.resolve(args.dir) : os.tmpdir();
fs.mkdirSync(base, { recursive: true });
const floor = await startAndroidFloor({ speed: SPEED, apkBytes: APK_BYTES, parentDir: base });
const apkBytes = floor.library.files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
log(
  `library: ${floor.library.files.length} APKs, ${(apkBytes / 1024 / 1024).toFixed(1)} MiB per tablet; adb server on port ${floor.adb.port}; data in ${floor.dataDir}`,
);

// ---- 2. the emulated tablets in their own process ---------------------------------------------

const emulator = spawn(process.execPath, [EMULATOR, '--devices', String(N), '--speed', String(SPEED)], { stdio: ['ignore', 'pipe', 'pipe'] });
// Whatever ends this process (a failure included) ends the emulator with it.
process.on('exit', () => {
  if (emulator.exitCode === null) emulator.kill('SIGKILL');
});
emulator.stderr.setEncoding('utf8');
emulator.stderr.on('data', (chunk) => {
  if (!/ExperimentalWarning|--trace-warnings/.test(chunk)) process.stderr.write(`[emulator] ${chunk}`);
});
const tablets = await new Promise((resolve, reject) => {
  let out = '';
  emulator.stdout.setEncoding('utf8');
  emulator.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
  emulator.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
});

// ---- 3. the station, measured from inside -----------------------------------------------------

// The Android driver reaches the adb server by ANDROID_ADB_SERVER_PORT, and starts it again (after
// a crash) with this HOME: adb keeps its keys in ~/.android, never the user's.
Object.assign(process.env, floor.env);
const opened = performance.now();
const core = await openStationCore({
  dataDir: floor.dataDir,
  resourcesDir: path.join(ROOT, 'resources'),
  drivers: ['android'],
  simulate: 0,
  simSpeed: SPEED,
  simFailRate: 0,
  simSeed: 1,
  blueprintFiles: [],
  version: 'bench',
  logger: silentLogger,
  // Unattended, as a script drives it: no technician signs in.
  signInPolicy: 'run',
  ...(args['lane-cap'] ? { laneCaps: args['lane-cap'] } : {}),
});
const bootSeconds = (performance.now() - opened) / 1000;
// Label rendering (barcodes, PDF) is the label service's cost: print-label runs with automatic printing off.
core.store.setSetting('label_auto_print', 'false');

// From the first `adb connect` on: while tablets are on the bench (the station's start is not in it).
const probes = startProbes({ DeviceRegistry, LaneScheduler, StationStore });
const late = lateTicks();
const cpu0 = process.cpuUsage();
const emulatorCpu0 = cpuSecondsOf(emulator.pid);
const connected = await floor.connect(tablets.ports);
const refused = connected.filter((answer) => !answer.startsWith('connected to'));
if (refused.length > 0) log(`adb connect answered: ${refused.join('; ')}`);

const ended = await runsEnded(Math.max(180_000, (900_000 / SPEED) * 4));
const { laneWaits, heavyPeak, commits, gcPauses, longGc, lag, idleLagP99, peakRss } = await probes.stop();
const worst = late.stop();
const stationCpu = cpuSeconds(cpu0);
const emulatorCpu = cpuSecondsOf(emulator.pid) - emulatorCpu0;

// ---- 4. what the shift log says ---------------------------------------------------------------

const db = core.store.db;
const runs = db.prepare('SELECT id, serial, state, started_at, finished_at, error_code, error_message FROM runs').all();
const notDone = runs.filter((r) => r.state !== 'done');
if (!ended || notDone.length > 0 || runs.length !== N) {
  log(`${runs.length} runs, ${notDone.length} not done:`);
  for (const r of notDone.slice(0, 10)) log(`  ${r.serial}: ${r.state} ${r.error_code ?? ''} ${r.error_message ?? ''}`);
  await shutdown();
  process.exit(1);
}
const stepTime = ownStepSeconds(db.prepare('SELECT run_id, step, kind, at FROM step_events ORDER BY id').all(), runs);
const start = Math.min(...runs.map((r) => Date.parse(r.started_at)));
const wallSeconds = (Math.max(...runs.map((r) => Date.parse(r.finished_at))) - start) / 1000;
const slowest = [...stepTime.entries()].sort((a, b) => b[1].total - a[1].total)[0];
const idealSeconds = slowest[1].total;
const lanes = runs.map((r) => laneWaits.get(r.id) ?? 0);
await shutdown();

// ---- 5. report -------------------------------------------------------------------------------

const lateMs = (ns) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
const result = {
  ...waveFigures({ devices: N, speed: SPEED, wallSeconds, idealSeconds, peakRss }),
  lag_p99_ms: round(lateMs(lag.percentile(99)), 1),
  lag_p99_idle_process_ms: round(Math.max(0, idleLagP99 - LAG_RESOLUTION_MS), 1),
  apk_mib_s: round((N * apkBytes) / 1024 / 1024 / wallSeconds, 1),
};
log(
  `${N} tablets through android-tablet at speed ${SPEED}: wall ${wallSeconds.toFixed(2)} s (station boot ${bootSeconds.toFixed(2)} s before it); ` +
    `slowest tablet ${slowest[0]} ${idealSeconds.toFixed(2)} s of its own steps, fastest ${Math.min(...[...stepTime.values()].map((s) => s.total)).toFixed(2)} s`,
);
log(`where the slowest tablet's time went: ${formatSteps(slowest[1].steps)}`);
log(`mean step time over all tablets: ${formatSteps(stepBreakdown(stepTime))}`);
log(
  `lanes: ${lanes.filter((w) => w > 0.05).length} tablets waited for one, up to ${Math.max(...lanes).toFixed(2)} s (mean ${mean(lanes).toFixed(2)} s); ` +
    `at most ${heavyPeak} heavy steps at once`,
);
commits.sort((a, b) => a - b);
gcPauses.sort((a, b) => a - b);
log(
  `CPU: station ${stationCpu.toFixed(2)} s (${((100 * stationCpu) / wallSeconds).toFixed(0)} % of one core over the wall time), emulator ${emulatorCpu.toFixed(2)} s; ` +
    `lag p50 ${lateMs(lag.percentile(50)).toFixed(1)} ms, p99 ${lateMs(lag.percentile(99)).toFixed(1)} ms, max ${lateMs(lag.max).toFixed(1)} ms; ` +
    `load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`,
);
log(`the longest delays: ${worst.map((w) => `${w.lateMs.toFixed(0)} ms at ${w.atS.toFixed(1)} s`).join(', ') || 'none over 20 ms'}`);
log(
  `garbage collection: ${gcPauses.length} pauses, p99 ${pct(gcPauses, 99).toFixed(1)} ms, max ${(gcPauses.at(-1) ?? 0).toFixed(1)} ms, over 50 ms: ${longGc.major} full, ${longGc.other} other; ` +
    `committed transitions: ${commits.length}, p50 ${pct(commits, 50).toFixed(1)} ms, p99 ${pct(commits, 99).toFixed(1)} ms, ${(commits.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s in all`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
const missed = [];
if (result.ideal_ratio < TARGETS.idealRatio) missed.push(`ideal_ratio ${result.ideal_ratio} < ${TARGETS.idealRatio}`);
if (result.lag_p99_ms >= TARGETS.lagP99Ms) missed.push(`lag_p99_ms ${result.lag_p99_ms} >= ${TARGETS.lagP99Ms}`);
if (missed.length > 0) log(`target missed: ${missed.join('; ')}`);
if (args.check && missed.length > 0) process.exit(1);

// ---- helpers ---------------------------------------------------------------------------------

function fail(problem) {
  log(problem);
  process.exit(2);
}

/** Whether all N runs ended (done, failed, cancelled) within `timeoutMs`; counted from the core's commits. */
function runsEnded(timeoutMs) {
  const ended = new Set();
  const closed = (state) => state === 'done' || state === 'failed' || state === 'cancelled';
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log(`${ended.size} of ${N} runs ended within ${Math.round(timeoutMs / 1000)} s`);
      resolve(false);
    }, timeoutMs);
    const note = (runId, state) => {
      if (closed(state)) ended.add(runId);
      if (ended.size < N) return;
      clearTimeout(timer);
      resolve(true);
    };
    core.onCommitted((t) => note(t.runId, t.state));
    for (const r of core.store.db.prepare('SELECT id, state FROM runs').all()) note(r.id, r.state);
  });
}

/** When the worst delays happened (seconds from the start): a 10 ms tick that came 20 ms or more late. */
function lateTicks() {
  const t0 = performance.now();
  let last = t0;
  const worst = [];
  const ticker = setInterval(() => {
    const now = performance.now();
    const lateBy = now - last - LAG_RESOLUTION_MS;
    last = now;
    if (lateBy < 20) return;
    worst.push({ atS: (now - t0) / 1000, lateMs: lateBy });
    worst.sort((a, b) => b.lateMs - a.lateMs).splice(10);
  }, LAG_RESOLUTION_MS);
  return {
    stop() {
      clearInterval(ticker);
      return worst.sort((a, b) => a.atS - b.atS);
    },
  };
}

async function shutdown() {
  await core.close();
  if (emulator.exitCode === null) {
    const exited = new Promise((resolve) => emulator.once('exit', resolve));
    emulator.kill('SIGTERM');
    await exited;
  }
  await floor.close({ keepFiles: args.keep });
  if (args.keep) log(`kept ${path.dirname(floor.dataDir)}`);
}
