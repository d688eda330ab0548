#!/usr/bin/env node
// Pipeline benchmark (npm run bench:pipeline): N simulated iPads at unlimited speed through the
// default school-ipad blueprint on a real StationCore with persistence on, against the raw rate of
// the same number of equivalent SQLite transactions on the same disk with the same pragmas.
//
//   node tests/bench/pipeline-bench.mjs [--devices 1000] [--dir DIR] [--keep] [--check]
//
// Prints ONE JSON line on stdout: {"runs_per_s","sqlite_tx_per_s","ratio","rss_mb","lane_us_per_step"}, where
// ratio is the pipeline's committed transactions per second over the bare transactions per second and
// lane_us_per_step the lane scheduler's cost per heavy step (event-loop turns included). Details go
// to stderr. --check exits 1 when a target is missed (ratio >= 0.5, RSS < 300 MB).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = path.join(ROOT, 'dist', 'main');
if (!fs.existsSync(path.join(DIST, 'station', 'start-station.js'))) {
  process.stderr.write('pipeline-bench: main is not built; run "npx tsc -p main/tsconfig.json" (npm run bench:pipeline does).\n');
  process.exit(2);
}
const { openStationCore } = await import(path.join(DIST, 'station', 'start-station.js'));
const { StationStore } = await import(path.join(DIST, 'store', 'station-store.js'));
const { silentLogger } = await import(path.join(DIST, 'logging', 'logger.js'));
const { LaneScheduler } = await import(path.join(DIST, 'pipeline', 'lanes.js'));
const { transitionOutbox } = await import(path.join(DIST, 'pipeline', 'run-outbox.js'));
const { newRunRecord } = await import(path.join(DIST, 'store', 'records.js'));

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
const N = Number(args.devices);
if (!Number.isInteger(N) || N < 1) {
  process.stderr.write(`pipeline-bench: --devices must be a positive integer, got "${args.devices}".\n`);
  process.exit(2);
}
const base = args.dir ? path.resolve(args.dir) : os.tmpdir();
fs.mkdirSync(base, { recursive: true });
const dir = fs.mkdtempSync(path.join(base, 'benchline-bench-'));
const log = (msg) => process.stderr.write(`${msg}\n`);

// ---- 1. the pipeline -------------------------------------------------------------------------

let peakRss = process.memoryUsage.rss();
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};
const sampler = setInterval(sampleRss, 10);

const core = await openStationCore({
  dataDir: path.join(dir, 'station'),
  resourcesDir: path.join(ROOT, 'resources'),
  drivers: ['sim'],
  simulate: 0,
  simSpeed: Number.POSITIVE_INFINITY,
  simFailRate: 0,
  simSeed: 1,
  blueprintFiles: [],
  version: 'bench',
  logger: silentLogger,
  // Unattended: the pipeline's cost, not a sign-in, is measured.
  signInPolicy: 'run',
});
// Label rendering (barcodes, PDF) is the label service's cost, not the pipeline's: the print-label
// step runs with automatic printing off, as a station without a printer does.
core.store.setSetting('label_auto_print', 'false');
const db = core.store.db;
const seqBefore = lastSeq(db);
const eventsBefore = db.prepare('SELECT count(*) AS n FROM step_events').get().n;

let done = 0;
let failed = 0;
const finished = new Promise((resolve) => {
  core.onCommitted((t) => {
    if (t.state === 'done') done++;
    else if (t.state === 'failed' || t.state === 'cancelled') failed++;
    if (done + failed === N) resolve();
  });
});

const io0 = procIo();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
core.plugSimulated({ count: N, model: 'iPad (10th generation)' });
sampleRss();
await finished;
const pipelineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const pipelineIo = ioSince(io0);
const pipelineCpu = cpuSeconds(cpu0);
sampleRss();
clearInterval(sampler);
const maxRssKb = process.resourceUsage().maxRSS;
peakRss = Math.max(peakRss, maxRssKb * 1024);

if (failed > 0) {
  log(`pipeline-bench: ${failed} runs did not finish as done`);
  process.exit(1);
}
const pipelineTx = lastSeq(db) - seqBefore;
const events = db.prepare('SELECT count(*) AS n FROM step_events').get().n - eventsBefore;
const payloadBytes = Math.round(db.prepare("SELECT avg(length(payload)) AS n FROM outbox WHERE kind = 'run.transition'").get().n);
const otherWrites = countOtherWrites(db);
const blueprint = db.prepare("SELECT definition FROM blueprints WHERE name = 'school-ipad'").get();
const steps = JSON.parse(blueprint.definition).steps.length;
const sampleRun = db.prepare('SELECT id, state FROM runs LIMIT 1').get();
await core.close();

// ---- 2. the same number of bare transactions on the same disk -------------------------------

const io1 = procIo();
const cpu1 = process.cpuUsage();
const bareSeconds = bareTransactions('bare', pipelineTx, events, payloadBytes, steps);
const bareIo = ioSince(io1);
const bareCpu = cpuSeconds(cpu1);

// ---- 3. the lane scheduler on its own ---------------------------------------------------------

const lane = await laneOverhead(N);

// ---- 4. report -------------------------------------------------------------------------------

const runsPerS = N / pipelineSeconds;
const pipelineTxPerS = pipelineTx / pipelineSeconds;
const sqliteTxPerS = pipelineTx / bareSeconds;
const result = {
  runs_per_s: round(runsPerS, 1),
  sqlite_tx_per_s: round(sqliteTxPerS, 0),
  ratio: round(pipelineTxPerS / sqliteTxPerS, 3),
  rss_mb: round(peakRss / 1024 / 1024, 1),
  lane_us_per_step: round(lane.usPerStep, 2),
};
log(
  `pipeline-bench: ${N} runs of school-ipad (${steps} steps) in ${pipelineSeconds.toFixed(2)} s; ` +
    `${pipelineTx} transactions (${(pipelineTx / N).toFixed(1)}/run, ${pipelineTxPerS.toFixed(0)}/s), ${events} step events, ` +
    `${payloadBytes} B/outbox payload; ${otherWrites}; bare: ${pipelineTx} transactions in ${bareSeconds.toFixed(2)} s; ` +
    `CPU pipeline ${pipelineCpu.toFixed(2)} s, bare ${bareCpu.toFixed(2)} s; io pipeline ${pipelineIo}, bare ${bareIo}; load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs; sample run ${sampleRun.id} ${sampleRun.state}; data in ${dir}`,
);
log(
  `pipeline-bench: lane scheduler: ${lane.steps} heavy steps of ${N} devices on ${lane.buses} buses (cap ${lane.cap} per bus) ` +
    `asked, granted and released in ${lane.seconds.toFixed(3)} s: ${lane.usPerStep.toFixed(2)} µs per step, at most ${lane.maxRunning} at once`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
if (args.check && (result.ratio < 0.5 || result.rss_mb >= 300)) {
  log('pipeline-bench: target missed (ratio >= 0.5, rss < 300 MB)');
  process.exit(1);
}

/**
 * The raw rate: `count` transactions through StationStore.commitTransition itself (so always the
 * store's own UPDATE runs + INSERT step_events + INSERT outbox), with the pipeline's step events
 * spread evenly and an outbox payload of its average size, on a fresh database with the station's
 * schema and pragmas in the same folder, one after the other with nothing else. Returns seconds.
 */
function bareTransactions(name, count, eventTotal, payloadSize, stepCount) {
  const bare = new StationStore(path.join(dir, name, 'station.db'));
  const now = new Date().toISOString();
  const bp = { id: 'bare', name: 'bare', version: 1, platform: 'ios', baseline: null, naming: null, steps: [], hash: '0'.repeat(64) };
  const bpId = bare.saveBlueprint(bp, null, now);
  const shiftId = bare.ensureShift(now).id;
  const runs = [];
  bare.db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const serial = `BARE${String(i).padStart(8, '0')}`;
      bare.upsertDevice({ serial, family: 'simulated', platform: 'ios', model: 'iPad', osVersion: '18', portPath: `sim-${i + 1}`, present: true }, now);
      const id = crypto.randomUUID();
      const run = newRunRecord({ id, serial, blueprintId: bpId, shiftId, slot: `A${i + 1}`, operator: 'unassigned', captured: {} }, now);
      const created = { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null };
      // The store checks every outbox event against its contract: the bare runs send real ones.
      bare.createRun(run, created, transitionOutbox('bare-station', run, bp, [created], now));
      runs.push(run);
    }
  })();
  const captured = { serialNumber: 'DMPXXXXXXXXX', model: 'iPad (10th generation)', osVersion: '18.1' };
  // Padded so the outbox payloads are as long as the pipeline's on average.
  const sample = JSON.stringify(transitionOutbox('bare-station', { ...runs[0], captured }, bp, [], now)).length;
  const paddedCaptured = { ...captured, pad: 'x'.repeat(Math.max(0, payloadSize - sample - 10)) };
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const stepIndex = i % stepCount;
    // Spread the pipeline's step events over the same number of transactions.
    const eventCount = Math.floor(((i + 1) * eventTotal) / count) - Math.floor((i * eventTotal) / count);
    const events = [];
    for (let e = 0; e < eventCount; e++) events.push({ stepIndex, step: 'install-app', kind: e === 0 ? 'done' : 'start', attempt: 1, message: null });
    const patch = {
      state: 'running',
      phase: 'running',
      stepIndex,
      attempt: 1,
      attemptsTotal: 1,
      deadlineAt: Date.now() + 60_000,
      waitingReason: null,
      waitingMessage: null,
      errorCode: null,
      errorMessage: null,
      failedStep: null,
      captured,
      finishedAt: null,
    };
    const run = runs[i % N];
    const at = new Date().toISOString();
    bare.commitTransition(run.id, shiftId, patch, events, transitionOutbox('bare-station', { ...run, ...patch, captured: paddedCaptured }, bp, [], at), at);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  bare.close();
  return seconds;
}

/**
 * The scheduler's own cost per heavy step (request, grant at the end of the tick, release), with all
 * `devices` queued at once on a few buses: the worst case of a full bench plugged in one go.
 */
async function laneOverhead(devices) {
  const cap = 10;
  const buses = 4;
  const scheduler = new LaneScheduler({ heavy: cap, driver: devices });
  const steps = devices * 2; // erase and app install per device
  let running = 0;
  let maxRunning = 0;
  let finished = 0;
  const start = process.hrtime.bigint();
  await new Promise((resolve) => {
    const ask = (i, round) =>
      scheduler.request(`r${i}-${round}`, [`driver:ios`, `bus:${i % buses}`], String(i).padStart(8, '0'), () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // The step ends on a later tick, as a real one does.
        setImmediate(() => {
          running--;
          scheduler.release(`r${i}-${round}`);
          if (round === 0) ask(i, 1);
          if (++finished === steps) resolve();
        });
      });
    for (let i = 0; i < devices; i++) ask(i, 0);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { steps, buses, cap, seconds, usPerStep: (seconds * 1e6) / steps, maxRunning };
}

/** Linux: write syscalls and bytes so far (/proc/self/io), to see write amplification per transaction. */
function procIo() {
  try {
    const text = fs.readFileSync('/proc/self/io', 'utf8');
    const get = (k) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    return { syscw: get('syscw'), wchar: get('wchar') };
  } catch {
    return null;
  }
}

function ioSince(before) {
  const now = procIo();
  if (!before || !now) return 'n/a';
  return `${now.syscw - before.syscw} writes, ${((now.wchar - before.wchar) / 1024 / 1024).toFixed(1)} MB`;
}

function cpuSeconds(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

function lastSeq(database) {
  return database.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get()?.seq ?? 0;
}

function countOtherWrites(database) {
  const devices = database.prepare('SELECT count(*) AS n FROM devices').get().n;
  const sims = database.prepare('SELECT count(*) AS n FROM sim_devices').get().n;
  return `${devices} devices, ${sims} simulated devices stored`;
}

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
