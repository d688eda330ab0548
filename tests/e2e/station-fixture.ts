import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Locator, type Page } from '@playwright/test';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'main', 'bin', 'benchline.mjs');

export interface StationOptions {
  simSpeed: number;
  simulate: number;
  /** --drivers (default: sim). */
  drivers?: string;
  /** More flags, e.g. --serial-port PATH. */
  args?: string[];
  /** Extra environment, e.g. BENCHLINE_TEST_USB=1 for the loopback USB test source. */
  env?: Record<string, string>;
  /**
   * --sign-in-policy: `run` (the default here: these tests drive devices unattended, as a script
   * does) or `wait`, the product's default, where devices wait until a technician signs in.
   */
  signInPolicy?: 'wait' | 'run';
  /** A data dir the test prepared (library, secrets) instead of a fresh one; the test removes it. */
  dataDir?: string;
}

/** A headless station started for one test: fresh data dir, a free port, killed afterwards. */
export class Station {
  private child: ChildProcess | null = null;
  private output = '';
  url = '';
  origin = '';
  token = '';
  port = 0;

  constructor(
    readonly dataDir: string,
    private readonly opts: StationOptions,
  ) {}

  async start(port = 0): Promise<void> {
    const args = [
      CLI,
      'station',
      '--headless',
      '--data-dir',
      this.dataDir,
      '--port',
      String(port),
      '--simulate',
      String(this.opts.simulate),
      '--sim-speed',
      String(this.opts.simSpeed),
      '--sim-seed',
      '7',
      '--sign-in-policy',
      this.opts.signInPolicy ?? 'run',
    ];
    if (this.opts.drivers) args.push('--drivers', this.opts.drivers);
    args.push(...(this.opts.args ?? []));
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.opts.env } });
    this.child = child;
    this.output = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (this.output += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The station did not print its UI address within 20 s. Output:\n${this.output}`)), 20_000);
      child.stdout.on('data', (chunk: string) => {
        this.output += chunk;
        const m = /UI:\s+(http:\/\/\S+)/.exec(this.output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The station exited with code ${code} before it was ready. Output:\n${this.output}`));
      });
    });
    const parsed = new URL(url);
    this.url = url;
    this.origin = parsed.origin;
    this.port = Number(parsed.port);
    this.token = new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '';
  }

  /** Stops the process (SIGTERM, then SIGKILL), keeping the data dir: for restarts. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** The automation API (CONTRACT.md), as a script would use it. */
  async api<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.origin}/api/v1/${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async plug(count: number, extra: { model?: string; failAt?: string } = {}): Promise<string[]> {
    const { serials } = await this.api<{ serials: string[] }>('POST', 'simulator/devices', { count, ...extra });
    return serials;
  }

  unplug(serial: string): Promise<unknown> {
    return this.api('DELETE', `simulator/devices/${encodeURIComponent(serial)}`);
  }

  devices(): Promise<{ serial: string; slot: string | null; state: string | null; step: string | null }[]> {
    return this.api('GET', 'devices');
  }
}

export const test = base.extend<{ stationOptions: StationOptions; station: Station }>({
  stationOptions: [{ simSpeed: 300, simulate: 0 }, { option: true }],
  station: async ({ stationOptions }, use) => {
    const dataDir = stationOptions.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-e2e-'));
    const station = new Station(dataDir, stationOptions);
    try {
      await station.start();
      await use(station);
    } finally {
      await station.stop();
      if (!stationOptions.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect };

export function tile(page: Page, serial: string): Locator {
  return page.locator(`.tile[data-serial="${serial}"]`);
}

/** Opens the station's UI and waits until the grid shows live data. */
export async function openUi(page: Page, station: Station): Promise<void> {
  await page.goto(station.url);
  await expect(page.locator('.conn')).toHaveAttribute('data-connection', 'online');
  await expect(page.locator('.stats')).toHaveAttribute('data-live', 'true');
}

/**
 * Types a code the way a USB barcode scanner does: the whole burst reaches the browser's input
 * queue at once, each key stamped 8 ms after the previous one, then Enter. Playwright's
 * keyboard.type waits for the page between keys, so on a loaded machine its gaps look like a
 * person typing; these are trusted key events with the timing a scanner has.
 */
export async function scan(page: Page, code: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const t0 = Date.now() / 1000;
  const sends = [...code, 'Enter'].flatMap((key, i) => {
    const at = t0 + i * 0.008;
    const enter = key === 'Enter';
    const common = enter ? { key, code: 'Enter', windowsVirtualKeyCode: 13 } : { key };
    return [
      cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', ...common, text: enter ? '\r' : key, timestamp: at }),
      cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...common, timestamp: at + 0.003 }),
    ];
  });
  await Promise.all(sends);
  await cdp.detach();
}
