#!/usr/bin/env node
// iOS benchmark (npm run bench:ios): N emulated iPads (half fresh from the box, half used) through
// the default school-ipad blueprint on one station with the real iOS driver, the emulator's
// real-device timings divided by --speed.
//
//   node tests/bench/ios-bench.mjs [--devices 64] [--speed 50] [--app-mb 4] [--lane-cap heavy=10,driver=25]
//                                  [--dir DIR] [--keep] [--check]
//
// Who runs where, so that the figures are the station's: the library and identity are set up by
// ios-bench-floor.mjs in a process of its own; the emulated usbmuxd, its iPads and the
// activation stub run in their own process (tests/emulators/ios/run-ios-emulator.ts); the station
// core runs in this process (openStationCore from dist/, as `benchline station` opens it, without
// the HTTP server nobody calls here), so its event loop and memory are measured from inside, and
// this process does nothing else while the devices run (a commit listener counts the finished).
//
// Prints ONE JSON line on stdout:
//   devices, speed, wall_s           first run started -> last run done (the station was up before)
//   devices_per_hour                 at the emulator's speed
//   devices_per_hour_real            the same wave at real-device timings (wall_s x speed; the
//                                    station's own overheads scaled up too, so on the low side)
//   ideal_s, ideal_ratio             the slowest device's own step time (the sum of its steps'
//                                    start -> end in the shift log's events) / wall_s; target >= 0.9
//   rss_peak_mb                      the station process's peak RSS while the devices ran
//   lag_p99_ms                       event-loop delay p99 in the station (monitorEventLoopDelay); target < 20
//   lag_p99_idle_process_ms          the same of an idle Node process on this machine meanwhile: the
//                                    share of the lag that is the machine's (other load), not the station's
//   upload_mb_s                      AFC uploads: all uploaded bytes over the time any upload ran
//   upload_per_device_mb_s           median of each upload's own rate (the driver's last progress report)
//   loopback_mb_s                    a raw copy of the same bytes through a unix socket to another process
// Details go to stderr. --check exits 1 when a target is missed.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = path.join(ROOT, 'dist', 'main');
const EMULATOR = path.join(ROOT, 'tests', 'emulators', 'ios', 'run-ios-emulator.ts');
const TARGETS = { idealRatio: 0.9, lagP99Ms: 20 };
const log = (msg) => process.stderr.write(`ios-bench: ${msg}\n`);

if (!fs.existsSync(path.join(DIST, 'station', 'start-station.js'))) {
  log('main is not built; run "npm run build:main" (npm run bench:ios does).');
  process.exit(2);
}

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '64' },
    speed: { type: 'string', default: '50' },
    'app-mb': { type: 'string', default: '4' },
    'lane-cap': { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
const N = Number(args.devices);
const SPEED = Number(args.speed);
const APP_BYTES = Math.round(Number(args['app-mb']) * 1_000_000);
if (!Number.isInteger(N) || N < 1 || N > 1024) fail(`--devices must be a whole number 1..1024, got "${args.devices}"`);
if (!Number.isFinite(SPEED) || SPEED <= 0) fail(`--speed must be a positive number, got "${args.speed}"`);
if (!Number.isFinite(APP_BYTES) || APP_BYTES < 1) fail(`--app-mb must be a positive number, got "${args['app-mb']}"`);

const { openStationCore } = await import(path.join(DIST, 'station', 'start-station.js'));
const { DeviceRegistry } = await import(path.join(DIST, 'station', 'device-registry.js'));
const { LaneScheduler } = await import(path.join(DIST, 'pipeline', 'lanes.js'));
const { StationStore } = await import(path.join(DIST, 'store', 'station-store.js'));
const { silentLogger } = await import(path.join(DIST, 'logging', 'logger.js'));
const { cpuSeconds, formatSteps, loopbackCopy, mean, ownStepSeconds, pct, round, stepBreakdown, unionSeconds, waveFigures } =
  await import('./ios-bench-figures.mjs');
const { cpuSecondsOf, startProbes } = await import('./ios-bench-probes.mjs');

const base = args.dir ? path.resolve(args.dir) : os.tmpdir();
fs.mkdirSync(base, { recursive: true });
const dir = fs.mkdtempSync(path.join(base, 'benchline-ios-bench-'));
const dataDir = path.join(dir, 'station');
const work = path.join(dir, 'work');
fs.mkdirSync(work);

// ---- 1. the station's data dir: the example library and the supervision identity -----------------

const floor = JSON.parse(
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'tests', 'bench', 'ios-bench-floor.mjs'), '--data-dir', dataDir, '--work', work, '--app-bytes', String(APP_BYTES)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ),
);
log(`library: ${floor.ipas.length} apps of ${(APP_BYTES / 1e6).toFixed(1)} MB, 3 profiles, the supervision identity; data in ${dir}`);

// ---- 2. the emulated iPads in their own process -----------------------------------------------

const emulator = spawn(
  process.execPath,
  [EMULATOR, '--listen', path.join(dir, 'usbmuxd'), '--devices', String(N), '--speed', String(SPEED), '--activation-stub', '--mix', 'rollout'],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
// Whatever ends this process (a failure included) ends the emulator with it.
process.on('exit', () => {
  if (emulator.exitCode === null) emulator.kill('SIGKILL');
});
emulator.stderr.setEncoding('utf8');
emulator.stderr.on('data', (chunk) => process.stderr.write(`[emulator] ${chunk}`));
const ready = await new Promise((resolve, reject) => {
  let out = '';
  emulator.stdout.setEncoding('utf8');
  emulator.stdout.on('data', (chunk) => {
    out += chunk;
    const line = out.split('\n')[0];
    if (out.includes('\n')) resolve(JSON.parse(line));
  });
  emulator.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
});
process.env.USBMUXD_SOCKET_ADDRESS = ready.address;

// ---- 3. the station, measured from inside ----------------------------------------------------

const probes = startProbes({ DeviceRegistry, LaneScheduler, StationStore });
const cpu0 = process.cpuUsage();
const emulatorCpu0 = cpuSecondsOf(emulator.pid);
const opened = performance.now();
const core = await openStationCore({
  dataDir,
  resourcesDir: path.join(ROOT, 'resources'),
  drivers: ['ios'],
  simulate: 0,
  simSpeed: 1,
  simFailRate: 0,
  simSeed: 1,
  blueprintFiles: [],
  version: 'bench',
  logger: silentLogger,
  // Unattended, as a script drives it: no technician signs in.
  signInPolicy: 'run',
  iosActivationUrl: ready.activationUrl,
  ...(args['lane-cap'] ? { laneCaps: args['lane-cap'] } : {}),
});
const bootSeconds = (performance.now() - opened) / 1000;
// Label rendering (barcodes, PDF) is the label service's cost: print-label runs with automatic printing off.
core.store.setSetting('label_auto_print', 'false');

const settled = new Map();
const finished = new Promise((resolve) => {
  const check = () => {
    for (const run of core.store.db.prepare("SELECT id, serial, state FROM runs WHERE state IN ('done', 'failed', 'cancelled')").all())
      settled.set(run.id, run);
    if (settled.size >= N) resolve();
  };
  core.onCommitted((t) => {
    if (t.state === 'done' || t.state === 'failed' || t.state === 'cancelled') settled.set(t.runId, t);
    if (settled.size >= N) resolve();
  });
  check();
});
const deadline = setTimeout(
  () => {
    log(`not all runs settled within the time limit: ${settled.size} of ${N}`);
    for (const r of core.store.db.prepare("SELECT serial, state, phase, step_index, error_code, error_message FROM runs WHERE state NOT IN ('done')").all())
      log(`  ${JSON.stringify(r)}`);
    process.exit(1);
  },
  Math.max(120_000, (600_000 / SPEED) * 10),
);
await finished;
clearTimeout(deadline);
const { uploads, laneWaits, heavyPeak, commits, gcPauses, longGc, lag, idleLagP99, rssBefore, peakRss, atPeak } = await probes.stop();
const stationCpu = cpuSeconds(cpu0);
const emulatorCpu = cpuSecondsOf(emulator.pid) - emulatorCpu0;

// ---- 4. what the shift log says ---------------------------------------------------------------

const db = core.store.db;
const runs = db.prepare('SELECT id, serial, state, started_at, finished_at, error_code, error_message FROM runs').all();
const notDone = runs.filter((r) => r.state !== 'done');
if (notDone.length > 0 || runs.length !== N) {
  log(`${runs.length} runs, ${notDone.length} not done:`);
  for (const r of notDone.slice(0, 10)) log(`  ${r.serial}: ${r.state} ${r.error_code ?? ''} ${r.error_message ?? ''}`);
  await shutdown();
  process.exit(1);
}
const events = db.prepare('SELECT run_id, step, kind, at FROM step_events ORDER BY id').all();
const stepTime = ownStepSeconds(events, runs);
const start = Math.min(...runs.map((r) => Date.parse(r.started_at)));
const end = Math.max(...runs.map((r) => Date.parse(r.finished_at)));
const wallSeconds = (end - start) / 1000;
const slowest = [...stepTime.entries()].sort((a, b) => b[1].total - a[1].total)[0];
const idealSeconds = slowest[1].total;
const byStep = stepBreakdown(stepTime);
const gaps = runs.map((r) => {
  const span = (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000;
  return {
    serial: r.serial,
    late: (Date.parse(r.started_at) - start) / 1000,
    span,
    lane: laneWaits.get(r.id) ?? 0,
    other: span - stepTime.get(r.serial).total - (laneWaits.get(r.id) ?? 0),
  };
});
const slowestGap = gaps.find((g) => g.serial === slowest[0]);
await shutdown();

// ---- 5. uploads against a raw loopback copy of the same bytes -----------------------------------

const done = [...uploads.values()].filter((u) => u.bytes === u.total && u.total > 0);
const uploadedBytes = done.reduce((sum, u) => sum + u.total, 0);
const uploadSpan = unionSeconds(done.map((u) => [u.firstAt, u.lastAt]));
const perUpload = done.map((u) => u.rate).sort((a, b) => a - b);
const loopback = await loopbackCopy(floor.ipas, uploadedBytes, dir);

// ---- 6. report -------------------------------------------------------------------------------

const result = {
  ...waveFigures({ devices: N, speed: SPEED, wallSeconds, idealSeconds, peakRss }),
  lag_p99_ms: round(lag.percentile(99) / 1e6, 1),
  lag_p99_idle_process_ms: round(idleLagP99, 1),
  upload_mb_s: round(uploadSpan > 0 ? uploadedBytes / uploadSpan / 1e6 : 0, 1),
  upload_per_device_mb_s: round((perUpload[Math.floor(perUpload.length / 2)] ?? 0) / 1e6, 1),
  loopback_mb_s: round(loopback.bytes / loopback.seconds / 1e6, 1),
};
log(
  `${N} iPads through school-ipad at speed ${SPEED}: wall ${wallSeconds.toFixed(2)} s (station boot ${bootSeconds.toFixed(2)} s before it), ` +
    `slowest device ${slowest[0]} ${idealSeconds.toFixed(2)} s of its own steps; step time per device min ${Math.min(...[...stepTime.values()].map((s) => s.total)).toFixed(2)} s`,
);
log(
  `where the slowest device's time went: ${formatSteps(slowest[1].steps)}; started ${slowestGap.late.toFixed(2)} s after the first, ` +
    `waited ${slowestGap.lane.toFixed(2)} s for lanes, ${slowestGap.other.toFixed(2)} s between steps`,
);
log(
  `all devices: started within ${Math.max(...gaps.map((g) => g.late)).toFixed(2)} s of the first; lane waits mean ${mean(gaps.map((g) => g.lane)).toFixed(2)} s, ` +
    `max ${Math.max(...gaps.map((g) => g.lane)).toFixed(2)} s; between steps mean ${mean(gaps.map((g) => g.other)).toFixed(2)} s; at most ${heavyPeak} heavy steps at once`,
);
log(`mean step time over all devices: ${formatSteps(byStep)}`);
log(
  `CPU: station ${stationCpu.toFixed(2)} s (${((100 * stationCpu) / wallSeconds).toFixed(0)} % of one core), emulator ${emulatorCpu.toFixed(2)} s; ` +
    `lag p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms ` +
    `(an idle process on this machine meanwhile: p99 ${idleLagP99.toFixed(1)} ms); ` +
    `load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs; RSS ${(rssBefore / 1024 / 1024).toFixed(0)} MB before the station opened, at its peak (MB) ${JSON.stringify(atPeak)}`,
);
commits.sort((a, b) => a - b);
gcPauses.sort((a, b) => a - b);
log(
  `garbage collection: ${gcPauses.length} pauses, p50 ${pct(gcPauses, 50).toFixed(1)} ms, p99 ${pct(gcPauses, 99).toFixed(1)} ms, max ${(gcPauses.at(-1) ?? 0).toFixed(1)} ms, ` +
    `${(gcPauses.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s in all; over 50 ms: ${longGc.major} full, ${longGc.other} other (a scavenge that long was descheduled)`,
);
log(
  `committed transitions: ${commits.length}, each holding the event loop p50 ${pct(commits, 50).toFixed(1)} ms, p99 ${pct(commits, 99).toFixed(1)} ms, ` +
    `max ${(commits.at(-1) ?? 0).toFixed(1)} ms, ${(commits.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s in all; lag p90 ${(lag.percentile(90) / 1e6).toFixed(1)} ms, p95 ${(lag.percentile(95) / 1e6).toFixed(1)} ms`,
);
log(
  `uploads: ${done.length} of ${(uploadedBytes / 1e6).toFixed(0)} MB in ${uploadSpan.toFixed(2)} s of upload time; per upload min ${(perUpload[0] / 1e6).toFixed(1)}, ` +
    `median ${(perUpload[Math.floor(perUpload.length / 2)] / 1e6).toFixed(1)}, max ${(perUpload.at(-1) / 1e6).toFixed(1)} MB/s; ` +
    `loopback copy of ${(loopback.bytes / 1e6).toFixed(0)} MB in ${loopback.seconds.toFixed(2)} s`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
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

async function shutdown() {
  await core.close();
  if (emulator.exitCode === null) {
    const exited = new Promise((resolve) => emulator.once('exit', resolve));
    emulator.kill('SIGTERM');
    await exited;
  }
}
