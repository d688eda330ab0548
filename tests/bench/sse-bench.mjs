// Memory of a built station with and without 100 SSE clients that never read (issue 8 item 6).
// Prints RSS figures; the target is "with clients" within 50 MB of "without".
// BENCH_SECONDS (default 60) sets how long each run lasts; needs `npm run build` first.
import fs from 'node:fs';
import net from 'node:net';
import { startBenchStation } from './bench-station.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function startStation() {
  return startBenchStation({ name: 'sse-bench', simSpeed: 1000 });
}

/** Keeps transitions flowing: plugs simulated devices in waves and unplugs the previous wave. */
function traffic(station) {
  let wave = 0;
  let stop = false;
  const api = (method, route, body) =>
    fetch(`${station.origin}/api/v1/${route}`, {
      method,
      headers: { authorization: `Bearer ${station.token}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    })
      .then((r) => r.json())
      .catch(() => null);
  const loop = (async () => {
    let previous = [];
    while (!stop) {
      wave++;
      const serials = Array.from({ length: 30 }, (_, i) => `BENCH${wave}X${i}`);
      await api('POST', 'simulator/devices', { count: serials.length, serials });
      await sleep(1000);
      for (const s of previous) await api('DELETE', `simulator/devices/${s}`);
      previous = serials;
    }
  })();
  return async () => {
    stop = true;
    await loop;
  };
}

/** Opens SSE clients that send the request and then never read a byte. */
function stalledClients(station, count) {
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const s = net.connect(station.port, '127.0.0.1', () =>
      s.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${station.port}\r\nAuthorization: Bearer ${station.token}\r\n\r\n`),
    );
    s.on('error', () => {});
    s.pause();
    sockets.push(s);
  }
  return () => sockets.forEach((s) => s.destroy());
}

async function run(withClients) {
  const station = await startStation();
  await sleep(2000);
  const start = rssMb(station.child.pid);
  const closeClients = withClients ? stalledClients(station, CLIENTS) : () => {};
  const stopTraffic = traffic(station);
  let peak = start;
  for (let t = 0; t < SECONDS; t++) {
    await sleep(1000);
    peak = Math.max(peak, rssMb(station.child.pid));
  }
  const end = rssMb(station.child.pid);
  closeClients();
  await stopTraffic();
  await sleep(3000);
  const after = rssMb(station.child.pid);
  const dropped = (station.log().match(/dropped a client that does not read/g) ?? []).length;
  station.child.kill('SIGTERM');
  await new Promise((r) => station.child.once('exit', r));
  fs.rmSync(station.dataDir, { recursive: true, force: true });
  return { start, peak, end, after, dropped };
}

const fmt = (n) => `${n.toFixed(1)} MB`;
console.log(`SSE bench: ${SECONDS} s per run, ${CLIENTS} non-reading clients, simulated traffic in waves of 30 devices`);
const without = await run(false);
console.log(`without clients: start ${fmt(without.start)}, peak ${fmt(without.peak)}, end ${fmt(without.end)}, after ${fmt(without.after)}`);
const withC = await run(true);
console.log(
  `with ${CLIENTS} clients: start ${fmt(withC.start)}, peak ${fmt(withC.peak)}, end ${fmt(withC.end)}, after closing ${fmt(withC.after)}, clients dropped (log lines): ${withC.dropped}`,
);
const diff = withC.peak - without.peak;
console.log(`peak difference: ${fmt(diff)} (target: within 50 MB) -> ${diff <= 50 ? 'OK' : 'OVER'}`);
