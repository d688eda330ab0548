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
// `benchline station` opens it, without the HTTP server nobody calls here), measured from inside
// (tests/bench/station-measure.mjs) from the first `adb connect` to the last run's end. The tablets
// join with `adb connect` all at once, as tablets on the network do: the worst case for the lanes.
// Speed 1 (the default, about 90 s) is a real bench's pace; a higher speed packs a shift's work
// into less time, a stress test whose event-loop lag rises with it. The station runs with its
// default lane caps unless --lane-cap says otherwise. Prints ONE JSON line (the figures
// station-measure.mjs describes, plus the APK MiB moved per second); details go to stderr.
// --check exits 1 when a target is missed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  benchFigures,
  cpuSecondsOf,
  formatSteps,
  formatWaits,
  measureIdleProcess,
  measureProcess,
  missedTargets,
  round,
  runsEnded,
  shiftLogFigures,
} from './station-measure.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = path.join(ROOT, 'dist', 'main');
const EMULATOR = path.join(ROOT, 'tests', 'emulators', 'android', 'run-android-emulator.ts');
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
const { silentLogger } = await import(path.join(DIST, 'logging', 'logger.js'));

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
  ...(args['lane-cap'] ? { laneCaps: args['lane-cap'] } : {}),
});
const bootSeconds = (performance.now() - opened) / 1000;
// Label rendering (barcodes, PDF) is the label service's cost: print-label runs with automatic printing off.
core.store.setSetting('label_auto_print', 'false');

// Measured from the first `adb connect` to the last run's end: while tablets are on the bench (the
// station's start, before any tablet, is not in it).
const measuring = measureProcess();
const idle = measureIdleProcess();
const emulatorCpu0 = cpuSecondsOf(emulator.pid);
const connected = await floor.connect(tablets.ports);
const refused = connected.filter((answer) => !answer.startsWith('connected to'));
if (refused.length > 0) log(`adb connect answered: ${refused.join('; ')}`);

let ended = true;
await runsEnded(core, N, Math.max(120_000, (900_000 / SPEED) * 4)).catch((err) => {
  ended = false;
  log(err.message);
});
const measured = measuring.stop();
const idleLagP99Ms = await idle.stop();
const emulatorCpu = cpuSecondsOf(emulator.pid) - emulatorCpu0;

// ---- 4. what the shift log says ---------------------------------------------------------------

const figures = shiftLogFigures(core.store.db);
await shutdown();
if (!ended || figures.notDone.length > 0 || figures.runs !== N) {
  log(`${figures.runs} runs, ${figures.notDone.length} not done:`);
  for (const r of figures.notDone.slice(0, 10)) log(`  ${r.serial}: ${r.state} ${r.error_code ?? ''} ${r.error_message ?? ''}`);
  process.exit(1);
}

// ---- 5. report -------------------------------------------------------------------------------

const result = {
  ...benchFigures({ devices: N, speed: SPEED, wallSeconds: figures.wallSeconds, idealSeconds: figures.slowest.total, process: measured }),
  apk_mib_s: round((N * apkBytes) / 1024 / 1024 / figures.wallSeconds, 1),
};
log(
  `${N} tablets through android-tablet at speed ${SPEED}: wall ${figures.wallSeconds.toFixed(2)} s (station boot ${bootSeconds.toFixed(2)} s before it); ` +
    `slowest tablet ${figures.slowest.serial} ${figures.slowest.total.toFixed(2)} s of its own steps, fastest ${figures.fastestSeconds.toFixed(2)} s`,
);
log(
  `where the slowest tablet's time went: ${formatSteps(figures.slowest.steps)}; gaps (lanes, between steps) ${(figures.wallSeconds - figures.slowest.total).toFixed(2)} s`,
);
log(`mean step time over all tablets: ${formatSteps(figures.meanSteps)}`);
log(`waiting between steps (a lane, the tablet coming back): ${formatWaits(figures.waits)}`);
log(
  `CPU: station ${measured.cpuSeconds.toFixed(2)} s (${((100 * measured.cpuSeconds) / figures.wallSeconds).toFixed(0)} % of one core over the wall time), ` +
    `emulator ${emulatorCpu.toFixed(2)} s; lag p50 ${measured.lagP50Ms.toFixed(1)} ms, p99 ${measured.lagP99Ms.toFixed(1)} ms, max ${measured.lagMaxMs.toFixed(1)} ms ` +
    `(an idle process beside it: p99 ${idleLagP99Ms.toFixed(1)} ms); ` +
    `load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`,
);
log(`the longest delays: ${measured.worst.map((w) => `${w.lateMs.toFixed(0)} ms at ${w.atS.toFixed(1)} s`).join(', ') || 'none over 20 ms'}`);
process.stdout.write(`${JSON.stringify(result)}\n`);
const missed = missedTargets(result);
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
  await floor.close({ keepFiles: args.keep });
  if (args.keep) log(`kept ${path.dirname(floor.dataDir)}`);
}
