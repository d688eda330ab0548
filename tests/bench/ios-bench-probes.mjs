// What bench:ios measures inside the station's process while the iPads run: wrappers on a few
// station methods (they record, then call the original), the event loop, GC pauses, RSS, and an
// idle process beside it for the machine's share of the lag. Nothing the station does changes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** Starts measuring; `stop()` ends it and returns what was measured. */
export function startProbes({ DeviceRegistry, LaneScheduler, StationStore }) {
  // Every upload's own progress reports (the pipeline publishes them throttled; the driver's last
  // report of an upload carries its whole rate): a listener on the step context, nothing else changed.
  const uploads = new Map();
  const executeStep = DeviceRegistry.prototype.executeStep;
  DeviceRegistry.prototype.executeStep = function (serial, ctx) {
    if (ctx.step.type !== 'install-app' || !ctx.progress) return executeStep.call(this, serial, ctx);
    const key = `${serial} ${ctx.step.id} ${ctx.attempt}`;
    const report = ctx.progress;
    const progress = (p) => {
      if (p.bytes !== undefined && p.total !== undefined) {
        const now = performance.now();
        const u = uploads.get(key) ?? { firstAt: now, lastAt: now, bytes: 0, total: p.total, rate: 0 };
        Object.assign(u, { lastAt: now, bytes: p.bytes, rate: p.bytesPerSecond ?? 0 });
        uploads.set(key, u);
      }
      report(p);
    };
    return executeStep.call(this, serial, { ...ctx, progress });
  };

  // How long heavy steps wait for their lanes (request -> grant), per serial: the gaps lanes make.
  const laneWaits = new Map();
  let heavyNow = 0;
  let heavyPeak = 0;
  const request = LaneScheduler.prototype.request;
  LaneScheduler.prototype.request = function (runId, lanes, queuedAt, granted) {
    const asked = performance.now();
    return request.call(this, runId, lanes, queuedAt, () => {
      laneWaits.set(runId, (laneWaits.get(runId) ?? 0) + (performance.now() - asked) / 1000);
      heavyPeak = Math.max(heavyPeak, ++heavyNow);
      granted();
    });
  };
  const release = LaneScheduler.prototype.release;
  LaneScheduler.prototype.release = function (runId) {
    if (this.held.has(runId)) heavyNow--;
    return release.call(this, runId);
  };

  // How long each committed transition holds the event loop (SQLite, synchronous = FULL: an fsync each).
  const commits = [];
  const commitTransition = StationStore.prototype.commitTransition;
  StationStore.prototype.commitTransition = function (...a) {
    const t = performance.now();
    try {
      return commitTransition.apply(this, a);
    } finally {
      commits.push(performance.now() - t);
    }
  };

  // The machine's own share of the lag: an idle Node process measuring its event loop meanwhile.
  const idle = spawn(
    process.execPath,
    [
      '-e',
      `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();
       process.on('message', () => { h.disable(); process.send(h.percentile(99) / 1e6); });`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  process.on('exit', () => idle.kill());

  // Garbage-collection pauses in the station (each holds the event loop).
  const gcPauses = [];
  const longGc = { major: 0, other: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses.push(entry.duration);
      if (entry.duration > 50) longGc[entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : 'other']++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  const lag = monitorEventLoopDelay({ resolution: 10 });
  const rssBefore = process.memoryUsage.rss();
  let peakRss = rssBefore;
  let atPeak = memoryMb();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss <= peakRss) return;
    peakRss = rss;
    atPeak = memoryMb();
  }, 250);
  lag.enable();

  return {
    async stop() {
      lag.disable();
      gcObserver.disconnect();
      clearInterval(sampler);
      const idleLagP99 = await new Promise((resolve) => {
        idle.once('message', resolve);
        idle.send('stop');
      });
      idle.kill();
      return { uploads, laneWaits, heavyPeak, commits, gcPauses, longGc, lag, idleLagP99, rssBefore, peakRss, atPeak };
    },
  };
}

/** The process's memory in MB, by kind. */
export function memoryMb() {
  return Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1024 / 1024)]));
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
