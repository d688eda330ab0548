#!/usr/bin/env node
// npm run bench:export [-- RUNS]: seeds a station database with a shift of RUNS simulated runs
// (default 10,000, with step events like the pipeline writes them), then times `benchline export`
// for CSV, CSV excel-de, JSON and PDF, each in its own process, and prints wall time and peak RSS.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dist = (p) => new URL(`../../dist/main/${p}`, import.meta.url).href;
if (!fs.existsSync(fileURLToPath(dist('cli/index.js')))) {
  console.error('bench:export: build first (npm run build:main).');
  process.exit(1);
}
const { StationStore } = await import(dist('store/station-store.js'));
const { loadBlueprint } = await import(dist('blueprints/blueprint-loader.js'));
const { newRunRecord } = await import(dist('store/records.js'));
const { transitionOutbox } = await import(dist('pipeline/run-outbox.js'));

const RUNS = Number(process.argv[2] ?? 10_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-export-bench-'));
const dataDir = path.join(dir, 'data');
fs.mkdirSync(dataDir);

const t0 = performance.now();
const store = new StationStore(path.join(dataDir, 'station.db'));
const bp = loadBlueprint(path.join(REPO, 'resources/blueprints/school-ipad.yaml'), [path.join(REPO, 'resources/blueprints/baselines')]);
const start = Date.parse('2026-03-02T05:00:00.000Z');
const bpId = store.saveBlueprint(bp, null, new Date(start).toISOString());
const shift = store.openShift(['Anna Müller', 'Ben Yılmaz'], new Date(start).toISOString());
const spacing = Math.floor((8 * 3_600_000) / RUNS);
const iso = (ms) => new Date(ms).toISOString();
const schools = ['GS Nord', 'Gymnasium Süd', 'Realschule am Wehr', 'IGS Mitte'];
store.db.transaction(() => {
  for (let i = 0; i < RUNS; i++) {
    const serial = `DMPX${String(i).padStart(8, '0')}`;
    const t = start + i * spacing;
    store.upsertDevice(
      { serial, family: 'simulated', platform: 'ios', model: 'iPad (10th generation)', osVersion: '18.1', portPath: `sim-${(i % 16) + 1}`, present: false },
      iso(t),
    );
    const rec = newRunRecord(
      {
        id: `run-${String(i).padStart(6, '0')}`,
        serial,
        blueprintId: bpId,
        shiftId: shift.id,
        slot: `A${(i % 16) + 1}`,
        operator: 'Anna Müller',
        captured: {},
      },
      iso(t),
    );
    // The store checks every outbox event against its contract: the seeded runs send real ones.
    const created = { stepIndex: null, step: null, kind: 'created', attempt: 1, message: 'school-ipad v1' };
    store.createRun(rec, created, transitionOutbox(store.stationId(), rec, bp, [created], iso(t)));
    const fails = i % 20 === 19;
    const last = fails ? 2 : bp.steps.length - 1;
    const events = [];
    for (let s = 0; s <= last; s++) {
      events.push({ stepIndex: s, step: bp.steps[s].id, kind: 'start', attempt: 1, message: null });
      events.push({
        stepIndex: s,
        step: bp.steps[s].id,
        kind: fails && s === last ? 'fail' : 'done',
        attempt: 1,
        message: fails && s === last ? 'Erase failed: device busy' : null,
      });
    }
    const finished = {
      state: fails ? 'failed' : 'done',
      phase: fails ? 'failed' : 'done',
      stepIndex: last,
      attempt: 1,
      attemptsTotal: 1,
      deadlineAt: null,
      waitingReason: null,
      waitingMessage: null,
      errorCode: fails ? 'sim.erase' : null,
      errorMessage: fails ? 'Erase failed: device busy' : null,
      failedStep: fails ? 'erase' : null,
      finishedAt: iso(t + 750_000),
      captured: {
        customer: 'Stadt Musterstadt',
        school: schools[i % 4],
        orderId: `MS-${i % 27}`,
        osVersion: '18.1',
        ...(fails ? {} : { deviceName: `GSN-${i}`, assetTag: `INV-${i}` }),
      },
    };
    const end = iso(t + 750_000);
    store.commitTransition(
      rec.id,
      shift.id,
      finished,
      events,
      transitionOutbox(store.stationId(), { ...rec, ...finished, updatedAt: end }, bp, events, end),
      end,
    );
  }
})();
store.close();
const seedS = (performance.now() - t0) / 1000;
const dbMb = fs.statSync(path.join(dataDir, 'station.db')).size / 1e6;
console.log(`seeded ${RUNS} runs (${RUNS * 21} step events) in ${seedS.toFixed(1)} s; database ${dbMb.toFixed(0)} MB\n`);

// Each export in a fresh process; the preload reports that process's peak RSS when it exits.
const preload = path.join(dir, 'report-rss.mjs');
fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write(`maxrss_kb=${process.resourceUsage().maxRSS}\\n`));\n");
const bin = path.join(REPO, 'main/bin/benchline.mjs');
console.log('format          time      peak RSS   file');
for (const [label, args, file] of [
  ['csv', ['--format', 'csv'], 'shift.csv'],
  ['csv excel-de', ['--format', 'csv', '--dialect', 'excel-de'], 'shift-de.csv'],
  ['json', ['--format', 'json'], 'shift.json'],
  ['pdf', ['--format', 'pdf'], 'shift.pdf'],
]) {
  const out = path.join(dir, file);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', preload, bin, 'export', '--data-dir', dataDir, '--shift', 'last', ...args, '--out', out], {
    encoding: 'utf8',
  });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  console.log(`${label.padEnd(14)} ${s.toFixed(2).padStart(6)} s  ${rss.toFixed(0).padStart(6)} MB   ${(fs.statSync(out).size / 1e6).toFixed(1)} MB`);
}
const header = fs.readFileSync(path.join(dir, 'shift.csv'), 'utf8').split('\r\n')[0];
console.log(`\nCSV header: ${header}`);
if (process.env.KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
