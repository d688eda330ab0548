import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(REPO, 'main', 'bin', 'benchline.mjs');

/** Integration tests drive the built station; `npm test` builds it first. */
export function requireBuild(): void {
  if (!fs.existsSync(path.join(REPO, 'dist', 'main', 'cli', 'index.js'))) {
    throw new Error('The station is not built: run "npx tsc -p main/tsconfig.json" (or npm run build) first.');
  }
}

export interface StationProcess {
  child: ChildProcess;
  baseUrl: string;
  token: string;
  output: () => string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  api<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

/** Starts `benchline station --headless --port 0` and waits for its URL line. */
export async function startStation(dataDir: string, args: string[], timeoutMs = 30_000, env: Record<string, string> = {}): Promise<StationProcess> {
  // Scripts drive these stations unattended (CONTRACT.md): devices run without a sign-in unless a test says otherwise.
  const policy = args.includes('--sign-in-policy') ? [] : ['--sign-in-policy', 'run'];
  const child = spawn(process.execPath, [BIN, 'station', '--headless', '--data-dir', dataDir, '--port', '0', ...policy, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test', ...env },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`station did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /UI:\s+(http:\/\/127\.0\.0\.1:\d+)\/#token=/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`station exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
  return {
    child,
    baseUrl: url,
    token,
    output: () => out,
    exited,
    async api<T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(url + route, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}

/** Stops a station we started, by its pid, and waits until it is gone. */
export async function stopStation(station: StationProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (station.child.exitCode !== null || station.child.signalCode !== null) return;
  station.child.kill(signal);
  await station.exited;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value (not undefined), or fails after the timeout. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
