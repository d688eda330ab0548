// `npm run bench:ui` (issue 13): the station page in Debian's Chromium with 256 tiles receiving
// about 200 updates a second for 30 s. Prints frame-time p50/p95 (target p95 < 16 ms) and the
// page's JS heap, read from the browser's own performance data.
//
// The updates are real: a headless station (the built dist/) with 256 simulated devices at
// --sim-speed BENCH_SIM_SPEED (default 8: about 200 updates a second, in the bursts simulated iPads make), plugged in waves so their steps do not all fall on
// the same instant, and each device that finishes replaced by a new one, so the grid stays full
// and the updates keep coming. The page counts what its WebSocket receives; the rate is printed,
// not assumed.
//
// Frame figures, from the page (requestAnimationFrame, Long Animation Frames) and CDP (Performance.getMetrics):
// - frame time: the main thread's work for one frame, from the frame's requestAnimationFrame
//   callbacks through style, layout and paint, up to the first task after it (a message posted
//   in requestAnimationFrame);
// - frame interval: between two frames' requestAnimationFrame callbacks (16.7 ms at 60 Hz; a
//   longer one is a dropped frame).
// Builds what is missing or stale first (as `npm start` does). BENCH_SECONDS (default 30) sets the measured window.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { buildPlan } from '../../main/bin/start-checks.mjs';
import { startBenchStation } from './bench-station.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const SIM_SPEED = Number(process.env.BENCH_SIM_SPEED ?? 8);
const DEVICES = 256;
const WARM_UP_S = 15;
// The flags tests/e2e/playwright.config.ts starts Chromium with.
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function buildWhatIsStale() {
  for (const { script, reason } of buildPlan(ROOT)) {
    process.stdout.write(`bench:ui: building (${reason}): npm run ${script}\n`);
    const r = spawnSync('npm', ['run', script], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
    if (r.status !== 0) throw new Error(`npm run ${script} failed`);
  }
}

async function startStation() {
  const station = await startBenchStation({ name: 'ui-bench', simSpeed: SIM_SPEED });
  const api = async (method, route, body) => {
    const res = await fetch(new URL(route, station.origin), {
      method,
      headers: { authorization: `Bearer ${station.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  return { ...station, api };
}

/** Keeps all 256 slots busy: plugs the devices in waves, then replaces every finished one. */
function traffic(station) {
  let stopped = false;
  const run = (async () => {
    // Devices run for a technician who is signed in (a station may hold them until someone is).
    await station.api('POST', '/api/v1/operators/sign-in', { name: 'Bench' });
    for (let plugged = 0; plugged < DEVICES && !stopped; plugged += 8) {
      await station.api('POST', '/api/v1/simulator/devices', { count: Math.min(8, DEVICES - plugged) });
      await sleep(250);
    }
    while (!stopped) {
      const devices = await station.api('GET', '/api/v1/devices');
      const finished = devices.filter((d) => d.state === 'done' || d.state === 'failed' || d.state === 'cancelled');
      for (const d of finished) await station.api('DELETE', `/api/v1/simulator/devices/${encodeURIComponent(d.serial)}`);
      if (finished.length > 0) await station.api('POST', '/api/v1/simulator/devices', { count: finished.length });
      await sleep(250);
    }
  })();
  return async () => {
    stopped = true;
    await run.catch(() => undefined);
  };
}

// countUpdates and measureFrames run in the page (addInitScript, page.evaluate), where these exist.
/* global window, document, requestAnimationFrame */

/** Installed before the page's own scripts: counts the station events its WebSocket receives. */
function countUpdates() {
  const Native = window.WebSocket;
  window.__updates = { total: 0, perSecond: [], current: 0 };
  setInterval(() => {
    window.__updates.perSecond.push(window.__updates.current);
    window.__updates.current = 0;
  }, 1000);
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && e.data.startsWith('{"kind":"event"')) {
          window.__updates.total += 1;
          window.__updates.current += 1;
        }
      });
    }
  };
}

/** In the page: every frame's interval and its main-thread work, for `ms` milliseconds. */
function measureFrames(ms) {
  return new Promise((resolve) => {
    const intervals = [];
    const work = [];
    // The browser's own record of frames that took over 50 ms (Long Animation Frames API).
    const long = [];
    const observer = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)));
    observer.observe({ type: 'long-animation-frame' });
    const channel = new MessageChannel();
    let frameStart = 0;
    let last = 0;
    channel.port1.onmessage = () => work.push(performance.now() - frameStart);
    const end = performance.now() + ms;
    const frame = (now) => {
      if (last) intervals.push(now - last);
      last = now;
      frameStart = performance.now();
      // Runs as the first task after this frame's rendering (style, layout, paint).
      channel.port2.postMessage(0);
      if (now < end) requestAnimationFrame(frame);
      else
        setTimeout(() => {
          observer.disconnect();
          resolve({ intervals, work, long });
        }, 50);
    };
    requestAnimationFrame(frame);
  });
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (v) => `${v.toFixed(1)} ms`;

buildWhatIsStale();
const station = await startStation();
const stopTraffic = traffic(station);
const browser = await chromium.launch({ headless: true, ...CHROMIUM });
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'de-DE' });
  await page.addInitScript(countUpdates);
  await page.goto(station.url.href);
  await page.waitForFunction((n) => document.querySelectorAll('.tile[data-serial]').length >= n, DEVICES, { timeout: 60_000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  process.stdout.write(`bench:ui: ${DEVICES} tiles on screen; warming up ${WARM_UP_S} s, then measuring ${SECONDS} s\n`);
  await sleep(WARM_UP_S * 1000);

  const loadStart = os.loadavg()[0];
  const before = await metrics();
  const updatesBefore = await page.evaluate(() => window.__updates.total);
  const secondsBefore = await page.evaluate(() => window.__updates.perSecond.length);
  let heapMax = before.JSHeapUsedSize;
  const sampler = setInterval(() => {
    metrics()
      .then((m) => (heapMax = Math.max(heapMax, m.JSHeapUsedSize)))
      .catch(() => undefined);
  }, 1000);
  const frames = await page.evaluate(measureFrames, SECONDS * 1000);
  clearInterval(sampler);
  const after = await metrics();
  const updates = await page.evaluate(() => window.__updates);
  const tiles = await page.evaluate(() => document.querySelectorAll('.tile[data-serial]').length);
  await cdp.send('HeapProfiler.collectGarbage');
  const afterGc = await metrics();

  const perSecond = updates.perSecond.slice(secondsBefore, secondsBefore + SECONDS);
  const received = updates.total - updatesBefore;
  const elapsed = after.Timestamp - before.Timestamp;
  const dropped = frames.intervals.filter((i) => i > 25).length;
  const perSec = (name) => ms(((after[name] - before[name]) * 1000) / elapsed);
  const lines = [
    `bench:ui — station page in ${CHROMIUM.executablePath}, 1920x1080, ${tiles} tiles`,
    `  feed: a headless station, ${DEVICES} simulated devices at --sim-speed ${SIM_SPEED}, each finished device replaced (real WebSocket)`,
    `  updates received by the page: ${(received / elapsed).toFixed(0)}/s over ${elapsed.toFixed(1)} s (${received}; per second p50 ${percentile(perSecond, 50)}, p95 ${percentile(perSecond, 95)}, max ${Math.max(...perSecond)})`,
    `  frame time (main-thread work per frame, rAF to after paint): p50 ${ms(percentile(frames.work, 50))}, p95 ${ms(percentile(frames.work, 95))}, max ${ms(Math.max(...frames.work))} over ${frames.work.length} frames — target p95 < 16 ms`,
    `  frame interval (rAF to rAF): p50 ${ms(percentile(frames.intervals, 50))}, p95 ${ms(percentile(frames.intervals, 95))}; ${dropped} of ${frames.intervals.length} over 25 ms (dropped frames)`,
    `  long animation frames (browser's LoAF entries, > 50 ms): ${frames.long.length}${frames.long.length ? `, longest ${ms(Math.max(...frames.long))}` : ''}`,
    `  main thread per second (CDP): tasks ${perSec('TaskDuration')}, script ${perSec('ScriptDuration')}, style ${perSec('RecalcStyleDuration')}, layout ${perSec('LayoutDuration')}`,
    `  machine load average (1 min) at start / end: ${loadStart.toFixed(1)} / ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores (a busy machine stretches frames)`,
    `  JS heap (CDP JSHeapUsedSize): ${mb(before.JSHeapUsedSize)} at start, ${mb(after.JSHeapUsedSize)} at end, ${mb(heapMax)} at most, ${mb(afterGc.JSHeapUsedSize)} after a GC (total ${mb(afterGc.JSHeapTotalSize)}); DOM nodes ${afterGc.Nodes}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await browser.close();
  await stopTraffic();
  station.child.kill('SIGTERM');
  await new Promise((r) => station.child.once('exit', r));
  fs.rmSync(station.dataDir, { recursive: true, force: true });
}
