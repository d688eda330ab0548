#!/usr/bin/env node
// npm run bench:hub: simulated stations post outbox batches to a real hub process, concurrently,
// on loopback only, for a bounded time. One JSON line per database:
//   {"stations":500,"events_per_s":...,"p99_ms":...,"db":"sqlite|postgres"}
// PostgreSQL is measured when BENCHLINE_TEST_PG_URL (or --pg URL) is set; otherwise its line says why not.
// Options: --stations N (500) --seconds S (20) --events-per-batch K (2) --interval-ms MS (1000) --db sqlite,postgres
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const STATIONS = Number(arg('--stations', '500'));
const SECONDS = Math.min(120, Number(arg('--seconds', '20')));
const PER_BATCH = Number(arg('--events-per-batch', '2'));
const INTERVAL = Number(arg('--interval-ms', '1000'));
const DBS = arg('--db', 'sqlite,postgres').split(',');
const PG_URL = arg('--pg', process.env.BENCHLINE_TEST_PG_URL);

const dist = path.join(REPO, 'dist', 'main', 'hub', 'hub-store.js');
if (!fs.existsSync(dist)) {
  process.stderr.write('hub-bench: not built yet; run "npm run build" first.\n');
  process.exit(1);
}
const { HubStore } = await import(dist);
const pg = (await import('pg')).default;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function startHub(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(REPO, 'main', 'bin', 'benchline.mjs'), 'hub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${out}`)), 60_000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Benchline hub ready')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.stderr.on('data', (d) => (out += d));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${out}`));
    });
  });
}

function stopHub(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

function transition(stationId, seq, runNo, state, at) {
  return {
    seq,
    kind: 'run.transition',
    at,
    payload: {
      type: 'run.transition',
      stationId,
      at,
      run: {
        id: `${stationId}-r${runNo}`,
        serial: `SIM${runNo}`,
        shiftId: 'bench-shift',
        slot: `A${runNo % 16}`,
        operator: 'bench',
        blueprint: 'school-ipad',
        blueprintVersion: 1,
        state,
        step: 'install-apps',
        stepIndex: 4,
        attempts: 1,
        errorCode: null,
        errorMessage: null,
        failedStep: null,
        captured: {},
        startedAt: at,
        finishedAt: state === 'done' ? at : null,
      },
      events: [{ stepIndex: 4, step: 'install-apps', kind: state === 'done' ? 'done' : 'start', attempt: 1, message: null }],
    },
  };
}

async function measure(db) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-hubbench-'));
  let dbUrl;
  let dropSchema = async () => {};
  if (db === 'postgres') {
    const schema = `bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const u = new URL(PG_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    dbUrl = u.toString();
    dropSchema = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  }
  const store = await HubStore.open({ dataDir, db: dbUrl });
  const stations = [];
  for (let i = 0; i < STATIONS; i++) {
    const { token } = await store.registerStation(`Bench ${String(i + 1).padStart(3, '0')}`);
    stations.push({ token, id: crypto.randomUUID(), seq: 0, run: 0 });
  }
  await store.close();

  const port = await freePort();
  const hub = await startHub(['--data-dir', dataDir, '--port', String(port), ...(dbUrl ? ['--db', dbUrl] : [])]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: STATIONS + 10 });
  const latencies = [];
  let events = 0;
  let errors = 0;
  let firstError = null;

  const post = (s, body) =>
    new Promise((resolve) => {
      const data = JSON.stringify(body);
      const t0 = process.hrtime.bigint();
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/ingest',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${s.token}` },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        },
      );
      req.on('error', (err) => resolve({ status: 0, text: err.message, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      req.end(data);
    });

  const warmupMs = 3000;
  const started = Date.now();
  const endAt = started + warmupMs + SECONDS * 1000;
  const measureFrom = started + warmupMs;
  const loops = stations.map(async (s) => {
    // Stations are not in step: each starts at a random point of the interval.
    await new Promise((r) => setTimeout(r, Math.random() * INTERVAL));
    while (Date.now() < endAt) {
      const tick = Date.now();
      const at = new Date().toISOString();
      const batch = [];
      for (let k = 0; k < PER_BATCH; k++) {
        s.run += k % 2 === 0 ? 1 : 0;
        batch.push(transition(s.id, ++s.seq, s.run, k % 2 === 0 ? 'running' : 'done', at));
      }
      const res = await post(s, { stationId: s.id, sentAt: at, acked: s.seq - batch.length, events: batch });
      if (tick >= measureFrom) {
        latencies.push(res.ms);
        if (res.status === 200) events += batch.length;
        else {
          errors += 1;
          firstError ??= `${res.status} ${res.text.slice(0, 200)}`;
        }
      }
      const wait = INTERVAL - (Date.now() - tick);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  });
  await Promise.all(loops);
  const elapsed = (Date.now() - measureFrom) / 1000;
  agent.destroy();
  await stopHub(hub);
  await dropSchema();
  fs.rmSync(dataDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
  const line = { stations: STATIONS, events_per_s: Math.round(events / elapsed), p99_ms: Math.round(p(0.99) * 10) / 10, db };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  process.stderr.write(
    `  ${db}: ${latencies.length} requests in ${elapsed.toFixed(1)} s, p50 ${p(0.5)?.toFixed(1)} ms, p99 ${p(0.99)?.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms, errors ${errors}${firstError ? ` (first: ${firstError})` : ''}\n`,
  );
  return errors === 0;
}

let ok = true;
for (const db of DBS) {
  if (db === 'postgres' && !PG_URL) {
    process.stdout.write(`${JSON.stringify({ stations: STATIONS, events_per_s: null, p99_ms: null, db, skipped: 'BENCHLINE_TEST_PG_URL is not set' })}\n`);
    continue;
  }
  ok = (await measure(db)) && ok;
}
process.exitCode = ok ? 0 : 1;
