// The figures bench:ios reads from the shift log's events and its probes, and the raw loopback copy
// it compares uploads with.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Each run's own step time from its step events, paired as the shift log pairs them (a step's
 * `start` to its next done/fail/timeout/interrupted/cancel): in milliseconds, where the export
 * rounds to seconds. Lane waits and the time between steps are not in it.
 */
export function ownStepSeconds(rows, runs) {
  const closing = new Set(['done', 'fail', 'timeout', 'interrupted', 'cancel', 'resumed']);
  const runsById = new Map();
  const open = new Map();
  for (const e of rows) {
    const run = runsById.get(e.run_id) ?? { total: 0, steps: new Map() };
    runsById.set(e.run_id, run);
    if (e.kind === 'start' && e.step) {
      open.set(e.run_id, e);
      continue;
    }
    const started = open.get(e.run_id);
    if (started && closing.has(e.kind) && (e.step === started.step || e.kind === 'cancel')) {
      const seconds = (Date.parse(e.at) - Date.parse(started.at)) / 1000;
      run.total += seconds;
      run.steps.set(started.step, (run.steps.get(started.step) ?? 0) + seconds);
      open.delete(e.run_id);
    }
  }
  const bySerial = new Map();
  for (const r of runs) bySerial.set(r.serial, runsById.get(r.id) ?? { total: 0, steps: new Map() });
  return bySerial;
}

/** The figures every device bench prints first: the wave's pace, ideal/actual and the station's peak RSS. */
export function waveFigures({ devices, speed, wallSeconds, idealSeconds, peakRss }) {
  return {
    devices,
    speed,
    wall_s: round(wallSeconds, 2),
    devices_per_hour: Math.round((devices * 3600) / wallSeconds),
    devices_per_hour_real: Math.round((devices * 3600) / (wallSeconds * speed)),
    ideal_s: round(idealSeconds, 2),
    ideal_ratio: round(idealSeconds / wallSeconds, 3),
    rss_peak_mb: round(peakRss / 1024 / 1024, 1),
  };
}

export function stepBreakdown(stepTimes) {
  const sums = new Map();
  for (const { steps } of stepTimes.values()) for (const [step, s] of steps) sums.set(step, (sums.get(step) ?? 0) + s);
  return new Map([...sums].map(([step, s]) => [step, s / stepTimes.size]));
}

/** The p-th percentile of sorted values. */
export function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function mean(values) {
  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
}

export function formatSteps(steps) {
  return [...steps].map(([step, s]) => `${step} ${s.toFixed(2)}`).join(', ');
}

/** Seconds covered by at least one of the [from, to] intervals (performance.now() ms). */
export function unionSeconds(intervals) {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const [a, b] of sorted) {
    if (a > to) {
      if (to > from) total += to - from;
      [from, to] = [a, b];
    } else to = Math.max(to, b);
  }
  if (to > from) total += to - from;
  return total / 1000;
}

/**
 * The raw rate: the IPA files read as the station reads them (1 MiB chunks) and written through a
 * unix socket to a child process that discards them, until `total` bytes have arrived there.
 */
export async function loopbackCopy(files, total, dir) {
  const socket = path.join(dir, 'loopback.sock');
  const sink = spawn(
    process.execPath,
    [
      '-e',
      `const net = require('node:net'); let n = 0;
       net.createServer((s) => { s.on('data', (b) => (n += b.length)); s.on('end', () => { s.end(String(n)); }); }).listen(process.argv[1], () => process.stdout.write('ready\\n'));`,
      socket,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => sink.stdout.once('data', resolve));
  const conn = net.createConnection(socket);
  await new Promise((resolve) => conn.once('connect', resolve));
  const received = new Promise((resolve) => {
    let answer = '';
    conn.on('data', (b) => (answer += b));
    conn.on('end', () => resolve(Number(answer)));
  });
  const t0 = performance.now();
  let sent = 0;
  for (let i = 0; sent < total; i++) {
    for await (const chunk of fs.createReadStream(files[i % files.length], { highWaterMark: 1024 * 1024 })) {
      if (!conn.write(chunk)) await new Promise((resolve) => conn.once('drain', resolve));
      sent += chunk.length;
    }
  }
  conn.end();
  const bytes = await received;
  const seconds = (performance.now() - t0) / 1000;
  sink.kill();
  return { bytes, seconds };
}

/** This process's CPU seconds since `since`. */
export function cpuSeconds(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

export function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
